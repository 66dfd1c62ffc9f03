"""`manifest/install-script-payload`: install scripts that run inline code or download and run code.

The script is split the way a POSIX shell reads it (shlex with shell punctuation): commands separated by `;`,
`&&`, `||`, `&`, pipelines by `|`, `sh -c "..."` and `$(...)` / backticks analysed recursively (bounded). What
counts: `node -e/-p/--eval`, `deno eval`, `python -c`, `powershell -enc/-c`, downloads (`curl`, `wget`,
`Invoke-WebRequest`, `npx`/`dlx` of a package), and a download piped into a shell or interpreter (`curl | sh`).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping

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


def payloads(script: str, depth: int = 0) -> list[str]:
    """Descriptions of what the script runs inline or downloads, in order, without duplicates."""
    found: list[str] = []
    if depth > _MAX_DEPTH:
        return found
    for match in _SUBSTITUTION.finditer(script):
        found += payloads(match.group(1) or match.group(2) or "", depth + 1)
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
                flag = next(a for a in args if a.lower() in _EVAL_FLAGS[command])
                found.append(f"`{command} {flag}` runs inline code")
            if command in ("sh", "bash", "zsh", "dash") and "-c" in args:
                index = args.index("-c")
                if index + 1 < len(args):
                    found += payloads(args[index + 1], depth + 1)
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


def check_install_payloads(scope: Scope) -> Iterator[Finding]:
    hooks = scope.ctx.rules.data("manifest").get("install_scripts", ("preinstall", "install", "postinstall"))
    scripts = scope.data.get("scripts")
    declared: Mapping[str, object] = scripts if isinstance(scripts, Mapping) else {}
    for hook in hooks:
        script = declared.get(hook)
        if not isinstance(script, str):
            continue
        found = payloads(script)
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
