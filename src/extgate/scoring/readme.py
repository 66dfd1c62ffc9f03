"""README analysis shared by the readme factors: where it is, its fenced code blocks, headings, and whether it is
still scaffold text.

A small line-based reader is enough here (fences and headings are line constructs in CommonMark); it is linear in
the input and capped at MAX_README_BYTES.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extgate.model import Entry, Package

MAX_README_BYTES = 1_000_000
MAX_LINE = 2000
# preference order when several exist at the root
README_NAMES = ("readme.md", "readme.markdown", "readme.mdx", "readme", "readme.txt", "readme.rst")

_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_HTML_HEADING = re.compile(r"<h[1-6][^>]*>([^<]*)</h[1-6]>", re.IGNORECASE)
_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
_EMPTY_LINK = re.compile(r"\[\s*\]\([^)\n]*\)")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>\n]*>")
_PLACEHOLDER = re.compile(r"\{\{\s*[\w.\-]+\s*\}\}|<%=?[^%\n]*%>|\$\{\{[^}\n]*\}\}")
# a prose line starting with one of these words is a note-to-self, not documentation
_PLACEHOLDER_LEADS = frozenset({"todo", "tbd", "fixme", "xxx"})
_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+[.)])?\s*(?:\[[ xX]\]\s*)?")


@dataclass(frozen=True, slots=True)
class CodeBlock:
    """A fenced code block: info string (language) and its content."""

    info: str
    content: str


@dataclass(frozen=True, slots=True)
class Readme:
    """path: where it is; text: decoded (capped); length: characters without HTML comments; prose: the lines that
    are neither code, headings nor badges; headings: lower-cased heading texts; code_blocks: fenced blocks."""

    path: str
    text: str
    length: int
    prose: tuple[str, ...]
    headings: tuple[str, ...]
    code_blocks: tuple[CodeBlock, ...]

    def heading_indexes(self, words: tuple[str, ...]) -> set[int]:
        """Indexes of headings naming one of `words` ('install' also matches 'Installation', 'Installing')."""
        return {i for i, heading in enumerate(self.headings) if heading_matches(heading, words)}


def heading_matches(heading: str, words: tuple[str, ...]) -> bool:
    cleaned = " ".join(re.sub(r"[^a-z0-9' ]+", " ", heading.lower()).split())
    return any(re.search(r"(?:^|\s)" + re.escape(w) + r"(?:s|ation|ing)?(?:\s|$)", cleaned) for w in words if w)


def find_readme(package: Package) -> Readme | None:
    """The root README (README.md preferred), analysed; None when there is none or it is unreadable."""
    candidates: dict[str, Entry] = {}
    for entry in package.files:
        if "/" in entry.path or entry.data is None:
            continue
        lower = entry.name.lower()
        if lower in README_NAMES and lower not in candidates:
            candidates[lower] = entry
    for name in README_NAMES:
        if name in candidates:
            entry = candidates[name]
            raw = entry.data or b""
            return analyse(entry.path, raw[:MAX_README_BYTES].decode("utf-8", "replace"))
    return None


def analyse(path: str, text: str) -> Readme:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    visible = strip_html_comments(text)
    prose: list[str] = []
    headings: list[str] = []
    blocks: list[CodeBlock] = []
    # a heading or badge line is short; capping each line keeps every regex below linear in the README's size
    lines = [line[:MAX_LINE] for line in visible.split("\n")]
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE_OPEN.match(line)
        if fence and not (fence.group(1)[0] == "`" and "`" in fence.group(2)):
            marker = fence.group(1)
            close = re.compile(r"^ {0,3}" + re.escape(marker[0]) + "{" + str(len(marker)) + r",}[ \t]*$")
            body: list[str] = []
            i += 1
            while i < len(lines) and not close.match(lines[i]):
                body.append(lines[i])
                i += 1
            blocks.append(CodeBlock(fence.group(2).strip().lower(), "\n".join(body)))
            i += 1  # past the closing fence (an unclosed fence runs to the end, as in CommonMark)
            continue
        atx = _ATX.match(line)
        if atx:
            headings.append((atx.group(2) or "").strip().lower())
        elif _SETEXT.match(line) and prose and prose[-1].strip() and i > 0 and lines[i - 1].strip():
            headings.append(prose.pop().strip().lower())  # the paragraph line above is a setext heading
        else:
            for match in _HTML_HEADING.finditer(line):
                headings.append(match.group(1).strip().lower())
            prose.append(line)
        i += 1
    return Readme(
        path=path,
        text=text,
        length=len(visible.strip()),
        prose=tuple(prose),
        headings=tuple(h for h in headings if h),
        code_blocks=tuple(blocks),
    )


def strip_html_comments(text: str) -> str:
    """Remove `<!-- ... -->` (an unclosed comment hides the rest, as in HTML). Linear: plain `find`s."""
    out: list[str] = []
    pos = 0
    while True:
        start = text.find("<!--", pos)
        if start < 0:
            out.append(text[pos:])
            break
        out.append(text[pos:start])
        end = text.find("-->", start + 4)
        if end < 0:
            break
        pos = end + 3
    return "".join(out)


def clean_prose_line(line: str) -> str:
    """A prose line without images, empty links, HTML tags and list markers."""
    line = _EMPTY_LINK.sub("", _IMAGE.sub("", line))
    line = _HTML_TAG.sub("", line)
    return _LIST_MARKER.sub("", line, count=1).strip()


def template_reason(
    readme: Readme, *, phrases: tuple[str, ...], placeholder_words: tuple[str, ...], min_chars: int
) -> str | None:
    """Why the README is scaffold text or a stub, or None when it reads as real documentation."""
    flat = " ".join(readme.text.lower().split())
    for phrase in phrases:
        if phrase and phrase in flat:
            return f"it still contains scaffold text ({phrase!r})"
    prose_text = "\n".join((*readme.headings, *readme.prose))  # code blocks may show template syntax on purpose
    placeholder = _PLACEHOLDER.search(prose_text)
    if placeholder:
        return f"it has an unfilled template placeholder ({placeholder.group(0)[:40]!r})"
    meaningful = 0
    placeholders = 0
    for line in readme.prose:
        cleaned = clean_prose_line(line)
        if not cleaned:
            continue
        word = re.sub(r"[^a-z ]+", " ", cleaned.lower()).strip()
        word = " ".join(word.split())
        if word in placeholder_words or word.split(" ", 1)[0] in _PLACEHOLDER_LEADS:
            placeholders += 1
            continue
        meaningful += len(cleaned)
    meaningful += sum(len(block.content.strip()) for block in readme.code_blocks)
    if meaningful < min_chars:
        if placeholders:
            return "it has only TODO placeholders"
        return f"it is a stub ({meaningful} characters of text; at least {min_chars} expected)"
    return None
