"""Factor implementations by rubric id. The rubric (data) decides which run, with what weight and thresholds."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from extgate.scoring.factors.docs import SymbolsDocs
from extgate.scoring.factors.license import HasLicense
from extgate.scoring.factors.metadata import Changelog, Compat, Description, Types
from extgate.scoring.factors.provenance import Provenance
from extgate.scoring.factors.readme import HasReadme, ReadmeExample, RichReadme
from extgate.scoring.factors.repository import Repository
from extgate.scoring.factors.trust import DependencyTrust
from extgate.scoring.interface import Factor
from extgate.scoring.rubric import FactorSpec

# rubric id -> factory (a class taking its rubric entry); every id in scorers/rubric.yaml must be here
FACTORS: Mapping[str, Callable[[FactorSpec], Factor]] = {
    "has-readme": HasReadme,
    "readme-example": ReadmeExample,
    "rich-readme": RichReadme,
    "symbols-docs": SymbolsDocs,
    "description": Description,
    "has-license": HasLicense,
    "repository": Repository,
    "changelog": Changelog,
    "types": Types,
    "compat": Compat,
    "dependency-trust": DependencyTrust,
    "provenance": Provenance,
}

__all__ = ["FACTORS"]
