"""Issue 14, the fail-closed paths: an exception inside each gate and in every other step of the pipeline, a
timeout, an advisory source or registry that is down (loopback servers: closed port, HTTP 500, not JSON, hanging),
and a corrupt cache each give a blocked verdict with a finding that says why and exit 1 or 3, never 0; neither a
policy nor a policy inside the upload can waive them."""

from __future__ import annotations

import ast
import builtins
import inspect
import io
import json
import socket
import tarfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from extgate import Options, check, engine
from extgate.cache.sqlite import FILE_NAME as FILE_CACHE
from extgate.cache.sqlite import KEY_NAME
from extgate.cli import main
from extgate.engine import GATES
from extgate.formatters import to_json
from extgate.gates.interface import GateContext, GateResult
from extgate.trust.cache import FILE_NAME as TRUST_CACHE
from support.archives import npm_tgz
from support.osv_server import DownloadsServer, OsvServer, PackumentServer, packument

OFFLINE = Options(offline=True, network=False, use_cache=False)
CLEAN = npm_tgz({"package.json": '{"name": "clean", "version": "1.0.0", "license": "MIT"}', "index.js": "x\n"})
LENIENT = {"rules": {"engine/internal-error": {"enabled": False, "level": "note"}}}


@pytest.mark.parametrize("gate", [g.name for g in GATES])
def test_an_exception_inside_each_gate_blocks(gate: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    target = next(g for g in GATES if g.name == gate)

    def explode(ctx: GateContext) -> GateResult:
        raise OSError(f"simulated failure in {gate}")

    monkeypatch.setattr(type(target), "run", lambda self, ctx: explode(ctx))
    verdict = check(CLEAN, LENIENT, options=OFFLINE)  # even a policy that tries to switch the rule off
    assert verdict.blocked
    [internal] = [f for f in verdict.findings if f.rule_id == "engine/internal-error"]
    assert f"simulated failure in {gate}" in internal.message

    archive = tmp_path / "clean.tgz"
    archive.write_bytes(CLEAN)
    assert main(["check", str(archive), "--offline", "--format", "json", "-o", str(tmp_path / "v.json")]) in (1, 3)


def test_the_clean_package_passes_without_the_failure() -> None:
    verdict = check(CLEAN, options=OFFLINE)
    assert not any(f.rule_id == "engine/internal-error" for f in verdict.findings)


def test_a_parse_timeout_is_never_a_pass(tmp_path: Path) -> None:
    source = "var a = b.c(d, e) + f[g];\n" * 40_000 + "eval(x);\n"
    archive = tmp_path / "slow.tgz"
    archive.write_bytes(npm_tgz({"package.json": '{"name": "slow", "version": "1.0.0"}', "index.js": source}))
    policy = {"code": {"parse_timeout_ms": 1}}
    verdict = check(archive.read_bytes(), policy, options=OFFLINE)
    [unparsed] = [f for f in verdict.findings if f.rule_id == "safety/unparsed-file"]
    assert unparsed.properties["reason"] == "timeout" and verdict.status.value != "passed"
    (tmp_path / ".extgate.toml").write_text("[code]\nparse_timeout_ms = 1\n")
    args = ["check", str(archive), "--offline", "--policy", str(tmp_path / ".extgate.toml"), "-o", str(tmp_path / "v")]
    assert main(args) == 1


# -- every step of the pipeline, not only the gates --------------------------------------------------------------

SCHEMA = json.loads(resources.files("extgate").joinpath("schemas/verdict.schema.json").read_text())
# what the last-resort verdict is built from: breaking those is breaking the fail-closed path itself
_FALLBACK = {"internal_error", "replace", "Verdict", "Target", "describe", "Status"}


def _pipeline_calls() -> list[str]:
    """Every function of the engine's module namespace that `engine._check` calls on its way to a verdict (read
    from its syntax tree, so a new step is covered when it appears; calls inside `except` handlers are the
    fallbacks themselves): `name` or `Class.method`."""
    tree = ast.parse(inspect.getsource(engine._check))
    fallback = {
        id(n) for handler in ast.walk(tree) if isinstance(handler, ast.ExceptHandler) for n in ast.walk(handler)
    }
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in fallback:
            continue
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and callable(getattr(engine, func.id, None)) and func.id not in vars(builtins):
            names.add(func.id)
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            owner = getattr(engine, func.value.id, None)
            if isinstance(owner, type) and callable(getattr(owner, func.attr, None)):
                names.add(f"{func.value.id}.{func.attr}")
    return sorted(names - _FALLBACK)


def test_the_pipeline_calls_are_found() -> None:
    calls = _pipeline_calls()
    assert {"open_source", "profile_and_policy", "compute_score", "finalize", "target_of"} <= set(calls)
    assert "FileRunner.from_options" in calls


@pytest.mark.parametrize("step", _pipeline_calls())
def test_an_exception_in_any_pipeline_step_blocks(step: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def explode(*args: object, **kwargs: object) -> object:
        raise RuntimeError(f"injected into {step}")

    owner_name, _, attr = step.rpartition(".")
    if owner_name:  # a class's method (classmethod or not): called through the class or an instance
        monkeypatch.setattr(getattr(engine, owner_name), attr, staticmethod(explode))
    else:
        monkeypatch.setattr(engine, attr, explode)
    verdict = check(CLEAN, options=OFFLINE)
    assert verdict.blocked
    messages = [f.message for f in verdict.findings if f.rule_id == "engine/internal-error"]
    assert any(f"injected into {step}" in m for m in messages), messages
    jsonschema.validate(json.loads(to_json(verdict)), SCHEMA)  # still a well-formed verdict
    archive = tmp_path / "clean.tgz"
    archive.write_bytes(CLEAN)
    out = tmp_path / "v.json"
    assert main(["check", str(archive), "--offline", "--no-cache", "--format", "json", "-o", str(out)]) == 3
    assert json.loads(out.read_text())["status"] == "blocked"


# -- sources that are down or broken ------------------------------------------------------------------------------

NET_PKG = npm_tgz(
    {
        "package.json": json.dumps(
            {
                "name": "hostile-net",
                "version": "1.0.0",
                "license": "MIT",
                "description": "a clean package",
                "main": "index.js",
                "dependencies": {"left-pad": "^1.3.0"},
            }
        ),
        "index.js": "module.exports = 1;\n",
        "README.md": "# x\n",
        "LICENSE": "MIT\n",
    }
)


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more: connections are refused


@pytest.fixture
def sources() -> Iterator[tuple[PackumentServer, OsvServer, DownloadsServer]]:
    with (
        PackumentServer({"left-pad": packument("left-pad", ["1.3.0"])}) as registry,
        OsvServer([]) as osv,
        DownloadsServer({"left-pad": 10**6}) as downloads,
    ):
        yield registry, osv, downloads  # type: ignore[misc]


def _run(
    tmp_path: Path, registry: str, osv: str, downloads: str, *extra: str, data: bytes = NET_PKG
) -> tuple[int, Any]:
    archive = tmp_path / "pkg.tgz"
    archive.write_bytes(data)
    out = tmp_path / "v.json"
    args = ["check", str(archive), "--registry", registry, "--osv-url", osv, "--downloads-url", downloads,
            "--no-input", "--timeout", "1", "--format", "json", "-o", str(out), *extra]  # fmt: skip
    if "--cache-dir" not in extra:
        args.append("--no-cache")
    code = main(args)
    return code, json.loads(out.read_text())


def test_the_package_passes_when_every_source_answers(
    sources: tuple[PackumentServer, OsvServer, DownloadsServer], tmp_path: Path
) -> None:
    """The control for the cases below: with the registry and OSV up, this package passes (exit 0)."""
    registry, osv, downloads = sources
    code, verdict = _run(tmp_path, registry.url, osv.url, downloads.url)
    assert (code, verdict["status"], verdict["findings"]) == (0, "passed", [])
    assert osv.paths("POST") == ["/v1/querybatch"]


BROKEN = {  # what breaks -> (which source, how, the rule that must say so)
    "registry-closed-port": ("registry", "closed", "trust/registry-unavailable"),
    "registry-http-500": ("registry", 500, "trust/registry-unavailable"),
    "registry-not-json": ("registry", "garbage", "trust/registry-unavailable"),
    "registry-hangs": ("registry", "slow", "trust/registry-unavailable"),
    "osv-closed-port": ("osv", "closed", "trust/audit-unavailable"),
    "osv-http-500": ("osv", 500, "trust/audit-unavailable"),
    "osv-not-json": ("osv", "garbage", "trust/audit-unavailable"),
    "osv-hangs": ("osv", "slow", "trust/audit-unavailable"),
}
IN_ARCHIVE_FAIL_OPEN = (
    "[trust]\nfail_open = true\n"
    '[rules."trust/registry-unavailable"]\nenabled = false\nlevel = "note"\n'
    '[rules."trust/audit-unavailable"]\nenabled = false\nlevel = "note"\n'
)


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_source_that_is_down_blocks_with_a_finding_that_says_why(
    case: str, sources: tuple[PackumentServer, OsvServer, DownloadsServer], tmp_path: Path
) -> None:
    which, how, rule = BROKEN[case]
    registry, osv, downloads = sources
    server = registry if which == "registry" else osv
    url = server.url
    if how == "closed":
        url = _closed_port()
    elif how == "garbage":
        server.garbage = True
    elif how == "slow":
        server.delay = 3.0  # past --timeout 1
    else:
        server.always = int(how)
    urls = (url, osv.url) if which == "registry" else (registry.url, url)
    for data in (NET_PKG, _with_policy(NET_PKG, IN_ARCHIVE_FAIL_OPEN)):  # the upload cannot opt out of it
        code, verdict = _run(tmp_path, *urls, downloads.url, data=data)
        assert code in (1, 3) and verdict["status"] == "blocked", (case, code, verdict["findings"])
        [found] = [f for f in verdict["findings"] if f["rule_id"] == rule]
        assert found["level"] == "error", found
        why = {"closed": "ConnectError", "garbage": "not valid JSON", "slow": "timed out"}.get(str(how), f"HTTP {how}")
        assert why in found["message"] and url in found["message"], found["message"]
        assert not found.get("properties", {}).get("fail_open"), found


def _with_policy(data: bytes, policy: str) -> bytes:
    """`data` (an npm tarball) with a `.extgate.toml` added."""
    files: dict[str, str | bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        for member in archive:
            handle = archive.extractfile(member)
            if handle is not None:
                files[member.name.removeprefix("package/")] = handle.read()
    return npm_tgz({**files, ".extgate.toml": policy})


# -- corrupt caches -----------------------------------------------------------------------------------------------

HOSTILE = npm_tgz({"package.json": '{"name": "h", "version": "1.0.0"}', "index.js": "eval(process.env.X)\n"})
DAMAGE = {
    "garbage": lambda path: path.write_bytes(b"this is not an sqlite database \xff\xfe" * 200),
    "truncated": lambda path: path.write_bytes(path.read_bytes()[:1500]),
    "a-folder": lambda path: (path.unlink(), path.mkdir()),
    "not-hex": lambda path: path.write_text("z" * 64),
}
CACHE_DAMAGE = [
    *((name, damage) for name in (TRUST_CACHE, FILE_CACHE) for damage in ("garbage", "truncated", "a-folder")),
    *((KEY_NAME, damage) for damage in ("garbage", "a-folder", "not-hex")),  # the file cache's HMAC key
]


@pytest.mark.parametrize(("cache", "damage"), CACHE_DAMAGE)
def test_a_corrupt_cache_never_changes_a_verdict(
    cache: str, damage: str, sources: tuple[PackumentServer, OsvServer, DownloadsServer], tmp_path: Path
) -> None:
    """A damaged cache is never read as data: the verdict is the one a run without any cache gives (the hostile
    package stays blocked by the same findings), with a note that says the cache was discarded."""
    registry, osv, downloads = sources
    folder = tmp_path / "cache"
    urls = (registry.url, osv.url, downloads.url)
    fresh = {name: _run(tmp_path, *urls, data=data) for name, data in (("clean", NET_PKG), ("hostile", HOSTILE))}
    for data in (NET_PKG, HOSTILE):
        _run(tmp_path, *urls, "--cache-dir", str(folder), data=data)  # fills both caches
    for suffix in ("-wal", "-shm"):
        Path(f"{folder / cache}{suffix}").unlink(missing_ok=True)
    DAMAGE[damage](folder / cache)
    for index, (name, data) in enumerate((("clean", NET_PKG), ("hostile", HOSTILE))):
        code, verdict = _run(tmp_path, *urls, "--cache-dir", str(folder), data=data)
        want_code, want = fresh[name]
        assert (code, verdict["status"]) == (want_code, want["status"]), (name, verdict["findings"])
        assert [f["fingerprint"] for f in verdict["findings"]] == [f["fingerprint"] for f in want["findings"]]
        if index == 0:  # the first run after the damage discards the cache and says so
            assert any(cache in note for note in verdict.get("notes", [])), verdict.get("notes")


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_cache_that_was_the_only_source_blocks_and_says_why(
    damage: str, sources: tuple[PackumentServer, OsvServer, DownloadsServer], tmp_path: Path
) -> None:
    """--offline with the cache as the only source of packuments and advisories: once it is damaged, nothing can
    be audited, and the verdict says so (blocked, never passed on what the damaged cache might have held)."""
    registry, osv, downloads = sources
    folder = tmp_path / "cache"
    code, verdict = _run(tmp_path, registry.url, osv.url, downloads.url, "--cache-dir", str(folder))
    assert (code, verdict["status"]) == (0, "passed")
    code, verdict = _run(tmp_path, registry.url, osv.url, downloads.url, "--cache-dir", str(folder), "--offline")
    assert (code, verdict["status"]) == (0, "passed")  # the cache alone answers everything
    for suffix in ("-wal", "-shm"):
        Path(f"{folder / TRUST_CACHE}{suffix}").unlink(missing_ok=True)
    DAMAGE[damage](folder / TRUST_CACHE)
    code, verdict = _run(tmp_path, registry.url, osv.url, downloads.url, "--cache-dir", str(folder), "--offline")
    assert code == 1 and verdict["status"] == "blocked"
    rules = {f["rule_id"] for f in verdict["findings"] if f["level"] == "error"}
    assert rules & {"trust/registry-unavailable", "trust/audit-unavailable"}, verdict["findings"]
    assert any("discarded" in note for note in verdict.get("notes", [])), verdict.get("notes")
