"""Issue 14: the same archive and policy give the same JSON (durations aside) in any process, fingerprints do not
depend on the package version, and a scan executes nothing and writes nothing outside its temp dir (audit hook)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from extgate import Options, check
from extgate.formatters import to_json
from support.archives import npm_tgz

OFFLINE = Options(offline=True, network=False, use_cache=False)
FILES = {
    "index.js": 'const cp = require("child_process");\ncp.exec(process.env.CMD);\neval(atob("ZXZhbA=="));\n',
    "lib/tool.py": "import subprocess\nsubprocess.run(input(), shell=True)\nexec(open('x').read())\n",
    "index.html": "<script>fetch(u, {body: JSON.stringify(process.env)})</script>\n",
    "README.md": "# demo\n",
}


def _archive(version: str) -> bytes:
    manifest = json.dumps({"name": "demo", "version": version, "scripts": {"postinstall": "node index.js"}})
    return npm_tgz({"package.json": manifest, **FILES})


def _stable_json(data: bytes) -> dict[str, object]:
    doc = json.loads(to_json(check(data, options=OFFLINE)))
    doc.pop("duration_ms", None)
    return doc


def test_same_input_same_json_across_processes_and_hash_seeds(tmp_path: Path) -> None:
    archive = tmp_path / "demo.tgz"
    archive.write_bytes(_archive("1.0.0"))
    here = _stable_json(archive.read_bytes())
    child = textwrap.dedent(
        f"""
        import json
        from extgate import Options, check
        from extgate.formatters import to_json
        doc = json.loads(to_json(check(open({str(archive)!r}, "rb").read(),
                                       options=Options(offline=True, network=False, use_cache=False))))
        doc.pop("duration_ms", None)
        print(json.dumps(doc, sort_keys=True))
        """
    )
    for seed in ("1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=300, env=env)
        assert out.returncode == 0, out.stderr[-2000:]
        assert json.loads(out.stdout) == here
    assert json.dumps(here, sort_keys=True) == json.dumps(_stable_json(archive.read_bytes()), sort_keys=True)


def test_fingerprints_do_not_depend_on_the_package_version() -> None:
    def prints(version: str) -> list[tuple[str, str]]:
        verdict = check(_archive(version), options=OFFLINE)
        return sorted((f.rule_id, f.fingerprint) for f in verdict.findings if f.path)

    first = prints("1.0.0")
    assert first and first == prints("2.3.4")


def test_a_scan_executes_nothing_and_writes_nothing_outside_temp(tmp_path: Path) -> None:
    target = tmp_path / "pkg"
    (target / "lib").mkdir(parents=True)
    (target / "package.json").write_text(json.dumps({"name": "demo", "version": "1.0.0"}))
    for name, content in FILES.items():
        (target / name).write_text(content)
    (target / "lib" / "evil.py").write_text("open('/tmp/extgate-pwned', 'w').write('ran')\n")
    (target / "lib" / "__init__.py").write_text("import evil\n")
    child = textwrap.dedent(
        f"""
        import os, sys, tempfile
        root = {str(target)!r}
        temp = tempfile.gettempdir()
        events = []
        def hook(event, args):
            if event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                         "os.forkpty", "pty.spawn", "ctypes.dlopen"):
                events.append((event, repr(args)[:200]))
            elif event == "import" and args[1] and str(args[1]).startswith(root):
                events.append((event, repr(args)[:200]))
            elif event in ("exec", "compile") and isinstance(args[-1], str) and args[-1].startswith(root):
                events.append((event, repr(args[-1])[:200]))
            elif event == "open" and len(args) > 1 and isinstance(args[1], str) and any(c in args[1] for c in "wax+"):
                path = os.path.abspath(os.fsdecode(args[0])) if isinstance(args[0], (str, bytes)) else ""
                if path and not path.startswith(temp):
                    events.append((event, path))
        from extgate import Options, check
        sys.addaudithook(hook)
        verdict = check(root, options=Options(offline=True, network=False, use_cache=False))
        assert verdict.blocked, verdict.status
        print(events)
        """
    )
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"
    assert not Path("/tmp/extgate-pwned").exists()
