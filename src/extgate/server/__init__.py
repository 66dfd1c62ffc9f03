"""`extgate serve`: the HTTP gate a registry's push path calls (app.py routes, pool.py worker processes)."""

from __future__ import annotations

from extgate.server.app import create_app
from extgate.server.interface import ServeConfig
from extgate.workers.pool import TaskTimeout, WorkerCrashed, WorkerPool

__all__ = ["ServeConfig", "TaskTimeout", "WorkerCrashed", "WorkerPool", "create_app"]
