"""Member names: decode, normalize for reporting, strip an npm tarball's single top folder.

Normalization is for *reporting*, not for making names safe: `..` segments and absolute-looking names are kept
visible so the archive gate can report them (the raw stored name is kept beside it on the Entry).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_DRIVE = re.compile(r"^[A-Za-z]:")


def decode_name(raw: bytes) -> tuple[str, str]:
    """(path text, raw text) for a name stored as bytes: invalid UTF-8 becomes U+FFFD in the path (safe to print
    and to encode) and a `\\xNN` escape in the raw text (so the report shows the real bytes)."""
    return raw.decode("utf-8", "replace"), raw.decode("utf-8", "backslashreplace")


def from_surrogates(name: str) -> tuple[str, str]:
    """tarfile decodes with surrogateescape: turn its text back into (path text, raw text) like `decode_name`."""
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # lone surrogates that did not come from bytes
        raw = name.encode("utf-8", "replace")
    return decode_name(raw)


def normalize(name: str) -> str:
    """Relative-looking POSIX path: backslashes become `/` (Windows extractors treat them as separators),
    `.` segments, duplicate and trailing slashes go; a leading `/` and `..` segments stay."""
    text = name.replace("\\", "/")
    absolute = text.startswith("/")
    segments = [s for s in text.split("/") if s not in ("", ".")]
    path = "/".join(segments)
    if absolute:
        return "/" + path
    return path


def is_absolute(path: str) -> bool:
    """A leading slash, a drive letter (`C:`), or a UNC-ish prefix."""
    return path.startswith("/") or bool(_DRIVE.match(path))


def has_traversal(path: str) -> bool:
    return ".." in path.split("/")


def top_folder(paths: Sequence[tuple[str, bool]]) -> str:
    """The single top folder every member lives under (npm: `package/`; @types/node: `node/`), or ''.

    `paths` are (normalized path, is_directory). A folder is only stripped when every member is inside it (or is
    the folder itself) and at least one member is below it; absolute and `..` names never count as a folder.
    """
    first: str | None = None
    below = False
    for path, is_dir in paths:
        if not path or is_absolute(path):
            return ""
        head, sep, rest = path.partition("/")
        if head in ("..", ""):
            return ""
        if first is None:
            first = head
        elif head != first:
            return ""
        if sep and rest:
            below = True
        elif not is_dir:
            return ""  # a file at the top level: no single folder
    return f"{first}/" if first is not None and below else ""


def strip_prefix(path: str, prefix: str) -> str:
    if prefix and path.startswith(prefix):
        return path[len(prefix) :]
    if prefix and path == prefix.rstrip("/"):
        return ""
    return path
