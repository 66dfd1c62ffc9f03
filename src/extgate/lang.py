"""Tree-sitter languages from the per-language grammar wheels (tree-sitter-languages is unmaintained and breaks
with tree-sitter >= 0.22). Language objects are immutable and cached; create a Parser per use (not thread-safe)."""

from __future__ import annotations

from functools import cache

import tree_sitter_javascript
import tree_sitter_typescript
from tree_sitter import Language, Parser

# suffix -> grammar name
GRAMMAR_FOR_SUFFIX = {
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".d.ts": "typescript",
    ".tsx": "tsx",
}


@cache
def language(name: str) -> Language:
    if name == "javascript":
        return Language(tree_sitter_javascript.language())
    if name == "typescript":
        return Language(tree_sitter_typescript.language_typescript())
    if name == "tsx":
        return Language(tree_sitter_typescript.language_tsx())
    raise ValueError(f"no tree-sitter grammar for {name!r}")


def parser_for(name: str) -> Parser:
    return Parser(language(name))
