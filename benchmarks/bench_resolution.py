"""extgate's dependency-tree resolution against npm's own, on real packages (npm is the oracle).

    .venv/bin/python benchmarks/bench_resolution.py [--out benchmarks/RESOLUTION.md] [PKG@SPEC ...]

Starts a Verdaccio on 127.0.0.1 whose uplink is the registry `npm config get registry` names (never hard-coded
here; a TLS-inspecting proxy's CA from SSL_CERT_FILE is passed to it as NODE_EXTRA_CA_CERTS). For every project
(one package.json each) it runs `npm install --package-lock-only --ignore-scripts` (npm only writes a lockfile)
and extgate.trust.tree.resolve_tree over packuments from the same Verdaccio, then compares path -> version for
every installed node. Needs the network and `EXTGATE_VERDACCIO`; tests/trust/test_trust_npm_oracle.py does the
same comparison offline on synthetic packages.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support.npm_oracle import diff_trees, node_version, npm_tree, resolve_online
from support.verdaccio import start_verdaccio

# name -> dependency tables: big trees, peers (eslint plugins, react), optional/platform binaries (esbuild,
# fsevents via chokidar), engines-steered picks, and the trees the issue names (gulp, jest, puppeteer).
PROJECTS: dict[str, dict[str, dict[str, str]]] = {
    "express": {"dependencies": {"express": "^4.18.0"}},
    "gulp": {"dependencies": {"gulp": "4.0.2"}},
    "jest": {"dependencies": {"jest": "^29.0.0"}},
    "eslint+plugins": {
        "dependencies": {"eslint": "^8.57.0", "eslint-plugin-react": "^7.33.0", "eslint-config-prettier": "^9.0.0"}
    },
    "typescript-eslint": {"dependencies": {"@typescript-eslint/eslint-plugin": "^7.0.0", "typescript": "^5.0.0"}},
    "react-dom (peer)": {"dependencies": {"react-dom": "^18.2.0"}},
    "esbuild (optional binaries)": {"dependencies": {"esbuild": "^0.20.0"}},
    "chokidar@2 (optional fsevents)": {"dependencies": {"chokidar": "^2.1.8"}},
    "webpack": {"dependencies": {"webpack": "^5.90.0"}},
    "puppeteer-core": {"dependencies": {"puppeteer-core": "^22.0.0"}},
    "axios+lodash": {"dependencies": {"axios": "^1.6.0", "lodash": "4.17.15"}},
    "mocha+chai": {"dependencies": {"mocha": "^10.0.0", "chai": "^4.3.0"}},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(Path(__file__).with_name("RESOLUTION.md")))
    parser.add_argument("packages", nargs="*", help="extra projects as NAME@SPEC")
    args = parser.parse_args()
    projects = dict(PROJECTS)
    for item in args.packages:
        name, _, spec = item.rpartition("@") if item.rfind("@") > 0 else (item, "", "latest")
        projects[item] = {"dependencies": {name: spec or "latest"}}
    uplink = subprocess.run(["npm", "config", "get", "registry"], capture_output=True, text=True, check=True)
    work = Path(tempfile.mkdtemp(prefix="extgate-bench-resolution-"))
    server = start_verdaccio(work / "verdaccio", uplink=uplink.stdout.strip())
    rows: list[str] = []
    failures = 0
    try:
        for index, (label, manifest) in enumerate(projects.items()):
            started = time.perf_counter()
            expected = npm_tree(server, work / f"p{index}", manifest)
            npm_seconds = time.perf_counter() - started
            started = time.perf_counter()
            resolution, rounds = resolve_online(server.url, manifest)
            ours_seconds = time.perf_counter() - started
            ours = {node.path: node.version for node in resolution.nodes}
            diff = diff_trees(expected, ours)
            failures += bool(diff)
            verdict = "match" if not diff else f"{len(diff)} differ"
            rows.append(
                f"| {label} | {len(expected)} | {len(ours)} | {verdict} | {rounds} | {npm_seconds:.1f} | "
                f"{ours_seconds:.1f} |"
            )
            print(rows[-1], flush=True)
            for line in diff[:15]:
                print("    ", line, flush=True)
    finally:
        server.stop()
    report = [
        "# Tree resolution vs npm",
        "",
        f"`benchmarks/bench_resolution.py`, npm {_npm_version()}, node {node_version()}, Verdaccio uplinked to the",
        "configured registry. Nodes compared as lockfile path -> version (every installed node, including",
        "optional platform binaries, which npm keeps in lockfiles). Seconds include packument fetches through the",
        "Verdaccio (npm's run also warms it for extgate's).",
        "",
        "| project | npm nodes | extgate nodes | versions | rounds | npm s | extgate s |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    Path(args.out).write_text("\n".join(report))
    return 1 if failures else 0


def _npm_version() -> str:
    return subprocess.run(["npm", "--version"], capture_output=True, text=True, check=True).stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
