"""Dependency trust: which dependencies will install, their OSV advisories and registry signals.

Roles, one module each (pip-audit layout): `sources` (what the package declares), `resolve` (what npm would
install), `osv` (advisory sources: API and offline DB), `match` (OSV schema matching), `severity`, `signals`
(registry trust signals), `cache` (SQLite), `audit` (the async pipeline the gate runs).
"""
