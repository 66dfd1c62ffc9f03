"""has-license: a license file AND a valid SPDX `license` expression that agrees with the file's text.

The file's kind is told from its text by the rubric's signatures (MIT, Apache-2.0, ISC, BSD ...). It agrees when
the kind is one of the expression's licenses (`-only` / `-or-later` variants compare equal). A text no signature
recognises agrees only when it names one of the expression's ids (e.g. an `SPDX-License-Identifier:` line).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from license_expression import Licensing, get_spdx_licensing

from extgate.model import Entry, FactorResult
from extgate.scoring.interface import BaseFactor, ScoringContext

MAX_EXPRESSION = 500


@cache
def _licensing() -> Licensing:
    return get_spdx_licensing()  # builds an index of the SPDX list once per process


def normalize_text(text: str) -> str:
    """Lower-case, punctuation as spaces, whitespace collapsed: license texts differ in quotes and wrapping."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def base_id(spdx_id: str) -> str:
    """'GPL-3.0-or-later' and 'GPL-3.0-only' compare as 'GPL-3.0'."""
    key = spdx_id.strip()
    for suffix in ("-or-later", "-only", "+"):
        if key.endswith(suffix):
            return key[: -len(suffix)]
    return key


def detect_kind(text: str, signatures: tuple[Mapping[str, Any], ...]) -> str | None:
    flat = normalize_text(text)
    for signature in signatures:
        needed = [normalize_text(str(p)) for p in signature.get("all", ())]
        refused = [normalize_text(str(p)) for p in signature.get("none", ())]
        if needed and all(p in flat for p in needed) and not any(p in flat for p in refused):
            return str(signature["id"])
    return None


def expression_ids(expression: str) -> tuple[str, ...] | str:
    """The license ids of a valid SPDX expression (exceptions left out), or why it is not valid."""
    if len(expression) > MAX_EXPRESSION:
        return f"longer than {MAX_EXPRESSION} characters"
    licensing = _licensing()
    try:
        info = licensing.validate(expression)
        if info.errors or info.normalized_expression is None:
            return "; ".join(info.errors) or "not a valid SPDX expression"
        parsed = licensing.parse(info.normalized_expression)
    except Exception as exc:  # the library itself trips on some malformed input ("MIT AND" -> AttributeError)
        return f"not a valid SPDX expression ({type(exc).__name__})"
    return tuple(
        str(symbol.key) for symbol in licensing.license_symbols(parsed) if not getattr(symbol, "is_exception", False)
    )


class HasLicense(BaseFactor):
    def evaluate(self, ctx: ScoringContext) -> FactorResult:
        files = self._license_files(ctx)
        declared = ctx.manifest_value("license")
        if declared is None and ctx.manifest_value("licenses") is not None:
            return self.missed(
                "`licenses` (an array) is deprecated", hint="Replace `licenses` with a `license` SPDX expression."
            )
        if declared is None and files and ctx.manifest is not None and ctx.manifest.kind == "manifest.yaml":
            return self._file_only(files)  # swamp manifests have no license field: the file's text declares it
        if not isinstance(declared, str) or not declared.strip():
            where = f"; {files[0].path} is present" if files else ""
            hint = None if not files else "Set `license` in the manifest to the SPDX id of your LICENSE file."
            return self.missed(f"no `license` field in the manifest{where}", hint=hint)
        expression = declared.strip()
        ids = expression_ids(expression)
        if isinstance(ids, str):
            return self.missed(
                f"`license` {expression[:80]!r} is not a valid SPDX expression ({ids[:120]})",
                hint="Use an SPDX license id or expression, such as MIT, Apache-2.0 or (MIT OR Apache-2.0).",
            )
        if not files:
            return self.missed(
                f"`license` is {expression} but the package has no LICENSE file",
                hint=f"Ship the {expression} license text as LICENSE at the package root.",
            )
        signatures = tuple(self.spec.setting("signatures", ()))
        wanted = {base_id(i).lower() for i in ids}
        max_bytes = int(self.spec.setting("max_bytes", 200_000))
        agreeing: list[str] = []
        for entry in files:
            text = (entry.data or b"")[:max_bytes].decode("utf-8", "replace")
            kind = detect_kind(text, signatures)
            if kind is not None and base_id(kind).lower() not in wanted:
                return self.missed(
                    f"{entry.path} reads as {kind} but `license` is {expression}",
                    hint=f"Make `license` and {entry.path} agree (the file's text is {kind}).",
                )
            if kind is not None or _names_an_id(text, ids):
                agreeing.append(f"{entry.path} ({kind or 'names ' + expression})")
        if not agreeing:
            names = ", ".join(e.path for e in files)
            return self.missed(
                f"{names}: the text is not recognisable as {expression}",
                hint=f"Use the standard {expression} license text in {files[0].path}.",
            )
        return self.earned(f"`license` {expression}; {', '.join(agreeing)}")

    def _file_only(self, files: list[Entry]) -> FactorResult:
        """A recognised SPDX license text stands in for the missing `license` field."""
        signatures = tuple(self.spec.setting("signatures", ()))
        max_bytes = int(self.spec.setting("max_bytes", 200_000))
        for entry in files:
            kind = detect_kind((entry.data or b"")[:max_bytes].decode("utf-8", "replace"), signatures)
            if kind is not None and not isinstance(expression_ids(kind), str):
                return self.earned(f"{entry.path} ({kind}; the manifest format has no license field)")
        return self.missed(
            f"{', '.join(e.path for e in files)}: not a recognisable SPDX license text",
            hint="Ship a standard license text (MIT, Apache-2.0, ...) as LICENSE beside the manifest.",
        )

    def _license_files(self, ctx: ScoringContext) -> list[Entry]:
        stems = self.spec.strings("file_stems") or ("license", "licence", "copying")
        pattern = re.compile(r"^(?:" + "|".join(map(re.escape, stems)) + r")(?:[.\-_].*)?$")
        return sorted(
            (e for e in ctx.package.files if "/" not in e.path and e.data and pattern.match(e.name.lower())),
            key=lambda e: e.path,
        )


def _names_an_id(text: str, ids: tuple[str, ...]) -> bool:
    lowered = text.lower()
    return any(re.search(r"(?<![\w.-])" + re.escape(i.lower()) + r"(?![\w.-])", lowered) for i in ids)
