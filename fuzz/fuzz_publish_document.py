"""Fuzz target: the npm publish document (`PUT /:package` body) as `extgate serve` reads it: one version, one
base64 tarball attachment, dist digests."""

from __future__ import annotations

from _harness import instrumented, main

with instrumented(__name__, "extgate.publish"):
    import _targets

MAX_LEN = 8192
SEEDS = [
    _targets.publish_bytes({"package/package.json": _targets.MANIFEST, "package/index.js": b"module.exports = 1\n"}),
    b'{"name": "x", "versions": {"1.0.0": {"dist": {"integrity": "sha1-x sha512-y?z"}}}, "_attachments": {"x-1.0.0.tgz": {"data": "AAAA", "length": 3}, "x.sigstore": {}}}',  # noqa: E501
]
FIXTURES: list[bytes] = []
DICTIONARY = [b'"_attachments"', b'"versions"', b'"dist"', b'"integrity"', b'"shasum"', b'"data"', b'"length"',
              b'"name"', b'"version"', b"sha512-", b"sha1-", b".sigstore", b".tgz", b"==", b"\\u0000"]  # fmt: skip


def one_input(data: bytes) -> None:
    _targets.publish_document(data)


if __name__ == "__main__":
    main(one_input, SEEDS, max_len=MAX_LEN, fixtures=FIXTURES, dictionary=DICTIONARY)
