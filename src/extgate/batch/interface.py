"""What a batch backend is given and what it yields."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from extgate.options import Options
from extgate.policy import Policy

Record = dict[str, Any]
"""One archive's result as plain data (a JSONL line): `path`, `sha256`, `status`, `verdict` (the JSON verdict)."""


@dataclass(frozen=True, slots=True)
class Job:
    """One archive to check. Picklable: it travels to a worker process or a Ray task.

    index    position in the batch (results are written in this order, whatever order they finish in)
    path     the archive (or extension directory) to check
    policy   the caller's policy
    options  the gate options, as `extgate check` builds them
    timeout  seconds for this archive; past it the archive gets a blocked record and the batch goes on
    """

    index: int
    path: str
    policy: Policy
    options: Options
    timeout: float


class Backend(Protocol):
    """Runs jobs; yields (job, record) as each finishes. Never raises for one archive's failure: a crash, an
    exception or a timeout becomes that archive's blocked record (`extgate.batch.work.failure_record`)."""

    name: str

    def run(self, jobs: Sequence[Job]) -> Iterator[tuple[Job, Record]]: ...

    def close(self) -> None: ...
