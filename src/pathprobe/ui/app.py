"""The local page's web app (Starlette): the guard, the routes and the server-sent progress.

The guard (:class:`Guard`) answers 403 to every request unless

- its ``Host`` is ``127.0.0.1:PORT`` or ``localhost:PORT`` (a page of another site whose name was
  rebound to 127.0.0.1 sends its own name: DNS rebinding is refused);
- it carries the token: in the URL's query (``?token=``; a wrong one is refused) or, after that, in the
  cookie the page's first answer sets (HttpOnly, SameSite=Strict, named after the port);
- it changes state (anything but GET and HEAD) and has an ``Origin`` of ``http://127.0.0.1:PORT`` or
  ``http://localhost:PORT`` (cross-site request forgery is refused).

Every answer has a Content-Security-Policy that allows this page's own script and styles only: no
inline script, no event handler attribute, nothing from elsewhere.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from pathprobe.errors import BadInput
from pathprobe.i18n import _, using
from pathprobe.ui import history, page
from pathprobe.ui.i18n import cookie_name, pick, request_language
from pathprobe.ui.jobs import RUNNING, Jobs

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
"""``style-src-attr 'unsafe-inline'``: the report's matrix sets one padding in a style attribute."""
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]
MAX_FORM = 64 * 1024
"""The largest form body read."""
EVENT_INTERVAL = 0.1
"""Seconds between two looks at the running job for the live view."""
STATIC = {"app.js": "text/javascript; charset=utf-8", "ui.css": "text/css; charset=utf-8"}


