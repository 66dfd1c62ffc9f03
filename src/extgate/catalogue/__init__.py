"""The registry's catalogue: what was published, what each version installs, and re-audits when advisories land."""
