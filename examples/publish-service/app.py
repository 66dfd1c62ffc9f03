"""A small publish service built on the extgate library: `PUT /packages/{name}` with the archive as the body.

    pip install 'extgate[serve]'
    uvicorn app:app --port 8000          # in this folder
    curl -T my-ext-1.0.0.tgz -H 'X-Publisher: @acme' http://127.0.0.1:8000/packages/my-ext

Passed -> 201 and the archive is stored; blocked or needing acknowledgement -> 422 with the findings. Checks run in
a process pool (CPU-bound work stays off the event loop), at most MAX_CHECKS at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import tempfile
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from extgate import Options, PolicyError, Status, acheck

MAX_BYTES = 32 * 1024 * 1024
MAX_CHECKS = 4
STORE = Path(os.environ.get("PUBLISH_STORE") or tempfile.mkdtemp(prefix="publish-store-"))
# The operator's policy as a mapping (the same shape as a policy TOML file).
POLICY = {"rules": {"content/long-line": {"enabled": False}}, "archive": {"max_files": 2000}}


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as executor:
        app.state.executor = executor
        app.state.limiter = asyncio.Semaphore(MAX_CHECKS)
        yield


async def upload(request: Request) -> JSONResponse:
    name = request.path_params["name"]
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        return JSONResponse({"error": "send the archive with a Content-Length"}, 411)
    if int(declared) > MAX_BYTES:
        return JSONResponse({"error": f"the archive is over {MAX_BYTES} bytes"}, 413)
    archive = await request.body()
    options = Options(publishers=request.headers.get("x-publisher", ""), offline=True, network=False)
    try:
        verdict = await acheck(
            archive, POLICY, options=options, executor=request.app.state.executor, limiter=request.app.state.limiter
        )
    except PolicyError as exc:  # a broken operator policy is a server error, never a pass
        return JSONResponse({"error": f"policy: {exc}"}, 500)
    if verdict.status is not Status.PASSED:
        findings = [
            {"rule": f.rule_id, "level": f.level.value, "path": f.path, "line": f.line, "message": f.message}
            for f in verdict.findings
            if f.level.value in ("error", "warning") and not f.acknowledged
        ]
        return JSONResponse({"accepted": False, "status": verdict.status.value, "findings": findings}, 422)
    if verdict.manifest.get("name") != name:
        return JSONResponse({"accepted": False, "error": f"the archive is {verdict.manifest.get('name')!r}"}, 422)
    target = STORE / f"{verdict.target.sha256}.tgz"
    target.write_bytes(archive)
    return JSONResponse({"accepted": True, "sha256": verdict.target.sha256, "verdict": verdict.to_dict()}, 201)


app = Starlette(routes=[Route("/packages/{name:path}", upload, methods=["PUT"])], lifespan=lifespan)
