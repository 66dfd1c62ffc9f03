"""code/native-library: machine code loaded at run time (process.dlopen, Deno / Bun FFI, ctypes)."""

from __future__ import annotations

import pytest
from code_support import levels, scan

from extgate.model import Level

RULE = "code/native-library"


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("a.js", "process.dlopen(module, p);"),
        ("a.js", 'const { dlopen } = process; dlopen(module, "/tmp/x.so");'),
        ("a.js", "globalThis.process.dlopen(module, p);"),
        ("a.ts", 'Deno.dlopen("./lib.so", { run: { parameters: [], result: "void" } });'),
        ("a.ts", 'import { dlopen } from "bun:ffi"; dlopen("x.so", {});'),
        ("a.py", 'import ctypes\nctypes.CDLL("/tmp/x.so")\n'),
        ("a.py", "from ctypes import cdll\ncdll.LoadLibrary(path)\n"),
        ("a.py", "import ctypes as c\nc.windll.LoadLibrary(path)\n"),
    ],
)
def test_native_library_loads_are_warnings(path: str, source: str) -> None:
    assert levels(scan(path, source, RULE)) == [Level.WARNING]


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("a.js", 'require("./build/Release/addon.node");'),  # a shipped addon: the safety gate's business
        ("a.js", "lib.dlopen(x); // process.dlopen(m, p)\nconst s = 'Deno.dlopen(p)';"),
        ("a.py", "import ctypes\nx = ctypes.c_int(3)\n# ctypes.CDLL(p)\n"),
    ],
)
def test_lookalikes_are_not_findings(path: str, source: str) -> None:
    assert scan(path, source, RULE) == []
