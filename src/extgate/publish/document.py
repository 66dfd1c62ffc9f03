"""Read a registry publish document hostilely: one version, one tarball attachment, strict base64, digests that
match `dist`. Pure: bytes in, (tarball bytes, PublishClaim) out; every problem is data, never an exception."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from extgate.model import truncate
from extgate.publish.interface import PublishClaim, PublishProblem

MAX_DOCUMENT_BYTES = 256 * 1024 * 1024  # the caller (extgate serve's --max-body) normally caps far lower


class _Duplicate(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


def read_publish_document(
    body: bytes | Mapping[str, Any], *, max_bytes: int = MAX_DOCUMENT_BYTES
) -> tuple[bytes, PublishClaim]:
    """The tarball the document carries (b'' when none could be taken) and what the document claims about it."""
    problems: list[PublishProblem] = []

    def problem(message: str, evidence: str) -> None:
        problems.append(PublishProblem(message, evidence))

    doc: Any = body
    if not isinstance(body, Mapping):
        if len(body) > max_bytes:
            problem(f"the publish document is {len(body)} bytes, over the {max_bytes}-byte limit.", "document:size")
            return b"", PublishClaim(problems=tuple(problems))
        try:
            doc = json.loads(bytes(body).decode("utf-8"), object_pairs_hook=_no_duplicates)
        except _Duplicate as exc:
            problem(
                f"the publish document repeats the key {truncate(str(exc), 80)!r}; readers disagree on which one "
                "counts, so send each key once.",
                "document:duplicate-key",
            )
            return b"", PublishClaim(problems=tuple(problems))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            problem(
                f"the publish document is not JSON ({truncate(type(exc).__name__ + ': ' + str(exc), 160)}); send "
                "the body of npm's PUT /:package.",
                "document:not-json",
            )
            return b"", PublishClaim(problems=tuple(problems))
    if not isinstance(doc, Mapping):
        problem("the publish document must be a JSON object with name, versions and _attachments.", "document:shape")
        return b"", PublishClaim(problems=tuple(problems))

    raw_name = doc.get("name")
    name = raw_name if isinstance(raw_name, str) else ""
    if not name:
        problem("the publish document has no `name` string; send the body of npm's PUT /:package.", "document:name")
    version, metadata = _one_version(doc, problem)
    attachment, tarball = _one_tarball(doc, name, version, problem)
    if metadata is not None:
        if metadata.get("name") != name:
            problem(
                f"versions[{truncate(version, 60)!r}].name is {truncate(repr(metadata.get('name')), 80)}, not the "
                f"document's name {truncate(name, 80)!r}; publish one package per document.",
                "document:version-name",
            )
        if metadata.get("version") != version:
            problem(
                f"versions[{truncate(version, 60)!r}].version is {truncate(repr(metadata.get('version')), 60)}; the "
                "key and the version inside must be the same.",
                "document:version-key",
            )
        if tarball:
            _check_dist(metadata.get("dist"), tarball, problem)
    tags = doc.get("dist-tags")
    if isinstance(tags, Mapping) and version:
        moved = sorted(str(tag) for tag, value in tags.items() if value != version)
        if moved:
            problem(
                f"dist-tags {', '.join(truncate(t, 40) for t in moved[:5])} point at another version than the one "
                f"published ({truncate(version, 60)}); move tags with `npm dist-tag`, not inside a publish.",
                "document:dist-tags",
            )
    claim = PublishClaim(
        name=name,
        version=version,
        metadata=json.dumps(metadata, sort_keys=True, ensure_ascii=False) if metadata is not None else "",
        attachment=attachment,
        problems=tuple(problems),
    )
    return tarball, claim


def _one_version(doc: Mapping[str, Any], problem: Any) -> tuple[str, Mapping[str, Any] | None]:
    versions = doc.get("versions")
    if not isinstance(versions, Mapping) or not versions:
        problem("the publish document has no `versions` object with the version it publishes.", "document:versions")
        return "", None
    if len(versions) != 1:
        problem(
            f"the publish document carries {len(versions)} versions; a publish adds exactly one (npm never sends "
            "more), so the others would bypass the check.",
            "document:several-versions",
        )
        return "", None
    version, metadata = next(iter(versions.items()))
    if not isinstance(metadata, Mapping):
        problem(
            f"versions[{truncate(str(version), 60)!r}] must be an object (the version's package.json).",
            "document:version-shape",
        )
        return str(version), None
    return str(version), metadata


def _one_tarball(doc: Mapping[str, Any], name: str, version: str, problem: Any) -> tuple[str, bytes]:
    attachments = doc.get("_attachments")
    if not isinstance(attachments, Mapping) or not attachments:
        problem("the publish document has no `_attachments` tarball; nothing can be checked.", "document:attachments")
        return "", b""
    expected = f"{name}-{version}.tgz"
    # npm --provenance adds a sigstore bundle beside the tarball; it is not package content
    tarballs = [key for key in attachments if not str(key).endswith(".sigstore")]
    if len(tarballs) != 1:
        problem(
            f"the publish document carries {len(tarballs)} tarball attachments; a publish uploads exactly one, so "
            "the others would be stored unchecked.",
            "document:several-attachments",
        )
        return "", b""
    key = str(tarballs[0])
    if name and version and key != expected and key.rsplit("/", 1)[-1] != expected.rsplit("/", 1)[-1]:
        problem(
            f"the attachment is named {truncate(key, 100)!r}, not {truncate(expected, 100)!r} as npm names the "
            "tarball of this version.",
            "document:attachment-name",
        )
    entry = attachments[tarballs[0]]
    data = entry.get("data") if isinstance(entry, Mapping) else None
    if not isinstance(data, str):
        problem(f"_attachments[{truncate(key, 100)!r}].data must be the base64 tarball.", "document:attachment-data")
        return key, b""
    try:
        tarball = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        problem(
            f"_attachments[{truncate(key, 100)!r}].data is not valid base64; the registry and extgate could decode "
            "it differently, so it is refused.",
            "document:base64",
        )
        return key, b""
    length = entry.get("length")
    if length is not None and length != len(tarball):
        problem(
            f"_attachments[{truncate(key, 100)!r}].length says {truncate(repr(length), 30)} bytes but the tarball "
            f"is {len(tarball)}.",
            "document:attachment-length",
        )
    return key, tarball


def _check_dist(dist: Any, tarball: bytes, problem: Any) -> None:
    """`dist.shasum` / `dist.integrity` are what installers verify the download against: they must describe
    the tarball that was checked, not another one."""
    if not isinstance(dist, Mapping):
        return  # npm always sends dist; a registry computes it when absent
    shasum = dist.get("shasum")
    if shasum is not None and shasum != hashlib.sha1(tarball).hexdigest():
        problem(
            f"dist.shasum {truncate(str(shasum), 60)} is not the SHA-1 of the attached tarball; installers would "
            "verify a different file than the one checked.",
            "document:shasum",
        )
    integrity = dist.get("integrity")
    if isinstance(integrity, str):
        digests = {
            algo: base64.b64encode(hashlib.new(algo, tarball).digest()).decode()
            for algo in ("sha512", "sha384", "sha256", "sha1")
        }
        claimed = [part.split("-", 1) for part in integrity.split() if "-" in part]
        known = [(algo, value.split("?", 1)[0]) for algo, value in claimed if algo in digests]
        if not known or any(digests[algo] != value for algo, value in known):
            problem(
                f"dist.integrity {truncate(integrity, 60)} does not match the attached tarball; installers would "
                "verify a different file than the one checked.",
                "document:integrity",
            )
    elif integrity is not None:
        problem("dist.integrity must be an SRI string.", "document:integrity")
