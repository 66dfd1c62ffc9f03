"""README factors: has-readme (real text at the root), readme-example (a usage code block), rich-readme."""

from __future__ import annotations

from extgate.model import FactorResult
from extgate.scoring.interface import BaseFactor, ScoringContext
from extgate.scoring.readme import CodeBlock, Readme

NO_README = "no README at the package root"


class HasReadme(BaseFactor):
    def evaluate(self, ctx: ScoringContext) -> FactorResult:
        readme = ctx.readme
        if readme is None:
            return self.missed(NO_README)
        reason = ctx.readme_problem
        if reason:
            return self.missed(
                f"{readme.path}: {reason}",
                hint=f"Replace {readme.path} with real documentation: what the extension does and how to use it.",
            )
        return self.earned(f"{readme.path} ({readme.length} characters)")


class ReadmeExample(BaseFactor):
    def evaluate(self, ctx: ScoringContext) -> FactorResult:
        readme = ctx.readme
        if readme is None:
            return self.missed(NO_README)
        if ctx.readme_problem:
            return self.missed(f"{readme.path} is scaffold text or a stub")
        prefixes = self.spec.strings("install_prefixes")
        usage = [b for b in readme.code_blocks if b.content.strip() and not _install_only(b, prefixes)]
        if usage:
            lang = usage[0].info.split()[0] if usage[0].info else "plain"
            return self.earned(f"{len(usage)} usage code block(s) in {readme.path} (first: {lang})")
        if readme.code_blocks:
            return self.missed(
                f"the code blocks in {readme.path} only show installation",
                hint="Add a fenced code block that shows the extension in use (a call, a config, a command run).",
            )
        return self.missed(f"no fenced code block in {readme.path}")


def _install_only(block: CodeBlock, prefixes: tuple[str, ...]) -> bool:
    lines = [ln.strip().lower() for ln in block.content.splitlines()]
    commands = [ln for ln in lines if ln and not ln.startswith(("#", "//"))]
    return bool(commands) and all(ln.startswith(prefixes) for ln in commands)


class RichReadme(BaseFactor):
    def evaluate(self, ctx: ScoringContext) -> FactorResult:
        readme = ctx.readme
        if readme is None:
            return self.missed(NO_README)
        if ctx.readme_problem:
            return self.missed(f"{readme.path} is scaffold text or a stub")
        min_chars = int(self.spec.setting("min_chars", 500))
        min_blocks = int(self.spec.setting("min_code_blocks", 2))
        blocks = len(readme.code_blocks)
        sections = _install_and_usage(
            readme, self.spec.strings("install_headings"), self.spec.strings("usage_headings")
        )
        found = (
            f"{readme.length} characters, {blocks} code block(s), install+usage sections: {'yes' if sections else 'no'}"
        )
        if readme.length < min_chars:
            return self.missed(
                found, hint=f"Expand {readme.path} to at least {min_chars} characters (it has {readme.length})."
            )
        if blocks < min_blocks and not sections:
            return self.missed(
                found,
                hint=f"Add {min_blocks - blocks} more code block(s) to {readme.path}, or Install and Usage sections.",
            )
        return self.earned(found)


def _install_and_usage(readme: Readme, install: tuple[str, ...], usage: tuple[str, ...]) -> bool:
    """Two different headings: one about installing, one about using."""
    install_at = readme.heading_indexes(install)
    return any(j not in install_at or len(install_at) > 1 for j in readme.heading_indexes(usage)) and bool(install_at)
