"""The Verdaccio fixture itself: publish with real npm, deprecate, read the packument back."""

from __future__ import annotations

import pytest

from support.verdaccio import Verdaccio

pytestmark = pytest.mark.verdaccio


def test_publish_and_deprecate_round_trip(verdaccio: Verdaccio) -> None:
    verdaccio.publish_package(
        {"name": "fixture-roundtrip", "version": "1.0.0", "license": "MIT"},
        {"index.js": "module.exports = 1;\n"},
    )
    verdaccio.publish_package({"name": "fixture-roundtrip", "version": "1.1.0", "license": "MIT"})
    verdaccio.deprecate("fixture-roundtrip@1.0.0", "use 1.1.0")
    doc = verdaccio.packument("fixture-roundtrip")
    assert doc["dist-tags"]["latest"] == "1.1.0"
    assert doc["versions"]["1.0.0"]["deprecated"] == "use 1.1.0"
    assert "deprecated" not in doc["versions"]["1.1.0"]
    assert set(doc["time"]) >= {"1.0.0", "1.1.0"}


def test_scoped_package(verdaccio: Verdaccio) -> None:
    verdaccio.publish_package({"name": "@fixture/scoped", "version": "0.1.0"})
    assert verdaccio.packument("@fixture/scoped")["name"] == "@fixture/scoped"
