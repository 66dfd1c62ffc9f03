"""secrets/*: credentials committed into the package. Never echo a secret: messages and snippets carry
`prefix…(N chars)` and the fingerprint evidence is a hash of the value."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from extgate.gates.content.entropy import is_placeholder, looks_random, shannon
from extgate.gates.content.interface import Params, Raw, RuleSpec, Scan, props
from extgate.gates.content.text import any_of, decode, digest, excerpt, redact
from extgate.model import Level, truncate


class _Fields(dict[str, Any]):
    """format_map fields; an unknown `{name}` in a YAML message stays as written instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _value_span(match: re.Match[bytes], group: str) -> tuple[int, int]:
    if group in match.re.groupindex and match.group(group) is not None:
        return match.span(group)
    return match.span()


def _redacted_snippet(data: bytes, match: re.Match[bytes], span: tuple[int, int], shown: str, start: int = -1) -> str:
    """The match (from `start`, default its own start) with the secret replaced by its redaction."""
    begin = match.start() if start < 0 else start
    head = decode(data[begin : span[0]])[-80:]
    tail = decode(data[span[1] : match.end()])[:40]
    return truncate(f"{head}{shown}{tail}")


@dataclass(frozen=True, slots=True)
class ValueFilter:
    """Which matched values are not secrets: below `min_entropy`, matching `skip_values`, or placeholders.
    Built once per rule and file (not per candidate: a hostile file can hold 20,000 candidates)."""

    min_entropy: float | None
    skip: re.Pattern[bytes] | None
    placeholders: tuple[str, ...]

    @classmethod
    def of(cls, params: Params) -> ValueFilter:
        min_entropy = params.get("min_entropy")
        return cls(
            None if min_entropy is None else float(min_entropy),
            any_of(params.strings("skip_values")),
            params.strings("placeholders") if params.get("skip_placeholders", True) else (),
        )

    def rejects(self, value: str) -> bool:
        if self.min_entropy is not None and shannon(value) < self.min_entropy:
            return True
        if self.skip is not None and self.skip.search(value.encode("utf-8", "surrogateescape")):
            return True
        return bool(self.placeholders) and is_placeholder(value, self.placeholders)


def regex_rule(spec: RuleSpec, scan: Scan) -> Iterator[Raw]:
    """The generic matcher: each `patterns` match is a hit; the `value` group (or the whole match) is the secret.

    Matcher keys: message (with {redacted} {length} {name} {match}), redact (default true), reveal (characters of
    the value shown, default 4), min_entropy, skip_values (regexes), skip_placeholders (default true).
    """
    params = spec.params
    group = str(params.get("value_group", "value"))
    hide = bool(params.get("redact", True))
    reveal = int(params.get("reveal", 4))
    template = str(params.get("message", "{match} matches " + spec.rule_id + "."))
    reveal_prefix = bool(params.get("reveal_prefix", False))
    values = ValueFilter.of(params)
    data = scan.data
    for match in scan.matches(spec):
        span = _value_span(match, group)
        value = decode(data[span[0] : span[1]])
        if values.rejects(value):
            continue
        shown_chars = max(reveal, _prefix_length(value)) if reveal_prefix else reveal
        shown = redact(value, shown_chars) if hide else truncate(value, 120)
        name = decode(match.group("name")) if "name" in match.re.groupindex and match.group("name") else ""
        fields = _Fields(redacted=shown, length=len(value), name=truncate(name, 80))
        fields["match"] = _redacted_snippet(data, match, span, shown) if hide else excerpt(data, *match.span())
        yield Raw(
            match.start(),
            match.end(),
            template.format_map(fields),
            snippet=fields["match"],
            evidence=digest(value) if hide else value,
            properties=props(length=len(value)),
        )


def _prefix_length(value: str) -> int:
    """Length of a token's fixed type prefix (`github_pat_`, `xoxb-`, `sk_live_`): the part up to the last `_` or
    `-` among the first 12 characters. Showing it says what kind of token to revoke."""
    head = value[:12]
    return max(head.rfind("_"), head.rfind("-")) + 1


# --- PEM private keys -----------------------------------------------------------------------------------------------
# Between the armour lines: base64 lines, optional `Proc-Type:`-style headers, and in source code the string syntax
# around them (quotes, `+`, `\n` escapes). A header with no body (a PEM parser's constant, a docs placeholder) is
# not a key.
_PEM_SEPARATORS = re.compile(rb"(?:\\[nr]|[\s\"'`+,])+")
_PEM_HEADER = re.compile(rb"[A-Za-z][A-Za-z0-9-]{1,40}: [^\n\\\"']{0,200}")
_PEM_BODY = re.compile(rb"[A-Za-z0-9+/=]+")


def _pem_body(data: bytes, offset: int, window: int) -> bytes:
    tail = data[offset : offset + window]
    pos = 0
    body = bytearray()
    for _ in range(400):  # bounded: at most 400 separator/header/line steps inside the window
        separators = _PEM_SEPARATORS.match(tail, pos)
        if separators:
            pos = separators.end()
        header = _PEM_HEADER.match(tail, pos)
        if header:
            pos = header.end()
            continue
        line = _PEM_BODY.match(tail, pos)
        if not line:
            break
        body += line.group()
        pos = line.end()
    return bytes(body)


