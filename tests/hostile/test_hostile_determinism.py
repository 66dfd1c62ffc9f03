"""Issue 14: the same archive and policy give byte-identical JSON and SARIF (durations aside) in any process and
with any hash seed; fingerprints of unchanged findings survive a new version of the package (version bump, code
moved within a file, other files changed); and a scan executes nothing from the package and writes nothing outside
its temp dir (an audit hook in a child process watches every process, exec, import, native-library, socket and
file-system event)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

from extgate import Options, Verdict, check
from extgate.formatters import to_json, to_sarif
from support.archives import npm_tgz

OFFLINE = Options(offline=True, network=False, use_cache=False)
CANARY = "EXTGATE-CANARY-7f3a9c"  # in every scanned file: any code object compiled from one carries it
FILES = {
    "index.js": f'// {CANARY}\nconst cp = require("child_process");\ncp.exec(process.env.CMD);\n'
    'eval(atob("ZXZhbA=="));\n',
    "lib/tool.py": f"MARK = {CANARY!r}\nimport subprocess\nsubprocess.run(input(), shell=True)\n"
    "exec(open('x').read())\n",
    "index.html": f"<!-- {CANARY} --><script>fetch(u, {{body: JSON.stringify(process.env)}})</script>\n",
    "README.md": f"# demo {CANARY}\n",
}
DURATION = re.compile(r'"duration_ms": \d+')


def _manifest(version: str) -> str:
    return json.dumps({"name": "demo", "version": version, "scripts": {"postinstall": "node index.js"}})


def _archive(version: str, files: dict[str, str] | None = None) -> bytes:
    return npm_tgz({"package.json": _manifest(version), **(files or FILES)})


def _texts(verdict: Verdict) -> tuple[str, str]:
    return DURATION.sub('"duration_ms": 0', to_json(verdict)), to_sarif(verdict)


def test_same_input_gives_byte_identical_reports_across_processes_and_hash_seeds(tmp_path: Path) -> None:
    archive = tmp_path / "demo.tgz"
    archive.write_bytes(_archive("1.0.0"))
    here = _texts(check(str(archive), options=OFFLINE))
    assert '"findings": []' not in here[0]  # something to compare
    child = textwrap.dedent(
        f"""
        import json, re
        from extgate import Options, check
        from extgate.formatters import to_json, to_sarif
        verdict = check({str(archive)!r}, options=Options(offline=True, network=False, use_cache=False))
        print(json.dumps([re.sub(r'"duration_ms": \\d+', '"duration_ms": 0', to_json(verdict)), to_sarif(verdict)]))
        """
    )
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=300, env=env)
        assert out.returncode == 0, out.stderr[-2000:]
        json_text, sarif_text = json.loads(out.stdout)
        assert (json_text, sarif_text) == here
    assert _texts(check(str(archive), options=OFFLINE)) == here  # and again in this process


def _prints(verdict: Verdict) -> dict[tuple[str, str | None], list[str]]:
    out: dict[tuple[str, str | None], list[str]] = {}
    for finding in verdict.findings:
        out.setdefault((finding.rule_id, finding.path), []).append(finding.fingerprint)
    return out


def _sarif_prints(verdict: Verdict) -> set[str]:
    doc = json.loads(to_sarif(verdict))
    return {r["partialFingerprints"]["primaryLocationLineHash"] for r in doc["runs"][0]["results"]}


def test_fingerprints_of_unchanged_findings_survive_a_new_version() -> None:
    old = check(_archive("1.0.0"), options=OFFLINE)
    changed = {
        **FILES,
        # the same code, moved down by a new function above it
        "index.js": "function helper(a) {\n  return a + 1;\n}\n\n" + FILES["index.js"],
        "README.md": "# demo\n\nNow with a helper.\n",
        "lib/new.js": 'require("child_process").execSync(process.argv[2]);\n',  # one new finding
    }
    new = check(_archive("2.3.4", changed), options=OFFLINE)
    before, after = _prints(old), _prints(new)
    assert before and all(prints for prints in before.values())
    for key, prints in before.items():
        assert after.get(key) == prints, key  # every finding still there keeps its fingerprint
    added = {key for key in after if key not in before}
    assert added and all(path == "lib/new.js" for _, path in added), added
    moved = [f for f in new.findings if f.path == "index.js" and f.line]
    assert moved and all(f.line and f.line > 4 for f in moved)  # they really moved
    assert _sarif_prints(old) <= _sarif_prints(new)


def test_only_the_version_differs_between_two_versions_of_an_unchanged_package() -> None:
    first, second = (_texts(check(_archive(v), options=OFFLINE))[0] for v in ("1.0.0", "1.0.1"))
    strip = re.compile(r'("version": |"sha256": |"integrity": |"duration_ms": )"?[^",\n]*"?')
    assert strip.sub(r"\1X", first) == strip.sub(r"\1X", second)


AUDIT_CHILD = r"""
import json, os, sys, tempfile
root, canary, source = sys.argv[1], sys.argv[2], sys.argv[3]
temp = os.path.realpath(tempfile.gettempdir())
events = []
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
FS_EVENTS = {"os.mkdir", "os.rename", "os.replace", "os.remove", "os.rmdir", "os.symlink", "os.link", "os.chmod",
             "os.chown", "os.truncate", "os.utime", "os.chflags", "os.mkfifo", "os.mknod", "shutil.copyfile",
             "shutil.copymode", "shutil.copystat", "shutil.copytree", "shutil.move", "shutil.rmtree",
             "sqlite3.connect", "os.setxattr", "os.removexattr"}
