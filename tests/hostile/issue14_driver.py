"""Check each prepared hostile input in its own forked child and report its verdict, peak RSS and wall time.

Usage: python tests/hostile/issue14_driver.py SPEC.json   (SPEC: [{"name", "path", "drop_privileges"}, ...])
Prints one JSON line per case. The parent imports extgate and loads every parser first, then forks per input: the
child's peak RSS (`ru_maxrss` from `wait4`, which starts at the parent's RSS at fork) is everything the check held,
interpreter and parsers included. A child that outlives the hang guard is killed and reported as such. Children that
must not read what root could read drop root's file-permission override first (tests/hostile/privileges.py).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extgate import Options, check
from hostile.privileges import drop_file_override
from support.archives import npm_tgz

OPTIONS = Options(offline=True, network=False, use_cache=False, jobs=1)
HANG_GUARD = 60.0  # seconds: a child still running then is killed (a hang); the 10 s bound is the test's
SAFETY_LIMIT = 2 * 1024**3  # address space on top of the parent's: a runaway child fails instead of the machine


def _vm_size() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _effective_capabilities() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    return 0


def _child(spec: dict[str, object], out: str) -> None:
    result: dict[str, object]
    try:
        resource.setrlimit(resource.RLIMIT_AS, (_vm_size() + SAFETY_LIMIT, resource.RLIM_INFINITY))
        if spec.get("drop_privileges") and os.geteuid() == 0:
            drop_file_override()
        verdict = check(str(spec["path"]), options=OPTIONS)
        result = {
            "status": verdict.status.value,
            "rules": sorted({f.rule_id for f in verdict.findings}),
            "messages": {f.rule_id: f.message for f in sorted(verdict.findings, key=lambda f: f.rule_id)},
            "cap_eff": _effective_capabilities(),
        }
    except BaseException:
        result = {"crash": traceback.format_exc()[-3000:]}
    with open(out, "w") as handle:
        json.dump(result, handle)


def run_one(spec: dict[str, object], scratch: str) -> dict[str, object]:
    out = os.path.join(scratch, f"{spec['name']}.json")
    parent_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            _child(spec, out)
        except BaseException:
            code = 70
        os._exit(code)
    killed = False
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - started > HANG_GUARD:
            os.kill(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
            killed = True
            break
        time.sleep(0.02)
    wall = time.monotonic() - started
    row: dict[str, object] = {
        "case": spec["name"],
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "rss_bytes": usage.ru_maxrss * 1024,
        "parent_rss_bytes": parent_rss,
        "killed": killed,
        "exit": os.waitstatus_to_exitcode(status),
    }
    if not killed and os.path.exists(out):
        with open(out) as handle:
            row.update(json.load(handle))
    return row


def main(argv: list[str]) -> int:
    specs = json.loads(Path(argv[1]).read_text())
    # load every parser and rule pack first: what each child adds is then the hostile input's doing
    warm = npm_tgz(
        {
            "package.json": '{"name": "w", "version": "1.0.0"}',
            "a.js": "eval(x)",
            "b.ts": "eval(x)",
            "c.py": "import os\neval(x)",
            "d.html": "<script>eval(x)</script>",
            "e.yaml": "a: 1\n",
        }
    )
    check(warm, options=OPTIONS)
    with tempfile.TemporaryDirectory() as scratch:
        for spec in specs:
            print(json.dumps(run_one(spec, scratch)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
