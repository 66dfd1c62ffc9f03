"""`fixtures/*`: Cinatra dev-mode fixtures (seed 003), fail-loud like the host's validator.

When `cinatra.devFixtures` names a file, it must be declarative JSON: `{"version": <int >= 1>, "fixtures":
[...]}`; each fixture has a unique `id` and a `surface` of `setting` (`{key, value}`, which needs the
`settings` host port) or `object` (`{typeId, data}`), nothing else. The dev seeder derives the org itself,
so a fixture never names one, and it is data only: no SQL, no code. One finding per violation, each with
the JSON pointer and line in the fixtures file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from extgate.facts import line_for_pointer
from extgate.gates.manifest.interface import Scope, is_text, package_path
from extgate.gates.manifest.parse import Parsed, ParseError, escape, parse_json
from extgate.model import Finding, truncate

ALLOWED_FIELDS = {"setting": ("id", "surface", "key", "value"), "object": ("id", "surface", "typeId", "data")}
TOP_LEVEL = ("version", "fixtures")
MAX_FIXTURES = 1000
MAX_FIXTURE_BYTES = 1_000_000


class _Report:
    """Findings located in the fixtures file by pointer."""

    def __init__(self, scope: Scope, path: str, parsed: Parsed | None) -> None:
        self.scope = scope
        self.path = path
        self.lines = parsed.lines if parsed else {}
        self.forbidden = _Forbidden.load(scope)

    def line(self, pointer: str) -> int | None:
        return line_for_pointer(self.lines, pointer)

    def __call__(self, rule_id: str, message: str, pointer: str, key: str = "") -> Finding:
        return self.scope.ctx.finding(
            rule_id,
            message,
            path=self.path,
            line=self.line(pointer),
            evidence=f"{pointer}:{key or rule_id}",
            properties={"pointer": pointer},
        )


def _fold(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


@dataclass(frozen=True, slots=True)
class _Forbidden:
    """rules/fixtures.yaml `data:`: org-id field names and value shapes, SQL and code patterns."""

    org_keys: frozenset[str]
    org_values: tuple[re.Pattern[str], ...]
    sql: tuple[re.Pattern[str], ...]
    code: tuple[re.Pattern[str], ...]

    @classmethod
    def load(cls, scope: Scope) -> _Forbidden:
        data = scope.ctx.rules.data("fixtures")

        def compiled(key: str) -> tuple[re.Pattern[str], ...]:
            return tuple(re.compile(str(p), re.IGNORECASE) for p in data.get(key) or ())

        keys = frozenset(_fold(str(n)) for n in data.get("org_id_keys") or ())
        return cls(keys, compiled("org_id_value_patterns"), compiled("sql_patterns"), compiled("code_patterns"))

    def org_key(self, key: str) -> bool:
        return _fold(key) in self.org_keys


def check_dev_fixtures(scope: Scope) -> Iterator[Finding]:
    cinatra = scope.cinatra
    if cinatra is None or "devFixtures" not in cinatra:
        return
    ref = cinatra["devFixtures"]
    pointer = "/cinatra/devFixtures"
    if not is_text(ref):
        yield scope.at(
            "fixtures/shape",
            "cinatra.devFixtures must be a path string such as 'cinatra/dev-fixtures.json'.",
            pointer,
        )
        return
    path = package_path(ref)
    if path is None:
        yield scope.at(
            "fixtures/missing-file",
            f"cinatra.devFixtures {truncate(ref, 100)!r} must be a relative path inside the package.",
            pointer,
            snippet=ref,
        )
        return
    raw = scope.ctx.package.read(path)
    if raw is None:
        yield scope.at(
            "fixtures/missing-file",
            f"cinatra.devFixtures names {truncate(ref, 100)!r}, which is not a file in the package; ship the file "
            "(and list it in `files`) or remove devFixtures.",
            pointer,
            snippet=ref,
        )
        return
    try:
        parsed = parse_json(raw, what=path, limit=MAX_FIXTURE_BYTES)
    except ParseError as exc:
        yield scope.ctx.finding(
            "fixtures/invalid-json",
            f"{exc.message}; the dev seeder cannot read it. Fix the JSON.",
            path=path,
            line=exc.line,
            column=exc.column,
            evidence=f"{path}:invalid",
        )
        return
    report = _Report(scope, path, parsed)
    for problem in parsed.problems:
        yield report("fixtures/invalid-json", problem.message + "; remove the duplicate.", problem.pointer, "dup")
    yield from _check_document(report, parsed.data, cinatra)


def _check_document(report: _Report, doc: Any, cinatra: Mapping[str, Any]) -> Iterator[Finding]:
    if not isinstance(doc, Mapping):
        yield report("fixtures/shape", "the fixtures file must be a JSON object {version, fixtures}.", "")
        return
    for key in doc:
        if key not in TOP_LEVEL:
            yield from _unexpected(report, str(key), f"/{escape(str(key))}", "the fixtures file")
    version = doc.get("version")
    if not (isinstance(version, int) and not isinstance(version, bool) and version >= 1):
        yield report(
            "fixtures/version",
            f"`version` must be an integer >= 1 (got {truncate(repr(version), 40)}); bump it to replace older "
            "seeded rows.",
            "/version" if "version" in doc else "",
        )
    fixtures = doc.get("fixtures")
    if not isinstance(fixtures, list):
        yield report(
            "fixtures/shape",
            "`fixtures` must be an array of fixture objects.",
            "/fixtures" if "fixtures" in doc else "",
        )
        return
    if len(fixtures) > MAX_FIXTURES:
        yield report(
            "fixtures/shape",
            f"{len(fixtures)} fixtures exceed the {MAX_FIXTURES} extgate checks; split or trim the demo data.",
            "/fixtures",
            "limit",
        )
        fixtures = fixtures[:MAX_FIXTURES]
    ports = cinatra.get("requestedHostPorts")
    has_settings = isinstance(ports, list) and "settings" in ports
    seen: dict[str, int] = {}
    for index, fixture in enumerate(fixtures):
        yield from _check_fixture(report, index, fixture, seen, has_settings)


def _unexpected(report: _Report, key: str, pointer: str, where: str) -> Iterator[Finding]:
    if report.forbidden.org_key(key):
        yield report(
            "fixtures/forbidden-content",
            f"{where} has {truncate(key, 40)!r}: fixtures never name an org (the seeder derives the dev org "
            "itself); remove it.",
            pointer,
            "org",
        )
    else:
        yield report(
            "fixtures/unknown-field",
            f"{where} has the field {truncate(key, 40)!r}, which the fixture contract does not allow; remove it.",
            pointer,
        )


def _check_fixture(
    report: _Report, index: int, fixture: Any, seen: dict[str, int], has_settings: bool
) -> Iterator[Finding]:
    base = f"/fixtures/{index}"
    label = f"fixtures[{index}]"
    if not isinstance(fixture, Mapping):
        yield report("fixtures/shape", f"{label} must be an object {{id, surface, ...}}.", base)
        return
    fixture_id = fixture.get("id")
    if not is_text(fixture_id):
        yield report(
            "fixtures/shape",
            f"{label} needs a non-empty string `id` (its provenance key).",
            f"{base}/id" if "id" in fixture else base,
            "id",
        )
    elif fixture_id in seen:
        yield report(
            "fixtures/duplicate-id",
            f"{label} reuses id {truncate(str(fixture_id), 60)!r} (first used by fixtures[{seen[fixture_id]}]); ids "
            "must be unique within the file.",
            f"{base}/id",
        )
    else:
        seen[str(fixture_id)] = index
    surface = fixture.get("surface")
    if surface not in ALLOWED_FIELDS:
        yield report(
            "fixtures/surface",
            f"{label} surface {truncate(repr(surface), 40)} is not allowed; fixtures write only to 'setting' or "
            "'object' (never secrets, grants, core tables, SQL or code).",
            f"{base}/surface" if "surface" in fixture else base,
        )
    else:
        for key in fixture:
            if key not in ALLOWED_FIELDS[str(surface)]:
                yield from _unexpected(report, str(key), f"{base}/{escape(str(key))}", f"{label} ({surface})")
        if surface == "setting":
            if not is_text(fixture.get("key")):
                yield report(
                    "fixtures/shape",
                    f"{label} is a setting fixture and needs a non-empty string `key`.",
                    f"{base}/key" if "key" in fixture else base,
                    "key",
                )
            elif report.forbidden.org_key(str(fixture["key"])):
                yield report(
                    "fixtures/forbidden-content",
                    f"{label} writes the setting {fixture['key']!r}: fixtures never name an org.",
                    f"{base}/key",
                    "org",
                )
            if "value" not in fixture:
                yield report("fixtures/shape", f"{label} is a setting fixture and needs a `value`.", base, "value")
            if not has_settings:
                yield report(
                    "fixtures/settings-grant",
                    f"{label} is a setting fixture, but cinatra.requestedHostPorts lacks 'settings'; the seeder's "
                    "write "
                    "would fail. Request the settings port or drop the fixture.",
                    f"{base}/surface",
                )
        else:
            if not is_text(fixture.get("typeId")):
                yield report(
                    "fixtures/shape",
                    f"{label} is an object fixture and needs a non-empty string `typeId`.",
                    f"{base}/typeId" if "typeId" in fixture else base,
                    "typeId",
                )
            if not isinstance(fixture.get("data"), Mapping):
                yield report(
                    "fixtures/shape",
                    f"{label} is an object fixture and needs an object `data`.",
                    f"{base}/data" if "data" in fixture else base,
                    "data",
                )
    for field in ("value", "data"):
        if field in fixture:
            yield from _forbidden(report, fixture[field], f"{base}/{field}", label)


def _forbidden(report: _Report, value: Any, pointer: str, label: str) -> Iterator[Finding]:
    """Org ids, SQL and code anywhere inside a fixture's value/data (depth is bounded by the parser)."""
    rules = report.forbidden
    sql, code, org_values = rules.sql, rules.code, rules.org_values
    stack: list[tuple[str, Any]] = [(pointer, value)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, Mapping):
            for key, child in node.items():
                child_pointer = f"{where}/{escape(str(key))}"
                if rules.org_key(str(key)):
                    yield report(
                        "fixtures/forbidden-content",
                        f"{label} carries {str(key)!r}: fixtures never name an org.",
                        child_pointer,
                        "org",
                    )
                stack.append((child_pointer, child))
        elif isinstance(node, list):
            stack.extend((f"{where}/{i}", child) for i, child in enumerate(node))
        elif isinstance(node, str):
            if any(p.search(node) for p in org_values):
                yield report(
                    "fixtures/forbidden-content",
                    f"{label} holds what looks like an org id ({truncate(node, 40)!r}); fixtures never name an org.",
                    where,
                    "org-value",
                )
            elif any(p.search(node) for p in sql):
                yield report(
                    "fixtures/forbidden-content",
                    f"{label} holds SQL ({truncate(node, 60)!r}); fixtures are declarative data, never SQL.",
                    where,
                    "sql",
                )
            elif any(p.search(node) for p in code):
                yield report(
                    "fixtures/forbidden-content",
                    f"{label} holds code ({truncate(node, 60)!r}); fixtures are declarative data, never code.",
                    where,
                    "code",
                )