def pem_private_key(spec: RuleSpec, scan: Scan) -> Iterator[Raw]:
    params = spec.params
    min_body = int(params.get("min_body", 64))
    window = int(params.get("window", 4096))
    data = scan.data
    min_entropy = float(params.get("min_entropy", 4.0))
    for match in scan.matches(spec):
        body = _pem_body(data, match.end(), window)
        if len(body) < min_body or shannon(body) < min_entropy:
            continue
        label = decode(match.group()).strip("-").strip()
        yield Raw(
            match.start(),
            match.end(),
            f"PEM private key ({truncate(label, 60)}) with a {len(body):,}-character body is in the package. Anyone "
            f"who installs it can use the key: remove the file, revoke and rotate the key, and load keys from a "
            f"secret store or environment variable at run time.",
            snippet=f"{truncate(decode(match.group()), 80)}…({len(body):,} base64 chars)",
            evidence=digest(body[:256]),
            properties=props(label=truncate(label, 60), body_chars=len(body)),
        )


# --- AWS access keys ------------------------------------------------------------------------------------------------
_BASE64_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


def aws_key(spec: RuleSpec, scan: Scan) -> Iterator[Raw]:
    """An access key id (AKIA/ASIA...) is an error with a secret access key nearby, a warning alone."""
    params = spec.params
    window = int(params.get("window", 1024))
    secret_re = any_of(params.strings("secret_patterns"))
    min_entropy = float(params.get("secret_min_entropy", 4.2))
    placeholders = params.strings("placeholders")
    level_alone = Level(str(params.get("level_without_secret", "warning")))
    data = scan.data
    for match in scan.matches(spec):
        key_id = decode(match.group())
        if is_placeholder(key_id, placeholders):
            continue
        secret = None
        covers: tuple[tuple[int, int], ...] = ()
        if secret_re is not None:
            lo, hi = max(0, match.start() - window), min(len(data), match.end() + window)
            for candidate in secret_re.finditer(data, lo, hi):
                if candidate.end() == hi < len(data) and data[hi] in _BASE64_BYTES:
                    continue  # cut by the window's end (`endpos` looks like the end of the file): part of a longer run
                value = decode(candidate.group())
                if (
                    value != key_id
                    and looks_random(value, min_length=40, min_entropy=min_entropy, min_classes=3)
                    and not is_placeholder(value, placeholders)
                ):
                    secret, covers = value, (candidate.span(),)
                    break
        shown = redact(key_id, 4)
        if secret is not None:
            message = (
                f"AWS access key id {shown} with a secret access key ({redact(secret, 0)}) next to it: this is a "
                f"working credential. Deactivate the key in IAM now, remove both from the package, and use roles or "
                f"environment credentials at run time."
            )
        else:
            message = (
                f"AWS access key id {shown} is in the package (no secret key found within {window} bytes). A key id "
                f"identifies an account and usually travels with its secret: remove it and check where the secret is."
            )
        yield Raw(
            match.start(),
            match.end(),
            message,
            snippet=shown,
            evidence=digest(key_id + (secret or "")),
            level=None if secret is not None else level_alone,
            properties=props(with_secret=secret is not None),
            covers=covers,
        )


# --- high-entropy assignments ---------------------------------------------------------------------------------------
_NAME_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_$.-")


def _name_start(data: bytes, keyword_start: int, limit: int = 64) -> int:
    """Walk back from the keyword over identifier characters: `api_token`, `process.env.NPM_TOKEN`."""
    pos = keyword_start
    floor = max(0, keyword_start - limit)
    while pos > floor and data[pos - 1] in _NAME_BYTES:
        pos -= 1
    return pos


def assignment(spec: RuleSpec, scan: Scan) -> Iterator[Raw]:
    params = spec.params
    min_length = int(params.get("min_length", 10))
    min_entropy = float(params.get("min_entropy", 3.0))
    min_classes = int(params.get("min_classes", 2))
    reveal = int(params.get("reveal", 2))
    values = ValueFilter.of(params)
    data = scan.data
    for match in scan.matches(spec):
        span = _value_span(match, "value")
        value = decode(data[span[0] : span[1]])
        if values.rejects(value) or not looks_random(
            value, min_length=min_length, min_entropy=min_entropy, min_classes=min_classes
        ):
            continue
        kw_start = match.start("kw") if "kw" in match.re.groupindex else match.start()
        start = _name_start(data, kw_start)
        name = decode(data[start : match.end("kw") if "kw" in match.re.groupindex else kw_start])
        shown = redact(value, reveal)
        yield Raw(
            start,
            match.end(),
            f"{truncate(name, 60)} is assigned a hard-coded, random-looking value ({shown}, {shannon(value):.1f} bits "
            f"per character). If it is a real credential, revoke it and read it from an environment variable or "
            f"secret store at run time; if it is a test value, acknowledge this warning.",
            snippet=_redacted_snippet(data, match, span, shown, start),
            evidence=digest(value),
            properties=props(name=truncate(name, 60), length=len(value), entropy=round(shannon(value), 2)),
        )
