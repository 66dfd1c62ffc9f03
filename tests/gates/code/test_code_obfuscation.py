"""code/obfuscated vs code/minified, on generated obfuscator output and real minified code (tests/fixtures/code)."""

from __future__ import annotations

import random
import re

import pytest
from code_support import config, fixture, levels, scan

from extgate.gates.code import obfuscation
from extgate.gates.code.obfuscation import classify, is_minified
from extgate.model import Level

OBF = "code/obfuscated"
MIN = "code/minified"


@pytest.mark.parametrize(
    ("name", "signal"),
    [
        ("obfuscator-default.js", "string-array rotation"),  # javascript-obfuscator 5.8, default options
        ("obfuscator-mangled.js", "string-array rotation"),  # mangled names: no _0x identifiers
        ("obfuscator-unicode.js", "string-array rotation"),
        ("obfuscator-base64.js", "string-array rotation"),
        ("obfuscator-no-string-array.js", "hex numeric literals"),  # no marker: two weak signals
        ("jsfuck.js", "JSFuck"),
    ],
)
def test_obfuscated_fixtures(name: str, signal: str) -> None:
    found = scan(f"dist/{name}", fixture(f"obfuscated/{name}"), OBF)
    assert levels(found) == [Level.ERROR]
    assert any(signal in s for s in found[0].properties["signals"])
    assert scan(f"dist/{name}", fixture(f"obfuscated/{name}"), MIN) == []  # not also called minified


def test_source_of_the_obfuscated_samples_is_clean() -> None:
    for name in ("SOURCE-small.js.txt", "SOURCE-medium.js.txt"):
        assert scan("src/index.js", fixture(f"obfuscated/{name}"), OBF) == []


def test_packer() -> None:
    packed = (
        "eval(function(p,a,c,k,e,d){e=function(c){return c};if(!''.replace(/^/,String)){while(c--){d[c]=k[c]||c}"
        "k=[function(e){return d[e]}];e=function(){return'\\\\w+'};c=1};while(c--){if(k[c]){p=p.replace(new "
        "RegExp('\\\\b'+e(c)+'\\\\b','g'),k[c])}}return p}('0 1=2(\\'3\\');',4,4,'var|cp|require|child_process'"
        ".split('|'),0,{}))\n"
    )
    found = scan("p.js", packed, OBF)
    assert found[0].properties["signals"] == ("Dean Edwards packer",)
    assert (found[0].location.line, found[0].location.column) == (1, 1)  # type: ignore[union-attr]


def test_hex_identifiers_alone_are_enough() -> None:
    body = ";".join(f"var _0x{i:04x}a=_0x{i + 1:04x}a+{i}" for i in range(40))
    found = scan("h.js", body, OBF)
    assert found and "_0x identifiers" in found[0].properties["signals"][0]


@pytest.mark.parametrize(
    "name",
    [
        "minified/sha256.min.js",  # js-sha256 1.0.0 (MIT): a real minified build
        "minified/emoji-regex.mjs",  # emoji-regex 11 (MIT): 148 \u escapes per KiB, one weak signal only
    ],
)
def test_real_minified_code_is_only_minified(name: str) -> None:
    data = fixture(name)
    assert scan(name, data, OBF) == []
    assert levels(scan(name, data, MIN)) == [Level.NOTE]


def test_one_weak_signal_is_not_obfuscation() -> None:
    table = "const CRC = [" + ",".join(f"0x{(i * 2654435761) & 0xFFFFFFFF:08x}" for i in range(256)) + "];\n"
    code = table + "export function crc(b) { let c = ~0; for (const x of b) c = CRC[(c ^ x) & 0xff] ^ (c >>> 8); }\n"
    assert scan("crc.js", code, OBF) == []


def test_readable_source_is_neither() -> None:
    src = "\n".join(f"export function add{i}(a, b) {{\n  return a + b + {i};\n}}\n" for i in range(60))
    assert scan("lib.js", src) == []


def test_small_payload_appended_to_a_clean_bundle_is_not_diluted() -> None:
    clean = "\n".join(f"function f{i}(a){{return a.value+{i}}}" for i in range(6000))  # ~200 KB
    payload = fixture("obfuscated/obfuscator-no-string-array.js").decode()
    found = scan("dist/bundle.js", clean + "\n" + payload, OBF)
    assert levels(found) == [Level.ERROR]
    assert found[0].location is not None and found[0].location.line == 6001


def test_minified_thresholds() -> None:
    limits = config().obfuscation
    one_line = ("a.b(c);" * 400).encode()
    assert is_minified(one_line, limits)
    assert not is_minified(b"a.b(c);\n" * 400, limits)
    assert not is_minified(b"x" * 100, limits)  # too small to matter
    assert not classify(one_line, limits).obfuscated


def test_literal_first_hex_patterns_match_like_the_lookbehind_forms() -> None:
    """_HEX_IDENT / _HEX_NUMBER put the literal before the look-behind (so `re` can skip to it); they must find
    exactly what the plain `(?<!...)` forms find, at the edges too (start of data, `$`/`.`/word neighbours)."""
    plain_ident = re.compile(rb"(?<![\w$])_0x[0-9a-fA-F]{4,}(?![\w$])")
    plain_number = re.compile(rb"(?<![\w$.])0[xX][0-9a-fA-F]+(?![\w$])")
    alphabet = [b"_0x", b"0x", b"0X", b"_", b"$", b".", b"a", b"f", b"1", b"9", b" ", b"(", b"x", b"_0xabcd"]
    rng = random.Random(12)
    samples = [b"_0x1234", b"0x1f", b"a_0x1234", b"$0x12", b".0x12", b"_0x123", b"x0x1", b"_0x1234$", b"0x"]
    samples += [b"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))) for _ in range(3000)]
    for data in samples:
        for plain, fast in ((plain_ident, obfuscation._HEX_IDENT), (plain_number, obfuscation._HEX_NUMBER)):
            assert [m.span() for m in plain.finditer(data)] == [m.span() for m in fast.finditer(data)], data
