"""Batch scanning: many archives, one verdict each, on a local process pool or a Ray cluster.

The engine stays a pure function; a backend only decides where `extgate.batch.work.scan_one` runs and turns a
timeout or a dead worker into a blocked record for that archive alone.
"""

from extgate.batch.interface import Backend, Job, Record
from extgate.batch.work import discover, failure_record, scan_one

__all__ = ["Backend", "Job", "Record", "discover", "failure_record", "scan_one"]
