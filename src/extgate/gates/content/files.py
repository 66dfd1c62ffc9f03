"""secrets/dotenv-file: `.env` files in the publish set.

A real `.env` (`.env`, `.env.local`, `.env.production`, `prod.env` ...) with at least one non-empty value is reported
once, at its first value. Templates (`.env.example`, `.env.sample`, `.env.template` ... names from the rule data) are
meant to be published; they are reported only where a secret-looking variable carries a random-looking value.
"""

from __future__ import annotations

from collections.abc import Iterator

from extgate.gates.content.entropy import is_placeholder, looks_random
from extgate.gates.content.interface import FileFilter, Raw, RuleSpec, Scan, props
from extgate.gates.content.text import any_of, decode, digest, redact
from extgate.model import truncate


def _clean(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'`":
        return value[1:-1]
    hash_at = value.find(" #")
    return value[:hash_at].rstrip() if hash_at >= 0 else value


def dotenv_file(spec: RuleSpec, scan: Scan) -> Iterator[Raw]:
    params = spec.params
    template = FileFilter(include=tuple(g.lower() for g in params.strings("templates"))).applies(scan.path)
    secret_name = any_of(params.strings("secret_names"), caseless=True)
    placeholders = params.strings("placeholders")
    names: list[str] = []
    first: tuple[int, int] | None = None
    for match in scan.matches(spec):
        name = decode(match.group("name"))
        value = _clean(decode(match.group("value") or b""))
        if not value:
            continue
        if not template:
            names.append(name)
            first = first or match.span()
            continue
        if secret_name is None or not secret_name.search(name.encode()):
            continue
        if is_placeholder(value, placeholders) or not looks_random(
            value,
            min_length=int(params.get("min_length", 10)),
            min_entropy=float(params.get("min_entropy", 3.0)),
            min_classes=int(params.get("min_classes", 2)),
        ):
            continue
        shown = redact(value, 2)
        yield Raw(
            match.start(),
            match.end(),
            f"Template env file sets {truncate(name, 60)} to a real-looking value ({shown}). Templates are published "
            f"for others to copy: leave secret values empty or use a placeholder such as <your-token>, and rotate "
            f"the value if it was ever real.",
            snippet=f"{truncate(name, 60)}={shown}",
            evidence=digest(name + "=" + value),
            properties=props(name=truncate(name, 60), template=True),
        )
    if first is not None:
        listed = ", ".join(truncate(n, 40) for n in names[:5]) + (", ..." if len(names) > 5 else "")
        yield Raw(
            first[0],
            first[0],
            f".env file with {len(names)} non-empty variable(s) ({listed}) is in the package; whatever it holds is "
            f"published to everyone who installs it. Remove it from the publish set (.npmignore or `files` in "
            f"package.json), rotate any secret it held, and ship a `.env.example` with empty values instead.",
            snippet=f"{len(names)} variable(s): {listed}",
            evidence=digest(",".join(sorted(names))),
            properties=props(variables=len(names)),
        )
