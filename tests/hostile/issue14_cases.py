"""Issue 14's hostile-input list, one builder per input. Each builder writes its input under a folder and returns
the path to check (an archive file or a directory target), so the child process that checks it reads it from disk
and its peak RSS is the check's, not the building's.

`CASES` maps a case name to the issue's item it covers, the rule that must explain the verdict and the builder.
The table in tests/hostile/README.md lists them with measured time and memory.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import struct
import tarfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from hostile.hostile_archives import Zeros
from hostile.smuggling import CLEAN, END, EVIL, PKG, body, gz, header, member, pax

PKG_JSON = b'{"name": "hostile", "version": "1.0.0", "license": "MIT", "main": "index.js"}'
Builder = Callable[[Path], Path]


@dataclass(frozen=True)
class Case:
    item: str  # the wording
    rule: str  # the rule that must explain the verdict (the verdict must not pass either)
    build: Builder
    drop_privileges: bool = False  # checked without root's file-permission override (root reads any file)
    note: str = ""


def _file(name: str, data: bytes) -> Builder:
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return build


def _lazy(name: str, make: Callable[[], bytes]) -> Builder:
    def build(folder: Path) -> Path:
        return _file(name, make())(folder)

    return build


def _tar(members: Iterable[tarfile.TarInfo | tuple[tarfile.TarInfo, bytes]], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=fmt) as archive:
        for item in members:
            info, data = item if isinstance(item, tuple) else (item, b"")
            archive.addfile(info, io.BytesIO(data) if data else None)
    return raw.getvalue()


def _info(
    name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, **attrs: object
) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime, info.size = kind, 0o644, 1_700_000_000, len(data)
    for key, value in attrs.items():
        setattr(info, key, value)
    return info, data


def _npm(*extra: tuple[tarfile.TarInfo, bytes], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    """An npm tarball: package/package.json (unless `extra` has its own) and `extra`."""
    own = any(info.name == "package/package.json" for info, _ in extra)
    head = [] if own else [_info("package/package.json", PKG_JSON)]
    return gzip.compress(_tar([*head, *extra], fmt), mtime=0)


def _files(files: Mapping[str, bytes | str], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    return _npm(*(_info(f"package/{k}", v.encode() if isinstance(v, str) else v) for k, v in files.items()), fmt=fmt)


# -- tar headers -------------------------------------------------------------------------------------------------


def pax_path_override() -> bytes:
    """The ustar name says package/index.js; the PAX `path` record (which every reader applies) escapes."""
    info, data = _info("package/index.js", CLEAN)
    info.pax_headers = {"path": "package/../../../home/user/.bashrc"}
    return _npm((info, data))


def pax_size_override() -> bytes:
    """The ustar size says 0; the PAX `size` record says the member holds EVIL: the data is what both readers see."""
    return gz(
        member("package/package.json", PKG)
        + pax({"size": str(len(EVIL))})
        + header("package/a.js", 0)
        + body(EVIL)
        + END
    )


def pax_size_past_the_end() -> bytes:
    """A PAX `size` larger than what is left of the archive: the member runs off the end."""
    return gz(member("package/package.json", PKG) + pax({"size": "900000"}) + member("package/a.js", EVIL) + END)


def gnu_longname() -> bytes:
    """A GNU `L` long name (Python's GNU format) that climbs out of the package folder."""
    name = "package/" + "a/" * 60 + "../" * 70 + "etc/evil.js"
    return _npm(_info(name, EVIL), fmt=tarfile.GNU_FORMAT)


def gnu_sparse() -> bytes:
    """A GNU sparse member (type S): tarfile reads it as a file, npm's tar skips it."""
    block = bytearray(header("package/sparse.js", len(EVIL), b"S"))
    block[483:495] = b"%011o\x00" % len(EVIL)  # realsize
    block[386:398] = b"%011o\x00" % 0  # sparse[0].offset
    block[398:410] = b"%011o\x00" % len(EVIL)  # sparse[0].numbytes
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\x00 " % sum(block)
    return gz(member("package/package.json", PKG) + bytes(block) + body(EVIL) + END)


def pax_sparse() -> bytes:
    """PAX GNU.sparse.* records (format 0.1): the member's real layout differs from its stored bytes."""
    records = {"GNU.sparse.size": "4096", "GNU.sparse.numblocks": "1", "GNU.sparse.map": f"0,{len(EVIL)}"}
    return gz(member("package/package.json", PKG) + pax(records) + member("package/sparse.js", EVIL) + END)


def hardlink_to_earlier() -> bytes:
    return _npm(
        _info("package/index.js", CLEAN), _info("package/copy.js", kind=tarfile.LNKTYPE, linkname="package/index.js")
    )


def nfc_nfd() -> bytes:
    nfc = unicodedata.normalize("NFC", "caf\u00e9.js")
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd
    return _files({nfc: CLEAN, nfd: EVIL})


def trailing_dot() -> bytes:
    return _files({"index.js": CLEAN, "index.js.": EVIL})


def trailing_space() -> bytes:
    return _files({"index.js": CLEAN, "index.js ": EVIL})


def nul_in_name() -> bytes:
    """A zip member name with a NUL (zip names are length-prefixed, so the NUL survives): `a.js\\0.png`.
    zipfile cuts names at the NUL when writing, so the byte is patched into both headers."""
    data = _zip([("package.json", PKG), ("a.js_.png", EVIL)])
    return data.replace(b"a.js_.png", b"a.js\x00.png")


def nul_in_pax_path() -> bytes:
    """A PAX path with a NUL: readers that cut at the NUL and readers that do not see different names."""
    record = b" path=package/a.js\x00.png\n"
    record = str(len(record) + 2).encode() + record  # a two-digit length counts itself
    return gz(member("package/package.json", PKG) + pax(record) + member("package/a.png", EVIL) + END)


def control_chars() -> bytes:
    return _files({"index.js": CLEAN, "a\x1b[2K\rb.js": EVIL, "new\nline.js": CLEAN})


def backslash_traversal() -> bytes:
    return _files({"index.js": CLEAN, "..\\..\\..\\evil.js": EVIL})


def drive_letter() -> bytes:
    return _zip([("package.json", PKG), ("C:\\Windows\\System32\\evil.js", EVIL)])


def long_name() -> bytes:
    return _files({"a" * 10_000 + ".js": CLEAN})


def deep_dirs_tar() -> bytes:
    return _files({"d/" * 5_000 + "x.js": CLEAN})


def deep_dirs_tree(folder: Path) -> Path:
    root = folder / "pkg"
    root.mkdir()
    (root / "package.json").write_bytes(PKG_JSON)
    (root / "index.js").write_bytes(CLEAN)
    fd = os.open(root, os.O_RDONLY)  # 5,000 levels: far past PATH_MAX, so build it relative to open folders
    try:
        for _ in range(5_000):
            os.mkdir("d", dir_fd=fd)
            child = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
        with open(os.open("x.js", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "wb") as handle:
            handle.write(EVIL)
    finally:
        os.close(fd)
    return root


# -- compression ---------------------------------------------------------------------------------------------------


def gzip_trailing_garbage() -> bytes:
    return _npm(_info("package/index.js", CLEAN)) + b"\x00garbage that is not gzip" * 20


def gzip_second_member() -> bytes:
    """A second gzip member after the archive's end: npm's tar reads on into it."""
    return _npm(_info("package/index.js", CLEAN)) + gz(member("package/evil.js", EVIL) + END)


def _zeros_tar(size: int) -> Iterable[bytes]:
    info = tarfile.TarInfo("package/data.json")
    info.size = size
    yield info.tobuf(tarfile.PAX_FORMAT)
    zeros = io.BufferedReader(Zeros(size), 1 << 20)
    while chunk := zeros.read(1 << 20):
        yield chunk
    yield bytes(-size % 512) + END


def _compress(chunks: Iterable[bytes], compressor: bz2.BZ2Compressor | lzma.LZMACompressor) -> bytes:
    out = [compressor.compress(chunk) for chunk in chunks]
    return b"".join(out) + compressor.flush()


def bzip2_bomb() -> bytes:
    return _compress(_zeros_tar(500_000_000), bz2.BZ2Compressor(9))


def xz_bomb() -> bytes:
    return _compress(_zeros_tar(500_000_000), lzma.LZMACompressor())


def bzip2_truncated() -> bytes:
    data = bz2.compress(_tar([_info("package/package.json", PKG_JSON), _info("package/a.js", bytes(range(256)) * 64)]))
    return data[: len(data) // 2]


def bzip2_trailing_garbage() -> bytes:
    return bz2.compress(_tar([_info("package/package.json", PKG_JSON), _info("package/a.js", CLEAN)])) + b"junk" * 64


def xz_trailing_garbage() -> bytes:
    return lzma.compress(_tar([_info("package/package.json", PKG_JSON), _info("package/a.js", CLEAN)])) + b"junk" * 64


def zstd_frame() -> bytes:
    """A zstd frame (magic 28 b5 2f fd): extgate does not read zstd."""
    return b"\x28\xb5\x2f\xfd" + bytes(60)


# -- zip -----------------------------------------------------------------------------------------------------------


def _zip(files: Iterable[tuple[str | zipfile.ZipInfo, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", compression=method) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return raw.getvalue()


def _records(data: bytes, signature: bytes) -> list[int]:
    found, at = [], data.find(signature)
    while at >= 0:
        found.append(at)
        at = data.find(signature, at + 1)
    return found


def zip_central_vs_local() -> bytes:
    """The central directory names a.js; the local header (what streaming unzippers read) names evil.js."""
    data = bytearray(_zip([("package.json", PKG), ("a.js", EVIL)], zipfile.ZIP_STORED))
    local = _records(bytes(data), b"PK\x03\x04")[1]
    data[local + 30 : local + 34] = b"e.js"
    return bytes(data)


def zip_central_vs_local_size() -> bytes:
    """The local header says 0 bytes (streaming unzippers stop there); the central directory has the real size."""
    data = bytearray(_zip([("package.json", PKG), ("a.js", EVIL)], zipfile.ZIP_STORED))
    local = _records(bytes(data), b"PK\x03\x04")[1]
    struct.pack_into("<II", data, local + 18, 0, 0)
    return bytes(data)


def zip_overlapping_bomb() -> bytes:
    """Fifield-style: 400 central entries with distinct names share one 20 MB-of-zeros local member."""
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("package/data.json", bytes(20_000_000))
    data = raw.getvalue()
    eocd = data.rfind(b"PK\x05\x06")
    size, offset = struct.unpack("<II", data[eocd + 12 : eocd + 20])
    record = data[offset : offset + size]
    name_len = struct.unpack("<H", record[28:30])[0]
    directory = b""
    for i in range(400):
        name = f"package/d{i:04}.json".encode()
        directory += record[:28] + struct.pack("<H", len(name)) + record[30:46] + name + record[46 + name_len :]
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, 400, 400, len(directory), offset, 0)
    return data[:offset] + directory + end


def zip64_lie() -> bytes:
    """A zip64 extra field claims the member is 2**60 bytes uncompressed; it is 100."""
    data = bytearray(_zip([("package.json", PKG), ("a.js", b"x" * 100)], zipfile.ZIP_DEFLATED))
    central = _records(bytes(data), b"PK\x01\x02")[1]
    name_len, extra_len = struct.unpack("<HH", data[central + 28 : central + 32])
    assert extra_len == 0
    extra = struct.pack("<HHQ", 0x0001, 8, 2**60)
    struct.pack_into("<I", data, central + 24, 0xFFFFFFFF)  # uncompressed size: see zip64
    struct.pack_into("<H", data, central + 30, len(extra))
    at = central + 46 + name_len
    data[at:at] = extra
    eocd = bytes(data).rfind(b"PK\x05\x06")
    struct.pack_into("<I", data, eocd + 12, struct.unpack("<I", data[eocd + 12 : eocd + 16])[0] + len(extra))
    return bytes(data)


def zip64_count_lie() -> bytes:
    """The end record claims 65,535 entries (zip64 style) for a two-member zip and points the directory elsewhere."""
    data = bytearray(_zip([("package.json", PKG), ("a.js", EVIL)]))
    eocd = bytes(data).rfind(b"PK\x05\x06")
    struct.pack_into("<HHII", data, eocd + 8, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
    return bytes(data)


def zip_encrypted() -> bytes:
    """A member flagged as (traditional PKWARE) encrypted: its content cannot be read."""
    data = bytearray(_zip([("package.json", PKG), ("a.js", EVIL)], zipfile.ZIP_STORED))
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = _records(bytes(data), signature)[1]
        struct.pack_into("<H", data, at + flags_at, struct.unpack("<H", data[at + flags_at : at + flags_at + 2])[0] | 1)
    return bytes(data)


def zip_tar_polyglot() -> bytes:
    """An uncompressed tar whose first member's name starts `PK\\x03\\x04` (sniffs as a zip) with a zip appended."""
    tar = member("PK\x03\x04pad", b"x") + member("package/index.js", EVIL) + END
    return tar + _zip([("package.json", PKG), ("index.js", CLEAN)])


# -- manifests and code --------------------------------------------------------------------------------------------


def _pkg(**files: bytes | str) -> bytes:
    return _files({"index.js": CLEAN, **files})


def _swamp(manifest: bytes | str) -> bytes:
    text = manifest.encode() if isinstance(manifest, str) else manifest
    return _tar_gz({"manifest.yaml": text, "extensions/models/a.ts": b"export const a = 1;\n"})


def _tar_gz(files: Mapping[str, bytes]) -> bytes:
    return gzip.compress(_tar([_info(k, v) for k, v in files.items()]), mtime=0)


SWAMP_HEAD = "name: '@demo/x'\nversion: 2026.1.1\ndescription: d\nmodels:\n  - a.ts\n"


def yaml_alias_bomb() -> str:
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"l{i}: &l{i} [{','.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 9)]
    return SWAMP_HEAD + "labels: *l8\n" + "\n".join(lines) + "\n"


def bom_package_json() -> bytes:
    manifest = b'{"name": "a", "version": "1.0.0", "scripts": {"postinstall": "node x.js"}}'
    return _files({"package.json": b"\xef\xbb\xbf" + manifest, "index.js": CLEAN})


def big_package_json() -> bytes:
    return _files({"package.json": b'{"name": "a", "version": "1.0.0", "x": "' + b"a" * 50_000_000 + b'"}'})


def deep(open_: str, close: str, inner: str, n: int = 100_000) -> str:
    return open_ * n + inner + close * n


def _js_deep(open_: str, close: str) -> bytes:
    return _pkg(**{"index.js": "x = " + deep(open_, close, "eval(a)")})


def _ts_deep(open_: str, close: str) -> bytes:
    return _pkg(**{"index.ts": "let x: unknown = " + deep(open_, close, "eval(a)")})


def _py_deep(open_: str, close: str) -> bytes:
    return _pkg(**{"tool.py": "import os\nx = " + deep(open_, close, "os.system(a)")})


def js_block_nesting() -> bytes:
    return _pkg(**{"index.js": "function f() " + deep("{", "}", "eval(a)")})


# -- directory targets ---------------------------------------------------------------------------------------------


def _tree(folder: Path, files: Mapping[str, bytes] | None = None) -> Path:
    root = folder / "pkg"
    root.mkdir(mode=0o755)
    for name, data in {"package.json": PKG_JSON, "index.js": CLEAN, **(files or {})}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def symlink_loop(folder: Path) -> Path:
    root = _tree(folder)
    (root / "lib").mkdir()
    (root / "lib" / "loop").symlink_to(root / "lib")
    (root / "self").symlink_to(root / "self")
    (root / "a").symlink_to("b")
    (root / "b").symlink_to("a")
    return root


def fifo(folder: Path) -> Path:
    root = _tree(folder)
    os.mkfifo(root / "pipe.js")  # opening it for reading would block until a writer comes
    return root


def fifo_package_json(folder: Path) -> Path:
    root = folder / "tree"
    root.mkdir(mode=0o755)
    (root / "index.js").write_bytes(CLEAN)
    os.mkfifo(root / "package.json")  # every reader of it must open without blocking (it hung `check DIR`)
    return root


def bundled_long_scripts() -> bytes:
    """20 bundled dependencies, each manifest just under the 1 MB cap with three 300 KB install scripts: reading
    them all with shlex took seconds per manifest."""
    script = "echo " + "a" * 300_000
    dep = json.dumps({"name": "d", "version": "1.0.0", "scripts": dict.fromkeys(("preinstall", "install",
                                                                                "postinstall"), script)})  # fmt: skip
    names = [f"d{i}" for i in range(20)]
    root = json.dumps({"name": "a", "version": "1.0.0", "bundleDependencies": names})
    return _files({"package.json": root, "index.js": CLEAN, **{f"node_modules/{n}/package.json": dep for n in names}})


def fifo_all_files(folder: Path) -> Path:
    root = folder / "tree"  # no manifest: the whole tree is scanned
    root.mkdir(mode=0o755)
    (root / "index.js").write_bytes(CLEAN)
    os.mkfifo(root / "pipe.txt")
    return root


def _unreadable(root: Path, *names: str) -> Path:
    for name in names:
        os.chmod(root / name, 0)
    return root


def unreadable_file(folder: Path) -> Path:
    return _unreadable(_tree(folder, {"lib/evil.js": EVIL}), "lib/evil.js")


def unreadable_dir(folder: Path) -> Path:
    return _unreadable(_tree(folder, {"lib/evil.js": EVIL}), "lib")


def unreadable_manifest(folder: Path) -> Path:
    return _unreadable(_tree(folder, {"lib/evil.js": EVIL}), "package.json")


def unreadable_npmignore(folder: Path) -> Path:
    return _unreadable(_tree(folder, {"lib/evil.js": EVIL, ".npmignore": b"lib/\n"}), ".npmignore")


def unreadable_swamp_dir(folder: Path) -> Path:
    root = folder / "swamp"
    (root / "extensions" / "models").mkdir(parents=True, mode=0o755)
    (root / "manifest.yaml").write_text(SWAMP_HEAD.replace("a.ts", "evil.ts"))
    (root / "extensions" / "models" / "evil.ts").write_bytes(EVIL)
    os.chmod(root / "extensions" / "models", 0)
    return root


def unreadable_all_files_dir(folder: Path) -> Path:
    root = folder / "tree"
    (root / "lib").mkdir(parents=True, mode=0o755)
    (root / "index.js").write_bytes(CLEAN)
    (root / "lib" / "evil.js").write_bytes(EVIL)
    os.chmod(root / "lib", 0)
    return root


def _bracket_cases() -> dict[str, Case]:
    out: dict[str, Case] = {}
    for open_, close, label in (("(", ")", "parens"), ("[", "]", "brackets"), ("{", "}", "braces")):
        for lang, make, name in (
            ("js", _js_deep, "index.js"),
            ("ts", _ts_deep, "index.ts"),
            ("py", _py_deep, "tool.py"),
        ):
            out[f"{lang}-100k-{label}"] = Case(
                f"100k nested brackets in {lang.upper()} ({open_})",
                "safety/unparsed-file",
                _lazy("p.tgz", lambda make=make, o=open_, c=close: make(o, c)),  # type: ignore[misc]
                note=name,
            )
    return out


CASES: dict[str, Case] = {
    "pax-path-override": Case(
        "pax headers overriding path", "archive/path-traversal", _lazy("p.tgz", pax_path_override)
    ),
    "pax-size-override": Case(
        "pax headers overriding size",
        "code/dynamic-eval",
        _lazy("p.tgz", pax_size_override),
        note="both readers honour the PAX size: the data it spans is scanned",
    ),
    "pax-size-past-end": Case("pax headers overriding size", "archive/corrupt", _lazy("p.tgz", pax_size_past_the_end)),
    "gnu-longname-traversal": Case("GNU longname", "archive/path-traversal", _lazy("p.tgz", gnu_longname)),
    "gnu-sparse": Case("sparse members", "archive/corrupt", _lazy("p.tgz", gnu_sparse)),
    "pax-sparse": Case("sparse members", "archive/corrupt", _lazy("p.tgz", pax_sparse)),
    "hardlink-to-earlier-member": Case(
        "hardlink to an earlier member", "archive/link", _lazy("p.tgz", hardlink_to_earlier)
    ),
    "nfc-nfd-collision": Case("NFC/NFD name collisions", "archive/case-collision", _lazy("p.tgz", nfc_nfd)),
    "trailing-dot-collision": Case(
        "trailing-dot name collisions", "archive/case-collision", _lazy("p.tgz", trailing_dot)
    ),
    "trailing-space-collision": Case(
        "trailing-space name collisions", "archive/case-collision", _lazy("p.tgz", trailing_space)
    ),
    "nul-in-zip-name": Case("NUL characters in names", "archive/unsafe-name", _lazy("p.zip", nul_in_name)),
    "nul-in-pax-path": Case("NUL characters in names (PAX path)", "archive/corrupt", _lazy("p.tgz", nul_in_pax_path)),
    "control-chars-in-names": Case("control characters in names", "archive/unsafe-name", _lazy("p.tgz", control_chars)),
    "backslash-traversal": Case("backslash paths", "archive/path-traversal", _lazy("p.tgz", backslash_traversal)),
    "drive-letter-path": Case("drive-letter paths", "archive/absolute-path", _lazy("p.zip", drive_letter)),
    "name-10kb": Case("10 KB names", "archive/unsafe-name", _lazy("p.tgz", long_name)),
    "dirs-5000-levels-tar": Case(
        "5,000-level directories (archive)", "archive/unsafe-name", _lazy("p.tgz", deep_dirs_tar)
    ),
    "dirs-5000-levels-tree": Case(
        "5,000-level directories (directory target)", "archive/too-many-files", deep_dirs_tree
    ),
    "gzip-trailing-garbage": Case(
        "trailing garbage after gzip", "archive/corrupt", _lazy("p.tgz", gzip_trailing_garbage)
    ),
    "gzip-second-member": Case("multi-member gzip", "archive/corrupt", _lazy("p.tgz", gzip_second_member)),
    "bzip2-bomb": Case("bzip2", "archive/compression-ratio", _lazy("p.tar.bz2", bzip2_bomb)),
    "bzip2-truncated": Case("bzip2", "archive/corrupt", _lazy("p.tar.bz2", bzip2_truncated)),
    "bzip2-trailing-garbage": Case("bzip2", "archive/corrupt", _lazy("p.tar.bz2", bzip2_trailing_garbage)),
    "xz-bomb": Case("xz", "archive/compression-ratio", _lazy("p.tar.xz", xz_bomb)),
    "xz-trailing-garbage": Case("xz", "archive/corrupt", _lazy("p.tar.xz", xz_trailing_garbage)),
    "zstd": Case("zstd", "archive/corrupt", _file("p.tar.zst", zstd_frame())),
    "zip-central-vs-local-name": Case(
        "zip central directory disagreeing with local headers", "archive/corrupt", _lazy("p.zip", zip_central_vs_local)
    ),
    "zip-central-vs-local-size": Case(
        "zip central directory disagreeing with local headers",
        "archive/corrupt",
        _lazy("p.zip", zip_central_vs_local_size),
    ),
    "zip-overlapping-bomb": Case(
        "overlapping-entry zip bombs", "archive/corrupt", _lazy("p.zip", zip_overlapping_bomb)
    ),
    "zip64-size-lie": Case("zip64 lies", "archive/corrupt", _lazy("p.zip", zip64_lie)),
    "zip64-count-lie": Case("zip64 lies", "archive/corrupt", _lazy("p.zip", zip64_count_lie)),
    "zip-encrypted": Case("encrypted entries", "archive/corrupt", _lazy("p.zip", zip_encrypted)),
    "zip-tar-polyglot": Case("zip/tar polyglots", "archive/corrupt", _lazy("p.zip", zip_tar_polyglot)),
    "package-json-50mb": Case("a 50 MB package.json", "archive/file-too-large", _lazy("p.tgz", big_package_json)),
    "package-json-100k-nesting": Case(
        "100k-level JSON nesting",
        "manifest/invalid",
        _lazy(
            "p.tgz",
            lambda: _files({"package.json": '{"name": "x", "version": "1.0.0", "a": ' + deep("[", "]", "") + "}"}),
        ),
    ),
    "manifest-yaml-100k-nesting": Case(
        "100k-level YAML nesting",
        "manifest/invalid",
        _lazy("p.tgz", lambda: _swamp(SWAMP_HEAD + "x: " + deep("[", "]", "1") + "\n")),
    ),
    "manifest-yaml-100k-block-nesting": Case(
        "100k-level YAML nesting",
        "manifest/invalid",
        _lazy(
            "p.tgz",
            lambda: _swamp(
                SWAMP_HEAD + "x:\n" + "".join(" " * i + f"k{i}:\n" for i in range(2000)) + " " * 2000 + "1\n"
            ),
        ),
    ),
    "manifest-yaml-alias-bomb": Case(
        "YAML alias bombs", "manifest/invalid", _lazy("p.tgz", lambda: _swamp(yaml_alias_bomb()))
    ),
    "manifest-yaml-python-tag": Case(
        "YAML !!python tags",
        "manifest/invalid",
        _lazy("p.tgz", lambda: _swamp(SWAMP_HEAD + "x: !!python/object/apply:os.system ['id']\n")),
    ),
    "duplicate-json-keys": Case(
        "duplicate JSON keys",
        "manifest/invalid",
        _lazy("p.tgz", lambda: _files({"package.json": '{"name": "a", "version": "1.0.0", "name": "evil"}'})),
        note="the finding says the last value counts (npm's JSON.parse)",
    ),
    "package-json-utf8-bom": Case(
        "BOM",
        "manifest/install-script",
        _lazy("p.tgz", bom_package_json),
        note="npm strips a UTF-8 BOM, so extgate reads the manifest too",
    ),
    "package-json-utf16": Case(
        "UTF-16",
        "manifest/invalid",
        _lazy("p.tgz", lambda: _files({"package.json": PKG_JSON.decode().encode("utf-16")})),
    ),
    "package-json-invalid-utf8": Case(
        "invalid UTF-8",
        "manifest/invalid",
        _lazy("p.tgz", lambda: _files({"package.json": b'{"name": "a\xff", "version": "1.0.0"}'})),
    ),
    "js-invalid-utf8": Case(
        "invalid UTF-8 (code)",
        "code/dynamic-eval",
        _lazy("p.tgz", lambda: _pkg(**{"index.js": b"var s = '\xff\xfe';\n" + EVIL})),
    ),
    "js-50mb-single-line": Case(
        "a 50 MB single-line JS file",
        "archive/file-too-large",
        _lazy("p.tgz", lambda: _pkg(**{"index.js": "var a=b.c(d,e)+f[g];" * 2_500_000 + "eval(x);"})),
    ),
    "js-100k-block-nesting": Case(
        "100k nested brackets in JS ({} blocks)", "safety/unparsed-file", _lazy("p.tgz", js_block_nesting)
    ),
    **_bracket_cases(),
    "js-100k-nested-calls": Case(
        "100k nested brackets in JS (calls)",
        "safety/unparsed-file",
        _lazy("p.tgz", lambda: _pkg(**{"index.js": "f" + "()" * 100_000 + ";eval(x)"})),
    ),
    "py-10k-and-chain": Case(
        "100k nested brackets in Python (what libcst nests)",
        "safety/unparsed-file",
        _lazy("p.tgz", lambda: _pkg(**{"tool.py": "import os\nx = " + " and ".join(["a"] * 10_000)})),
    ),
    "html-1mb-script-tags": Case(
        "100k nested brackets (HTML script tags)",
        "code/dynamic-eval",
        _lazy("p.tgz", lambda: _pkg(**{"index.html": "<script " * 130_000 + "<script>eval(x)</script>"})),
        note="the unterminated tags are skipped in one pass; the last script is analysed",
    ),
    "html-script-tags-quoted-gt": Case(
        "100k nested brackets (HTML script tags, `>` only inside quotes)",
        "safety/unparsed-file",
        _lazy("p.tgz", lambda: _pkg(**{"index.html": ("<script " * 500 + '"a>b"') * 400 + "<script>eval(x)</script>"})),
        note="the tag scan stops at its work budget (8 bytes examined per byte of the page + 1 MiB): deterministic",
    ),
    "dir-symlink-loop": Case("a directory target with a symlink loop", "archive/link", symlink_loop),
    "dir-fifo": Case("a FIFO (must not hang)", "archive/special-file", fifo),
    "dir-fifo-package-json": Case("a FIFO (must not hang), as package.json", "manifest/invalid", fifo_package_json),
    "bundled-long-install-scripts": Case(
        "a 50 MB package.json (bundled manifests of long install scripts)",
        "manifest/install-script-payload",
        _lazy("p.tgz", bundled_long_scripts),
        note="a script longer than 16,384 characters is itself the finding; nothing past that is tokenized",
    ),
    "dir-fifo-all-files": Case("a FIFO (must not hang), no manifest", "archive/special-file", fifo_all_files),
    "dir-unreadable-file": Case("unreadable files", "archive/corrupt", unreadable_file, drop_privileges=True),
    "dir-unreadable-dir": Case("unreadable files (a folder)", "archive/corrupt", unreadable_dir, drop_privileges=True),
    "dir-unreadable-package-json": Case(
        "unreadable files (package.json)", "archive/corrupt", unreadable_manifest, drop_privileges=True
    ),
    "dir-unreadable-npmignore": Case(
        "unreadable files (.npmignore)", "archive/corrupt", unreadable_npmignore, drop_privileges=True
    ),
    "dir-unreadable-swamp-folder": Case(
        "unreadable files (swamp models folder)", "archive/corrupt", unreadable_swamp_dir, drop_privileges=True
    ),
    "dir-unreadable-all-files-folder": Case(
        "unreadable files (no manifest)", "archive/corrupt", unreadable_all_files_dir, drop_privileges=True
    ),
}