RUN_EVENTS = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
              "pty.spawn", "os.startfile", "webbrowser.open", "socket.connect", "socket.bind", "ctypes.dlopen"}

def outside(path):
    if isinstance(path, int) or path is None:
        return False
    full = os.path.realpath(os.fsdecode(path))
    return not (full == temp or full.startswith(temp + os.sep))

def from_package(code, depth=0):
    if canary in code.co_filename or code.co_filename.startswith(root) or depth > 50:
        return True
    for const in code.co_consts:
        if isinstance(const, str) and canary in const:
            return True
        if hasattr(const, "co_consts") and from_package(const, depth + 1):
            return True
    return False

def hook(event, args):
    if event in RUN_EVENTS:
        events.append([event, repr(args)[:200]])
    elif event == "import" and ((args[1] and str(args[1]).startswith(root)) or any(
            isinstance(p, str) and p and os.path.realpath(p).startswith(root) for p in (args[2] or ()))):
        events.append([event, repr(args[:2])[:200]])
    elif event == "exec" and args and hasattr(args[0], "co_consts") and from_package(args[0]):
        events.append([event, args[0].co_filename])
    elif event == "open" and len(args) >= 3:
        path, mode, flags = args[0], args[1], args[2]
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & WRITE_FLAGS)
        if writes and outside(path):
            events.append([event, os.fsdecode(path)])
    elif event in FS_EVENTS and any(isinstance(a, (str, bytes)) and outside(a) for a in args[:2]):
        events.append([event, repr(args)[:200]])

from extgate import Options, check
target = source if source != "-" else root
options = Options(offline=True, network=False, use_cache=sys.argv[4] == "cache", cache_dir=os.path.join(temp, "c"),
                  jobs=1)
sys.addaudithook(hook)
verdict = check(target, options=options)
rules = sorted({f.rule_id for f in verdict.findings})
sys.stdout.write(json.dumps({"status": verdict.status.value, "events": events, "rules": rules}))
"""


def _tree(root: Path) -> None:
    (root / "lib").mkdir(parents=True)
    (root / "package.json").write_text(json.dumps({"name": "demo", "version": "1.0.0", "main": "index.js"}))
    for name, content in FILES.items():
        (root / name).write_text(content)
    pwned = f"MARK = {CANARY!r}\nopen({str(root / 'PWNED')!r}, 'w').write('ran')\n"
    for name in ("lib/evil.py", "setup.py", "conftest.py", "sitecustomize.py", "json.py", "lib/__init__.py"):
        (root / name).write_text(pwned)
    (root / "lib" / "__init__.py").write_text("import evil\n" + pwned)
    (root / "binding.node").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(200))  # a native addon, never loaded
    (root / "index.mjs").write_text(f"// {CANARY}\nimport('./lib/x.js');\nrequire('./binding.node');\n")


def _pack(root: Path, dest: Path, kind: str) -> Path:
    if kind == "zip":
        with zipfile.ZipFile(dest, "w") as archive:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(root).as_posix())
        return dest
    with tarfile.open(dest, "w:gz") as archive:
        archive.add(root, arcname="package")
    return dest


@pytest.mark.parametrize("kind", ["directory", "tgz", "zip", "directory-with-cache"])
def test_a_scan_executes_nothing_and_writes_nothing_outside_temp(kind: str, tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    _tree(root)
    source = "-" if kind.startswith("directory") else str(_pack(root, tmp_path / f"pkg.{kind}", kind))
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "HOME": str(tmp_path / "home")}
    # cwd is the package and `-P` keeps it off sys.path, as the `extgate` script does: nothing there is importable
    args = [sys.executable, "-P", "-c", AUDIT_CHILD, str(root), CANARY, source]
    args.append("cache" if kind.endswith("cache") else "no-cache")
    out = subprocess.run(args, capture_output=True, text=True, timeout=300, env=env, cwd=root)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    assert result["status"] == "blocked" and "code/dynamic-eval" in result["rules"], result
    assert result["events"] == []
    assert not (root / "PWNED").exists()
    assert not (tmp_path / "home").exists()  # nothing under HOME either (no user cache dir touched)
    if kind.endswith("cache"):
        assert list((temp / "c").iterdir())  # the cache was used, and lives under the temp dir


def test_the_audit_hook_sees_what_it_must_flag(tmp_path: Path) -> None:
    """The watcher above can fail: code from the package executed, or a write outside temp, is reported."""
    root = tmp_path / "pkg"
    _tree(root)
    probe = AUDIT_CHILD.replace(
        "verdict = check(target, options=options)",
        "exec(compile(open(os.path.join(root, 'lib', 'evil.py')).read(), 'evil', 'exec'))\n"
        "open(os.path.join(root, 'written'), 'w').close()\n"
        "verdict = check(target, options=options)",
    )
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    out = subprocess.run(
        [sys.executable, "-P", "-c", probe, str(root), CANARY, "-", "no-cache"],
        capture_output=True, text=True, timeout=300, env=env, cwd=root,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    kinds = [event for event, _ in json.loads(out.stdout)["events"]]
    assert "exec" in kinds and "open" in kinds, kinds
