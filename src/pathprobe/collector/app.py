"""The collector's web app (Starlette; run under uvicorn by ``pathprobe collector serve``).

    POST /v1/summaries   Bearer token; JSON summary; 201 stored, 200 already stored (same id),
                         400 bad JSON, 401 no/unknown token, 413 too large, 415 not JSON, 422 schema
    GET  /v1/aggregate   Bearer token; ?by=country,asn,week&country=&asn=&path=&since=&until=
    GET  /               dashboard (self-contained HTML; country x path x week, cells under k hidden)
    GET  /healthz        "ok"

A 2xx on POST is sent only after the summary's transaction has committed. Concurrent requests are
written in batches by one writer (group commit), which is what makes durability affordable. Nothing
about the submitter is kept: no address, no time of day, no access log.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from pathprobe.bounded import loads_json
from pathprobe.collector.dashboard import render_dashboard
from pathprobe.collector.storage import DIMENSIONS, Incoming, Storage, today
from pathprobe.collector.tokens import bearer
from pathprobe.errors import BadInput
from pathprobe.i18n import LANGUAGES, get_language, using
from pathprobe.summary.schema import valid_path_id, validate_summary

DEFAULT_MAX_BODY = 256 * 1024
TOKEN_CACHE_SECONDS = 2.0
MAX_BATCH = 512
_WEEK = re.compile(r"\d{4}-W\d{2}")


@dataclass
class Settings:
    """The server's tunables: ``k`` (aggregate cells with fewer submissions are hidden) and
    ``max_body`` (the largest summary accepted, in bytes).
    """

    k: int = 5
    max_body: int = DEFAULT_MAX_BODY


class Writer:
    """One task that drains the queue of accepted summaries into ``insert_batch`` calls (group commit)."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.queue: asyncio.Queue[tuple[Incoming, asyncio.Future[bool]]] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the writer task on the running event loop."""
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Cancel the writer task and wait for it to end; summaries still in the queue are not stored."""
        if self.task:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def store(self, item: Incoming) -> bool:
        """Queue ``item`` and wait for its batch to commit: True when it is new, False when its id
        was already stored; raises the storage's exception when the batch failed.
        """
        fut: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        await self.queue.put((item, fut))
        return await fut

    async def _run(self) -> None:
        while True:
            batch = [await self.queue.get()]
            while len(batch) < MAX_BATCH and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            try:
                results = await asyncio.to_thread(self.storage.insert_batch, [b[0] for b in batch])
            except Exception as exc:  # the whole transaction rolled back: nobody gets a 2xx
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
            else:
                for (_, fut), new in zip(batch, results, strict=True):
                    if not fut.done():
                        fut.set_result(new)


@dataclass
class State:
    """What the request handlers share (``app.state.pp``): storage, settings, the writer and the
    token cache (token to id and expiry, monotonic seconds).
    """

    storage: Storage
    settings: Settings
    writer: Writer
    tokens: dict[str, tuple[int, float]] = field(default_factory=dict)


def _error(status: int, message: str, **headers: str) -> JSONResponse:
    # Messages may quote the sender's text (a key name): lone surrogates would make the encoder fail.
    message = message.encode("utf-8", "replace").decode("utf-8")
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


async def _authorise(request: Request) -> int | None:
    """The token id for the request's bearer token. Positives are cached briefly; negatives never,
    so a token added by ``collector token add`` works at once."""
    st: State = request.app.state.pp
    token = bearer(request.headers.get("authorization"))
    if token is None:
        return None
    hit = st.tokens.get(token)
    now = time.monotonic()
    if hit and hit[1] > now:
        return hit[0]
    tid = await asyncio.to_thread(st.storage.token_id, token)
    if tid is None:
        st.tokens.pop(token, None)
        return None
    if len(st.tokens) > 10_000:
        st.tokens.clear()
    st.tokens[token] = (tid, now + TOKEN_CACHE_SECONDS)
    return tid


def _unauthorised() -> JSONResponse:
    return _error(
        401,
        "a valid bearer token is needed (Authorization: Bearer TOKEN)",
        **{"WWW-Authenticate": 'Bearer realm="pathprobe"'},
    )


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is larger than ``limit`` (checked on the header and while reading)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            return None
        if int(declared) > limit:
            return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def post_summary(request: Request) -> Response:
    """``POST /v1/summaries``: authorise, check media type, size and schema, then store (the answer
    waits for the commit); 503 with ``Retry-After`` when the storage fails.
    """
    st: State = request.app.state.pp
    tid = await _authorise(request)
    if tid is None:
        return _unauthorised()
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        return _error(415, "the body must be a summary in JSON (Content-Type: application/json)")
    try:
        body = await _read_body(request, st.settings.max_body)
    except ClientDisconnect:  # the client went away (or was cut off for sending too slowly)
        return Response(status_code=400)
    if body is None:
        return _error(413, f"the body is larger than {st.settings.max_body} bytes")
    try:
        with using("en"):  # the JSON API speaks English, whatever the server's language
            data = loads_json(body, "the body", max_bytes=st.settings.max_body)
    except BadInput as exc:  # too deep, an over-long number, NaN, not UTF-8, not JSON: the client's fault
        return _error(400, f"not valid JSON: {exc}")
    try:
        with using("en"):
            summary = validate_summary(data, "body")
    except BadInput as exc:
        return _error(422, str(exc))
    except (TypeError, ValueError, OverflowError, RecursionError):  # a validator gap: still the sender's fault
        return _error(422, "body: not a pathprobe summary (a value of the wrong type)")
    try:
        new = await st.writer.store(Incoming(summary, tid, today()))
    except Exception:
        return _error(503, "the summary could not be stored now; try again later", **{"Retry-After": "5"})
    return JSONResponse(
        {"id": summary["id"], "stored": new, "duplicate": not new}, status_code=201 if new else 200
    )


def _query(request: Request, k: int) -> dict[str, Any]:
    q = request.query_params
    allowed = {"by", "country", "asn", "path", "since", "until"}
    unknown = sorted(set(q) - allowed)
    if unknown:
        raise BadInput(f"unknown parameter '{unknown[0][:40]}' (known: {', '.join(sorted(allowed))})")
    by_text = q.get("by", "country,asn,week")
    by = tuple(b.strip() for b in by_text.split(",") if b.strip() and b.strip() != "path")
    for b in by:
        if b not in DIMENSIONS:
            raise BadInput(f"by: '{b[:40]}' is not one of country, asn, path, week")
    out: dict[str, Any] = {"by": by, "k": k}
    if "country" in q:
        cc = q["country"].upper()
        if not re.fullmatch(r"[A-Z]{2}", cc):
            raise BadInput("country: must be a two-letter country code")
        out["country"] = cc
    if "asn" in q:
        if not re.fullmatch(r"\d{1,10}", q["asn"]) or not 1 <= int(q["asn"]) <= 4_294_967_295:
            raise BadInput("asn: must be an AS number")
        out["asn"] = int(q["asn"])
    if "path" in q:
        if not valid_path_id(q["path"]) or "#" in q["path"]:
            raise BadInput("path: must be a path id such as direct, doh, tor:obfs4 or vpn:wireguard")
        out["path"] = q["path"]
    for key in ("since", "until"):
        if key in q:
            if not _WEEK.fullmatch(q[key]):
                raise BadInput(f"{key}: must be an ISO week such as 2026-W07")
            out[key] = q[key]
    return out


async def get_aggregate(request: Request) -> Response:
    """``GET /v1/aggregate``: the counters grouped and filtered by the query (400 on a bad
    parameter), cells under k suppressed.
    """
    st: State = request.app.state.pp
    if await _authorise(request) is None:
        return _unauthorised()
    try:
        args = _query(request, st.settings.k)
    except BadInput as exc:
        return _error(400, str(exc))
    by, k = args.pop("by"), args.pop("k")
    result = await asyncio.to_thread(st.storage.aggregate, by, k, **args)
    return JSONResponse(result)


def dashboard_language(query: str | None, accept_language: str | None) -> str:
    """The dashboard's language: ``?lang=ru|kk|en`` when it names one, else the first language of the
    request's ``Accept-Language`` that pathprobe speaks (by weight, then order; ``ru-RU`` is ``ru``),
    else the server's own (``--lang``, ``PATHPROBE_LANG``, the locale)."""
    if query and query.strip().lower() in LANGUAGES:
        return query.strip().lower()
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "")[:2000].split(",")[:50]):
        tag, _sep, params = part.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            key, _eq, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        code = tag.strip().lower().replace("_", "-").split("-", 1)[0]
        if code in LANGUAGES and weight > 0:
            ranked.append((-weight, i, code))
    return min(ranked)[2] if ranked else get_language()


