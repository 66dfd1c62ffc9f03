"""A second, independent reading of the decompressed tar stream, modelled on node-tar (what npm/pacote extract with).

Python's `tarfile` and node-tar disagree on malformed input: tarfile stops at a single zero block or at a header
with a bad checksum and reads a malformed PAX `size` as 0, while node-tar skips bad blocks and reads on. An
attacker uses the gap to hide members only npm extracts. So every byte tarfile reads is also fed, in order, to
`NpmTarView`, which walks the same blocks the way node-tar does (header decoding quirks included) and, being
strict, records a problem for anything the two readers could read differently:

- a header block node-tar would skip (bad checksum, undecodable number, no path, misplaced link name);
- a malformed PAX record, a PAX/GNU field that changes the layout in a way only one reader honours;
- anything but zero bytes after the first zero block (tarfile stops there; node-tar reads on);
- a member list (path, kind, data offset, data length) that differs from tarfile's.

Any problem means the upload is blocked as `archive/corrupt`: extgate's view must cover what npm extracts.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

BLOCK = 512
MAX_META = 1024 * 1024  # node-tar ignores (skips) larger PAX / long-name entries: their fields never apply

# typeflag -> node-tar's coarse kind; meta types carry the next member's fields
_NORMAL = frozenset(["0", "1", "2", "3", "4", "5", "6", "7", "D"]) | {""}
_META = frozenset(["g", "x", "X", "K", "L", "N"])
_KNOWN = _NORMAL | _META | frozenset(["A", "I", "M", "S", "V"])
_FILE_TYPES = frozenset({"0", "7"})
_LINK_TYPES = frozenset({"1", "2"})
_DIR_TYPES = frozenset({"5"})

_OCTAL = re.compile(rb"^ *([0-7]*)[ \x00]*$")
_PAX_LENGTH = re.compile(rb"([1-9][0-9]{0,7}) ")
_PAX_NUMBERS = {
    "size": re.compile(r"^[0-9]+$"),
    "uid": re.compile(r"^[0-9]+$"),
    "gid": re.compile(r"^[0-9]+$"),
    "mtime": re.compile(r"^-?[0-9]+(\.[0-9]+)?$"),
    "atime": re.compile(r"^-?[0-9]+(\.[0-9]+)?$"),
    "ctime": re.compile(r"^-?[0-9]+(\.[0-9]+)?$"),
}
_GLOBAL_FORBIDDEN = ("size", "path", "linkpath")  # node-tar applies global values per member; tarfile does not


@dataclass(frozen=True, slots=True)
class Seen:
    """One member as npm's reader sees it: path (trailing slashes removed), kind (file, dir, link, other),
    where its data starts in the decompressed stream, how many data bytes it spans, link target."""

    path: str
    kind: str
    offset: int
    size: int
    link: str = ""


def kind_for(typeflag: str) -> str:
    if typeflag in _FILE_TYPES:
        return "file"
    if typeflag in _DIR_TYPES:
        return "dir"
    if typeflag in _LINK_TYPES:
        return "link"
    return "other"


class _Bad(Exception):
    """A header or record npm's reader would treat differently from tarfile."""


def _text(raw: bytes) -> str:
    """node-tar's decString: decode, then drop the first NUL and the rest of that line (`/\\0.*/`)."""
    text = raw.decode("utf-8", "surrogateescape")
    cut = text.find("\x00")
    if cut < 0:
        return text
    end = text.find("\n", cut)
    return text[:cut] if end < 0 else text[:cut] + text[end:]


def _number(block: bytes, at: int, size: int, what: str, *, signed: bool = True) -> int | None:
    """A numeric header field both readers decode alike (strict octal, or positive base-256), else _Bad."""
    return _field(block[at : at + size], what, signed)


@functools.lru_cache(maxsize=4096)  # a pure function of the field's bytes; honest archives repeat most fields
def _field(raw: bytes, what: str, signed: bool) -> int | None:
    if what == "checksum" and not re.search(rb"[0-7][ \x00]", raw):
        raise _Bad("the checksum field has no terminator (npm's tar reads 12 bytes there)")
    if raw[0] & 0x80:
        if raw[0] == 0x80 or (signed and raw[0] == 0xFF):
            value = int.from_bytes(raw[1:], "big") if raw[0] == 0x80 else -1
            if value >= 2**53:
                raise _Bad(f"the {what} field is out of range")
            return value
        raise _Bad(f"the {what} field is not a valid number")
    found = _OCTAL.match(raw)
    if found is None:
        raise _Bad(f"the {what} field {bytes(raw[:16])!r} is not a plain octal number")
    return int(found.group(1), 8) if found.group(1) else None


