"""What a registry publish document claims about the tarball it carries: plain, frozen, picklable data.

It travels inside `Options.publish` into the engine (and across process boundaries to `extgate serve`'s workers);
the manifest gate compares it with the tarball's own package.json.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PublishProblem:
    """One thing wrong with the document's shape. message: what and how to fix; evidence: stable fingerprint text."""

    message: str
    evidence: str


@dataclass(frozen=True, slots=True)
class PublishClaim:
    """The publish document, as far as the gate needs it.

    name        the document's top-level `name` ('' when missing or not a string)
    version     the one version it publishes ('' when it has none or several)
    metadata    `versions[version]` as JSON text ('' when missing); the registry serves *this* to installers, so it
                must say what the tarball's package.json says
    attachment  the `_attachments` key that held the tarball ('' when none)
    problems    shape problems (several versions or attachments, bad base64, digests that do not match `dist`);
                each becomes a manifest/publish-document finding
    """

    name: str = ""
    version: str = ""
    metadata: str = ""
    attachment: str = ""
    problems: tuple[PublishProblem, ...] = ()
