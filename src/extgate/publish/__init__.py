"""Registry publish documents (`PUT /:package`, the tarball base64 in `_attachments`).

tarball, claim = read_publish_document(body)        # pure; never raises on hostile input
verdict = check_publish(body, policy, options=...)  # extgate.publish.service: tarball + metadata in one verdict
"""

from __future__ import annotations

from extgate.publish.document import MAX_DOCUMENT_BYTES, read_publish_document
from extgate.publish.interface import PublishClaim, PublishProblem

__all__ = ["MAX_DOCUMENT_BYTES", "PublishClaim", "PublishProblem", "read_publish_document"]