def _pax(body: bytes, *, is_global: bool) -> dict[str, str]:
    """Strict PAX records: `<len> <key>=<value>\\n`, lengths exact, UTF-8, no NUL or embedded newline, numbers
    that both readers parse to the same value. Anything else is _Bad (node-tar and tarfile would diverge)."""
    records: dict[str, str] = {}
    pos = 0
    while pos < len(body):
        head = _PAX_LENGTH.match(body, pos)
        if head is None:
            raise _Bad("a PAX record has no valid length")
        length = int(head.group(1))
        record = body[pos : pos + length]
        pos += length
        if len(record) != length or not record.endswith(b"\n") or b"\n" in record[:-1] or b"\x00" in record:
            raise _Bad("a PAX record's length does not match its content")
        key_raw, eq, value_raw = record[head.end() - head.start() : -1].partition(b"=")
        key = key_raw.decode("utf-8", "surrogateescape")
        if not eq or not key:
            raise _Bad("a PAX record has no key=value")
        try:
            value = value_raw.decode("utf-8")
        except UnicodeDecodeError:
            # npm's tar drops a record that is not UTF-8 (its length check fails) and keeps the ustar field; that is
            # only the same member when tarfile's reading of it matches the ustar field, which the member list
            # comparison checks. A non-UTF-8 key, size or time is never honest.
            if key not in ("path", "linkpath", "uname", "gname"):
                raise _Bad("a PAX record is not UTF-8") from None
            continue
        if key.startswith("GNU.sparse") or (key == "hdrcharset" and value != "BINARY"):
            raise _Bad(f"the PAX key {key[:40]!r} is read differently by npm's tar")
        pattern = _PAX_NUMBERS.get(key)
        if pattern is not None and (not pattern.match(value) or len(value) > 15):
            raise _Bad(f"the PAX {key} value {value[:40]!r} is not a plain number")
        if is_global and key in _GLOBAL_FORBIDDEN:
            raise _Bad(f"a global PAX header sets {key}, which npm's tar applies to every member")
        records[key] = value
    return records


