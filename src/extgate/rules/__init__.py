"""Rule packs: YAML data in the repository's `rules/` folder, loaded once into an immutable registry."""

from extgate.rules.registry import Rule, RuleRegistry, load_registry

__all__ = ["Rule", "RuleRegistry", "load_registry"]
