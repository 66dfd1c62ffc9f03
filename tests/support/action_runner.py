"""A small interpreter of a composite GitHub Action (action.yml), to run the action's own steps locally.

What it does, as the runner would: fills inputs from `with` and the defaults, evaluates `${{ ... }}` expressions
(contexts `inputs`, `env`, `steps.<id>.outputs`, `github`, `runner`; string literals; `==`, `!=`, `&&`, `||`, `!`,
parentheses; `always()`, `success()`, `failure()`), runs each `run:` step with `bash --noprofile --norc -eo
pipefail` and the step's `env`/`working-directory`, gives each step its own GITHUB_OUTPUT file and a shared
GITHUB_STEP_SUMMARY, and resolves the action's `outputs`. `uses:` steps are not run: they are recorded with their
evaluated `with:` values so tests can assert what they would receive.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass
class StepRun:
    id: str | None
    name: str
    skipped: bool = False
    uses: str | None = None
    with_: dict[str, str] = field(default_factory=dict)
    returncode: int = 0
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class ActionRun:
    steps: list[StepRun]
    outputs: dict[str, str]
    summary: str

    @property
    def failed(self) -> bool:
        return any(s.returncode != 0 for s in self.steps)

    @property
    def log(self) -> str:
        return "".join(s.stdout + s.stderr for s in self.steps)

    def step(self, step_id: str) -> StepRun:
        return next(s for s in self.steps if s.id == step_id)

    def uses(self, prefix: str) -> StepRun:
        return next(s for s in self.steps if s.uses and s.uses.startswith(prefix))


_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||!|\(|\))|(?P<name>[A-Za-z_][\w.\-]*\(\)|[A-Za-z_][\w.\-]*))"
)


class _Expr:
    """Recursive descent over: or := and ('||' and)*; and := unary ('&&' unary)*; unary := '!' unary | cmp;
    cmp := atom (('=='|'!=') atom)?; atom := string | name | name() | '(' or ')'."""

    def __init__(self, text: str, lookup: Any, status: dict[str, bool]) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if not match or match.end() == pos:
                raise ValueError(f"unsupported expression: {text!r} at {pos}")
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            pos = match.end()
        self.pos = 0
        self.lookup = lookup
        self.status = status

    def parse(self) -> Any:
        value = self._or()
        if self.pos != len(self.tokens):
            raise ValueError(f"trailing tokens in expression: {self.tokens[self.pos :]}")
        return value

    def _peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def _or(self) -> Any:
        value = self._and()
        while self._peek() == "||":
            self.pos += 1
            right = self._and()
            value = value or right
        return value

    def _and(self) -> Any:
        value = self._unary()
        while self._peek() == "&&":
            self.pos += 1
            right = self._unary()
            value = value and right
        return value

    def _unary(self) -> Any:
        if self._peek() == "!":
            self.pos += 1
            return not self._unary()
        left = self._atom()
        if self._peek() in ("==", "!="):
            op = self._peek()
            self.pos += 1
            right = self._atom()
            equal = str(left).lower() == str(right).lower()  # GitHub compares strings case-insensitively
            return equal if op == "==" else not equal
        return left

    def _atom(self) -> Any:
        kind, text = self.tokens[self.pos]
        self.pos += 1
        if text == "(":
            value = self._or()
            assert self._peek() == ")", "unbalanced parentheses"
            self.pos += 1
            return value
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if text.endswith("()"):
            return {"always()": True, "success()": self.status["success"], "failure()": not self.status["success"]}[
                text
            ]
        if text in ("true", "false"):
            return text == "true"
        return self.lookup(text)


class ActionRunner:
    """Run `action_dir/action.yml` in a simulated GitHub environment rooted at `workspace`, temp files in `temp`."""

    def __init__(self, action_dir: Path, workspace: Path, temp: Path, env: dict[str, str] | None = None) -> None:
        self.action_dir = action_dir
        self.spec = yaml.safe_load((action_dir / "action.yml").read_text(encoding="utf-8"))
        assert self.spec["runs"]["using"] == "composite", "only composite actions are interpreted"
        self.workspace = workspace
        self.temp = temp
        self.env = dict(env or {})

    def run(self, with_: dict[str, str] | None = None) -> ActionRun:
        given = dict(with_ or {})
        unknown = set(given) - set(self.spec.get("inputs") or {})
        assert not unknown, f"inputs not declared in action.yml: {sorted(unknown)}"
        inputs = {name: str(meta.get("default", "")) for name, meta in (self.spec.get("inputs") or {}).items()}
        inputs.update(given)
        self.temp.mkdir(parents=True, exist_ok=True)
        summary = self.temp / "step_summary.md"
        summary.write_text("")
        base_env = {
            **self.env,
            "GITHUB_ACTIONS": "true",
            "CI": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_ACTION_PATH": str(self.action_dir),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_RUN_ID": "1",
            "GITHUB_JOB": "test",
            "RUNNER_TEMP": str(self.temp),
        }
        steps_out: dict[str, dict[str, str]] = {}
        status = {"success": True}
        runs: list[StepRun] = []
        contexts = {
            "inputs": inputs,
            "github": {"action_path": str(self.action_dir), "workspace": str(self.workspace)},
            "runner": {"temp": str(self.temp)},
        }

        def lookup(name: str, step_env: dict[str, str]) -> str:
            head, _, rest = name.partition(".")
            if head == "env":
                return step_env.get(rest, base_env.get(rest, ""))
            if head == "steps":
                step_id, _, output = rest.partition(".outputs.")
                return steps_out.get(step_id, {}).get(output, "")
            table = contexts.get(head)
            if table is None:
                raise ValueError(f"unsupported context in expression: {name}")
            return str(table.get(rest, ""))

        def evaluate(value: Any, step_env: dict[str, str]) -> str:
            def one(match: re.Match[str]) -> str:
                result = _Expr(match.group(1), lambda n: lookup(n, step_env), status).parse()
                return ("true" if result else "false") if isinstance(result, bool) else str(result)

            return re.sub(r"\$\{\{(.*?)\}\}", one, str(value))

        for index, step in enumerate(self.spec["runs"]["steps"]):
            record = StepRun(step.get("id"), step.get("name", f"step {index}"), uses=step.get("uses"))
            runs.append(record)
            condition = step.get("if")
            if condition is not None:
                text = str(condition).strip()
                text = text[3:-2] if text.startswith("${{") else text
                run_it = bool(_Expr(text, lambda n: lookup(n, {}), status).parse())
            else:
                run_it = status["success"]
            if not run_it:
                record.skipped = True
                continue
            step_env = {k: evaluate(v, {}) for k, v in (step.get("env") or {}).items()}
            if "uses" in step:
                record.with_ = {k: evaluate(v, step_env) for k, v in (step.get("with") or {}).items()}
                continue
            assert step.get("shell") == "bash", "every run step must say shell: bash (composite actions require it)"
            output_file = self.temp / f"github_output_{index}"
            output_file.write_text("")
            script = self.temp / f"step_{index}.sh"
            script.write_text(evaluate(step["run"], step_env))
            cwd = self.workspace / evaluate(step.get("working-directory", "."), step_env)
            done = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                cwd=cwd,
                env={**os.environ, **base_env, **step_env, "GITHUB_OUTPUT": str(output_file)},
                capture_output=True,
                text=True,
                timeout=600,
            )
            record.returncode, record.stdout, record.stderr = done.returncode, done.stdout, done.stderr
            record.outputs = parse_outputs(output_file.read_text())
            if record.id:
                steps_out[record.id] = record.outputs
            if done.returncode != 0:
                status["success"] = False
        outputs = {name: evaluate(meta["value"], {}) for name, meta in (self.spec.get("outputs") or {}).items()}
        return ActionRun(runs, outputs, summary.read_text())


def parse_outputs(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT syntax: `name=value` lines and `name<<DELIM` ... `DELIM` blocks."""
    outputs: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, _, delim = line.partition("<<")
            end = lines.index(delim, i + 1)
            outputs[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
            continue
        if "=" in line:
            name, _, value = line.partition("=")
            outputs[name] = value
        i += 1
    return outputs
