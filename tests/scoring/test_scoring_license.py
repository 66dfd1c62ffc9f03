"""License kind detection from text and agreement with the SPDX expression."""

from __future__ import annotations

import pytest
from scoring_support import factor, license_text, load, run

from extgate.scoring.factors.license import base_id, detect_kind, expression_ids
from extgate.scoring.rubric import load_rubric

SIGNATURES = tuple(load_rubric().factor("has-license").setting("signatures", ()))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (load("complete")["LICENSE"].decode(), "MIT"),
        (load("cinatra")["LICENSE"].decode(), "ISC"),
        (license_text("APACHE-2.0.txt").decode(), "Apache-2.0"),
        (license_text("BSD-3-CLAUSE.txt").decode(), "BSD-3-Clause"),
        (license_text("GPL-3.0-EXCERPT.txt").decode(), "GPL-3.0"),  # mentions the Lesser GPL, is not it
        ("This is free and unencumbered software released into the public domain.", "Unlicense"),
        ("Copyright Acme. All rights reserved.", None),
    ],
)
def test_detect_kind(text: str, kind: str | None) -> None:
    assert detect_kind(text, SIGNATURES) == kind


def test_mit_zero_is_not_mit() -> None:
    mit0 = (
        "Permission is hereby granted, free of charge, to any person obtaining a copy of this software, to deal "
        "in the Software without restriction."
    )
    assert detect_kind(mit0, SIGNATURES) == "MIT-0"


def test_expression_ids_and_variants() -> None:
    assert expression_ids("(MIT OR Apache-2.0) AND BSD-3-Clause") == ("MIT", "Apache-2.0", "BSD-3-Clause")
    assert expression_ids("GPL-2.0-only WITH Classpath-exception-2.0") == ("GPL-2.0-only",)
    assert isinstance(expression_ids("MIT AND"), str)
    assert isinstance(expression_ids("x" * 1000), str)
    assert base_id("GPL-3.0-or-later") == base_id("GPL-3.0-only") == "GPL-3.0"


def _pkg(license_id: str, text: bytes) -> dict[str, bytes]:
    files = load("complete")
    files["LICENSE"] = text
    files["package.json"] = files["package.json"].replace(b'"license": "MIT"', f'"license": "{license_id}"'.encode())
    return files


def test_or_later_agrees_with_the_file() -> None:
    assert factor(run(_pkg("GPL-3.0-or-later", license_text("GPL-3.0-EXCERPT.txt"))), "has-license").status == "earned"


def test_unrecognised_text_agrees_when_it_names_the_id() -> None:
    text = b"SPDX-License-Identifier: MPL-1.1\n\nSee the Mozilla Public License 1.1 for the terms.\n"
    assert factor(run(_pkg("MPL-1.1", text)), "has-license").status == "earned"
    assert factor(run(_pkg("MPL-1.1", b"Proprietary. All rights reserved.\n")), "has-license").status == "missed"


def test_mismatch_names_both() -> None:
    result = factor(run(_pkg("BSD-3-Clause", license_text("APACHE-2.0.txt"))), "has-license")
    assert result.status == "missed"
    assert "Apache-2.0" in result.detail and "BSD-3-Clause" in result.detail
