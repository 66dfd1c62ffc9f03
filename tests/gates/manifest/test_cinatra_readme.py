"""cinatra/readme: the marketplace README contract, clause by clause."""

from __future__ import annotations

import pytest

from extgate.gates.manifest.cinatra_readme import check_readme, parse_blocks, strip_code

LEDE = (
    "Connects Cinatra to the Acme CRM so agents can look up accounts and contacts, log activities and keep "
    "the pipeline current without anyone copying data between tabs."
)
GOOD = f"""# Acme CRM

{LEDE}

## Works with

- Acme CRM (cloud edition)

## Capabilities

- Look up accounts and contacts
- Log calls and meetings
"""


def codes(text: str) -> list[str]:
    return [p.code for p in check_readme(text.encode())]


def test_good_readme_passes() -> None:
    assert codes(GOOD) == []


def test_works_with_is_optional() -> None:
    assert codes(GOOD.replace("## Works with\n\n- Acme CRM (cloud edition)\n\n", "")) == []


def test_size_bounds() -> None:
    assert codes("# X\n\nshort.\n\n## Capabilities\n\n- a\n- b\n") == ["too-small"]
    padded = GOOD.replace(LEDE, LEDE + (" More." * 500))
    assert codes(padded) == ["too-large"]


@pytest.mark.parametrize("opening", ["---\ntitle: x\n---\n", "+++\ntitle = 'x'\n+++\n", "---  \r\nx: 1\n---\n"])
def test_front_matter(opening: str) -> None:
    assert "front-matter" in codes(opening + GOOD)


def test_raw_html_outside_code_only() -> None:
    with_html = GOOD.replace(LEDE, LEDE + ' <img src="logo.png">')
    problems = check_readme(with_html.encode())
    html = [p for p in problems if p.code == "html"]
    assert len(html) == 1 and html[0].line == 3
    in_fence = GOOD + '\n```html\n<div class="x">hi</div>\n```\n'
    in_span = GOOD.replace(LEDE, LEDE + " Use `<br/>` for breaks.")
    autolink = GOOD.replace(LEDE, LEDE + " See <https://example.com>.")
    assert codes(in_fence) == []
    assert codes(in_span) == []
    assert codes(autolink) == []


def test_h1_count() -> None:
    assert "h1-count" in codes(GOOD.replace("# Acme CRM\n", ""))
    assert "h1-count" in codes(GOOD + "\n# Another\n")


def test_no_h3_or_deeper() -> None:
    problems = check_readme(GOOD.replace("- Log calls", "### Details\n\n- Log calls").encode())
    deep = [p for p in problems if p.code == "deep-heading"]
    assert deep and deep[0].line == 12


def test_only_known_h2s() -> None:
    assert "h2-not-allowed" in codes(GOOD + "\n## Setup\n\n- step\n")
    assert codes(GOOD.replace("## Capabilities", "## capabilities")) == []


def test_capabilities_is_required_and_after_works_with() -> None:
    assert "missing-section" in codes(GOOD.replace("## Capabilities", "## Works with"))
    swapped = f"""# Acme CRM

{LEDE}

## Capabilities

- Look up accounts and contacts
- Log calls and meetings

## Works with

- Acme CRM (cloud edition)
"""
    assert codes(swapped) == ["section-order"]


def test_description_paragraph_rules() -> None:
    assert "no-description" in codes(GOOD.replace(LEDE + "\n\n", ""))
    assert "description-bullets" in codes(GOOD.replace(LEDE, LEDE + "\n\n- a bullet"))
    assert "tagline" in codes(GOOD.replace(LEDE, "*The best CRM connector.*\n\n" + LEDE))
    assert "tagline" in codes(GOOD.replace(LEDE, "_The best CRM connector._\n\n" + LEDE))


def test_sections_hold_bullets_only_with_minimums() -> None:
    assert "section-paragraphs" in codes(GOOD.replace("- Log calls and meetings", "- Log calls\n\nAlso a paragraph."))
    assert "too-few-bullets" in codes(GOOD.replace("- Log calls and meetings\n", ""))
    assert "too-few-bullets" in codes(GOOD.replace("- Acme CRM (cloud edition)\n", ""))


def test_code_fences_are_ignored_and_paragraphs_join_across_them() -> None:
    # A fence inside the description is dropped; the paragraph text around it joins (no tagline problem).
    text = GOOD.replace(LEDE, "*Emphasis*\n```\ncode\n```\nfollowed by text " + LEDE)
    assert codes(text) == []


def test_fence_closing_needs_the_same_character_and_length() -> None:
    kept = strip_code("a\n````\n```\n# not a heading\n````\nb\n")
    assert kept == [(1, "a"), (6, "b"), (7, "")]
    tilde = strip_code("~~~\n```\n# hidden\n~~~\nshown")
    assert tilde == [(5, "shown")]


def test_blocks_carry_original_line_numbers() -> None:
    blocks = parse_blocks(strip_code("# T\n\n```\nx\n```\ntext\nmore\n\n- item"))
    assert [(b.kind, b.line) for b in blocks] == [
        ("heading", 1),
        ("blank", 2),
        ("para", 6),
        ("blank", 8),
        ("bullet", 9),
    ]
    assert blocks[2].text == "text more"
