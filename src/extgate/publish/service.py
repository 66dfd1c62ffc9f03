"""`check_publish`: one verdict for a registry publish document -- the attached tarball through every gate, plus
the document's shape and its metadata compared with the tarball's package.json (manifest gate)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from extgate.engine import check
from extgate.model import Verdict
from extgate.options import Options
from extgate.policy import Policy
from extgate.publish.document import MAX_DOCUMENT_BYTES, read_publish_document


def check_publish(
    document: bytes | Mapping[str, Any],
    policy: Policy | Mapping[str, Any] | None = None,
    *,
    options: Options | None = None,
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> Verdict:
    """The verdict for `PUT /:package`'s body (JSON bytes or the parsed mapping). Pure, like `check`."""
    tarball, claim = read_publish_document(document, max_bytes=max_bytes)
    return check(tarball, policy, options=replace(options or Options(), publish=claim))
