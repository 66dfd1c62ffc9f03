"""`manifest/install-script-payload`: install scripts that run inline code or download and run code.

The script is split the way a POSIX shell reads it (shlex with shell punctuation): commands separated by `;`,
`&&`, `||`, `&`, pipelines by `|`, `sh -c "..."` and `$(...)` / backticks analysed recursively (bounded). What
counts: `node -e/-p/--eval`, `deno eval`, `python -c`, `powershell -enc/-c`, downloads (`curl`, `wget`,
`Invoke-WebRequest`, `npx`/`dlx` of a package), and a download piped into a shell or interpreter (`curl | sh`).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator, Mapping

from extgate.gates.code import analyze_file, build_config
from extgate.gates.manifest.interface import Scope
from extgate.gates.manifest.parse import escape
from extgate.model import Finding, truncate

RULE = "manifest/install-script-payload"
_MAX_DEPTH = 3
_MAX_TOKENS = 2_000
_SEPARATORS = frozenset({";", "&&", "||", "&", "\n"})
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
_SUBSTITUTION = re.compile(r"\$\(([^()]*)\)|`([^`]*)`")


def _name(word: str) -> str:
    return word.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].lower().removesuffix(".exe")


def _tokens(script: str) -> list[str] | None:
    lexer = shlex.shlex(script, posix=True, punctuation_chars="|&;()<>")
    lexer.whitespace_split = True
    lexer.commenters = ""
    out: list[str] = []
    try:
        for token in lexer:
            out.append(token)
            if len(out) > _MAX_TOKENS:
                break
    except ValueError:  # unbalanced quotes: the shell would refuse it too; analyse what we have
        return out or None
    return out


InlineCheck = Callable[[str], str | None]


def payloads(script: str, depth: int = 0, inline_js: InlineCheck | None = None) -> list[str]:
    """Descriptions of what the script runs inline or downloads, in order, without duplicates. `inline_js(code)`
    says what inline JavaScript does (None: it only loads packaged files, like core-js's
    `node -e "try{require('./postinstall')}catch(e){}"`); without it every inline script counts."""
    found: list[str] = []
    if depth > _MAX_DEPTH:
        return found
    for match in _SUBSTITUTION.finditer(script):
        found += payloads(match.group(1) or match.group(2) or "", depth + 1, inline_js)
    tokens = _tokens(script) or []
    pipeline: list[list[str]] = [[]]
    pipelines: list[list[list[str]]] = []
    for token in tokens:
        if token in _SEPARATORS:
            pipelines.append(pipeline)
            pipeline = [[]]
        elif token == "|":
            pipeline.append([])
        elif token not in ("(", ")", "<", ">", ">>", "2>", "&>"):
            pipeline[-1].append(token)
    pipelines.append(pipeline)
    for commands in pipelines:
        downloaded = False
        for words in commands:
            program = _command(words)
            if program is None:
                continue
            command, args = program
            if downloaded and command in _INTERPRETERS:
                found.append(f"`{command}` runs what was just downloaded (download piped into a shell)")
            if command in _DOWNLOADERS:
                downloaded = True
                found.append(f"`{command}` downloads code at install time")
            elif command in _RUNNERS or (command in ("pnpm", "yarn") and args[:1] == ["dlx"]):
                found.append(f"`{command}` fetches and runs a package that is not a declared dependency")
            elif command == "deno" and args[:1] == ["eval"]:
                found.append("`deno eval` runs inline code")
            elif command in _EVAL_FLAGS and any(a.lower() in _EVAL_FLAGS[command] for a in args):
                index = next(i for i, a in enumerate(args) if a.lower() in _EVAL_FLAGS[command])
                code = args[index + 1] if index + 1 < len(args) else ""
                if command in _JS and inline_js is not None:
                    does = inline_js(code)
                    if does is not None:
                        found.append(f"`{command} {args[index]}` runs inline code that {does}")
                else:
                    found.append(f"`{command} {args[index]}` runs inline code")
            if command in ("sh", "bash", "zsh", "dash") and "-c" in args:
                index = args.index("-c")
                if index + 1 < len(args):
                    found += payloads(args[index + 1], depth + 1, inline_js)
    return list(dict.fromkeys(found))


def _command(words: list[str]) -> tuple[str, list[str]] | None:
    """The program a simple command runs and its arguments (skipping VAR=value, env, sudo, exec)."""
    for i, word in enumerate(words):
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", word):
            continue
        name = _name(word)
        if name in ("env", "sudo", "exec", "command", "nohup", "time"):
            continue
        return name, words[i + 1 :]
    return None


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


def check_install_payloads(scope: Scope) -> Iterator[Finding]:
    hooks = scope.ctx.rules.data("manifest").get("install_scripts", ("preinstall", "install", "postinstall"))
    scripts = scope.data.get("scripts")
    declared: Mapping[str, object] = scripts if isinstance(scripts, Mapping) else {}
    for hook in hooks:
        script = declared.get(hook)
        if not isinstance(script, str):
            continue
        found = payloads(script, inline_js=inline_checker(scope))
        if not found:
            continue
        yield scope.at(
            RULE,
            f"scripts.{hook} {'; '.join(found)}: {truncate(script, 100)!r}. Code that is not in the package runs on "
            "every installing machine, invisible to review and to this scan. Ship the code in the package instead.",
            f"/scripts/{escape(hook)}",
            snippet=script,
            evidence=f"/scripts/{hook}:{script}",
            properties={"payloads": found},
        )
