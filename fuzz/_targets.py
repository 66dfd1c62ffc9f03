"""What the harnesses call: one small function per parser, shared by fuzz_*.py and the pytest smoke run."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import tarfile
import tomllib
import zipfile
from functools import cache
from pathlib import Path

from extgate.gates.code import analyze_file, build_config
from extgate.gates.code.interface import CodeConfig, FileAnalysis
from extgate.gates.manifest.parse import ParseError, parse_json, parse_yaml
from extgate.intake import IntakeLimits, open_source
from extgate.intake.directory import read_directory
from extgate.model import Package
from extgate.policy import Policy, PolicyError
from extgate.rules.registry import load_registry
from extgate.trust.match import affects
from extgate.trust.osv import record_from
from extgate.trust.sources import collect

LIMITS = IntakeLimits()
MANIFEST = b'{"name": "fuzz-pkg", "version": "1.0.0", "dependencies": {"left-pad": "^1.0.0", "a": "npm:b@2"}}'


@cache
def code_config() -> CodeConfig:
    return build_config(load_registry(), lambda key, default: default)


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


def dependency_sources(files: dict[str, bytes]) -> None:
    """package.json + lockfile / deno.json / import maps: collecting what to audit never raises."""
    collect(Package.from_files(files), None, None)


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


def policy(data: bytes) -> None:
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return
    try:
        loaded = Policy.from_mapping(doc, "fuzz")
    except PolicyError:
        return
    Policy().merged_with(loaded)


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
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:  # type: ignore[call-overload]
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


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
