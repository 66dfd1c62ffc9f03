"""Locate the data folders (`rules/`, `scorers/`) in a wheel install or in a source checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def data_dir(name: str) -> Path:
    """`rules` or `scorers`: packaged copy first (wheel), then the checkout's top-level folder (editable install)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data" / name, here.parent.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"extgate data folder {name!r} not found next to {here}")
