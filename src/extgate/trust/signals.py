"""Registry trust signals for one resolved version: deprecated, license, maintainers, staleness, install
scripts, weekly downloads. Pure functions of the packument (plus a clock and the download count).

Where npm keeps each fact:
  deprecated        versions[v].deprecated (a non-empty string; `npm deprecate pkg@v ""` removes it)
  license           versions[v].license: an SPDX expression, a legacy {type} object, or legacy `licenses` list
  maintainers       packument.maintainers (public registry), else versions[v].maintainers (Verdaccio keeps
                    only what the publisher wrote)
  last publish      max of packument.time[<version>] (`modified` also moves on deprecation, so it is not used)
  install scripts   versions[v].scripts.preinstall/install/postinstall, `hasInstallScript`, or `gypfile`
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from license_expression import (
    AND,
    OR,
    ExpressionError,
    LicenseSymbol,
    LicenseWithExceptionSymbol,
    Licensing,
    get_spdx_licensing,
)

from extgate.trust.interface import Signal

DEFAULT_LICENSES = (
    "MIT",
    "Apache-2.0",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "ISC",
    "0BSD",
    "MPL-2.0",
    "Unlicense",
    "CC0-1.0",
)
INSTALL_SCRIPTS = ("preinstall", "install", "postinstall")
MAX_LICENSE_TEXT = 500


@functools.cache
def _licensing() -> Licensing:  # immutable once built; building it reads the bundled SPDX list
    return get_spdx_licensing()


def deprecated(name: str, version: str, manifest: Mapping[str, Any]) -> Signal | None:
    message = manifest.get("deprecated")
    if not isinstance(message, str) or not message:
        return None
    return Signal(
        "trust/deprecated",
        f"{name}@{version} is deprecated by its publisher: {message[:200]!r}. Move to a maintained version or "
        "a replacement package.",
        f"{name} deprecated",
        {"deprecation": message[:500]},
    )


def license_text(manifest: Mapping[str, Any]) -> str | None:
    value = manifest.get("license")
    if isinstance(value, Mapping):
        value = value.get("type")
    if isinstance(value, str) and value.strip():
        return value.strip()[:MAX_LICENSE_TEXT]
    legacy = manifest.get("licenses")
    if isinstance(legacy, list):
        kinds = [str(item.get("type")) for item in legacy if isinstance(item, Mapping) and item.get("type")]
        if kinds:
            return " OR ".join(kinds)[:MAX_LICENSE_TEXT]
    return None


def _allowed(node: Any, allow: frozenset[str]) -> bool:
    if isinstance(node, OR):
        return any(_allowed(arg, allow) for arg in node.args)
    if isinstance(node, AND):
        return all(_allowed(arg, allow) for arg in node.args)
    if isinstance(node, LicenseWithExceptionSymbol):
        return _allowed(node.license_symbol, allow)
    if isinstance(node, LicenseSymbol):
        return str(node.key).lower() in allow
    return False


def license_signal(name: str, version: str, manifest: Mapping[str, Any], allowlist: Iterable[str]) -> Signal | None:
    """Fires when the license is missing, not a valid SPDX expression, or not satisfiable from the allowlist
    (an OR needs one allowed branch, an AND needs all)."""
    text = license_text(manifest)
    allow = frozenset(str(item).lower() for item in allowlist)
    shown = ", ".join(sorted(allowlist))
    if text is None:
        return Signal(
            "trust/license",
            f"{name}@{version} declares no license: you may have no right to redistribute it. Ask the "
            "maintainer to add an SPDX `license`, or replace the package.",
            f"{name} license missing",
            {"license": None},
        )
    try:
        expression = _licensing().parse(text, validate=True, strict=True)
    except (ExpressionError, ValueError, TypeError, RecursionError):
        expression = None
    if expression is None:
        return Signal(
            "trust/license",
            f"{name}@{version} declares license {text!r}, which is not a valid SPDX expression; its terms "
            "cannot be checked automatically. Review them, then acknowledge, or replace the package.",
            f"{name} license invalid {text}",
            {"license": text, "valid_spdx": False},
        )
    if not _allowed(expression, allow):
        return Signal(
            "trust/license",
            f"{name}@{version} is licensed {expression} , outside the allowed licenses ({shown}). Review the "
            "terms, then acknowledge or allow the license in policy `[trust] licenses`, or replace the package.",
            f"{name} license {expression}",
            {"license": str(expression), "valid_spdx": True},
        )
    return None


def maintainers_known(packument: Mapping[str, Any], manifest: Mapping[str, Any]) -> bool:
    """False when neither the packument nor the version says anything about maintainers (mirrors strip the
    field): that is unknown, not "nobody"."""
    return "maintainers" in packument or "maintainers" in manifest


def maintainers_signal(name: str, packument: Mapping[str, Any], manifest: Mapping[str, Any]) -> Signal | None:
    for value in (packument.get("maintainers"), manifest.get("maintainers")):
        if isinstance(value, list) and any(
            (isinstance(m, Mapping) and m.get("name")) or (isinstance(m, str) and m) for m in value
        ):
            return None
    return Signal(
        "trust/no-maintainers",
        f"{name} lists no maintainers on the registry: nobody is accountable for fixes or can be reached about "
        "a compromise. Prefer a maintained alternative.",
        f"{name} no maintainers",
    )


def last_publish(packument: Mapping[str, Any]) -> datetime | None:
    times = packument.get("time")
    versions = packument.get("versions")
    if not isinstance(times, Mapping) or not isinstance(versions, Mapping):
        return None
    latest: datetime | None = None
    for version, stamp in times.items():
        if version in ("created", "modified") or version not in versions or not isinstance(stamp, str):
            continue
        try:
            when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            continue
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        latest = when if latest is None or when > latest else latest
    return latest


def stale_signal(name: str, packument: Mapping[str, Any], now: datetime, months: int) -> Signal | None:
    published = last_publish(packument)
    if published is None:
        return None
    age_days = (now - published).days
    if age_days <= months * 30.44:
        return None
    return Signal(
        "trust/stale",
        f"{name} has not published a release for {age_days // 30} months (last {published.date()}; threshold "
        f"{months}): security fixes may never come. Prefer a maintained alternative, or acknowledge.",
        f"{name} stale",
        {"last_publish": published.isoformat(), "threshold_months": months},
    )


def install_script_signal(name: str, version: str, manifest: Mapping[str, Any]) -> Signal | None:
    scripts = manifest.get("scripts")
    found = [s for s in INSTALL_SCRIPTS if isinstance(scripts, Mapping) and isinstance(scripts.get(s), str)]
    if manifest.get("hasInstallScript") is True and not found:
        found.append("hasInstallScript")
    if manifest.get("gypfile") is True and not found:
        found.append("install (node-gyp)")
    if not found:
        return None
    return Signal(
        "trust/install-script",
        f"{name}@{version} runs lifecycle scripts at install time ({', '.join(found)}): code from the registry "
        "executes on every machine that installs your extension. Prefer a package without install scripts, or "
        "review the script and acknowledge.",
        f"{name} install-script",
        {"scripts": tuple(found)},
    )


def downloads_signal(name: str, weekly: int, minimum: int) -> Signal | None:
    if weekly >= minimum:
        return None
    return Signal(
        "trust/low-downloads",
        f"{name} had {weekly} downloads last week (threshold {minimum}): few users means few eyes on it and an "
        "easy target for typosquatting. Check the name is the package you meant, or acknowledge.",
        f"{name} low-downloads",
        {"weekly_downloads": weekly, "threshold": minimum},
    )


def now_utc(fixed: datetime | None) -> datetime:
    if fixed is None:
        return datetime.now(UTC)
    return fixed if fixed.tzinfo else fixed.replace(tzinfo=UTC)
