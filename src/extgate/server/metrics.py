"""In-process counters rendered in the Prometheus text exposition format (no client library needed)."""

from __future__ import annotations

import threading
from collections import Counter

BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class Metrics:
    """Requests by route and HTTP code, verdicts by status, request latency histogram, worker replacements."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, int]] = Counter()
        self.verdicts: Counter[str] = Counter()
        self._bucket_counts = [0] * len(BUCKETS)
        self._latency_sum = 0.0
        self._latency_count = 0

    def observe(self, route: str, code: int, seconds: float, verdict: str | None) -> None:
        with self._lock:
            self.requests[(route, code)] += 1
            if verdict:
                self.verdicts[verdict] += 1
            self._latency_sum += seconds
            self._latency_count += 1
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    self._bucket_counts[i] += 1

    def render(self, *, in_flight: int, busy_workers: int, workers: int, replaced: int) -> str:
        with self._lock:
            lines = [
                "# HELP extgate_requests_total HTTP requests by route and status code.",
                "# TYPE extgate_requests_total counter",
                *(
                    f'extgate_requests_total{{route="{route}",code="{code}"}} {n}'
                    for (route, code), n in sorted(self.requests.items())
                ),
                "# HELP extgate_verdicts_total Verdicts returned, by status.",
                "# TYPE extgate_verdicts_total counter",
                *(f'extgate_verdicts_total{{status="{s}"}} {n}' for s, n in sorted(self.verdicts.items())),
                "# HELP extgate_request_duration_seconds Request latency.",
                "# TYPE extgate_request_duration_seconds histogram",
                *(
                    f'extgate_request_duration_seconds_bucket{{le="{bound:g}"}} {n}'
                    for bound, n in zip(BUCKETS, self._bucket_counts, strict=True)
                ),
                f'extgate_request_duration_seconds_bucket{{le="+Inf"}} {self._latency_count}',
                f"extgate_request_duration_seconds_sum {self._latency_sum:.6f}",
                f"extgate_request_duration_seconds_count {self._latency_count}",
                "# HELP extgate_in_flight_requests Check requests being processed or waiting for a worker.",
                "# TYPE extgate_in_flight_requests gauge",
                f"extgate_in_flight_requests {in_flight}",
                "# HELP extgate_workers Worker processes (busy / total).",
                "# TYPE extgate_workers gauge",
                f'extgate_workers{{state="busy"}} {busy_workers}',
                f'extgate_workers{{state="total"}} {workers}',
                "# HELP extgate_worker_replacements_total Workers killed (timeout) or found dead and replaced.",
                "# TYPE extgate_worker_replacements_total counter",
                f"extgate_worker_replacements_total {replaced}",
            ]
        return "\n".join(lines) + "\n"
