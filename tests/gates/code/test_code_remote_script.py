"""code/remote-script: scripts that run although they are not in the archive (a page's remote <script src>,
script elements built at run time, importScripts, document.write of a <script> tag)."""

from __future__ import annotations

import pytest
from code_support import scan, where

from extgate.model import Level

RULE = "code/remote-script"


@pytest.mark.parametrize(
    ("page", "level"),
    [
        ('<head>\n  <script src="https://cdn.example.com/widget@latest/widget.js"></script>\n</head>', Level.WARNING),
        ("<script type='module' src=//cdn.example/x.mjs></script>", Level.WARNING),  # protocol-relative
        ('<script src="http://cdn.example/x.js" async></script>', Level.WARNING),
        ('<script src="https&#58;//evil.example/x.js"></script>', Level.WARNING),  # decoded as a browser does
        ('<SCRIPT SRC=" https://cdn.example/x.js ">', Level.WARNING),
        ('<script src="https://cdn.example/x.js" integrity="sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K" crossorigin>'
         "</script>", Level.NOTE),  # pinned by Subresource Integrity: content fixed, still not in the archive
    ],
)  # fmt: skip
def test_a_remote_script_tag_is_reported(page: str, level: Level) -> None:
    found = scan("index.html", page, RULE)
    assert [f.level for f in found] == [level]
    assert "another host" in found[0].message


def test_the_finding_points_at_the_tag() -> None:
    page = "<html>\n<body>\n  <p>x</p> <script src='https://cdn.example/a.js'></script>\n</body>\n</html>\n"
    assert where(scan("index.html", page, RULE)) == [(3, 12)]


@pytest.mark.parametrize(
    "page",
    [
        '<script src="./vendor/widget-3.2.1.js"></script><script src="/static/app.js"></script>',
        '<script type="application/json" src="https://cdn.example/data.json"></script>',  # data, not code
        '<!-- <script src="https://cdn.example/x.js"></script> -->',
        '<link rel="stylesheet" href="https://cdn.example/x.css"><img src="https://cdn.example/x.png">',
        "<p>see https://cdn.example/x.js</p>",
    ],
)
def test_what_is_not_a_remote_script(page: str) -> None:
    assert scan("index.html", page, RULE) == []


@pytest.mark.parametrize(
    "source",
    [
        'const s = document.createElement("script");\ns.src = url;\ndocument.head.appendChild(s);',
        "const s = window.document.createElement('SCRIPT'); s.textContent = payload; document.body.append(s);",
        'importScripts("https://cdn.example/worker-lib.js");',
        'document.write("<script src=\\"" + u + "\\"></" + "script>");',
        "document.writeln(`<script>${payload}</script>`);",
    ],
)
def test_scripts_injected_at_run_time_are_reported(source: str) -> None:
    found = scan("a.js", source, RULE)
    assert [(f.level, f.location.line if f.location else None) for f in found] == [(Level.WARNING, 1)]


@pytest.mark.parametrize(
    "source",
    [
        'document.createElement("div"); document.createElement(tag);',
        'document.write("<p>hello</p>");',
        "const importScripts = (x) => x; importScripts('a');",  # a local function of that name
        "// document.createElement('script')",
    ],
)
def test_other_dom_calls_are_not(source: str) -> None:
    assert scan("a.js", source, RULE) == []


def test_a_remote_script_inside_an_inline_html_document_is_found_without_any_prefilter_token() -> None:
    """A static page with nothing else in it has no prefilter hit: the tag scan still runs."""
    assert len(scan("docs/index.html", '<script src="https://cdn.example/x.js"></script>', RULE)) == 1
