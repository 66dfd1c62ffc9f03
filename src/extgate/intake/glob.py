"""Glob patterns with the semantics npm pack uses for `.npmignore`, `.gitignore` and the `files` field.

npm-packlist hands every rule to minimatch with `{matchBase, dot, flipNegate, nocase}`; this is a reimplementation
of the parts of minimatch those rules need: leading `!` negation, `#` comments, brace expansion, `*`, `?`,
character classes (with POSIX classes), `**` (the head/body/tail matcher of minimatch 10), `matchBase` for
single-segment patterns, and `partial` matching (could a directory still contain a match?).

Not supported, on purpose: extglobs such as `+(a|b)` (taken literally) -- they are practically absent from ignore
files, and a smaller matcher is easier to trust. Every pattern is bounded in length and brace expansion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

MAX_PATTERN_LENGTH: Final = 4096
MAX_EXPANSIONS: Final = 256
MAX_GLOBSTAR_DEPTH: Final = 200  # minimatch gives up (no match) past this nesting, as a ReDoS guard
MAX_GLOBSTAR_STEPS: Final = 20_000  # and extgate gives up after this many section attempts per match


class _Globstar:
    """The `**` path portion."""

    def __repr__(self) -> str:
        return "GLOBSTAR"


GLOBSTAR: Final = _Globstar()
_SLASHES: Final = re.compile("/+")
Part = str | re.Pattern[str] | _Globstar

_POSIX_CLASSES: Final = {
    "[:alnum:]": r"0-9A-Za-z",  # ASCII approximations of minimatch's Unicode classes
    "[:alpha:]": r"A-Za-z",
    "[:ascii:]": r"\x00-\x7f",
    "[:blank:]": r" \t",
    "[:cntrl:]": r"\x00-\x1f\x7f",
    "[:digit:]": r"\d",
    "[:lower:]": r"a-z",
    "[:punct:]": r"!-/:-@\[-`{-~",
    "[:space:]": r"\s",
    "[:upper:]": r"A-Z",
    "[:word:]": r"\w",
    "[:xdigit:]": r"A-Fa-f0-9",
}


def brace_expand(pattern: str, limit: int = MAX_EXPANSIONS) -> list[str]:
    """Bash-style brace expansion (`a{b,c}d`, nested, `{1..3}`, `{a..c}`); a brace without a comma or a range is
    literal. Bounded: stops adding alternatives after `limit` results."""
    if not re.search(r"\{(?:(?!\{).)*\}", pattern):
        return [pattern]
    out: list[str] = []
    _expand(pattern, out, limit)
    return out or [pattern]


def _expand(pattern: str, out: list[str], limit: int) -> None:
    span = _first_brace(pattern)
    if span is None:
        if len(out) < limit:
            out.append(pattern)
        return
    start, end, options = span
    prefix, suffix = pattern[:start], pattern[end + 1 :]
    for option in options:
        if len(out) >= limit:
            return
        _expand(prefix + option + suffix, out, limit)


def _first_brace(pattern: str) -> tuple[int, int, list[str]] | None:
    """First expandable `{...}`: its start, end and alternatives."""
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "{":
            end = _matching_brace(pattern, i)
            if end is None:
                return None
            body = pattern[i + 1 : end]
            options = _split_top_commas(body)
            if len(options) > 1:
                return i, end, options
            sequence = _sequence(body)
            if sequence is not None:
                return i, end, sequence
            # literal braces (`{}`, `{a}`): keep looking inside and after them
        i += 1
    return None


def _matching_brace(pattern: str, start: int) -> int | None:
    depth = 0
    i = start
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def _split_top_commas(body: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            current.append(body[i : i + 2])
            i += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    return parts


def _sequence(body: str) -> list[str] | None:
    match = re.fullmatch(r"(-?\d+)\.\.(-?\d+)(?:\.\.(-?\d+))?", body)
    if match:
        first, last = int(match[1]), int(match[2])
        step = abs(int(match[3] or 1)) or 1
        direction = 1 if last >= first else -1
        values = range(first, last + direction, step * direction)
        return [str(v) for v in values[:MAX_EXPANSIONS]]
    match = re.fullmatch(r"([A-Za-z])\.\.([A-Za-z])", body)
    if match:
        a, b = ord(match[1]), ord(match[2])
        direction = 1 if b >= a else -1
        return [chr(c) for c in range(a, b + direction, direction)]
    return None


def _parse_class(glob: str, pos: int) -> tuple[str, int] | None:
    """A `[...]` class at `pos`: (regex source, characters consumed), or None when it is not a valid class."""
    i = pos + 1
    negate = False
    items: list[str] = []
    saw_start = False
    escaping = False
    range_start = ""
    end = -1
    while i < len(glob):
        char = glob[i]
        if char in "!^" and i == pos + 1:
            negate = True
            i += 1
            continue
        if char == "]" and saw_start and not escaping:
            end = i + 1
            break
        saw_start = True
        if char == "\\" and not escaping:
            escaping = True
            i += 1
            continue
        if char == "[" and not escaping:
            cls = next((c for c in _POSIX_CLASSES if glob.startswith(c, i)), None)
            if cls is not None:
                items.append(_POSIX_CLASSES[cls])
                i += len(cls)
                continue
        escaping = False
        if range_start:
            if char > range_start:
                items.append(re.escape(range_start) + "-" + re.escape(char))
            elif char == range_start:
                items.append(re.escape(char))
            range_start = ""
            i += 1
            continue
        if glob.startswith("-]", i + 1):
            items.append(re.escape(char) + r"\-")
            i += 2
            continue
        if glob.startswith("-", i + 1):
            range_start = char
            i += 2
            continue
        items.append(re.escape(char))
        i += 1
    if end < 0:
        return None
    if not items:
        return r"(?!)", end - pos  # an empty class can never match
    return "[" + ("^" if negate else "") + "".join(items) + "]", end - pos


def _segment(glob: str, *, nocase: bool) -> Part | None:
    """One path portion: '' and `**` stay markers; everything else becomes an anchored regex."""
    if glob == "**":
        return GLOBSTAR
    if glob == "":
        return ""
    only_stars = bool(re.fullmatch(r"\*+", glob))
    out: list[str] = []
    in_star = False
    i = 0
    while i < len(glob):
        char = glob[i]
        if char == "*":
            if not in_star:
                out.append(r"[^/]+?" if only_stars else r"[^/]*?")
            in_star = True
            i += 1
            continue
        in_star = False
        if char == "\\":
            if i == len(glob) - 1:
                out.append(r"\\")
                i += 1
            else:
                out.append(re.escape(glob[i + 1]))
                i += 2
            continue
        if char == "[":
            parsed = _parse_class(glob, i)
            if parsed is not None:
                out.append(parsed[0])
                i += parsed[1]
                continue
        if char == "?":
            out.append(r"[^/]")
            i += 1
            continue
        out.append(re.escape(char))
        i += 1
    source = "".join(out)
    if glob not in (".", "..") and (source.startswith("[") or source.startswith(r"\.")):
        source = r"(?!\.\.?$)" + source  # `.` and `..` never match a magic portion
    try:
        return re.compile(source, re.IGNORECASE if nocase else 0)
    except re.error:
        return None


def _level_one(parts: list[str]) -> list[str]:
    """minimatch's default optimisation: collapse adjacent `**`, resolve `x/..`."""
    out: list[str] = []
    for part in parts:
        prev = out[-1] if out else None
        if part == "**" and prev == "**":
            continue
        if part == ".." and prev and prev not in ("..", ".", "**"):
            out.pop()
            continue
        out.append(part)
    return out or [""]


