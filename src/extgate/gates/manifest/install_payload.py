"""`manifest/install-script-payload`: install scripts that run inline code or download and run code.

The script is read the way `sh -c` reads it (extgate.shellwords: pipelines of simple commands, `sh -c "..."` and
`$(...)` / backticks recursively). What counts: `node -e/-p/--eval`, `deno eval`, `python -c`,
`powershell -enc/-c`, downloads (`curl`, `wget`, `Invoke-WebRequest`, `npx`/`dlx` of a package), and a download
piped into a shell or interpreter (`curl | sh`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator

from extgate import shellwords
from extgate.gates.code import analyze_file, build_config
from extgate.gates.manifest.interface import Scope
from extgate.gates.manifest.npm import install_scripts
from extgate.gates.manifest.parse import escape
from extgate.model import Finding, truncate

RULE = "manifest/install-script-payload"
_INTERPRETERS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "node", "nodejs", "python", "python3", "perl", "ruby",
                           "iex", "invoke-expression", "powershell", "pwsh", "bun", "deno"})  # fmt: skip
_DOWNLOADERS = frozenset({"curl", "wget", "fetch", "iwr", "irm", "invoke-webrequest", "invoke-restmethod", "aria2c"})
_RUNNERS = frozenset({"npx", "bunx", "pnpx"})
_EVAL_FLAGS = {
    "node": ("-e", "--eval", "-p", "--print"),
    "nodejs": ("-e", "--eval", "-p", "--print"),
    "bun": ("-e", "--eval", "-p", "--print"),
    "python": ("-c",),
    "python3": ("-c",),
    "perl": ("-e", "-E"),
    "ruby": ("-e",),
    "powershell": ("-c", "-command", "-enc", "-encodedcommand", "-e"),
    "pwsh": ("-c", "-command", "-enc", "-encodedcommand", "-e"),
}
_JS = frozenset({"node", "nodejs", "bun"})


InlineCheck = Callable[[str], str | None]


def payloads(script: str, inline_js: InlineCheck | None = None) -> list[str]:
    """Descriptions of what the script runs inline or downloads, in order, without duplicates. `inline_js(code)`
    says what inline JavaScript does (None: it only loads packaged files, like core-js's
    `node -e "try{require('./postinstall')}catch(e){}"`); without it every inline script counts."""
    found: list[str] = []
    if len(script) > shellwords.MAX_SCRIPT:
        found.append(
            f"is {len(script):,} characters long, more than extgate reads of a script ({shellwords.MAX_SCRIPT:,}): "
            "what it runs past that point is unseen"
        )
    for pipeline in shellwords.pipelines(script):
        downloaded = False
        for command, args in ((c.program, c.args) for c in pipeline):
            if downloaded and command in _INTERPRETERS:
                found.append(f"`{command}` runs what was just downloaded (download piped into a shell)")
            if command in _DOWNLOADERS:
                downloaded = True
                found.append(f"`{command}` downloads code at install time")
            elif command in _RUNNERS or (command in ("pnpm", "yarn") and args[:1] == ("dlx",)):
                found.append(f"`{command}` fetches and runs a package that is not a declared dependency")
            elif command == "deno" and args[:1] == ("eval",):
                found.append("`deno eval` runs inline code")
            elif (inline := shellwords.option(args, _EVAL_FLAGS.get(command, ()))) is not None:
                flag, code = inline
                if command in _JS and inline_js is not None:
                    does = inline_js(code)
                    if does is not None:
                        found.append(f"`{command} {flag}` runs inline code that {does}")
                else:
                    found.append(f"`{command} {flag}` runs inline code")
    return list(dict.fromkeys(found))


_MAX_FILE_DEPTH = 2  # install.sh runs lib/setup.sh runs ...: followed this deep


def file_payloads(scope: Scope, folder: str, script: str, inline_js: InlineCheck | None, depth: int = 0) -> list[str]:
    """What the packaged shell scripts an install script runs do (`sh install.sh` -> its `curl | sh`), each
    description prefixed with the file. The files are in the archive, but a reader of package.json sees only
    their names; a file that is not shipped is no payload of the package (the shell fails on it)."""
    found: list[str] = []
    for target in shellwords.shell_files(script):
        path = posixpath.normpath(posixpath.join(folder, target))
        if path.startswith("../") or path == "..":
            continue
        entry = scope.ctx.package.get(path)
        shebang = (entry.data or b"")[:256].split(b"\n", 1)[0] if entry is not None else b""
        if entry is None or entry.data is None or (shebang.startswith(b"#!") and b"node" in shebang):
            continue  # absent, or a node script: the code gate analyses those (loaded.py)
        text = entry.data.decode("utf-8", "replace")
        found += (f"runs {target}, where {what}" for what in payloads(text, inline_js))
        if entry.truncated:
            found.append(
                f"runs {target}, which is larger than extgate reads of a file: what it does past that is unseen"
            )
        if depth < _MAX_FILE_DEPTH:
            found += file_payloads(scope, folder, text, inline_js, depth + 1)  # paths stay relative to the cwd
    return list(dict.fromkeys(found))


def inline_checker(scope: Scope) -> InlineCheck:
    """What inline JS does, from the real code analysis: its findings, capability APIs and non-relative imports.
    None when it only loads files of the package (which the code gate scans like any other file)."""
    config = build_config(scope.ctx.rules, lambda key, default: default)

    def check(code: str) -> str | None:
        result = analyze_file("<inline>.js", ".js", code.encode("utf-8", "replace"), config)
        rules = sorted({f.rule_id for f in result.findings})
        apis = sorted({use.api for use in result.api_uses})
        outside = sorted({i.specifier for i in result.imports if not i.specifier.startswith((".", "/"))})
        if result.skip_reason and result.skip_reason != "no-prefilter-hit":
            return f"could not be analysed ({result.skip_reason})"
        parts = [*(f"triggers {r}" for r in rules), *(f"uses {a}" for a in apis), *(f"loads {m}" for m in outside)]
        return ", ".join(parts[:4]) if parts else None

    return check


def check_install_payloads(scope: Scope, owner: str = "", folder: str = "") -> Iterator[Finding]:
    """The findings for `scope`'s install scripts; `owner` / `folder` name a bundled dependency's manifest
    ("bundled dependency x", "node_modules/x") when it is one."""
    inline_js = inline_checker(scope)
    for hook, script in install_scripts(scope):
        found = payloads(script, inline_js=inline_js) + file_payloads(scope, folder, script, inline_js)
        if found:
            yield scope.at(
                RULE,
                f"{owner + ': ' if owner else ''}scripts.{hook} {'; '.join(found)}: {truncate(script, 100)!r}. Code "
                "that is not in the package runs on every installing machine, invisible to review and to this "
                "scan. Ship the code in the package instead.",
                f"/scripts/{escape(hook)}",
                snippet=script,
                evidence=f"{folder}/scripts/{hook}:{script}",
                properties={"payloads": found},
            )
