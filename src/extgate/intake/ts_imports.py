"""Relative `import ... from` / `export ... from` specifiers of a TypeScript module, read with tree-sitter (a keyword
in a comment or a string is not an import).

swamp bundles the local modules an entry point reaches through such statements (its resolver matches
`import|export ... from "./x"`); side-effect imports (`import "./x"`) and dynamic `import()` are not followed by
swamp, so they are not followed here either.
"""

from __future__ import annotations

import posixpath

from extgate.lang import parser_for


def relative_specifiers(source: bytes) -> list[str]:
    tree = parser_for("typescript").parse(source)
    found: list[str] = []
    for node in tree.root_node.named_children:
        if node.type not in ("import_statement", "export_statement"):
            continue
        spec = node.child_by_field_name("source")
        if spec is None or not any(child.type == "from" for child in node.children):
            continue
        text = (spec.text or b"").decode("utf-8", "replace")[1:-1]
        if text.startswith(("./", "../")):
            found.append(text)
    return found


def resolve(importer: str, specifier: str) -> str:
    """swamp's rule: relative to the importer's folder; `.ts` appended unless it ends in .ts or .js."""
    target = posixpath.normpath(posixpath.join(posixpath.dirname(importer), specifier))
    if not target.endswith((".ts", ".js")):
        target += ".ts"
    return target
