"""Build the hashable `CodeConfig` from the code rule pack (rules/code.yaml) and the policy's `[code]` settings."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from extgate.gates.code.interface import (
    GROUP_PARSE,
    ApiNames,
    BehaviourConfig,
    CallMatcher,
    CodeConfig,
    ObfuscationThresholds,
    PrefilterPattern,
)
from extgate.rules.registry import RuleRegistry

PACK = "code"
SETTINGS = ("max_parse_bytes", "parse_timeout_ms", "python_max_depth", "max_findings_per_rule")


def _strings(values: Iterable[Any] | None) -> tuple[str, ...]:
    return tuple(str(v) for v in values or ())


def _positive_int(key: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"policy [code] {key} must be a positive integer, not {value!r}") from None
    if number <= 0 or isinstance(value, bool):
        raise ValueError(f"policy [code] {key} must be a positive integer, not {value!r}")
    return number


def build_config(rules: RuleRegistry, setting: Callable[[str, Any], Any], backend: str = "auto") -> CodeConfig:
    """`setting(key, default)` reads the policy/profile value (GateContext.setting)."""
    data = rules.data(PACK)
    defaults: Mapping[str, Any] = data.get("settings", {})
    values = {key: _positive_int(key, setting(key, defaults.get(key))) for key in SETTINGS}

    patterns = [
        PrefilterPattern(str(p["name"]), str(p["regex"]), _strings(p.get("groups")) or (GROUP_PARSE,))
        for p in data.get("prefilter", ())
    ]
    matchers: list[CallMatcher] = []
    for rule in rules.by_gate("code") + rules.by_gate("safety"):
        if rule.pack != PACK:
            continue
        matcher = rule.matcher
        for i, regex in enumerate(matcher.get("prefilter", ()) or ()):
            patterns.append(PrefilterPattern(f"{rule.id}#{i}", str(regex), (GROUP_PARSE,)))
        if matcher.get("javascript") or matcher.get("python"):
            matchers.append(
                CallMatcher(
                    rule_id=rule.id,
                    javascript=_strings(matcher.get("javascript")),
                    python=_strings(matcher.get("python")),
                    argument=str(matcher.get("argument", "")),
                    message=" ".join(str(matcher.get("message", "")).split()) or f"{rule.title}: `{{api}}`.",
                )
            )

    sinks: Mapping[str, Any] = data.get("env_sinks", {})
    api: Mapping[str, Any] = data.get("api_names", {})
    obf: Mapping[str, Any] = data.get("obfuscation", {})
    fields = ObfuscationThresholds.__dataclass_fields__
    thresholds = ObfuscationThresholds(**{k: type(getattr(ObfuscationThresholds(), k))(v) for k, v in obf.items()
                                          if k in fields})  # fmt: skip
    beh: Mapping[str, Any] = data.get("behaviour", {})
    behaviour = BehaviourConfig(
        fs_write=frozenset(_strings(beh.get("fs_write"))),
        fs_delete=frozenset(_strings(beh.get("fs_delete"))),
        fs_read=frozenset(_strings(beh.get("fs_read"))),
        fs_destination_second=frozenset(_strings(beh.get("fs_destination_second"))),
        home_env=frozenset(_strings(beh.get("home_env"))),
        system_prefixes=tuple(s.lower() for s in _strings(beh.get("system_prefixes"))),
        credential_markers=tuple(s.lower() for s in _strings(beh.get("credential_markers"))),
        persistence_markers=tuple(s.lower() for s in _strings(beh.get("persistence_markers"))),
        locale_env=frozenset(_strings(beh.get("locale_env"))),
        geoip_hosts=tuple(s.lower() for s in _strings(beh.get("geoip_hosts"))),
        delay_min_ms=float(beh.get("delay_min_ms", 60_000)),
    )
    return CodeConfig(
        rules_version=rules.version,
        max_parse_bytes=values["max_parse_bytes"],
        parse_timeout_ms=values["parse_timeout_ms"],
        python_max_depth=values["python_max_depth"],
        max_findings_per_rule=values["max_findings_per_rule"],
        prefilter_backend=backend,
        prefilter=tuple(patterns),
        call_matchers=tuple(matchers),
        js_network=_strings(sinks.get("javascript_network")),
        js_serializers=_strings(sinks.get("javascript_serializers")),
        py_network=_strings(sinks.get("python_network")),
        py_serializers=_strings(sinks.get("python_serializers")),
        network_methods=frozenset(_strings(sinks.get("methods"))),
        api=ApiNames(
            node_modules=frozenset(_strings(api.get("node_modules"))),
            js_globals=frozenset(_strings(api.get("js_globals"))),
            process_members=frozenset(_strings(api.get("process_members"))),
            deno_namespaces=frozenset(_strings(api.get("deno_namespaces"))),
            python_modules=frozenset(_strings(api.get("python_modules"))),
        ),
        obfuscation=thresholds,
        behaviour=behaviour,
    )
