"""npm's script strings split the way `sh -c` reads them: the simple commands of every pipeline.

One reading for every rule that asks what an install script runs (manifest/install-script-payload: inline code
and downloads; the code gate: files handed to `node`). Commands are separated by `;`, `&&`, `||`, `&` and
newlines, pipelines by `|`; `sh -c "..."` and `$(...)` / backticks are read recursively (bounded). Unbalanced
quotes end the script where they start (the shell refuses such a script, so nothing after them runs).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass

MAX_DEPTH = 3
MAX_TOKENS = 2_000
# what is read of one script: real install scripts are a line or two; past this the caller must say it stopped
# (manifest/install-script-payload does: a script this long is itself the finding)
MAX_SCRIPT = 16_384
_PUNCTUATION = "|&;()<>\n"  # shlex returns runs of these as one token (`;\n`, `&&`, `>>`)
_WRAPPERS = frozenset({"env", "sudo", "exec", "command", "nohup", "time"})
_SHELLS = frozenset({"sh", "bash", "zsh", "dash"})
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=.*")
_SUBSTITUTION = re.compile(r"\$\(([^()]*)\)|`([^`]*)`")


@dataclass(frozen=True, slots=True)
class Command:
    """One simple command: `program` is the executable's base name, lower-cased, without `.exe` (`/usr/bin/node`
    and `NODE.EXE` are both `node`); `args` are its words after it; `env` the VAR=value words before it
    (env/sudo/exec/... wrappers are skipped)."""

    program: str
    args: tuple[str, ...]
    env: tuple[str, ...] = ()
    word: str = ""  # the program as written (`./scripts/install.sh`)


Pipeline = tuple[Command, ...]


def program_name(word: str) -> str:
    return word.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].lower().removesuffix(".exe")


def pipelines(script: str, depth: int = 0) -> Iterator[Pipeline]:
    """Every pipeline the script runs, in order: command substitutions first, then each pipeline followed by the
    pipelines of the `sh -c` scripts it runs."""
    if depth > MAX_DEPTH:
        return
    script = script[:MAX_SCRIPT]
    for match in _SUBSTITUTION.finditer(script):
        yield from pipelines(match.group(1) or match.group(2) or "", depth + 1)
    for words in _split(_tokens(script)):
        pipeline = tuple(c for c in (_command(w) for w in words) if c is not None)
        yield pipeline
        for command in pipeline:
            nested = _shell_code(command)
            if nested is not None:
                yield from pipelines(nested, depth + 1)


def shell_files(script: str) -> list[str]:
    """Files the script hands to a shell to run: `sh install.sh`, `bash ./x.sh arg`, `. ./env.sh`, `source x`, and
    files run directly by path (`./install.sh`, `scripts/setup`), in order, without duplicates. `sh -c CODE`
    is inline code (read by `pipelines`), not a file."""
    found: list[str] = []
    for command in commands(script):
        if command.program in _SHELLS | {"ksh", "source", "."}:
            if _shell_code(command) is not None:
                continue
            target = next((a for a in command.args if not a.startswith("-")), None)
        else:
            target = command.word if "/" in command.word and not command.word.startswith("/") else None
        if target and target not in found:
            found.append(target)
    return found


def commands(script: str) -> Iterator[Command]:
    """Every simple command of `pipelines(script)`."""
    for pipeline in pipelines(script):
        yield from pipeline


def option(args: tuple[str, ...], flags: frozenset[str] | tuple[str, ...]) -> tuple[str, str] | None:
    """The first of `flags` (lower-case) among `args` and its value: `-e CODE`, `--eval CODE`, `--eval=CODE`
    (a flag given last has the value ""). None when no flag is there."""
    for i, arg in enumerate(args):
        name, equals, value = arg.partition("=")
        if arg.lower() in flags:
            return arg, args[i + 1] if i + 1 < len(args) else ""
        if equals and name.startswith("--") and name.lower() in flags:
            return name, value
    return None


def words(text: str) -> list[str]:
    """`text` split into shell words (quotes removed), as NODE_OPTIONS and the like are read."""
    return [t for t in _tokens(text) if not _is_punctuation(t)]


def _is_punctuation(token: str) -> bool:
    return bool(token) and all(c in _PUNCTUATION for c in token)


def _tokens(script: str) -> list[str]:
    lexer = shlex.shlex(script, posix=True, punctuation_chars=_PUNCTUATION)
    lexer.whitespace_split = True
    lexer.whitespace = " \t\r"  # a newline ends a command, as `;` does
    lexer.commenters = ""  # `# ...` is left in: reading a comment as commands can only report more
    out: list[str] = []
    try:
        for token in lexer:
            out.append(token)
            if len(out) > MAX_TOKENS:
                break
    except ValueError:  # unbalanced quotes: what came before them is still read
        pass
    return out


def _split(tokens: list[str]) -> Iterator[list[list[str]]]:
    """Tokens -> pipelines -> commands -> words."""
    pipeline: list[list[str]] = [[]]
    for token in tokens:
        if not _is_punctuation(token):
            pipeline[-1].append(token)
        elif token in ("|", "|&"):
            pipeline.append([])
        elif token == "||" or any(c in token for c in ";&\n"):  # ; && & and newlines end the pipeline
            yield pipeline
            pipeline = [[]]
        # else a redirection or a parenthesis: not a word of any command
    yield pipeline


def _command(words: list[str]) -> Command | None:
    env: list[str] = []
    for i, word in enumerate(words):
        if _ASSIGNMENT.fullmatch(word):
            env.append(word)
            continue
        name = program_name(word)
        if name in _WRAPPERS:
            continue
        return Command(name, tuple(words[i + 1 :]), tuple(env), word)
    return None


def _shell_code(command: Command) -> str | None:
    """The script of `sh -c SCRIPT` (also with combined flags: `bash -lc SCRIPT`)."""
    if command.program not in _SHELLS:
        return None
    for i, arg in enumerate(command.args):
        if arg.startswith("-") and not arg.startswith("--") and "c" in arg[1:]:
            return command.args[i + 1] if i + 1 < len(command.args) else None
    return None
