"""Inline code of HTML files: `<script>` blocks as byte ranges of the document, and code in attributes.

The JavaScript parser is given the script ranges (tree-sitter `included_ranges`), so every position it reports is
already a line and column of the HTML file. Only JavaScript script types are taken (no type, a JavaScript MIME
type, `module`, or JSX/Babel); JSON, import maps and templates are data, not code. Scripts inside HTML comments are
skipped, as browsers do.

Attributes run code too (`attribute_code`): event handlers (`onerror="..."`, `onload=...`), `javascript:` URLs
in `href` / `src` / `action` / `formaction` and `data:` URLs with a JavaScript type; and they hold documents with
scripts of their own (`<iframe srcdoc="...">`, `data:text/html` / SVG URLs in `src` / `data`), analysed as HTML.
Values are decoded the way a browser decodes them (character references, and percent-escapes for URLs).
"""

from __future__ import annotations

import html as html_text
import itertools
import re
import time
from base64 import b64decode
from binascii import Error as Base64Error
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from tree_sitter import Point, Range

_OPEN_OR_COMMENT = re.compile(rb"<!--|<script(?=[\s/>])", re.IGNORECASE)
# possessive (no backtracking: the only way a tag can end is at its first unquoted `>`), so a failed attempt costs
# one pass over the window instead of per-character alternation
_TAG_REST = re.compile(rb"""(?:[^>"']++|"[^"]*+"|'[^']*+')*+>""")
_CLOSE = re.compile(rb"</script", re.IGNORECASE)
_TYPE = re.compile(rb"""\btype\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_SRC = re.compile(rb"""(?:^|[\s"'/])src\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.IGNORECASE)
_INTEGRITY = re.compile(rb"""(?:^|[\s"'/])integrity\s*=""", re.IGNORECASE)
_REMOTE_URL = re.compile(r"(?:https?:)?//", re.IGNORECASE)  # http(s) or protocol-relative: fetched, not shipped
_MAX_TAG = 4096  # a <script ...> tag longer than this is malformed; not worth a regex over the whole file
JS_TYPES = frozenset(
    {"", "text/javascript", "application/javascript", "application/x-javascript", "text/ecmascript",
     "application/ecmascript", "module", "text/jsx", "text/babel"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RemoteScript:
    """A `<script src>` whose URL is not in the package: where the tag starts, the URL, and whether an
    `integrity` attribute pins its content."""

    offset: int
    url: str
    pinned: bool


@dataclass(frozen=True, slots=True)
class Scripts:
    """Script content ranges (start, end byte offsets), how many were left out over the limit, and the remote
    `<script src>` tags (up to the same limit)."""

    ranges: tuple[tuple[int, int], ...]
    omitted: int = 0
    remote: tuple[RemoteScript, ...] = ()


def _is_javascript(attributes: bytes) -> bool:
    match = _TYPE.search(attributes)
    if match is None:
        return True
    value = next(g for g in match.groups() if g is not None)
    return value.decode("ascii", "replace").strip().lower().split(";")[0].strip() in JS_TYPES


class ScanTimeout(Exception):
    """The script scan ran past its deadline."""


class ScanTooComplex(Exception):
    """The tag scan would need more than its work budget (a deterministic bound, unlike the deadline)."""


def work_budget(size: int) -> int:
    """Bytes the tag matches may examine in all: an honest page examines each tag once (well under its size);
    runs of `<script ` whose only `>` sits inside quotes make every start re-scan up to _MAX_TAG bytes."""
    return 8 * size + (1 << 20)


def script_ranges(data: bytes, limit: int = 500, deadline: float = float("inf")) -> Scripts:
    """Raises ScanTooComplex past the work budget and ScanTimeout past `deadline`: each step may try a 4 KiB tag
    match, so 7 MB of `<script ` is minutes of work without them."""
    found: list[tuple[int, int]] = []
    remote: list[RemoteScript] = []
    omitted = 0
    pos = 0
    budget = work_budget(len(data))
    for step in itertools.count():
        if step % 256 == 255 and time.monotonic() > deadline:
            raise ScanTimeout()
        match = _OPEN_OR_COMMENT.search(data, pos)
        if match is None:
            break
        if match.group().startswith(b"<!--"):
            close = data.find(b"-->", match.end())
            if close < 0:
                break
            pos = close + 3
            continue
        gt = data.find(b">", match.end())
        if gt < 0:
            break  # no tag can end any more
        if gt - match.end() > _MAX_TAG:
            pos = gt - _MAX_TAG  # tags that start before this cannot reach a `>` within _MAX_TAG: all malformed
            continue
        window = min(len(data), match.end() + _MAX_TAG)
        tag = _TAG_REST.match(data, match.end(), window)
        budget -= (tag.end() if tag else window) - match.end()
        if budget < 0:
            raise ScanTooComplex()
        if tag is None:
            pos = match.end()
            continue
        start = tag.end()
        attributes = data[match.end() : tag.end() - 1]
        source = _remote(match.start(), attributes)
        if source is not None and len(remote) < limit:
            remote.append(source)
        close_match = _CLOSE.search(data, start)
        end = close_match.start() if close_match else len(data)
        if data[start:end].strip() and _is_javascript(attributes):
            if len(found) < limit:
                found.append((start, end))
            else:
                omitted += 1
        pos = end + 1 if close_match else len(data)
    return Scripts(tuple(found), omitted, tuple(remote))


def _remote(offset: int, attributes: bytes) -> RemoteScript | None:
    """The tag's `src` when it is a JavaScript script fetched from another host (entities decoded as a browser
    does: `https&#58;//`)."""
    match = _SRC.search(attributes)
    if match is None or not _is_javascript(attributes):
        return None
    raw = next(g for g in match.groups() if g is not None)
    url = html_text.unescape(raw.decode("utf-8", "replace")).strip()
    if not _REMOTE_URL.match(_URL_NOISE.sub(b"", url[:64].encode()).decode("utf-8", "replace")):
        return None
    return RemoteScript(offset, url, _INTEGRITY.search(attributes) is not None)


def point_at(data: bytes, offset: int) -> Point:
    row = data.count(b"\n", 0, offset)
    return Point(row, offset - (data.rfind(b"\n", 0, offset) + 1))


def ts_range(data: bytes, start: int, end: int) -> Range:
    return Range(point_at(data, start), point_at(data, end), start, end)


# ` onerror=`, `"href=` ...: an attribute name after whitespace, a quote or `/` (as inside a tag), then `=`
_CODE_ATTRIBUTE = re.compile(
    rb"""[\s"'/](on[a-z]{2,40}|href|src|action|formaction|xlink:href|data|srcdoc)[\s]*=[\s]*""", re.I
)
_URL_NOISE = re.compile(rb"[\x00-\x20]")  # browsers drop these from a URL's scheme (`java\tscript:`)
_DATA_JS = re.compile(rb"data:(?:text|application)/(?:x-)?(?:javascript|ecmascript)[^,]*,", re.I)
# documents that run their own scripts when framed or embedded (`<iframe src="data:text/html,...">`)
_DATA_HTML = re.compile(rb"data:(?:text/html|application/xhtml\+xml|image/svg\+xml)[^,]*,", re.I)
_UNQUOTED_END = re.compile(rb"[\s>]")
_MAX_VALUE = 1 << 20  # an attribute value longer than this is read up to here (and reported, see below)


@dataclass(frozen=True, slots=True)
class AttributeCode:
    """Code held by one attribute: where the value starts (for positions), the decoded code and its language
    ("javascript", or "html" for `srcdoc` and `data:text/html` documents, which hold scripts of their own)."""

    offset: int
    name: str
    code: bytes
    truncated: bool = False
    language: str = "javascript"


def attribute_code(data: bytes, limit: int = 500, deadline: float = float("inf")) -> tuple[list[AttributeCode], int]:
    """Code-bearing attributes anywhere in the document (in tags, and in markup that scripts build as strings),
    and how many were left out over `limit`. Bounded: a value is read up to its closing quote or _MAX_VALUE bytes,
    and the scan stops at the same work budget as the script scan (ScanTooComplex)."""
    found: list[AttributeCode] = []
    omitted = 0
    budget = work_budget(len(data))
    inside = 0  # end of the last value that holds a document: its own analysis covers what is inside
    for step, match in enumerate(_CODE_ATTRIBUTE.finditer(data)):
        if step % 256 == 255 and time.monotonic() > deadline:
            raise ScanTimeout()
        if match.start() < inside:
            continue
        start = match.end()
        quote = data[start : start + 1]
        if quote in (b'"', b"'"):
            start += 1
            end = data.find(quote, start, start + _MAX_VALUE)
        else:
            gap = _UNQUOTED_END.search(data, start, start + _MAX_VALUE)
            end = gap.start() if gap else -1
        truncated = end < 0 and len(data) - start > _MAX_VALUE
        end = end if end >= 0 else min(len(data), start + _MAX_VALUE)
        budget -= end - start
        if budget < 0:
            raise ScanTooComplex()
        name = match.group(1).decode("ascii").lower()
        held = _code_of(name, data[start:end])
        if held is None or not held[1].strip():
            continue
        if len(found) >= limit:
            omitted += 1
            continue
        found.append(AttributeCode(start, name, held[1], truncated, held[0]))
        if held[0] == "html":
            inside = end
    return found, omitted


def _code_of(name: str, raw: bytes) -> tuple[str, bytes] | None:
    """(language, code) an attribute value runs, decoded as a browser would, or None."""
    value = html_text.unescape(raw.decode("utf-8", "replace")).encode("utf-8") if b"&" in raw else raw
    if name.startswith("on"):
        return "javascript", value
    if name == "srcdoc":
        return "html", value
    url = value.lstrip(b"\x00\x20\t\n\r\x0c")
    head = _URL_NOISE.sub(b"", url[:64]).lower()
    if head.startswith(b"javascript:"):
        colon = url.find(b":")
        return "javascript", unquote_to_bytes(url[colon + 1 :])
    if not head.startswith(b"data:"):
        return None
    comma = url.find(b",")
    meta, payload = _URL_NOISE.sub(b"", url[: max(comma, 0)]).lower(), url[comma + 1 :]
    language = "javascript" if _DATA_JS.match(meta + b",") else "html" if _DATA_HTML.match(meta + b",") else None
    if comma < 0 or language is None:
        return None
    if meta.endswith(b";base64"):
        try:
            return language, b64decode(unquote_to_bytes(payload), validate=False)
        except (Base64Error, ValueError):
            return language, payload
    return language, unquote_to_bytes(payload)
