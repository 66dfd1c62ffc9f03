"""Resolution: the version npm would install (npm-pick-manifest semantics, node-semver loose)."""

from __future__ import annotations

from typing import Any

import pytest

from extgate.trust.resolve import parse_spec, pick_version
from support.osv_server import packument

VERSIONS = ["1.0.0", "1.1.0", "1.2.0", "1.2.5", "1.3.0-beta.1", "2.0.0", "2.1.0", "3.0.0-rc.1"]


def pick(spec: str, doc: dict[str, Any] | None = None, name: str = "pkg") -> str | None:
    return pick_version(doc or packument(name, VERSIONS, latest="2.1.0"), parse_spec(name, spec))


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("^1.0.0", "1.2.5"),
        ("~1.2.0", "1.2.5"),
        ("~1.1", "1.1.0"),
        (">=1.1.0 <2", "1.2.5"),
        (">=1.0.0", "2.1.0"),  # latest satisfies: latest
        ("1.x", "1.2.5"),
        ("1", "1.2.5"),
        ("*", "2.1.0"),
        ("", "2.1.0"),
        ("x", "2.1.0"),
        ("1.0.0 - 1.2.0", "1.2.0"),
        ("^1.0.0 || ^2.0.0", "2.1.0"),
        ("1.1.0", "1.1.0"),
        ("=1.1.0", "1.1.0"),
        ("v1.1.0", "1.1.0"),
        ("latest", "2.1.0"),
        ("^1.3.0-beta.0", "1.3.0-beta.1"),  # a prerelease only when the range names that tuple
        ("^4.0.0", None),
        ("1.9.9", None),
    ],
)
def test_ranges_versions_tags(spec: str, expected: str | None) -> None:
    assert pick(spec) == expected


def test_prereleases_are_not_picked_by_plain_ranges() -> None:
    assert pick(">=2.1.0") == "2.1.0"  # 3.0.0-rc.1 is higher but a prerelease
    assert pick("^3.0.0-rc.0") == "3.0.0-rc.1"


def test_latest_tag_wins_when_it_satisfies_even_if_higher_versions_exist() -> None:
    doc = packument("pkg", VERSIONS, latest="1.2.0")
    assert pick("^1.0.0", doc) == "1.2.0"  # npm installs `latest` (1.2.0), not the max (1.2.5)
    assert pick(">=1.0.0", doc) == "1.2.0"
    assert pick("^2.0.0", doc) == "2.1.0"  # latest outside the range: max satisfying


def test_star_prefers_latest_even_when_it_is_a_prerelease() -> None:
    doc = packument("pkg", VERSIONS, latest="3.0.0-rc.1")
    assert pick("*", doc) == "3.0.0-rc.1"
    assert pick(">=2.0.0", doc) == "2.1.0"  # a real range: prerelease latest does not satisfy


def test_dist_tags() -> None:
    doc = packument("pkg", VERSIONS, latest="2.1.0", tags={"next": "3.0.0-rc.1", "broken": "9.9.9"})
    assert pick("next", doc) == "3.0.0-rc.1"
    assert pick("broken", doc) is None  # tag points at a version that does not exist
    assert pick("missing-tag", doc) is None


def test_deprecated_versions_are_avoided_like_npm_does() -> None:
    versions: dict[str, dict[str, str]] = {v: {} for v in VERSIONS}
    versions["2.1.0"] = {"deprecated": "broken"}
    versions["1.2.5"] = {"deprecated": "broken"}
    doc = packument("pkg", versions, latest="2.1.0")
    assert pick("^2.0.0", doc) == "2.0.0"  # latest is deprecated: best non-deprecated
    assert pick("^1.0.0", doc) == "1.2.0"
    assert pick("1.2.5", doc) == "1.2.5"  # an exact pin is what it is
    only = packument("solo", {"1.0.0": {"deprecated": "gone"}})
    assert pick("^1.0.0", only, name="solo") == "1.0.0"  # nothing better: the deprecated one installs


def test_aliases_resolve_to_the_target_package() -> None:
    spec = parse_spec("my-lodash", "npm:lodash@^4.17.0")
    assert (spec.kind, spec.name, spec.value) == ("range", "lodash", "^4.17.0")
    scoped = parse_spec("x", "npm:@scope/pkg@1.2.3")
    assert (scoped.kind, scoped.name, scoped.value) == ("version", "@scope/pkg", "1.2.3")
    bare = parse_spec("x", "npm:lodash")
    assert (bare.kind, bare.name, bare.value) == ("range", "lodash", "*")


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("git+https://github.com/a/b.git", "git"),
        ("github:a/b", "git"),
        ("a/b#v1.0.0", "git"),
        ("https://example.org/p.tgz", "url"),
        ("file:../p", "file"),
        ("./vendor/p", "file"),
        ("link:../p", "file"),
        ("workspace:*", "file"),
        ("jsr:@std/path@1", "jsr"),
        ("not a range!", "invalid"),
        ("^1" * 600, "invalid"),
        ("beta", "tag"),
    ],
)
def test_non_registry_specs_are_classified(raw: str, kind: str) -> None:
    assert parse_spec("p", raw).kind == kind
    assert pick_version(packument("p", VERSIONS), parse_spec("p", raw)) is None or kind == "tag"


def test_hostile_packuments_do_not_crash() -> None:
    assert pick_version({"versions": "nope"}, parse_spec("p", "^1")) is None
    assert pick_version({"versions": {"garbage": {}, "1.0.0": None}, "dist-tags": []}, parse_spec("p", "^1")) == "1.0.0"
