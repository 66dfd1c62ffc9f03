"""Fuzz target: the HTML inline-script scanner."""

from __future__ import annotations

from _harness import instrumented, main

with instrumented(__name__):
    import _targets

SEEDS = [
    b'<!doctype html><script>eval(location.hash)</script><!-- <script>x()</script> --><script type=module>import("./" + a)</script><script type="application/json">{}</script>'  # noqa: E501
]


def one_input(data: bytes) -> None:
    _targets.code("index.html", data)


if __name__ == "__main__":
    main(one_input, SEEDS)
