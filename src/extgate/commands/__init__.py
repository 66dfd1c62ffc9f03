"""CLI commands. Each module defines `register(subparsers)` which adds its subparser and sets `handler=run`;
`run(args) -> int` returns the exit code. Modules are discovered automatically by `extgate.cli`."""


class UsageError(Exception):
    """Bad arguments or configuration: exit code 2."""
