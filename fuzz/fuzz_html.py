"""Fuzz target: the HTML inline-script scanner."""

from __future__ import annotations

from _harness import fixture_files, instrumented, main

with instrumented(__name__, "extgate.gates.code", "extgate.lang", "extgate.declarations"):
    import _targets

MAX_LEN = 4096
SEEDS = [
    b'<!doctype html><script>eval(location.hash)</script><!-- <script>x()</script> --><script type=module>import("./" + a)</script><script type="application/json">{}</script>'  # noqa: E501
]
FIXTURES = fixture_files("**/*.html", "**/*.htm")
DICTIONARY = [
    b"<script>",
    b"</script>",
    b"<script type=module>",
    b"<script src=",
    b"<!--",
    b"-->",
    b"<![CDATA[",
    b"]]>",
    b"<textarea>",
    b"</textarea>",
    b"<template>",
    b"<svg>",
    b"onclick=",
    b"javascript:",
    b"eval(",
    b"&lt;",
    b"&#x65;",
]
_targets.warm_code("index.html", SEEDS)  # once, before the first input


def one_input(data: bytes) -> None:
    _targets.code("index.html", data)


if __name__ == "__main__":
    main(one_input, SEEDS, max_len=MAX_LEN, fixtures=FIXTURES, dictionary=DICTIONARY)
