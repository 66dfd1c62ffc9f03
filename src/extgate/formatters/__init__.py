"""Formatters: each module has `render(verdict) -> str`. Selected by name from the CLI."""

from __future__ import annotations

from collections.abc import Callable

from extgate.model import Verdict

FORMATS = ("text", "json", "sarif", "markdown")


def renderer(name: str) -> Callable[[Verdict], str]:
    from extgate.formatters import json, markdown, sarif, text

    table: dict[str, Callable[[Verdict], str]] = {
        "text": text.render,
        "json": json.render,
        "sarif": sarif.render,
        "markdown": markdown.render,
    }
    return table[name]
