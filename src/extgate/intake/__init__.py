"""Intake (placeholder until implemented)."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from extgate.intake.interface import IntakeLimits
from extgate.model import Package

Source = str | Path | bytes | BinaryIO


def open_source(source: Source, *, limits: IntakeLimits, all_files: bool = False) -> Package:
    raise NotImplementedError("intake is not implemented yet")