async def dashboard(request: Request) -> Response:
    """``GET /``: the self-contained HTML dashboard (country x path x week and overall), no token needed,
    in the language :func:`dashboard_language` picks."""
    st: State = request.app.state.pp
    lang = dashboard_language(request.query_params.get("lang"), request.headers.get("accept-language"))
    by_country = await asyncio.to_thread(st.storage.aggregate, ("country", "week"), st.settings.k)
    overall = await asyncio.to_thread(st.storage.aggregate, ("week",), st.settings.k)
    by_network = await asyncio.to_thread(st.storage.aggregate, ("country", "asn"), st.settings.k)
    return HTMLResponse(
        render_dashboard(by_country, overall, st.settings.k, by_network, lang),
        headers={
            "Content-Language": lang,
            "Vary": "Accept-Language",
            "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline';"
            " style-src 'unsafe-inline'; img-src data:"
        },
    )


async def healthz(request: Request) -> Response:
    """``GET /healthz``: ``ok``, without touching the database."""
    return PlainTextResponse("ok")


def create_app(storage: Storage, settings: Settings | None = None) -> Starlette:
    """The Starlette app over ``storage``; the writer task runs for the app's lifespan. The caller
    keeps ownership of ``storage`` (the app does not close it).
    """
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        writer = Writer(storage)
        writer.start()
        app.state.pp = State(storage, settings, writer)
        try:
            yield
        finally:
            await writer.stop()

    return Starlette(
        routes=[
            Route("/v1/summaries", post_summary, methods=["POST"]),
            Route("/v1/aggregate", get_aggregate, methods=["GET"]),
            Route("/", dashboard, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
