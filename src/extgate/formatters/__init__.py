"""Formatters: each module has `render(verdict) -> str`. Selected by name from the CLI.

Library entry points (the model has plain data only, `Verdict.to_dict()`; rendering lives here):

    from extgate.formatters import to_json, to_sarif
    to_json(verdict)      # the JSON verdict contract, as text
    to_sarif(verdict)     # SARIF 2.1.0, as text
"""

from __future__ import annotations

from collections.abc import Callable

from extgate.model import Verdict

FORMATS = ("text", "json", "sarif", "markdown", "github")


def renderer(name: str) -> Callable[[Verdict], str]:
    from extgate.formatters import github, json, markdown, sarif, text

    table: dict[str, Callable[[Verdict], str]] = {
        "text": text.render,
        "json": json.render,
        "sarif": sarif.render,
        "markdown": markdown.render,
        "github": github.render,
    }
    return table[name]


def to_json(verdict: Verdict) -> str:
    """The JSON verdict (`schema_version` "1.0"), indented, with a trailing newline."""
    return renderer("json")(verdict)


def to_sarif(verdict: Verdict) -> str:
    """The verdict as a SARIF 2.1.0 log (GitHub code scanning), with a trailing newline."""
    return renderer("sarif")(verdict)


def to_text(verdict: Verdict) -> str:
    return renderer("text")(verdict)


def to_markdown(verdict: Verdict) -> str:
    return renderer("markdown")(verdict)
