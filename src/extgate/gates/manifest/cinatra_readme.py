"""`cinatra/readme`: the marketplace README contract Cinatra's registry renders (a reimplementation of the
rules in Cinatra's extension-kind-gate; the rules, not its code).

The contract: README.md of 250-2500 bytes; no front matter; no raw HTML outside code; exactly one H1
followed by a description paragraph (no bullets there, not an italic-only tagline); no H3 or deeper; H2s
only "Works with" (optional, before) and "Capabilities" (required); bullets only under them, at least one
under Works with and two under Capabilities. Code fences and inline code spans are ignored, as the gate
ignores them; every problem carries the line it was found on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ALLOWED_H2 = ("Works with", "Capabilities")
REQUIRED_H2 = ("Capabilities",)
MIN_BYTES = 250
MAX_BYTES = 2500
MIN_BULLETS = {"works with": 1, "capabilities": 2}

_FENCE_OPEN = re.compile(r"(`{3,}|~{3,})")
_FENCE_CLOSE = re.compile(r"(`{3,}|~{3,})\s*")
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_FRONT_MATTER = re.compile(r"(?:---|\+\+\+)[^\S\n]*\r?\n")
_HTML = re.compile(r"<[a-zA-Z][a-zA-Z0-9-]*(\s[^>]*)?/?>")
_HEADING = re.compile(r"(#{1,6})\s+(.+?)\s*#*\s*")
_BULLET = re.compile(r"([-*+])\s+(.+)")
_EMPHASIS_ONLY = re.compile(r"\*[^*]+\*|_[^_]+_")


@dataclass(frozen=True, slots=True)
class Block:
    kind: str  # heading, bullet, para, blank
    line: int  # 1-based line in the README
    text: str = ""
    level: int = 0


@dataclass(frozen=True, slots=True)
class ReadmeProblem:
    """code: a stable slug (fingerprint evidence); message: what is wrong; line: where, when known."""

    code: str
    message: str
    line: int | None = None


def strip_code(text: str) -> list[tuple[int, str]]:
    """(line number, text) of the lines outside code fences, with inline code spans removed. Fence lines are
    dropped rather than blanked so paragraphs around a fence join, exactly as the gate reads them."""
    out: list[tuple[int, str]] = []
    fence: str | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        trimmed = line.lstrip()
        if fence is None:
            opened = _FENCE_OPEN.match(trimmed)
            if opened:
                fence = opened.group(1)
                continue
            out.append((number, _INLINE_CODE.sub("", line)))
        else:
            closed = _FENCE_CLOSE.fullmatch(trimmed)
            if closed and closed.group(1)[0] == fence[0] and len(closed.group(1)) >= len(fence):
                fence = None
    return out


def parse_blocks(lines: list[tuple[int, str]]) -> list[Block]:
    blocks: list[Block] = []
    para: list[str] = []
    para_line = 0

    def flush() -> None:
        nonlocal para
        if para:
            blocks.append(Block("para", para_line, " ".join(para).strip()))
            para = []

    for number, raw in lines:
        line = raw.strip()
        if not line:
            flush()
            blocks.append(Block("blank", number))
            continue
        heading = _HEADING.fullmatch(line)
        if heading:
            flush()
            blocks.append(Block("heading", number, heading.group(2).strip(), len(heading.group(1))))
            continue
        bullet = _BULLET.fullmatch(line)
        if bullet:
            flush()
            blocks.append(Block("bullet", number, bullet.group(2).strip()))
            continue
        if not para:
            para_line = number
        para.append(line)
    flush()
    return blocks


def check_readme(raw: bytes) -> list[ReadmeProblem]:
    """Every way `raw` (README.md bytes) breaks the contract; [] when it conforms."""
    problems: list[ReadmeProblem] = []
    text = raw.decode("utf-8", "replace")
    size = len(raw)
    if size < MIN_BYTES:
        problems.append(ReadmeProblem("too-small", f"README.md is {size} bytes, under the {MIN_BYTES}-byte minimum"))
    if size > MAX_BYTES:
        problems.append(ReadmeProblem("too-large", f"README.md is {size} bytes, over the {MAX_BYTES}-byte maximum"))
    if _FRONT_MATTER.match(text):
        problems.append(ReadmeProblem("front-matter", "README.md must not start with YAML/TOML front matter", 1))

    kept = strip_code(text)
    joined = "\n".join(line for _, line in kept)
    offsets: list[int] = []  # start offset of each kept line in `joined`
    position = 0
    for _, line in kept:
        offsets.append(position)
        position += len(line) + 1
    for match in list(_HTML.finditer(joined))[:3]:
        index = max(i for i, start in enumerate(offsets) if start <= match.start())
        problems.append(
            ReadmeProblem("html", f"README.md has raw HTML outside code: {match.group()[:60]}", kept[index][0])
        )

    blocks = parse_blocks(kept)
    headings = [b for b in blocks if b.kind == "heading"]
    h1s = [h for h in headings if h.level == 1]
    h2s = [h for h in headings if h.level == 2]
    deep = [h for h in headings if h.level >= 3]
    if len(h1s) != 1:
        where = h1s[1].line if len(h1s) > 1 else None
        problems.append(
            ReadmeProblem("h1-count", f"README.md has {len(h1s)} H1 headings; exactly one is required", where)
        )
    if deep:
        problems.append(
            ReadmeProblem(
                "deep-heading",
                f"README.md may not use H3 or deeper headings (found {deep[0].text[:60]!r})",
                deep[0].line,
            )
        )
    allowed = {h.lower() for h in ALLOWED_H2}
    for h2 in h2s:
        if h2.text.strip().lower() not in allowed:
            problems.append(
                ReadmeProblem(
                    "h2-not-allowed",
                    f"README.md H2 '## {h2.text[:60]}' is not allowed; only '## Works with' and '## Capabilities'",
                    h2.line,
                )
            )
    present = {h.text.strip().lower() for h in h2s}
    for required in REQUIRED_H2:
        if required.lower() not in present:
            problems.append(ReadmeProblem("missing-section", f"README.md lacks the required '## {required}' section"))
    works = next((i for i, h in enumerate(h2s) if h.text.strip().lower() == "works with"), -1)
    caps = next((i for i, h in enumerate(h2s) if h.text.strip().lower() == "capabilities"), -1)
    if works >= 0 and caps >= 0 and works > caps:
        problems.append(
            ReadmeProblem(
                "section-order", "README.md '## Works with' must come before '## Capabilities'", h2s[works].line
            )
        )

    if len(h1s) == 1:
        start = blocks.index(h1s[0]) + 1
        end = blocks.index(h2s[0]) if h2s else len(blocks)
        between = blocks[start:end]
        paragraphs = [b for b in between if b.kind == "para"]
        bullets = [b for b in between if b.kind == "bullet"]
        if not paragraphs:
            problems.append(
                ReadmeProblem("no-description", "README.md needs a description paragraph under the H1", h1s[0].line)
            )
        if bullets:
            problems.append(
                ReadmeProblem(
                    "description-bullets",
                    "README.md description (between H1 and the first H2) has bullets",
                    bullets[0].line,
                )
            )
        if paragraphs and _EMPHASIS_ONLY.fullmatch(paragraphs[0].text.strip()):
            problems.append(
                ReadmeProblem(
                    "tagline",
                    "README.md opens with an italic-only tagline; the description paragraph is the lede",
                    paragraphs[0].line,
                )
            )
    for i, h2 in enumerate(h2s):
        start = blocks.index(h2)
        end = blocks.index(h2s[i + 1]) if i + 1 < len(h2s) else len(blocks)
        section = blocks[start + 1 : end]
        paragraphs = [b for b in section if b.kind == "para"]
        bullets = [b for b in section if b.kind == "bullet"]
        name = h2.text.strip().lower()
        if paragraphs:
            problems.append(
                ReadmeProblem(
                    "section-paragraphs",
                    f"README.md section '## {h2.text[:60]}' may hold bullets only (found {len(paragraphs)} "
                    "paragraph(s))",
                    paragraphs[0].line,
                )
            )
        minimum = MIN_BULLETS.get(name)
        if minimum is not None and len(bullets) < minimum:
            problems.append(
                ReadmeProblem(
                    "too-few-bullets",
                    f"README.md '## {h2.text[:60]}' needs at least {minimum} bullet(s) (found {len(bullets)})",
                    h2.line,
                )
            )
    return problems
