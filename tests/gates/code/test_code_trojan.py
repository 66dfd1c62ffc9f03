"""code/trojan-source: bidi controls and zero-width characters anywhere in code files, exact positions."""

from __future__ import annotations

import pytest
from code_support import levels, scan, where

from extgate.model import Level

RULE = "code/trojan-source"
RLO = "\u202e"
LRI = "\u2066"
PDI = "\u2069"


def test_cve_2021_42574_example() -> None:
    src = (
        'const accessLevel = "user";\n'
        f'if (accessLevel != "user{RLO} {LRI}// Check if admin{PDI} {LRI}") {{\n'
        "  grant();\n}\n"
    )
    found = scan("auth.js", src, RULE)
    assert where(found) == [(2, 25), (2, 27), (2, 45), (2, 47)]
    assert levels(found) == [Level.ERROR] * 4
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in found[0].message
    assert "\\u202e" in (found[0].snippet or "")  # the snippet shows the character escaped, not raw


@pytest.mark.parametrize(
    ("char", "where_"),
    [
        ("\u200b", "comment"),
        ("\u2060", "string"),
        ("\ufeff", "code"),
        ("\u200e", "string"),
        ("\u061c", "comment"),
        ("\u202a", "string"),
        ("\u2067", "comment"),
        ("\u200d", "code"),
    ],
)
def test_every_class_of_character_in_every_position(char: str, where_: str) -> None:
    src = {
        "comment": f"// note{char}\nrun();\n",
        "string": f'run("a{char}b");\n',
        "code": f"const a{char}b = 1;\n",
    }[where_]
    found = scan("a.ts", src, RULE)
    assert len(found) == 1
    assert found[0].properties["codepoint"] == f"U+{ord(char):04X}"


def test_python_files_too() -> None:
    found = scan("tool.py", f"x = 1  # {RLO}comment\n", RULE)
    assert where(found) == [(1, 10)]


@pytest.mark.parametrize(
    "source",
    [
        "\ufeffconst a = 1;\n",  # a byte-order mark at the start of the file
        'const family = "👨\u200d👩\u200d👧";\n',  # ZWJ inside an emoji sequence
        'const word = "می\u200cخواهم";\n',  # ZWNJ in Persian
        'const table = "אב\u200e\u200fגד";\n',  # marks inside Hebrew text (codepage tables)
        'const escaped = "\\u202e";\n',  # an escape is visible: fine
    ],
)
def test_natural_language_uses_are_fine(source: str) -> None:
    assert scan("a.js", source, RULE) == []


def test_many_characters_are_capped_with_a_count() -> None:
    src = "".join(f"x{i} = 1; // {RLO}\n" for i in range(40))
    found = scan("a.js", src, RULE)
    assert len(found) == 25
    assert found[-1].properties["more_in_file"] == 15
    assert "15 more in this file" in found[-1].message


def test_html_only_script_content() -> None:
    html = f"<p>שלום {RLO}text</p>\n<script>\nvar a = 1; // {RLO}\n</script>\n"
    found = scan("index.html", html, RULE)
    assert where(found) == [(3, 15)]


@pytest.mark.parametrize(
    "source",
    [
        'const zwnj = "\u200c";\n',  # a joiner constant next to ASCII quotes (real packages: text shaping tables)
        "const t = `pre\u200dfix ${x}`;\n",  # inside a template literal
        "const re = /[\u200c\u200d]/g;\n",  # inside a regex literal
    ],
)
def test_joiners_inside_js_string_literals_are_text(source: str) -> None:
    assert scan("a.js", source, RULE) == []


def test_joiners_inside_python_strings_are_text() -> None:
    assert scan("t.py", 'ZWJ = "\u200d"\nname = f"a\u200cb{x}"\n', RULE) == []


@pytest.mark.parametrize(
    ("path", "source", "column"),
    [
        ("a.js", "const a\u200cb = 1;\n", 8),  # in an identifier
        ("a.js", "run(); // x\u200dy\n", 12),  # in a comment: not natural-language string text
        ("a.js", 'run("a") \u200d;\n', 10),  # between tokens
        ("t.py", "a\u200db = 1\n", 2),
    ],
)
def test_joiners_outside_strings_stay_findings(path: str, source: str, column: int) -> None:
    found = scan(path, source, RULE)
    assert where(found) == [(1, column)]


def test_bidi_controls_inside_strings_stay_findings() -> None:
    assert len(scan("a.js", f'const s = "a{RLO}b\u200cc";\n', RULE)) == 1  # the override, not the joiner