@dataclass
class Settings:
    """What the app needs from the command line."""

    port: int
    token: str
    host: str = "127.0.0.1"
    lang: str = "en"
    plan: str = ""
    trainer: bool = False
    history_root: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Guard:
    """Token, Host and Origin checks in front of the whole app (see the module's docstring)."""

    def __init__(self, app: ASGIApp, s: Settings) -> None:
        self.app = app
        self.token = s.token.encode()
        self.cookie = f"pathprobe_ui_{s.port}"
        self.hosts = {f"{h}:{s.port}".encode() for h in (s.host, "localhost")}
        self.origins = {b"http://" + h for h in self.hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass a request on to the app when it is allowed, else answer 403 (with the security headers)."""
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            return  # no websockets here
        headers: dict[bytes, list[bytes]] = {}
        for k, v in scope["headers"]:
            headers.setdefault(k.lower(), []).append(v)
        host = headers.get(b"host", [])
        if len(host) != 1 or host[0].lower() not in self.hosts:
            await forbidden(send, "this page answers only at 127.0.0.1 or localhost")
            return
        if scope["method"] not in ("GET", "HEAD"):
            origin = headers.get(b"origin", [])
            if len(origin) != 1 or origin[0].lower() not in self.origins:
                await forbidden(send, "a change must come from this page")
                return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        set_cookie = False
        if "token" in query:
            given = query["token"]
            if len(given) != 1 or not hmac.compare_digest(given[0].encode("utf-8", "replace"), self.token):
                await forbidden(send, "wrong token: use the address pathprobe ui printed")
                return
            set_cookie = True
        elif not self._cookie_ok(headers.get(b"cookie", [])):
            await forbidden(send, "open the address pathprobe ui printed (it carries the page's token)")
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS if k not in have]
                if set_cookie:  # beside any cookie of the app's own (the page's language)
                    extra.append((
                        b"set-cookie",
                        f"{self.cookie}={self.token.decode()}; Path=/; HttpOnly; SameSite=Strict".encode(),
                    ))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _cookie_ok(self, values: list[bytes]) -> bool:
        for raw in values:
            try:
                jar = SimpleCookie(raw.decode("latin-1"))
            except CookieError:
                continue
            morsel = jar.get(self.cookie)
            if morsel is not None and hmac.compare_digest(morsel.value.encode("utf-8", "replace"), self.token):
                return True
        return False


async def forbidden(send: Send, why: str) -> None:
    """A plain 403 (with the same security headers as every answer)."""
    body = f"403 forbidden: {why}\n".encode()
    await send({
        "type": "http.response.start",
        "status": 403,
        "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                    *HEADERS],
    })
    await send({"type": "http.response.body", "body": body})


class State:
    """The page's state: the jobs and the one-time notice (each request has its own language)."""

    def __init__(self, s: Settings, jobs: Jobs) -> None:
        self.settings = s
        self.jobs = jobs
        self.notice: str | None = None


def create_app(s: Settings, jobs: Jobs) -> ASGIApp:
    """The guarded app for ``pathprobe ui``."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
    from starlette.routing import Route

    from pathprobe.cli import consent
    from pathprobe.report.html import CSP as REPORT_CSP
    from pathprobe.report.html import CSS as REPORT_CSS
    from pathprobe.report.html import render_html
    from pathprobe.report.safe import safe_json

    state = State(s, jobs)

    def lang_of(request: Request) -> str:
        """The language this request is answered in (:func:`pathprobe.ui.i18n.request_language`)."""
        return request_language(request.query_params, request.cookies, s.port, s.lang)

    def remember(response: Response, lang: str) -> Response:
        response.set_cookie(cookie_name(s.port), lang, path="/", httponly=True, samesite="strict")
        return response

    def render(lang: str, fn: Callable[[page.View], str]) -> str:
        """``fn(view)`` in ``lang`` (the history's diffs too), in a worker thread's call."""
        with using(lang):
            return fn(view(lang))

    def view(lang: str) -> page.View:
        notice, state.notice = state.notice, None
        trainer = None
        if s.trainer:
            from pathprobe.ui import trainer as tr

            trainer = tr.scenarios()
        with jobs.lock:
            summary, sent = jobs.summary, list(jobs.sent)
        return page.View(
            lang=lang,
            consent=consent.has_consent(False),
            job=jobs.snapshot(),
            summary=summary,
            sent=sent,
            history=history.entries(s.history_root),
            scenarios=trainer,
            notice=notice,
            plan=s.plan,
            collector=os.environ.get("PATHPROBE_COLLECTOR", ""),
        )

    def wants_json(request: Request) -> bool:
        return "application/json" in request.headers.get("accept", "")

    def answer(request: Request, error: str | None = None, status: int = 400, where: str = "/") -> Response:
        """After a form: JSON for the page's script, else back to the page (the notice says what happened)."""
        if wants_json(request):
            return JSONResponse({"error": error} if error else {"ok": True}, status_code=status if error else 202)
        state.notice = error
        return RedirectResponse(where, status_code=303)

    async def form(request: Request) -> dict[str, str]:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype not in ("", "application/x-www-form-urlencoded"):
            with using(lang_of(request)):
                raise BadInput(_("The page sends its forms URL-encoded."))
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM:
                with using(lang_of(request)):
                    raise BadInput(_("The form is too large."))
        fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[0] for k, v in fields.items()}

    async def index(request: Request) -> Response:
        lang = lang_of(request)
        response = HTMLResponse(await run_in_threadpool(render, lang, page.page))
        return remember(response, lang) if pick(request.query_params.get("lang")) else response

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name == "report.css":
            return Response(REPORT_CSS, media_type="text/css; charset=utf-8")
        if name not in STATIC:
            return Response("not found\n", status_code=404, media_type="text/plain")
        data = (resources.files("pathprobe.ui") / "static" / name).read_bytes()
        return Response(data, media_type=STATIC[name])

    async def accept(request: Request) -> Response:
        consent._store()  # the CLI's own consent file, exactly as its first interactive run writes it
        return answer(request)

    async def set_lang(request: Request) -> Response:
        fields = await form(request)
        lang = pick(fields.get("lang"))
        response = answer(request)
        return remember(response, lang) if lang else response

    async def check(request: Request) -> Response:
        fields = await form(request)
        lang = lang_of(request)
        with using(lang):
            if not consent.has_consent(False):
                return answer(request, _("A check needs your informed consent first: read the notice and accept it."),
                              403)
            label = " ".join(fields.get("label", "").split())[:100] or None
            if jobs.start_check(label, lang=lang) is None:
                return answer(request, _("A check is running already; wait for its answer."), 409)
        return answer(request, where="/#progress")

    async def lab(request: Request) -> Response:
        fields = await form(request)
        lang = lang_of(request)
        with using(lang):
            if not s.trainer:
                return answer(request, _("Trainer mode needs pathprobe ui run as root on Linux."), 403)
            from pathprobe.ui import trainer as tr

            try:
                job = await run_in_threadpool(tr.start, jobs, fields.get("scenario", ""), lang)
            except BadInput as exc:
                return answer(request, str(exc))
            if job is None:
                return answer(request, _("A check is running already; wait for its answer."), 409)
        return answer(request, where="/#progress")

    async def events(request: Request) -> Response:
        async def stream() -> Any:
            last = -1
            number = None
            while True:
                job = jobs.snapshot()
                key = (job.number, job.version) if job is not None else None
                if key != (number, last):
                    data = json.dumps(page.snapshot(job), ensure_ascii=True)
                    yield f"event: snapshot\ndata: {data}\n\n"
                    number, last = key if key is not None else (None, -1)
                if job is None or job.state != RUNNING:
                    yield "event: end\ndata: {}\n\n"
                    return
                if await request.is_disconnected():
                    return
                await asyncio.sleep(EVENT_INTERVAL)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"X-Accel-Buffering": "no"})

    async def part_result(request: Request) -> Response:
        return HTMLResponse(await run_in_threadpool(render, lang_of(request), page.result_part))

    def download(data: str | bytes, name: str, media: str, csp: str | None = None) -> Response:
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        if csp:
            headers["Content-Security-Policy"] = csp
        return Response(data, media_type=media, headers=headers)

    async def profile_json(request: Request) -> Response:
        p = jobs.profile()
        if p is None:
            return Response("no result yet\n", status_code=404, media_type="text/plain")
        return download(p.to_json(), "pathprobe-profile.json", "application/json")

    async def report_html(request: Request) -> Response:
        p = jobs.profile()
        if p is None:
            return Response("no result yet\n", status_code=404, media_type="text/plain")
        lang = lang_of(request)

        def report() -> str:
            with using(lang):
                return render_html(p)

        return download(await run_in_threadpool(report), "pathprobe-report.html", "text/html; charset=utf-8",
                        REPORT_CSP)

    async def make_summary(request: Request) -> Response:
        from pathprobe.summary.anonymise import parse_asn, parse_country, summarise

        fields = await form(request)
        p = jobs.profile()
        with using(lang_of(request)):
            if p is None:
                return answer(request, _("Run a check first."), 409)
            try:
                cc = parse_country(fields.get("country", "").strip() or None)
                asn = parse_asn(fields.get("asn", "").strip() or None)
            except BadInput as exc:
                return answer(request, str(exc))
        data = summarise(p, country=cc, asn=asn)
        with jobs.lock:
            jobs.summary, jobs.sent = data, []
        return answer(request, where="/#summary-h")

    async def summary_json(request: Request) -> Response:
        with jobs.lock:
            data = jobs.summary
        if data is None:
            return Response("no summary yet\n", status_code=404, media_type="text/plain")
        return download(safe_json(data), "pathprobe-summary.json", "application/json")

    async def submit(request: Request) -> Response:
        fields = await form(request)
        with jobs.lock:
            data = jobs.summary
        lang = lang_of(request)
        with using(lang):
            if data is None:
                return answer(request, _("Make the summary first."), 409)
            try:
                outcomes = await run_in_threadpool(
                    send_summary, data, fields.get("collector", ""), fields.get("token", ""),
                    fields.get("proxy", "").strip() or None, fields.get("tor") == "1", lang,
                )
            except BadInput as exc:
                return answer(request, str(exc))
        with jobs.lock:
            jobs.sent = outcomes
        return answer(request, where="/#sent")

    async def keep(request: Request) -> Response:
        p = jobs.profile()
        with using(lang_of(request)):
            if p is None:
                return answer(request, _("Run a check first."), 409)
            try:
                await run_in_threadpool(history.save, p, s.history_root)
            except BadInput as exc:
                return answer(request, str(exc))
        return answer(request, where="/#history")

    async def forget(request: Request) -> Response:
        fields = await form(request)
        history.delete(fields.get("name", ""), s.history_root)
        return answer(request, where="/#history")

    async def saved(request: Request) -> Response:
        name = request.path_params["name"]
        lang = lang_of(request)
        try:
            with using(lang):
                p = await run_in_threadpool(history.load, name, s.history_root)
        except BadInput as exc:
            return Response(f"{exc}\n", status_code=404, media_type="text/plain; charset=utf-8")
        if request.query_params.get("download") == "1":
            return download(p.to_json(), f"pathprobe-{name}", "application/json")
        return HTMLResponse(await run_in_threadpool(page.saved_page, lang, name, p))

    async def bad_input(request: Request, exc: Exception) -> Response:
        return answer(request, str(exc))

    routes = [
        Route("/", index, methods=["GET", "HEAD"]),
        Route("/static/{name}", static, methods=["GET", "HEAD"]),
        Route("/events", events, methods=["GET"]),
        Route("/part/result", part_result, methods=["GET"]),
        Route("/profile.json", profile_json, methods=["GET"]),
        Route("/report.html", report_html, methods=["GET"]),
        Route("/summary.json", summary_json, methods=["GET"]),
        Route("/history/{name}", saved, methods=["GET"]),
        Route("/consent", accept, methods=["POST"]),
        Route("/lang", set_lang, methods=["POST"]),
        Route("/check", check, methods=["POST"]),
        Route("/lab", lab, methods=["POST"]),
        Route("/summary", make_summary, methods=["POST"]),
        Route("/submit", submit, methods=["POST"]),
        Route("/history/save", keep, methods=["POST"]),
        Route("/history/delete", forget, methods=["POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={BadInput: bad_input})
    return Guard(app, s)


def send_summary(data: dict[str, Any], collector: str, token: str, proxy: str | None,
                 tor: bool, lang: str = "en") -> list[tuple[str, str]]:
    """``pathprobe submit``'s way to send: the collector, the token, a proxy or a private tor client,
    the offline queue for what cannot be sent now. Each outcome as (what became of it, message), told
    in ``lang``."""
    from pathprobe.summary.queue import Queue
    from pathprobe.summary.submit import ACCEPTED, DUPLICATE, QUEUED, Submitter, submit_all

    with using(lang):
        if tor and proxy:
            raise BadInput(_("Give a proxy or Tor, not both."))
        submitter = Submitter(collector, token, attempts=3, proxy=proxy)
        out: list[tuple[str, str]] = []
        try:
            if tor:
                submitter.start_tor([])
            for o in submit_all([data], submitter, Queue(), lambda o: None):
                if o.status == ACCEPTED:
                    word = _("{id}: stored by the collector", id=o.summary_id)
                elif o.status == DUPLICATE:
                    word = _("{id}: the collector has it already", id=o.summary_id)
                elif o.status == QUEUED:
                    word = _("{id}: queued, to be sent later", id=o.summary_id)
                else:
                    word = _("{id}: refused by the collector (HTTP {status})", id=o.summary_id,
                             status=o.http_status)
                out.append((word, o.message[:300]))
        finally:
            submitter.close()
    return out