_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9._~*?-]+")


def _literals(parts: list[str]) -> tuple[str, ...]:
    """Lower-case literal runs of the pattern's plain segments (only letters, digits, `._~-` and the wildcards `*`
    `?`): each segment matches exactly one path segment, so a full match contains every run."""
    pieces: list[str] = []
    for part in parts:
        if part != "**" and _PLAIN_SEGMENT.fullmatch(part):
            pieces += [piece.lower() for piece in re.split(r"[*?]+", part) if piece]
    return tuple(pieces)


@dataclass(frozen=True, slots=True)
class Glob:
    """One compiled rule line. `negate` is True for `!pattern`; `match` ignores it (flipNegate), like npm."""

    pattern: str
    negate: bool
    comment: bool
    empty: bool
    sets: tuple[tuple[Part, ...], ...]
    raw_parts: tuple[tuple[str, ...], ...]
    match_base: bool = True
    dot: bool = True
    # per alternative, literal text any full match must contain (lower case); None when some alternative has none
    required: tuple[tuple[str, ...], ...] | None = None
    # every alternative is one portion matched against the basename (`*.log`, `test`): `match` depends only on
    # the path's last non-empty segment
    base_only: bool = False

    def cannot_match(self, text: str) -> bool:
        """True when no full (non-partial) match of `text`, or of `text` with slashes added, is possible: some
        literal every alternative needs is absent. ASCII text only (case folding beyond ASCII is not simple)."""
        if self.required is None or not text.isascii():
            return False
        low = text.lower()
        return not any(all(piece in low for piece in alternative) for alternative in self.required)

    @classmethod
    def compile(cls, pattern: str, *, nocase: bool = True, match_base: bool = True, dot: bool = True) -> Glob:
        pattern = pattern[:MAX_PATTERN_LENGTH]
        if pattern.startswith("#"):
            return cls(pattern, False, True, False, (), (), match_base, dot)
        if not pattern:
            return cls(pattern, False, False, True, (), (), match_base, dot)
        bangs = len(pattern) - len(pattern.lstrip("!"))
        negate = bangs % 2 == 1
        body = pattern[bangs:]
        raw: list[tuple[str, ...]] = []
        sets: list[tuple[Part, ...]] = []
        required: list[tuple[str, ...]] = []
        seen: set[str] = set()
        for expanded in brace_expand(body):
            if expanded in seen:
                continue
            seen.add(expanded)
            parts = _level_one(re.split(r"/+", expanded))
            compiled = [_segment(p, nocase=nocase) for p in parts]
            raw.append(tuple(parts))
            if any(c is None for c in compiled):
                continue
            sets.append(tuple(c for c in compiled if c is not None))
            required.append(_literals(parts) if nocase else ())
        needed = None if not required or not all(required) else tuple(required)
        base_only = match_base and all(len(alternative) == 1 for alternative in sets)
        return cls(pattern, negate, False, False, tuple(sets), tuple(raw), match_base, dot, needed, base_only)

    def memo_key(self, path: str) -> str:
        """What `match(path, partial)` depends on besides `partial`: equal keys give equal answers (callers memoize
        on it). The basename for a basename-only rule, else the path itself."""
        if not self.base_only or path == "/":
            return path
        parts = _SLASHES.split(path)
        return next((p for p in reversed(parts) if p), parts[-1])

    @property
    def is_relative(self) -> bool:
        """A single-portion rule (`foo`, `foo/`): npm also tries it against an entry's basename."""
        return any(len(p) <= (1 if p[-1] else 2) for p in self.raw_parts)

    def match(self, path: str, partial: bool = False) -> bool:
        if self.comment:
            return False
        if self.empty:
            return path == ""
        if path == "/" and partial:
            return True
        parts = _SLASHES.split(path)
        filename = next((p for p in reversed(parts) if p), parts[-1])
        for pattern in self.sets:
            file = [filename] if self.match_base and len(pattern) == 1 else parts
            if self._match_parts(file, pattern, partial):
                return True
        return False

    # -- matching ------------------------------------------------------------------------------------------------
    def _match_parts(self, file: list[str], pattern: tuple[Part, ...], partial: bool) -> bool:
        if GLOBSTAR in pattern:  # a C-level scan (str and re.Pattern never compare equal to it)
            return bool(self._match_globstar(file, pattern, partial))
        return self._match_one(file, pattern, partial, 0, 0)

    def _bad_dot(self, name: str) -> bool:
        return name in (".", "..") or (not self.dot and name.startswith("."))

    def _match_one(
        self, file: list[str], pattern: tuple[Part, ...], partial: bool, fi: int, pi: int, end: int | None = None
    ) -> bool:
        """`file[:end]` (without copying it: callers scan every position of long paths) against `pattern`."""
        fl, pl = len(file) if end is None else min(end, len(file)), len(pattern)
        while fi < fl and pi < pl:
            part, name = pattern[pi], file[fi]
            if isinstance(part, _Globstar):
                return False
            hit = name == part if isinstance(part, str) else part.fullmatch(name) is not None
            if not hit:
                return False
            fi += 1
            pi += 1
        if fi == fl and pi == pl:
            return True
        if fi == fl:
            return partial
        return fi == fl - 1 and file[fi] == ""  # `a/*` matches `a/b/`

    def _match_globstar(self, file: list[str], pattern: tuple[Part, ...], partial: bool) -> bool | None:
        first = pattern.index(GLOBSTAR)
        last = len(pattern) - 1 - pattern[::-1].index(GLOBSTAR)
        head = pattern[:first]
        body = pattern[first + 1 :] if partial else pattern[first + 1 : last]
        tail = () if partial else pattern[last + 1 :]
        fi = 0
        if head:
            if not self._match_one(file, head, partial, 0, 0, len(head)):
                return False
            fi = len(head)
        tail_match = 0
        if tail:
            if len(tail) + fi > len(file):
                return False
            tail_start = len(file) - len(tail)
            if self._match_one(file, tail, partial, tail_start, 0):
                tail_match = len(tail)
            else:
                # `a/**/*` still matches `a/b/`: retry without the trailing empty portion
                if file[-1] != "" or fi + len(tail) == len(file):
                    return False
                if not self._match_one(file, tail, partial, tail_start - 1, 0):
                    return False
                tail_match = len(tail) + 1
        if not body:
            saw_some = bool(tail_match)
            for name in file[fi : len(file) - tail_match]:
                saw_some = True
                if self._bad_dot(name):
                    return False
            return partial or saw_some
        sections: list[tuple[tuple[Part, ...], int]] = []
        current: list[Part] = []
        before: list[int] = [0]
        count = 0
        for part in body:
            if part is GLOBSTAR:
                sections.append((tuple(current), 0))
                before.append(count)
                current = []
            else:
                current.append(part)
                count += 1
        sections.append((tuple(current), 0))
        length = len(file) - tail_match
        sections = [(sec, length - (before[len(sections) - 1 - i] + len(sec))) for i, (sec, _) in enumerate(sections)]
        return self._match_sections(file, sections, fi, 0, partial, 0, bool(tail_match), [MAX_GLOBSTAR_STEPS])

    def _match_sections(
        self,
        file: list[str],
        sections: list[tuple[tuple[Part, ...], int]],
        fi: int,
        index: int,
        partial: bool,
        depth: int,
        saw_tail: bool,
        steps: list[int],
    ) -> bool | None:
        if index >= len(sections):
            for name in file[fi:]:
                saw_tail = True
                if self._bad_dot(name):
                    return False
            return saw_tail
        body, after = sections[index]
        while fi <= after:
            steps[0] -= 1
            if steps[0] < 0:
                return None  # pathological pattern: no match, like minimatch past its recursion limit
            hit = self._match_one(file, body, partial, fi, 0, fi + len(body))
            if hit and depth < MAX_GLOBSTAR_DEPTH:
                sub = self._match_sections(
                    file, sections, fi + len(body), index + 1, partial, depth + 1, saw_tail, steps
                )
                if sub is not False:
                    return sub
            if fi < len(file) and self._bad_dot(file[fi]):
                return False
            fi += 1
        return True if partial else None


def compile_rules(text: str, *, limit: int = 2000) -> tuple[Glob, ...]:
    """An ignore file's rules as npm reads them: one per line, trimmed, `#` comments and blank lines skipped."""
    rules: list[Glob] = []
    for line in re.split(r"\r?\n", text):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        rules.append(Glob.compile(stripped))
        if len(rules) >= limit:
            break
    return tuple(rules)