@dataclass
class NpmTarView:
    """Feed the decompressed stream with `feed`, then call `finish`; read `members` and `problem`."""

    members: list[Seen] = field(default_factory=list)
    problem: str | None = None
    _offset: int = 0  # absolute position of the next byte fed
    _block: bytearray = field(default_factory=bytearray)
    _skip: int = 0  # data (and padding) bytes still to pass
    _meta: bytearray | None = None  # body of a PAX / long-name entry being collected
    _meta_size: int = 0
    _meta_type: str = ""
    _pending: dict[str, str] = field(default_factory=dict)  # fields for the next member (PAX x, GNU L/K)
    _pending_kinds: set[str] = field(default_factory=set)
    _zeros: bool = False  # a zero block was seen: everything after must be zero

    def feed(self, data: bytes) -> None:
        if self.problem is not None:
            return
        view = memoryview(data)
        at = 0
        while at < len(view) and self.problem is None:
            if self._zeros:
                if data.count(0, at) != len(data) - at:
                    self._fail("non-zero data after the end-of-archive zero block (tarfile stops there, npm reads on)")
                self._offset += len(data) - at
                return
            if self._skip:
                step = min(self._skip, len(view) - at)
                if self._meta is not None and len(self._meta) < self._meta_size:
                    self._meta += view[at : at + min(step, self._meta_size - len(self._meta))]
                at += step
                self._offset += step
                self._skip -= step
                if not self._skip and self._meta is not None:
                    self._end_meta()
                continue
            step = min(BLOCK - len(self._block), len(view) - at)
            self._block += view[at : at + step]
            at += step
            self._offset += step
            if len(self._block) == BLOCK:
                block, self._block = bytes(self._block), bytearray()
                try:
                    self._header(block)
                except _Bad as exc:
                    self._fail(f"{exc} (header at byte {self._offset - BLOCK:,})")

    def finish(self) -> None:
        """The stream ended: a partial header or member body means truncation."""
        if self.problem is None and (self._skip or self._block):
            self._fail("the archive ends inside a member")

    def _fail(self, message: str) -> None:
        self.problem = self.problem or message

    def _header(self, block: bytes) -> None:
        if not any(block):
            self._zeros = True
            return
        stored = _number(block, 148, 8, "checksum", signed=False)
        if stored is None or stored != 256 + sum(block[:148]) + sum(block[156:]):
            raise _Bad("a header block has a bad checksum (npm's tar skips it and reads the next block as a header)")
        typeflag = _text(block[156:157])
        ustar = block[257:265] == b"ustar\x0000"
        for name, at, size in (("mode", 100, 8), ("uid", 108, 8), ("gid", 116, 8), ("mtime", 136, 12)):
            _number(block, at, size, name)
        size = _number(block, 124, 12, "size", signed=False) or 0
        if ustar:
            _number(block, 329, 8, "devmajor")
            _number(block, 337, 8, "devminor")
            if block[475] == 0:
                _number(block, 476, 12, "atime")
                _number(block, 488, 12, "ctime")
        elif any(block[345:500]):
            raise _Bad("a non-POSIX header carries a name prefix, which only one reader applies")
        if typeflag not in _KNOWN:
            typeflag = "?"
        if typeflag in _META:
            self._start_meta(typeflag, size)
            return
        self._member(block, typeflag, size, ustar)

    def _start_meta(self, typeflag: str, size: int) -> None:
        group = "pax" if typeflag in "xX" else typeflag
        if group in self._pending_kinds:
            raise _Bad("a member has two extended headers of one kind; the readers apply them differently")
        if typeflag != "g" and self._pending_kinds and ("pax" in self._pending_kinds) != (group == "pax"):
            raise _Bad("a member has both a PAX and a GNU long-name header; the readers apply them differently")
        if size > MAX_META:
            raise _Bad(f"an extended header of {size:,} bytes exceeds the {MAX_META:,} npm's tar reads")
        if typeflag == "N":
            raise _Bad("an old GNU long-name header (type N) is applied by npm's tar only")
        if typeflag != "g":
            self._pending_kinds.add(group)
        self._meta = bytearray()
        self._meta_size = size
        self._meta_type = typeflag
        self._skip = -(-size // BLOCK) * BLOCK
        if not self._skip:
            self._end_meta()

    def _end_meta(self) -> None:
        body, kind = bytes(self._meta or b""), self._meta_type
        self._meta = None
        try:
            if kind in "xX":
                self._pending.update(_pax(body, is_global=False))
            elif kind == "g":
                _pax(body, is_global=True)
            else:
                value = body.split(b"\x00", 1)[0]
                if b"\x00" in body.rstrip(b"\x00") or b"\n" in value:
                    raise _Bad("a GNU long name holds a NUL or newline, which the readers cut differently")
                self._pending["path" if kind == "L" else "linkpath"] = value.decode("utf-8", "surrogateescape")
        except _Bad as exc:
            self._fail(f"{exc} (extended header ending at byte {self._offset:,})")

    def _member(self, block: bytes, typeflag: str, size: int, ustar: bool) -> None:
        pending, self._pending, self._pending_kinds = self._pending, {}, set()
        if typeflag not in _NORMAL and pending:
            raise _Bad("an extended header precedes a member type only tarfile applies it to")
        name = _text(block[:100])
        first = pending.get("path", name)  # node-tar's directory-by-trailing-slash test sees this, before the prefix
        if typeflag == "":
            typeflag = "5" if first.endswith("/") else "0"
        elif typeflag == "0" and first.endswith("/"):
            raise _Bad("a regular-file header names a directory (trailing slash); the readers disagree")
        if ustar:
            prefix = _text(block[345:500] if block[475] else block[345:475])
            name = f"{prefix}/{name}" if prefix else name
        path = pending.get("path", name)
        if "size" in pending:
            size = int(pending["size"])
        header_link = _text(block[157:257])
        if not path:
            raise _Bad("a header has no path (npm's tar skips the block and reads its data as headers)")
        if typeflag in _LINK_TYPES and not header_link:
            raise _Bad("a link header has no target in its ustar field (npm's tar skips the block)")
        if typeflag not in _LINK_TYPES and header_link:
            raise _Bad("a non-link header has a link target (npm's tar skips the block)")
        if typeflag == "5":
            size = 0  # node-tar never reads a directory body
        elif typeflag in ("1", "2", "3", "4", "6") and size:
            raise _Bad("a link, device or FIFO header declares data, which only npm's tar skips")
        if typeflag == "S":
            raise _Bad("a GNU sparse member is read as a file by tarfile and skipped by npm's tar")
        kind = kind_for(typeflag)
        link = pending.get("linkpath", header_link) if kind == "link" else ""
        self.members.append(Seen(path.rstrip("/") or path, kind, self._offset, size, link))
        self._skip = -(-size // BLOCK) * BLOCK


def _node_int(raw: bytes) -> int | None:
    """node-tar's lenient decSmallNumber: cut at a NUL that ends the text, trim, parseInt base 8."""
    text = re.sub(r"\x00[^\n]*\Z", "", raw.decode("latin-1"), count=1).strip()
    found = re.match(r"[+-]?[0-7]+", text)
    return int(found.group(0), 8) if found else None


def first_tar_header(data: bytes | memoryview) -> int | None:
    """Offset of the first 512-byte block npm's tar would accept as a member header (its checksum adds up), or
    None. npm's tar skips blocks that are not headers, so one anywhere in a non-tar upload makes it a tar too."""
    view = memoryview(data)
    for at in range(0, len(view) - BLOCK + 1, BLOCK):
        block = view[at : at + BLOCK]
        if block[148] != 0x20 and not 0x30 <= block[148] <= 0x37:
            continue  # not an octal checksum: cheap reject for almost every block of a zip
        stored = _node_int(bytes(block[148:160]))
        if stored is not None and stored == 256 + sum(block[:148]) + sum(block[156:]) and any(block[:100]):
            return at
    return None
