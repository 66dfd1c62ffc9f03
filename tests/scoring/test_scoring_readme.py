"""The README reader: fences, headings, comments, scaffold detection."""

from __future__ import annotations

from extgate.model import Package
from extgate.scoring.readme import analyse, find_readme, strip_html_comments, template_reason

PHRASES = ("this readme would normally document whatever steps are necessary",)
WORDS = ("todo", "tbd", "usage", "installation")


def reason(text: str) -> str | None:
    return template_reason(analyse("README.md", text), phrases=PHRASES, placeholder_words=WORDS, min_chars=120)


def test_fences_backtick_tilde_unclosed_and_nested() -> None:
    readme = analyse(
        "README.md",
        "# T\n\n```js\na()\n```\n\n~~~~\nb()\n```\nstill b\n~~~~\n\n````md\n```js\ninner\n```\n````\n\n```sh\nopen",
    )
    assert [b.info for b in readme.code_blocks] == ["js", "", "md", "sh"]
    assert readme.code_blocks[1].content == "b()\n```\nstill b"
    assert readme.code_blocks[2].content == "```js\ninner\n```"
    assert readme.code_blocks[3].content == "open"  # an unclosed fence runs to the end


def test_inline_triple_backticks_are_not_a_fence() -> None:
    assert analyse("README.md", "Use ```code``` inline.\n").code_blocks == ()


def test_headings_atx_setext_html_and_not_in_code() -> None:
    readme = analyse(
        "README.md",
        "# Title #\n\nInstall\n=======\n\nUsage\n-----\n\n<h2>API</h2>\n\n```\n# not a heading\n```\n",
    )
    assert readme.headings == ("title", "install", "usage", "api")
    assert readme.heading_indexes(("install",)) == {1}
    assert readme.heading_indexes(("usage",)) == {2}


def test_heading_words_match_whole_words() -> None:
    readme = analyse("README.md", "## Installation\n## Apiary notes\n")
    assert readme.heading_indexes(("install",)) == {0}
    assert readme.heading_indexes(("api",)) == set()


def test_html_comments_removed_linearly() -> None:
    assert strip_html_comments("a<!-- x -->b<!-- unclosed") == "ab"
    assert strip_html_comments("<!--" * 10000) == ""


def test_scaffold_and_stub_detection() -> None:
    real = "# widget\n\n" + "Widget tools manages Acme widgets from workflows with retries and typed errors. " * 2
    assert reason(real) is None
    assert "scaffold" in (reason(real + "\nThis README would normally document whatever steps are necessary.") or "")
    assert "stub" in (reason("# widget\n\nA widget.\n") or "")
    assert "TODO" in (reason("# widget\n\nTODO\n\n## Usage\n\nTBD\n\n- [ ] TODO: describe\n") or "")
    assert "placeholder" in (reason("# {{ name }}\n\n" + real) or "")


def test_template_placeholder_inside_a_code_block_is_fine() -> None:
    real = "# tpl\n\n" + "Renders handlebars templates for your swamp workflows with strict escaping. " * 2
    assert reason(real + "\n```hbs\nHello {{name}}\n```\n") is None


def test_code_counts_as_content_for_the_stub_check() -> None:
    block = "```ts\n" + "createWidget({ name: 'demo', size: 3, region: 'eu' });\n" * 3 + "```\n"
    assert reason("# widget\n\nCreates widgets.\n\n" + block) is None


def test_find_readme_prefers_markdown_at_the_root() -> None:
    pkg = Package.from_files({"README": "plain", "README.md": "# md", "sub/README.md": "# nested"})
    found = find_readme(pkg)
    assert found is not None and found.path == "README.md"
    assert find_readme(Package.from_files({"docs/README.md": "# nested"})) is None


def test_crlf_line_endings() -> None:
    readme = analyse("README.md", "# T\r\n\r\n```js\r\na()\r\n```\r\n")
    assert [b.content for b in readme.code_blocks] == ["a()"]


def test_hostile_readmes_are_analysed_without_blowing_up() -> None:
    """Long single lines and repeated openers that would make naive regexes quadratic."""
    for hostile in ("#" + " " * 200_000 + "x", "<h1" * 60_000, "![" * 80_000, "<%" * 80_000, "```\n" * 40_000):
        readme = analyse("README.md", hostile)
        assert reason(hostile) is not None or readme.length > 0
