"""Issue 15.4: a policy file inside an uploaded archive cannot acknowledge warnings that mean "not analysed".

Which rules those are is data (`in_archive_ack: false` in rules/*.yaml); the caller's own policy still can.
"""

from __future__ import annotations

from extgate import Options, Status, check
from extgate.policy import Acknowledgement, Policy
from extgate.rules.registry import load_registry
from hostile.hostile_archives import npm_tarball

OFFLINE = Options(offline=True, network=False, use_cache=False)
PKG = '{"name": "demo", "version": "1.0.0", "description": "d", "license": "MIT"}'
# ~2.1 MB of code, over the 2,000,000-byte parse limit, so nothing analyses it, ending in an eval
UNPARSED = "".join(f"a.push({i * 7919 % 1000003}, '{i * 104729 % 999983:x}');\n" for i in range(85000))
UNPARSED += "eval(process.env.PAYLOAD)\n"
NESTED = npm_tarball({"package.json": PKG, "index.js": "eval(process.env.PAYLOAD)\n"})


def acks_for(fingerprints: list[str]) -> str:
    return "".join(f'[[acknowledge]]\nfingerprint = "{fp}"\nreason = "fine"\n' for fp in fingerprints)


def warnings_of(files: dict[str, str | bytes]) -> dict[str, str]:
    verdict = check(npm_tarball(files), options=OFFLINE)
    return {f.rule_id: f.fingerprint for f in verdict.findings if f.level.value == "warning"}


def test_not_analysed_rules_are_marked_in_the_rule_packs() -> None:
    marked = {rule.id for rule in load_registry() if not rule.in_archive_ack}
    assert {"safety/unparsed-file", "archive/nested-archive", "content/scan-limit", "content/base64-blob"} <= marked
    assert "code/subprocess" not in marked
    assert "caller's policy" in load_registry()["safety/unparsed-file"].help_markdown()


def test_in_archive_ack_of_an_unparsed_file_is_refused() -> None:
    files: dict[str, str | bytes] = {"package.json": PKG, "index.js": UNPARSED}
    fingerprints = warnings_of(files)
    assert "safety/unparsed-file" in fingerprints
    verdict = check(npm_tarball({**files, ".extgate.toml": acks_for(list(fingerprints.values()))}), options=OFFLINE)
    assert verdict.status is not Status.PASSED
    [unparsed] = [f for f in verdict.findings if f.rule_id == "safety/unparsed-file"]
    assert not unparsed.acknowledged


def test_in_archive_ack_of_a_tarball_named_png_is_refused() -> None:
    files: dict[str, str | bytes] = {"package.json": PKG, "index.js": "module.exports = 1\n", "logo.png": NESTED}
    fingerprints = warnings_of(files)
    assert list(fingerprints) == ["archive/nested-archive"]
    verdict = check(npm_tarball({**files, ".extgate.toml": acks_for(list(fingerprints.values()))}), options=OFFLINE)
    assert verdict.status is Status.NEEDS_ACKNOWLEDGEMENT
    assert not any(f.acknowledged for f in verdict.findings)


def test_the_callers_policy_can_still_acknowledge_them() -> None:
    files: dict[str, str | bytes] = {"package.json": PKG, "index.js": "module.exports = 1\n", "logo.png": NESTED}
    [fingerprint] = warnings_of(files).values()
    caller = Policy().with_acknowledgement(Acknowledgement(fingerprint, "reviewed the bundled tarball"))
    verdict = check(npm_tarball(files), caller, options=OFFLINE)
    assert verdict.status is Status.PASSED


def test_in_archive_ack_of_an_ordinary_warning_still_works() -> None:
    files: dict[str, str | bytes] = {"package.json": PKG, "index.js": "require('child_process').spawn('git')\n"}
    fingerprints = warnings_of(files)
    assert "code/subprocess" in fingerprints
    verdict = check(npm_tarball({**files, ".extgate.toml": acks_for(list(fingerprints.values()))}), options=OFFLINE)
    [subprocess] = [f for f in verdict.findings if f.rule_id == "code/subprocess"]
    assert subprocess.acknowledged
