"""New OSV records from the OSV service since a timestamp (`reaudit --since T` without `--advisories`).

The OSV API has no "modified since" query; OSV's data bucket publishes, per ecosystem, `modified_id.csv`: one
`<modified RFC 3339>,<id>` line per record, newest first. So: read that file until the first line older than
`since` (never the whole file), then `GET {osv}/v1/vulns/{id}` for each id, with the shared HTTP client's
retries, size caps and TLS trust store.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import httpx

from extgate.registry.http import TransportError, request_json, timeouts
from extgate.registry.tls import ssl_context
from extgate.trust.interface import OsvRecord
from extgate.trust.osv import record_from

MODIFIED_CSV_URL = "https://osv-vulnerabilities.storage.googleapis.com/npm/modified_id.csv"
MAX_RECORDS = 50_000  # a since far in the past is a full download: use the ecosystem zip for that
MAX_LINE = 4096


class FeedUnavailable(Exception):
    """The OSV feed could not be read (unreachable, bad status, too many records): nothing was re-audited."""


def parse_since(text: str) -> datetime:
    """An RFC 3339 / ISO 8601 timestamp; naive times are UTC. ValueError when unreadable."""
    from datetime import UTC

    stamp = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def fetch_since(
    since: datetime,
    *,
    osv_url: str,
    modified_url: str = MODIFIED_CSV_URL,
    timeout: float = 10.0,
    ca_bundle: str | None = None,
) -> list[OsvRecord]:
    """Records modified at or after `since`, newest first."""
    try:
        with httpx.Client(timeout=timeouts(timeout), verify=ssl_context(ca_bundle), follow_redirects=True) as client:
            out: list[OsvRecord] = []
            for vuln_id in list(_modified_ids(client, modified_url, since)):
                url = f"{osv_url.rstrip('/')}/v1/vulns/{vuln_id}"
                record = record_from(request_json(client, "GET", url), url)
                if record is not None:  # 404 (withdrawn from the API) or not a record: nothing to match
                    out.append(record)
            return out
    except (TransportError, httpx.HTTPError) as exc:
        raise FeedUnavailable(f"OSV records since {since.isoformat()}: {exc}") from None


def _modified_ids(client: httpx.Client, url: str, since: datetime) -> Iterator[str]:
    with client.stream("GET", url) as response:
        if response.status_code != 200:
            raise FeedUnavailable(f"{url}: HTTP {response.status_code}")
        count = 0
        for line in response.iter_lines():
            stamp_text, _, vuln_id = line[:MAX_LINE].strip().partition(",")
            try:
                stamp = parse_since(stamp_text)
            except ValueError:
                continue  # a header or a damaged line
            if stamp < since:
                return  # newest first: everything after this is older
            vuln_id = vuln_id.strip().rsplit("/", 1)[-1]  # the all-ecosystems file writes `npm/GHSA-...`
            if not vuln_id:
                continue
            count += 1
            if count > MAX_RECORDS:
                raise FeedUnavailable(f"{url}: more than {MAX_RECORDS} records since {since.isoformat()}")
            yield vuln_id
