"""Writing a batch: JSONL in input order, resume, progress and the closing summary."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from extgate.batch.interface import Job, Record


def to_line(record: Record) -> str:
    """One JSONL line: keys sorted, so two backends' outputs compare byte for byte (durations aside)."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def read_done(path: Path) -> dict[str, Record]:
    """Records already written to a JSONL file (--resume), by path; a torn last line is ignored (it is redone)."""
    done: dict[str, Record] = {}
    if not path.is_file():
        return done
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("path"), str) and "status" in record:
            done[record["path"]] = record
    return done


def drop_torn_tail(path: Path) -> None:
    """Cut a last line that a killed run left without its newline, so appended records start on a line of
    their own (the cut archive is not in `read_done` and runs again)."""
    if not path.is_file():
        return
    with path.open("rb+") as fh:
        data = fh.read()
        if data and not data.endswith(b"\n"):
            fh.truncate(data.rfind(b"\n") + 1)


def in_order(results: Iterable[tuple[Job, Record]], total: int) -> Iterator[tuple[Job, Record]]:
    """Re-order results that finish out of order into job order, releasing each as soon as its turn comes."""
    held: dict[int, tuple[Job, Record]] = {}
    indices = iter(range(total))
    want = next(indices, None)
    for job, record in results:
        held[job.index] = (job, record)
        while want is not None and want in held:
            yield held.pop(want)
            want = next(indices, None)
    yield from (held[i] for i in sorted(held))


class Progress:
    """A bar on a terminal (tqdm), else one plain line per archive; always on stderr."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.count = 0
        self.stream = stream = stream or sys.stderr
        self._bar: Any = None
        if stream.isatty():
            try:
                from tqdm import tqdm  # type: ignore[import-untyped]

                self._bar = tqdm(total=total, file=stream, unit="archive", dynamic_ncols=True)
            except ImportError:
                self._bar = None

    def update(self, record: Record) -> None:
        self.count += 1
        if self._bar is not None:
            self._bar.set_postfix_str(f"{Path(record['path']).name}: {record['status']}", refresh=False)
            self._bar.update(1)
        else:
            print(f"[{self.count}/{self.total}] {record['path']}: {record['status']}", file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def summary(records: Iterable[Record], *, resumed: int, seconds: float, shown: int = 20) -> str:
    """The closing table: counts by status, then the archives that did not pass with their error rules."""
    records = list(records)
    statuses = Counter(r["status"] for r in records)
    lines = [f"scan-many: {len(records)} archive(s) ({resumed} from --resume) in {seconds:.1f} s", ""]
    lines.append(f"  {'status':<24}{'archives':>9}")
    for status in ("passed", "needs-acknowledgement", "blocked"):
        lines.append(f"  {status:<24}{statuses.get(status, 0):>9}")
    failing = [r for r in records if r["status"] != "passed"]
    if failing:
        lines += ["", f"  {'archive':<48}{'status':<24}rules"]
        for record in failing[:shown]:
            rules = Counter(
                f["rule_id"] for f in record["verdict"].get("findings", []) if f.get("level") in ("error", "warning")
            )
            top = ", ".join(rule for rule, _ in rules.most_common(3))
            lines.append(f"  {_short(record['path'], 47):<48}{record['status']:<24}{top}")
        if len(failing) > shown:
            lines.append(f"  ... and {len(failing) - shown} more (see the JSONL)")
    return "\n".join(lines)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else "..." + text[-(width - 3) :]
