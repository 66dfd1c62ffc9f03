"""scan-many: one JSONL record per archive (identical to `check`), in order, on worker processes; a hung or
crashing archive blocks only itself; --resume skips what is done."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from extgate.batch.interface import Job
from extgate.batch.local import LocalBackend
from extgate.batch.output import to_line
from extgate.batch.work import discover, scan_one
from extgate.cli import main
from extgate.options import Options
from extgate.policy import Policy
from support.batch_work import crash_on_marked, hang_on_marked, without_durations

OFFLINE = Options(offline=True, network=False, use_cache=False)


def offline(osv_db: Path) -> Options:
    return Options(offline=True, network=False, use_cache=False, osv_db=str(osv_db))


def test_jsonl_in_archive_order_identical_to_check(
    corpus: Path, osv_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "verdicts.jsonl"
    rc = main(["scan-many", str(corpus), "--offline", "--no-cache", "--osv-db", str(osv_db), "-j", "2", "-o", str(out)])
    assert rc == 1  # something is blocked
    records = [json.loads(line) for line in out.read_text().splitlines()]
    paths = [r["path"] for r in records]
    assert paths == sorted(str(p) for p in corpus.rglob("*.tgz"))  # README.txt is not an archive
    by_name = {Path(r["path"]).name: r for r in records}
    assert by_name["clean-1.0.0.tgz"]["status"] == "passed"
    assert "code/dynamic-eval" in {f["rule_id"] for f in by_name["evil-1.0.0.tgz"]["verdict"]["findings"]}
    assert "archive/corrupt" in {f["rule_id"] for f in by_name["junk-1.0.0.tgz"]["verdict"]["findings"]}
    lodash = by_name["lodash-user-1.0.0.tgz"]["verdict"]["dependencies"]
    assert {a["id"] for d in lodash for a in d["advisories"]} == {
        "GHSA-35jh-r3h4-6jhm",
        "GHSA-p6mc-m468-83gw",
        "GHSA-29mw-wpgm-hmr9",
    }
    for record in records:  # the worker's record is the library's verdict for the same archive and options
        assert record["sha256"] == hashlib.sha256(Path(record["path"]).read_bytes()).hexdigest()
        expected = scan_one(record["path"], Policy(), offline(osv_db))
        assert to_line(without_durations(record)) == to_line(without_durations(expected))
    err = capsys.readouterr().err
    assert "[4/4]" in err  # plain progress lines: stderr is not a terminal
    table = {
        line.split()[0]: line.split()[1]
        for line in err.splitlines()
        if line.startswith("  ") and len(line.split()) == 2
    }
    assert table == {"status": "archives", "passed": "1", "needs-acknowledgement": "0", "blocked": "3"}


def test_hung_and_crashing_archives_block_only_themselves(corpus: Path, tmp_path: Path) -> None:
    for marked in ("hang", "crash"):
        (tmp_path / f"{marked}-1.0.0.tgz").write_bytes((corpus / "clean-1.0.0.tgz").read_bytes())
    paths = [str(tmp_path / "hang-1.0.0.tgz"), str(corpus / "clean-1.0.0.tgz"), str(tmp_path / "crash-1.0.0.tgz")]
    for work in (hang_on_marked, crash_on_marked):
        backend = LocalBackend(1, memory_mb=0, work=work)
        try:
            # only the hung archive has a short budget: a slow machine must not time out the healthy ones
            jobs = [Job(i, p, Policy(), OFFLINE, 3.0 if "hang" in p else 300.0) for i, p in enumerate(paths)]
            results = {Path(job.path).name: record for job, record in backend.run(jobs)}
        finally:
            backend.close()
        assert results["clean-1.0.0.tgz"]["status"] == "passed", results["clean-1.0.0.tgz"]["verdict"]["findings"]
        bad = "hang-1.0.0.tgz" if work is hang_on_marked else "crash-1.0.0.tgz"
        assert results[bad]["status"] == "blocked"
        [finding] = results[bad]["verdict"]["findings"]
        assert finding["rule_id"] == "engine/internal-error"
        assert ("within 3 s" if work is hang_on_marked else "died") in finding["message"]
        assert results[bad]["sha256"] == hashlib.sha256(Path(tmp_path / bad).read_bytes()).hexdigest()
        assert results[bad]["verdict"]["target"]["path"] == str(tmp_path / bad)


def test_resume_skips_recorded_archives_and_redoes_a_torn_line(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = scan_one(str(corpus / "clean-1.0.0.tgz"), Policy(), OFFLINE)
    out = tmp_path / "run.jsonl"
    out.write_text(to_line(clean) + "\n" + '{"path": "' + str(corpus / "evil-1.0.0.tgz") + '", "stat')  # killed
    rc = main(["scan-many", str(corpus), "--offline", "--no-cache", "-j", "1", "--resume", str(out), "-o", str(out)])
    assert rc == 1
    lines = out.read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert sorted(r["path"] for r in records) == sorted(str(p) for p in corpus.rglob("*.tgz"))
    assert lines[0] == to_line(clean)  # the recorded line is kept as it was, not redone
    err = capsys.readouterr().err
    assert "[3/3]" in err and "[4/" not in err  # only the three unrecorded archives ran
    assert "(1 from --resume)" in err


def test_resume_checks_again_an_archive_replaced_since(corpus: Path, tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    folder.mkdir()
    target = folder / "pkg-1.0.0.tgz"
    target.write_bytes((corpus / "clean-1.0.0.tgz").read_bytes())
    out = tmp_path / "run.jsonl"
    out.write_text(to_line(scan_one(str(target), Policy(), OFFLINE)) + "\n")
    target.write_bytes((corpus / "evil-1.0.0.tgz").read_bytes())  # re-uploaded under the same name
    rc = main(["scan-many", str(folder), "--offline", "--no-cache", "-j", "1", "--resume", str(out), "-o", str(out)])
    assert rc == 1  # the new bytes were checked: eval is blocked
    last = json.loads(out.read_text().splitlines()[-1])
    assert last["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest() and last["status"] == "blocked"


def test_list_file_paths_comments_and_usage_errors(corpus: Path, tmp_path: Path) -> None:
    listing = tmp_path / "archives.txt"
    listing.write_text(f"# catalogue\n\n{corpus / 'evil-1.0.0.tgz'}\nrelative/clean-1.0.0.tgz\n")
    assert discover(listing) == [str(corpus / "evil-1.0.0.tgz"), str(tmp_path / "relative" / "clean-1.0.0.tgz")]
    assert main(["scan-many", str(tmp_path / "missing"), "--offline"]) == 2
    assert main(["scan-many", str(corpus), "--offline", "--jobs", "0"]) == 2


def test_progress_is_a_bar_on_a_terminal() -> None:
    """On a TTY (a real pseudo-terminal here) the progress is a tqdm bar, not one line per archive."""
    import fcntl
    import os
    import pty
    import select
    import struct
    import termios

    from extgate.batch.output import Progress

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a new pty is 0 columns wide
    with os.fdopen(slave, "w", encoding="utf-8") as terminal:
        progress = Progress(2, terminal)
        for name in ("a-1.0.0.tgz", "b-1.0.0.tgz"):
            progress.update({"path": name, "status": "passed"})
        progress.close()
        terminal.flush()
        chunks = []
        while select.select([master], [], [], 1.0)[0]:
            chunks.append(os.read(master, 65536))
        shown = b"".join(chunks).decode("utf-8", "replace")
    os.close(master)
    assert "2/2" in shown and "archive" in shown  # tqdm's counter and unit
    assert "\r" in shown  # redrawn in place
    assert "[1/2]" not in shown  # not the plain-line format
