"""The HTTP gate: Starlette routes around the pure engine, which runs in a bounded worker-process pool.

    POST /v1/check          body: the archive          -> 200 JSON verdict (status inside), 422 not an archive
    POST /v1/check-publish  body: npm's PUT /:package  -> the same, metadata compared with the tarball
         query: profile, publisher (repeatable), acknowledge (fingerprint, repeatable), format=json|sarif,
                timeout (seconds, at most --timeout)
    GET  /healthz  /v1/rules  /metrics

401 bad or missing bearer token; 413 body over --max-body (never read past the limit); 429 + Retry-After past
--max-concurrency; a check past --timeout or on a crashed worker gets a blocked verdict (never a hang, never a pass).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from extgate import __version__
from extgate.formatters.json import render as render_json
from extgate.formatters.sarif import render as render_sarif
from extgate.model import Verdict
from extgate.options import Options
from extgate.policy import Acknowledgement, Policy
from extgate.profiles import PROFILE_NAMES
from extgate.rules.registry import load_registry
from extgate.server.interface import ServeConfig
from extgate.server.metrics import Metrics
from extgate.workers.failure import failure_verdict
from extgate.workers.pool import TaskTimeout, WorkerCrashed, WorkerPool

ACCESS_LOG = logging.getLogger("extgate.access")
UNPROCESSABLE = frozenset({"archive/corrupt"})


class _Refused(Exception):
    def __init__(self, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.headers = headers or {}


@dataclass
class _Outcome:
    """What the access log and the metrics record about one request."""

    digest: str | None = None
    verdict: str | None = None


class _State:
    def __init__(self, config: ServeConfig, pool: WorkerPool | None) -> None:
        self.config = config
        self.pool = pool
        self.metrics = Metrics()
        self.in_flight = 0


def create_app(config: ServeConfig, *, pool: WorkerPool | None = None) -> Starlette:
    """The ASGI app. Without `pool` it starts its own worker pool on startup and stops it on shutdown."""
    state = _State(config, pool)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        owned = state.pool is None
        if owned:
            state.pool = WorkerPool(config.workers, memory_mb=config.memory_mb, waiters=config.max_concurrency)
        try:
            yield
        finally:
            if owned and state.pool is not None:
                state.pool.close()

    def route(path: str, name: str, handler: Callable[[Request, _Outcome], Awaitable[Response]], method: str) -> Route:
        async def endpoint(request: Request) -> Response:
            started = time.perf_counter()
            outcome = _Outcome()
            try:
                response = await handler(request, outcome)
            except _Refused as exc:
                response = JSONResponse({"error": str(exc)}, exc.code, headers=exc.headers)
            seconds = time.perf_counter() - started
            state.metrics.observe(name, response.status_code, seconds, outcome.verdict)
            _log_access(request, name, response.status_code, seconds, outcome)
            return response

        return Route(path, endpoint, methods=[method], name=name)

    async def check_archive(request: Request, outcome: _Outcome) -> Response:
        return await _check(state, request, outcome, publish=False)

    async def check_publish(request: Request, outcome: _Outcome) -> Response:
        return await _check(state, request, outcome, publish=True)

    async def healthz(_request: Request, _outcome: _Outcome) -> Response:
        pool = state.pool
        return JSONResponse(
            {
                "status": "ok",
                "version": __version__,
                "workers": pool.size if pool else 0,
                "busy": pool.busy if pool else 0,
                "ready": pool.ready if pool else 0,
                "in_flight": state.in_flight,
            }
        )

    async def rules(_request: Request, _outcome: _Outcome) -> Response:
        rows = [
            {
                "id": r.id,
                "gate": r.gate,
                "level": r.level.value,
                "title": r.title,
                "profiles": {k: v.value for k, v in r.profiles.items()},
            }
            for r in load_registry()
        ]
        return JSONResponse(rows)

    async def metrics(_request: Request, _outcome: _Outcome) -> Response:
        pool = state.pool
        text = state.metrics.render(
            in_flight=state.in_flight,
            busy_workers=pool.busy if pool else 0,
            workers=pool.size if pool else 0,
            replaced=pool.replaced if pool else 0,
        )
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")

    routes = [
        route("/v1/check", "check", check_archive, "POST"),
        route("/v1/check-publish", "check-publish", check_publish, "POST"),
        route("/healthz", "healthz", healthz, "GET"),
        route("/v1/rules", "rules", rules, "GET"),
        route("/metrics", "metrics", metrics, "GET"),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


async def _check(state: _State, request: Request, outcome: _Outcome, *, publish: bool) -> Response:
    config = state.config
    _authorize(request, config.token)
    options, policy, fmt, timeout = _parse_query(request, config)
    if state.in_flight >= config.max_concurrency:
        raise _Refused(
            429,
            f"busy: {state.in_flight} checks in flight (--max-concurrency {config.max_concurrency}); retry",
            {"Retry-After": "1"},
        )
    state.in_flight += 1
    deadline = time.monotonic() + timeout  # one budget for receiving the body and checking it
    try:
        try:  # a client trickling its body must not hold a slot forever
            body = await asyncio.wait_for(_read_body(request, config.max_body), timeout)
        except TimeoutError:
            raise _Refused(408, f"the body did not arrive within {timeout:g} s") from None
        outcome.digest = hashlib.sha256(body).hexdigest()
        verdict = await _run(state, body, policy, options, timeout, deadline, publish=publish)
    finally:
        state.in_flight -= 1
    outcome.verdict = verdict.status.value
    code = 422 if any(f.rule_id in UNPROCESSABLE for f in verdict.findings) else 200
    headers = {"X-Extgate-Status": verdict.status.value, "X-Extgate-Digest": outcome.digest}
    if fmt == "sarif":
        return Response(render_sarif(verdict), code, headers=headers, media_type="application/sarif+json")
    return Response(render_json(verdict), code, headers=headers, media_type="application/json")


async def _run(
    state: _State, body: bytes, policy: Policy, options: Options, timeout: float, deadline: float, *, publish: bool
) -> Verdict:
    config = state.config
    assert state.pool is not None, "the app's lifespan starts the pool"
    stage = "check-publish" if publish else "check"
    try:
        fn: Callable[..., Verdict] = config.publish_job if publish else config.archive_job
        args = (body, policy, options, config.max_body) if publish else (body, policy, options)
        result = await state.pool.run(fn, *args, timeout=timeout, deadline=deadline)
    except TaskTimeout as exc:
        return failure_verdict(body, stage, f"{exc} (extgate serve --timeout)", policy, options.profile)
    except WorkerCrashed as exc:
        return failure_verdict(body, stage, f"the check failed in its worker ({exc})", policy, options.profile)
    except Exception as exc:  # the pool itself failed (cannot start a worker...): still a verdict, still blocked
        reason = f"the worker pool failed ({type(exc).__name__}: {exc})"
        return failure_verdict(body, stage, reason, policy, options.profile)
    if not isinstance(result, Verdict):
        reason = f"the worker returned {type(result).__name__}, not a verdict"
        return failure_verdict(body, stage, reason, policy, options.profile)
    return result


def _authorize(request: Request, token: str | None) -> None:
    if token is None:
        return
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    # compare_digest: the time taken does not reveal how much of a guessed token was right
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise _Refused(401, "missing or wrong bearer token", {"WWW-Authenticate": 'Bearer realm="extgate"'})


def _parse_query(request: Request, config: ServeConfig) -> tuple[Options, Policy, str, float]:
    query = request.query_params
    fmt = query.get("format", "json")
    if fmt not in ("json", "sarif"):
        raise _Refused(400, f"format must be json or sarif, not {fmt[:20]!r}")
    # a client may ask for a shorter deadline (to answer before its own caller gives up), never a longer one
    timeout = config.timeout
    if "timeout" in query:
        try:
            timeout = min(config.timeout, float(query["timeout"]))
        except ValueError:
            timeout = -1.0
        if not timeout > 0:
            raise _Refused(400, "timeout must be a positive number of seconds")
    profile = query.get("profile") or None
    if profile is not None and profile not in PROFILE_NAMES:
        raise _Refused(400, f"profile must be one of {', '.join(PROFILE_NAMES)}")
    publishers = tuple(p if p.startswith("@") else f"@{p}" for p in query.getlist("publisher") if p)
    options = replace(config.options, profile=profile or config.options.profile, publishers=publishers)
    policy = config.policy
    for fingerprint in query.getlist("acknowledge"):
        if fingerprint:
            policy = policy.with_acknowledgement(
                Acknowledgement(fingerprint[:100], "acknowledged by the registry (extgate serve ?acknowledge=)")
            )
    return options, policy, fmt, timeout


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, streamed: refused as soon as it passes `limit`, so a huge upload is never buffered."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _Refused(413, f"body of {declared} bytes is over the {limit}-byte limit (--max-body)")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _Refused(413, f"body is over the {limit}-byte limit (--max-body)")
        chunks.append(chunk)
    return b"".join(chunks)


def _log_access(request: Request, route: str, code: int, seconds: float, outcome: _Outcome) -> None:
    """One JSON line per request. Never the headers or the query (tokens, acknowledgements), never the body."""
    record = {
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "method": request.method,
        "route": route,
        "code": code,
        "ms": round(seconds * 1000, 1),
        "digest": outcome.digest,
        "status": outcome.verdict,
        "client": request.client.host if request.client else None,
    }
    ACCESS_LOG.info(json.dumps(record, separators=(",", ":")))
