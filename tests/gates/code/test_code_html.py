"""Inline <script> blocks of HTML files: scanned with document line/column positions."""

from __future__ import annotations

import pytest
from code_support import analyze, facts, findings, scan, where

from extgate.gates.code.html import ScanTooComplex, script_ranges

PAGE = """<!doctype html>
<html>
<head>
  <title>eval(x) in a title is text</title>
  <script src="app.js"></script>
  <script type="application/json">{"eval": "eval(x)"}</script>
  <!-- <script>eval(commented)</script> -->
</head>
<body onload="init()">
  <p>setTimeout("x()", 1) in prose</p>
  <script>
    var a = 1;
    eval(location.hash.slice(1));
  </script>
  <script type="module">
    import { spawn } from "node:child_process";
    const x = 1; setTimeout("tick()", 5);
  </script>
  <SCRIPT data-note="a > b">eval(other)</SCRIPT>
</body>
</html>
"""


def test_positions_are_lines_of_the_html_file() -> None:
    assert where(scan("index.html", PAGE, "code/dynamic-eval")) == [(13, 5), (19, 29)]
    assert where(scan("index.html", PAGE, "code/implied-eval")) == [(17, 18)]


def test_module_scripts_contribute_imports() -> None:
    found = facts({"index.html": PAGE})
    assert [(i.specifier, i.line, i.kind) for i in found.imports] == [("node:child_process", 16, "static")]


def test_only_javascript_script_blocks() -> None:
    ranges = script_ranges(PAGE.encode()).ranges
    assert [PAGE.encode()[a:b].strip().split(b"\n")[0] for a, b in ranges] == [
        b"var a = 1;",
        b'import { spawn } from "node:child_process";',
        b"eval(other)",
    ]


def test_unclosed_script_runs_to_the_end() -> None:
    html = "<p>x</p><script>\neval(x)\n"
    assert where(scan("a.htm", html, "code/dynamic-eval")) == [(2, 1)]


def test_page_without_scripts_is_not_parsed() -> None:
    result = analyze("docs/page.html", "<p>retrieval and eval(x) are words here</p>\n")
    assert result.findings == () and not result.parsed


QUOTED_GT = ("<script " * 500 + '"a>b"') * 400 + "<script>eval(x)</script>"


def test_quadratic_tag_scan_stops_at_its_work_budget_not_the_clock() -> None:
    # every `<script ` start re-scans ~4 KB to the next quoted `>`: the budget (not the 5 s deadline, which a fast
    # machine might not reach) decides, so the verdict is the same on every machine
    with pytest.raises(ScanTooComplex):
        script_ranges(QUOTED_GT.encode())
    found = analyze("index.html", QUOTED_GT)
    assert found.skip_reason == "too-complex"
    assert [(f.rule_id, dict(f.properties).get("reason")) for f in found.findings] == [
        ("safety/unparsed-file", "too-complex")
    ]


def test_honest_pages_stay_far_below_the_work_budget() -> None:
    # a page of many small scripts and long quoted attributes is scanned in full
    page = ('<script data-x="' + "a>" * 1000 + '">f()</script><p>text</p>\n') * 300
    assert len(script_ranges(page.encode()).ranges) == 300


# -- code in attributes (a fail-open fix: handlers and javascript:/data: URLs were never analysed) ---------------


@pytest.mark.parametrize(
    ("source", "rule", "where"),
    [
        ('<img src=x onerror="eval(atob(p))">', "code/dynamic-eval", (1, 21)),
        ("<body onload=\"require('child_process').exec(c)\">", "code/subprocess", (1, 15)),
        ("<b onclick=eval(x)>", "code/dynamic-eval", (1, 12)),  # unquoted
        ('<a href="javascript:eval(x)">x</a>', "code/dynamic-eval", (1, 10)),
        ('<a href=" JaVa&#x09;script:eval%28x%29">', "code/dynamic-eval", (1, 10)),  # as a browser reads it
        ('<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:eval(x)">', "code/dynamic-eval", (1, 10)),
        ('<form action="javascript:eval(x)">', "code/dynamic-eval", (1, 15)),
        ('<script src="data:text/javascript;base64,ZXZhbCh4KQ=="></script>', "code/dynamic-eval", (1, 14)),
        ('<script src="DATA:Text/JavaScript,eval(y)"></script>', "code/dynamic-eval", (1, 14)),
        ('<img onerror="&#101;val(x)">', "code/dynamic-eval", (1, 15)),  # no prefilter token in the raw file
        ('<p>\n  <b onclick="x = 1;\n eval(y)">x</b>', "code/dynamic-eval", (3, 2)),
        ("<script>el.innerHTML = '<img onerror=\"eval(x)\">';</script>", "code/dynamic-eval", (1, 39)),
    ],
)
def test_code_in_attributes_is_analysed(source: str, rule: str, where: tuple[int, int]) -> None:
    found = scan("page.html", source, rule)
    assert [(f.location.line, f.location.column) for f in found if f.location] == [where], source


@pytest.mark.parametrize(
    "source",
    [
        '<img src="a.png" alt="on top" title="data: text/javascript, not a URL">',
        '<a href="https://example.com/javascript:eval(x)">docs</a>',  # not the scheme
        '<img src="data:image/png;base64,ZXZhbCh4KQ==">',  # data, not script
        "<p>turn it on = off; onclick is an attribute name</p>",
        '<button onclick="save()">Save</button>',  # a handler with nothing to report
    ],
)
def test_attributes_without_reportable_code_are_not_findings(source: str) -> None:
    assert [f for f in findings({"page.html": source}) if f.rule_id.startswith(("code/", "safety/"))] == []


def test_attribute_scans_are_bounded() -> None:
    many = '<b onclick="x()">' * 2000  # over the 500-attribute limit: the rest is said, never silently dropped
    assert [f.properties.get("reason") for f in scan("page.html", many, "safety/unparsed-file")] == ["too-many-scripts"]
    unclosed = '<b onclick="' * 50_000  # every value runs to the next quote: bounded work, a clear finding at most
    found = findings({"page.html": unclosed})
    assert all(f.rule_id == "safety/unparsed-file" for f in found)


@pytest.mark.parametrize(
    ("source", "column"),
    [
        ('<iframe srcdoc="&lt;script&gt;eval(x)&lt;/script&gt;"></iframe>', 25),
        ('<iframe src="data:text/html;base64,PHNjcmlwdD5ldmFsKHgpPC9zY3JpcHQ+"></iframe>', 22),
        ('<object data="data:image/svg+xml,<svg onload=eval(x)>"></object>', 27),  # found once, not twice
        ('<iframe srcdoc="<img onerror=&quot;eval(x)&quot;>">', 31),
    ],
)
def test_documents_held_by_attributes_are_analysed_as_html(source: str, column: int) -> None:
    found = scan("page.html", source, "code/dynamic-eval")
    assert [(f.location.line, f.location.column) for f in found if f.location] == [(1, column)]


@pytest.mark.parametrize(("levels", "found"), [(3, "code/dynamic-eval"), (5, "safety/unparsed-file")])
def test_nested_srcdoc_documents_are_analysed_to_a_depth_then_reported(levels: int, found: str) -> None:
    import html as html_text

    document = "<script>eval(x)</script>"
    for _ in range(levels):
        document = f'<iframe srcdoc="{html_text.escape(document)}"></iframe>'
    rules = {f.rule_id for f in findings({"page.html": document})}
    assert found in rules and (found == "code/dynamic-eval" or "code/dynamic-eval" not in rules)
