"""secrets/*: never echo a secret, one finding per secret, the documented second levels and template handling."""

from __future__ import annotations

import re

import pytest
from content_helpers import FIXTURES, fixture_files, of, run

from extgate.model import Finding, Level

SECRET_RULES = ("private-key", "npm-token", "github-token", "aws-key", "slack-token", "npmrc-auth-token", "dotenv-file")
# what the positive fixtures plant: runs of token characters long enough to be the random part of a secret
_VALUE = re.compile(r"[A-Za-z0-9+/_-]{16,}")


def _text(finding: Finding) -> str:
    return " ".join(
        [finding.message, finding.snippet or "", finding.evidence or "", *map(str, finding.properties.values())]
    )


@pytest.mark.parametrize("slug", [*SECRET_RULES, "high-entropy-assignment"])
def test_no_finding_repeats_a_secret(slug: str) -> None:
    files = fixture_files(FIXTURES / slug / "positive")
    findings = [f for f in run(files) if f.rule_id.startswith("secrets/")]
    assert findings
    planted = {
        m.group()
        for data in files.values()
        for m in _VALUE.finditer(data.decode())
        if re.search(r"[0-9]", m.group()) and re.search(r"[a-z]", m.group())  # random parts, not NAMES_LIKE_THIS
    }
    assert planted
    for finding in findings:
        for value in planted:
            assert value[6:] not in _text(finding), (finding.rule_id, value)  # a 6-character prefix may show
        if finding.evidence is not None:
            assert finding.evidence.startswith("sha256:")


def test_aws_key_id_is_an_error_with_its_secret_and_a_warning_alone() -> None:
    findings = of(run(fixture_files(FIXTURES / "aws-key" / "positive")), "secrets/aws-key")
    levels = {f.path: f.level for f in findings}
    assert levels == {"src/s3.js": Level.ERROR, "config/sts.json": Level.WARNING}
    by_path = {f.path: f for f in findings}
    assert by_path["src/s3.js"].properties["with_secret"] is True
    assert "Deactivate the key in IAM" in by_path["src/s3.js"].message


def test_a_secret_is_reported_once_by_its_most_specific_rule() -> None:
    token = "npm_Vt3k8QpZr2LmX9aWc4Hn7YsB1dFgJ6uE0oTi"
    findings = run({"src/a.js": f'const authToken = "{token}";\n'})
    assert [f.rule_id for f in findings] == ["secrets/npm-token"]
    aws = run(fixture_files(FIXTURES / "aws-key" / "positive"))
    assert of(aws, "secrets/high-entropy-assignment") == []  # the secret access key belongs to the aws-key hit


def test_a_long_line_holding_a_key_does_not_show_it() -> None:
    files = fixture_files(FIXTURES / "private-key" / "positive")
    (long_line,) = of(run({"src/key.js": files["src/key.js"]}), "content/long-line")
    assert long_line.snippet is not None and "withheld" in long_line.snippet


def test_dotenv_lists_names_not_values() -> None:
    (finding,) = of(run({".env": "API_TOKEN=Zq9Xw8Vu7Ts6R5q4\nPORT=3000\nEMPTY=\n"}), "secrets/dotenv-file")
    assert "API_TOKEN" in finding.message and "PORT" in finding.message and "EMPTY" not in finding.message
    assert "Zq9Xw8" not in _text(finding) and finding.properties["variables"] == 2
    assert (finding.line, finding.level) == (1, Level.ERROR)


@pytest.mark.parametrize(
    ("name", "content", "reported"),
    [
        (".env.example", "API_TOKEN=\nPORT=3000\n", False),
        (".env.example", "API_TOKEN=Zq9Xw8Vu7Ts6R5q4\n", True),
        (".env.template", "API_TOKEN=<your-token>\n", False),
        (".env.local", "PORT=3000\n", True),  # not a template: any value is reported
        ("deploy/prod.env", "PORT=3000\n", True),
        (".env", "# nothing set yet\nAPI_TOKEN=\n", False),
        (".envrc", "export API_TOKEN=Zq9Xw8Vu7Ts6R5q4\n", False),  # direnv file, not a dotenv file
    ],
)
def test_dotenv_templates(name: str, content: str, reported: bool) -> None:
    assert bool(of(run({name: content}), "secrets/dotenv-file")) is reported


@pytest.mark.parametrize(
    "line",
    [
        "//registry.npmjs.org/:_authToken=${NPM_TOKEN}",
        "//registry.npmjs.org/:_authToken=${NPM_TOKEN:-}",
        "registry=https://registry.npmjs.org/",
        "; _authToken=Zq9Xw8Vu7Ts6R5q4 (commented out)",
    ],
)
def test_npmrc_environment_references_are_fine(line: str) -> None:
    assert of(run({".npmrc": line + "\n"}), "secrets/npmrc-auth-token") == []


@pytest.mark.parametrize(
    ("text", "reported"),
    [
        ('password = "Zq9Xw8Vu7Ts6"', True),
        ("password = 'Zq9Xw8Vu7Ts6'", True),
        ("password: `Zq9Xw8Vu7Ts6`", True),
        ('opts.apiKey ??= "Zq9Xw8Vu7Ts6"', True),
        ('password == "Zq9Xw8Vu7Ts6"', False),  # a comparison, not an assignment
        ('password = "Zq9Xw8"', False),  # too short
        ('password = "aaaaaaaaaaaa1"', False),  # low entropy
        ('password = "CorrectHorseBatteryStaple"', False),  # letters only: a word, by shape
        ('passwordHint = "Zq9Xw8Vu7Ts6"', False),  # the keyword must end the name
        ('author = "Zq9Xw8Vu7Ts6"', False),
        ('token = "v12.4.1-rc.3"', False),  # a version
        ('token = "<paste-token-here>"', False),
        ('token = "${{ secrets.TOKEN }}"', False),
    ],
)
def test_high_entropy_assignment_shapes(text: str, reported: bool) -> None:
    findings = of(run({"src/a.ts": text + "\n"}), "secrets/high-entropy-assignment")
    assert bool(findings) is reported
    if findings:
        assert findings[0].level is Level.WARNING and findings[0].location is not None
        assert findings[0].location.column == 1


def test_unquoted_values_only_count_in_config_files() -> None:
    assert of(run({"config/app.ini": "password = Zq9Xw8Vu7Ts6\n"}), "secrets/high-entropy-assignment")
    assert not of(run({"src/app.js": "password = Zq9Xw8Vu7Ts6\n"}), "secrets/high-entropy-assignment")


def test_policy_can_raise_the_entropy_threshold() -> None:
    from content_helpers import policy

    text = 'password = "Zq9Xw8Vu7Ts6"\n'
    assert of(run({"a.js": text}), "secrets/high-entropy-assignment")
    assert not of(run({"a.js": text}, policy_=policy(min_secret_entropy=4.5)), "secrets/high-entropy-assignment")
