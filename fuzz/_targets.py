"""What the harnesses call: one small function per parser, shared by fuzz_*.py and the pytest smoke run."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import shutil
import tarfile
import zipfile
from functools import cache
from pathlib import Path

from extgate.gates.code import analyze_file, build_config
from extgate.gates.code.interface import CodeConfig, FileAnalysis
from extgate.gates.manifest.parse import ParseError, parse_json, parse_yaml
from extgate.intake import IntakeLimits, open_source
from extgate.intake.directory import read_directory
from extgate.model import Finding, Level, Package
from extgate.policy import Policy, PolicyError
from extgate.publish.document import read_publish_document
from extgate.rules.registry import RuleRegistry, load_registry
from extgate.trust.match import affects
from extgate.trust.osv import record_from
from extgate.trust.sources import Collected, from_import_maps, from_lockfiles, from_package_json

LIMITS = IntakeLimits()
MANIFEST = b'{"name": "fuzz-pkg", "version": "1.0.0", "dependencies": {"left-pad": "^1.0.0", "a": "npm:b@2"}}'


@cache
def rules() -> RuleRegistry:
    return load_registry()


# A parse budget of 250 ms instead of the default 5 s: the few mutants on which tree-sitter's error recovery
# explodes (a 486-byte TypeScript input takes 5 s) take the same ParseTimeout -> safety/unparsed-file path, 20x
# sooner, instead of stalling the campaign (they dominated its CPU once they entered the corpus).
FUZZ_SETTINGS = {"parse_timeout_ms": 250}


@cache
def code_config() -> CodeConfig:
    return build_config(rules(), lambda key, default: FUZZ_SETTINGS.get(key, default))


def warm_code(path: str, seeds: list[bytes]) -> None:
    """Once, before fuzzing: the rule pack, the prefilter database, tree-sitter languages and queries."""
    for seed in seeds:
        code(path, seed)


def archive(data: bytes) -> Package:
    """Intake never raises: bad input is an Issue on the Package."""
    package = open_source(data, limits=LIMITS)
    assert isinstance(package, Package)
    return package


def code(path: str, data: bytes) -> FileAnalysis:
    suffix = "." + path.rsplit(".", 1)[-1]
    result = analyze_file(path, suffix, data, code_config())
    assert all(f.rule_id for f in result.findings)
    return result


def json_manifest(data: bytes) -> None:
    with contextlib.suppress(ParseError):  # the documented refusal: manifest/invalid
        parse_json(data)


def yaml_manifest(data: bytes) -> None:
    with contextlib.suppress(ParseError):
        parse_yaml(data)


@cache
def direct_names() -> frozenset[str]:
    """The direct dependencies of MANIFEST, read once (the lockfile harness's per-input work is the lockfile)."""
    return frozenset(from_package_json(Package.from_files({"package.json": MANIFEST}), None, Collected()))


def lockfiles(files: dict[str, bytes]) -> None:
    """package-lock.json / npm-shrinkwrap.json / deno.lock as the trust gate's collection reads them (next to
    MANIFEST's dependencies): never raises, a bad file is a problem in `out`."""
    out = Collected()
    from_lockfiles(Package.from_files({"package.json": MANIFEST, **files}), set(direct_names()), out)


def import_maps(files: dict[str, bytes]) -> None:
    """deno.json / deno.jsonc / import maps as the trust gate's collection reads them: never raises."""
    from_import_maps(Package.from_files(files), Collected())


def osv(data: bytes) -> None:
    try:
        raw = json.loads(data)
    except (ValueError, RecursionError):
        return
    record = record_from(raw, "fuzz")
    if record is None:
        return
    for name, version in (("left-pad", "1.0.0"), ("@scope/x", "0.0.1-beta.1"), ("", "")):
        affects(record, name, version)
        affects(record, name, version, any_name=True)


_POLICY_PROBES = (
    Finding("code/dynamic-eval", Level.WARNING, "code", "probe", fingerprint="abc:1"),
    Finding("safety/unparsed-file", Level.WARNING, "safety", "probe", fingerprint="def:1"),
    Finding("engine/internal-error", Level.ERROR, "engine", "probe", fingerprint="ghi:1"),
)


@cache
def rule_levels() -> tuple[dict[str, Level], frozenset[str]]:
    return {r.id: r.level for r in rules()}, frozenset(r.id for r in rules() if not r.in_archive_ack)


_CALLER = Policy.from_mapping({"rules": {"code/dynamic-eval": {"level": "note"}}}, "caller")


def policy(data: bytes) -> None:
    """An in-archive .extgate.toml as `stages.effective_policy` reads it (decode, `Policy.from_toml`, where
    UnicodeDecodeError and PolicyError are the documented refusals, then `tightened_by`), applied to findings; and
    the same document as a trusted author's policy (`merged_with`). The rule-level tables are built once."""
    try:
        inside = Policy.from_toml(data.decode("utf-8"), "archive:.extgate.toml")
    except (UnicodeDecodeError, PolicyError):
        return
    defaults, trusted_only = rule_levels()
    _CALLER.tightened_by(inside, defaults, trusted_only).apply(_POLICY_PROBES)
    inside.merged_with(_CALLER).apply(_POLICY_PROBES)


def directory(data: bytes, root: Path) -> None:
    """`name\\0content\\0name\\0content...` laid out under `root`, then the publish-set selection over it."""
    parts = data.split(b"\0")
    files = {"package.json": parts[0]}
    for i in range(1, len(parts) - 1, 2):
        name = parts[i].decode("utf-8", "replace").replace("\\", "/").strip("/")
        safe = "/".join(p for p in name.split("/") if p not in ("", ".", ".."))[:200]
        if safe and safe.count("/") < 8:
            files[safe] = parts[i + 1]
    try:
        for name, content in files.items():
            target = root / name
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            except OSError:
                continue  # a name the file system refuses (a file where a folder is needed, too long)
        read_directory(root, limits=LIMITS)
    finally:
        shutil.rmtree(root, ignore_errors=True)


# -- seeds ---------------------------------------------------------------------------------------------------------
def tar_bytes(files: dict[str, bytes], mode: str = "w") -> bytes:
    """A tar (mode "w", "w:" or "w:gz") of the files; an uncompressed one without tarfile's record padding (two
    zero blocks end it), so a seed is as short as the members make it."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:  # type: ignore[call-overload]
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = 0o755 if content.startswith(b"#!") else 0o644
            tar.addfile(info, io.BytesIO(content))
    data = buf.getvalue()
    if mode.endswith("gz"):
        return data
    end = len(data.rstrip(b"\0"))
    return data[: end + (-end % 512) + 1024]


def tree_blob(files: dict[str, bytes]) -> bytes:
    """The `directory` harness's input format for a tree: package.json's content, then name\\0content pairs."""
    parts = [files.get("package.json", b"")]
    for name, content in files.items():
        if name != "package.json":
            parts += [name.encode(), content]
    return b"\0".join(parts)


def package_tree(files: dict[str, bytes], top: str = "package") -> dict[str, bytes]:
    """The files of a fixture tree as members of an npm tarball (`package/...`)."""
    return {f"{top}/{name}": content for name, content in files.items()}


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buf.getvalue()


PACKAGE_FILES = {
    "package/package.json": MANIFEST,
    "package/index.js": b'const cp = require("child_process"); cp.exec(process.env.CMD); eval(x);\n',
    "package/README.md": b"# fuzz\n",
}


def publish_document(data: bytes) -> None:
    """An npm `PUT /:package` body as `extgate serve` reads it: every problem is data, never an exception."""
    tarball, claim = read_publish_document(data, max_bytes=1 << 20)
    assert isinstance(tarball, bytes)
    assert all(p.message and p.evidence for p in claim.problems)


def publish_bytes(files: dict[str, bytes], name: str = "fuzz-pkg", version: str = "1.0.0") -> bytes:
    """A publish document the way the npm CLI builds one, carrying a tarball of `files` (package/...)."""
    tarball = tar_bytes(files, "w:gz")
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    key = f"{name}-{version}.tgz"
    meta = {
        "name": name,
        "version": version,
        "dist": {"integrity": integrity, "shasum": hashlib.sha1(tarball).hexdigest()},
    }
    doc = {
        "_id": name,
        "name": name,
        "dist-tags": {"latest": version},
        "versions": {version: meta},
        "_attachments": {
            key: {
                "content_type": "application/octet-stream",
                "data": base64.b64encode(tarball).decode(),
                "length": len(tarball),
            }
        },
    }
    return json.dumps(doc).encode()
