"""Who and what is being published: `manifest/name`, `manifest/scope`, `manifest/version`.

A registry refuses a bad name, a scope the publisher does not own, or a malformed version only at upload
time; these checks give the same answer before the upload, with the field's line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime

from extgate.gates.manifest.interface import Scope
from extgate.gates.manifest.versions import calver_problem, semver_problem
from extgate.model import Finding, truncate

NPM_MAX_NAME = 214
ORCHESTRA_MAX_NAME = 100  # extensions.name VARCHAR(100)
ORCHESTRA_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")
SWAMP_NAME = re.compile(r"^@[a-z0-9_-]+/[a-z0-9_-]+(?:/[a-z0-9_-]+)*\Z")
_URL_SAFE = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+\Z")  # what encodeURIComponent leaves alone
_NEW_PACKAGE_FORBIDDEN = re.compile(r"[~'!()*]")
_SCOPED = re.compile(r"^@([^/]+)/([^/]+)\Z")


def npm_name_problems(name: str, builtins: Iterable[str], blocked: Iterable[str]) -> list[str]:
    """npm's rules for a new package name (validate-npm-package-name, `validForNewPackages`)."""
    problems: list[str] = []
    if not name:
        return ["is empty"]
    if name != name.strip():
        return ["has leading or trailing whitespace"]
    if len(name) > NPM_MAX_NAME:
        problems.append(f"is {len(name)} characters long; npm allows at most {NPM_MAX_NAME}")
    if name[0] in "._":
        problems.append(f"starts with {name[0]!r}")
    if name.lower() in {b.lower() for b in blocked}:
        problems.append("is a name npm blocks")
    if name in set(builtins):
        problems.append("is a Node.js core module name")
    if name != name.lower():
        problems.append("has uppercase letters; new npm names are lowercase")
    if _NEW_PACKAGE_FORBIDDEN.search(name.rsplit("/", 1)[-1]):
        problems.append("contains one of ~'!()* which new npm names may not use")
    if name.startswith("@"):
        scoped = _SCOPED.match(name)
        if not scoped:
            problems.append("is not of the scoped form @scope/name")
        else:
            scope, bare = scoped.groups()
            if not _URL_SAFE.match(scope) or not _URL_SAFE.match(bare):
                problems.append("can only contain URL-friendly characters")
            if bare[0] in "._":
                problems.append(f"has a package part starting with {bare[0]!r}")
    elif not _URL_SAFE.match(name):
        problems.append("can only contain URL-friendly characters")
    return problems


def check_name(scope: Scope) -> Iterator[Finding]:
    name = scope.data.get("name")
    if name is None:
        yield scope.at("manifest/name", f"{scope.manifest.kind} has no `name`; add the package name.", "")
        return
    if not isinstance(name, str):
        return  # manifest/schema reports the type
    shown = truncate(name, 100)
    if scope.manifest.kind == "manifest.yaml":
        if not SWAMP_NAME.match(name):
            yield scope.at(
                "manifest/name",
                f"swamp extension name {shown!r} must match @collective/name[/more] in lowercase letters, digits, "
                "'-' and '_' (for example @acme/deploy-tools).",
                "/name",
                snippet=name,
            )
        return
    data = scope.ctx.rules.data("manifest")
    for problem in npm_name_problems(name, data.get("node_builtins", ()), data.get("blocked_names", ())):
        yield scope.at(
            "manifest/name",
            f"package name {shown!r} {problem}; choose a lowercase, URL-safe name (optionally @scope/name).",
            "/name",
            snippet=name,
            evidence=f"/name:{problem}",
        )
    if scope.is_orchestra and (len(name) > ORCHESTRA_MAX_NAME or not ORCHESTRA_NAME.match(name)):
        yield scope.at(
            "manifest/name",
            f"Orchestra extension name {shown!r} must be lowercase words joined by single hyphens "
            f"(like git-lens), at most {ORCHESTRA_MAX_NAME} characters, no scope.",
            "/name",
            snippet=name,
            evidence="/name:orchestra",
        )


def normalize_scope(value: str) -> str:
    value = value.strip().lower()
    return value if value.startswith("@") else f"@{value}"


def name_scope(name: str) -> str | None:
    """'@acme' for '@acme/x' and '@acme/x/y'; None for an unscoped name."""
    if name.startswith("@") and "/" in name:
        return name.split("/", 1)[0].lower()
    return None


def check_scope(scope: Scope) -> Iterator[Finding]:
    name = scope.name
    if name is None:
        return
    owner = name_scope(name)
    word = "collective" if scope.manifest.kind == "manifest.yaml" else "scope"
    if owner is None:
        if scope.manifest.kind == "manifest.yaml":
            return  # manifest/name already says a swamp name needs a collective
        return  # unscoped npm names belong to the publishing account; nothing to compare
    publishers = {normalize_scope(p) for p in scope.ctx.options.publishers if p.strip()}
    default_reserved: Sequence[str] = scope.ctx.rules.data("manifest").get("reserved_scopes", ())
    reserved = {normalize_scope(str(s)) for s in scope.ctx.setting("reserved_scopes", default_reserved)}
    if owner in publishers:
        return
    if owner in reserved:
        yield scope.at(
            "manifest/scope",
            f"{word} {owner} is reserved: only a publisher the registry vouches for as owning {owner} may "
            f"publish {name!r}. Publish under your own {word}, or have the registry pass --publisher {owner}.",
            "/name",
            snippet=name,
            evidence="/name:reserved",
        )
        return
    if not publishers:
        scope.note(f"manifest/scope: skipped for {owner} (no --publisher given)")
        return
    yield scope.at(
        "manifest/scope",
        f"{word} {owner} of {name!r} is not one the publisher owns ({', '.join(sorted(publishers))}); rename "
        f"the package into one of those {word}s or publish from an account that owns {owner}.",
        "/name",
        snippet=name,
        evidence="/name:not-owned",
    )


def today(scope: Scope) -> datetime:
    now = scope.ctx.options.now or datetime.now(UTC)
    return now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)


def check_version(scope: Scope) -> Iterator[Finding]:
    version = scope.data.get("version")
    if version is None:
        yield scope.at("manifest/version", f"{scope.manifest.kind} has no `version`; add one before publishing.", "")
        return
    if not isinstance(version, str):
        return  # manifest/schema reports the type
    if scope.manifest.kind == "manifest.yaml":
        problem = calver_problem(version, today(scope).date())
        fix = "use today's date: extgate next-version PATH --registry URL prints the next free one"
    else:
        problem = semver_problem(version)
        fix = "use MAJOR.MINOR.PATCH, for example 1.4.0 or 2.0.0-beta.1"
    if problem:
        yield scope.at(
            "manifest/version",
            f"version {truncate(version, 80)!r} {problem}; {fix}.",
            "/version",
            snippet=version,
            evidence=f"/version:{problem.split(';')[0].split('(')[0].strip()}",
        )
