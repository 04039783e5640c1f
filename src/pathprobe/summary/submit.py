"""Send summaries to a collector: retries with back-off, stop on 4xx, offline queue for the rest.

Only files that validate as summaries are ever sent (a profile is refused before any I/O). The token
goes in the ``Authorization`` header and is never printed or stored.
"""

from __future__ import annotations

import ipaddress
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from pathprobe.bounded import MAX_SUMMARY_BYTES, loads_json
from pathprobe.errors import BadInput
from pathprobe.summary.queue import Queue
from pathprobe.summary.schema import validate_summary
from pathprobe.version import __version__

ACCEPTED, DUPLICATE, QUEUED, REJECTED = "accepted", "duplicate", "queued", "rejected"
MAX_SUMMARY_FILE = MAX_SUMMARY_BYTES


@dataclass(frozen=True)
class Outcome:
    """What became of one summary: ``status`` is :data:`ACCEPTED`, :data:`DUPLICATE` (the collector had it
    already), :data:`QUEUED` (to be sent later) or :data:`REJECTED` (refused for good); ``message`` says why
    when it was not taken, and ``http_status`` is the collector's status that decided it (None for a queued
    one).
    """

    summary_id: str
    status: str
    message: str = ""
    http_status: int | None = None


def check_collector_url(url: str) -> str:
    """An http(s) base URL; plain http only to this machine (summaries must not cross a network in clear)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(
            f"--collector must be an http(s) URL such as https://collector.example.org (got {url[:80]!r})"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise BadInput("--collector must not carry a user name, password, query or fragment (use --token)")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise BadInput("--collector must use https:// (plain http is allowed only to this machine)")
    return url.strip().rstrip("/")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_token(token: str) -> str:
    """The token without surrounding whitespace; :class:`BadInput` unless it is 1 to 200 printable ASCII
    characters, none of them a space.
    """
    t = token.strip()
    if not t or len(t) > 200 or not all(33 <= ord(c) < 127 for c in t):
        raise BadInput("--token must be the printable token the collector's operator gave you")
    return t


def load_summary_file(path: Path) -> dict[str, Any]:
    """Read and validate a summary; a profile (or anything else) is refused with a clear message."""
    try:
        if path.stat().st_size > MAX_SUMMARY_FILE:
            raise BadInput(f"{path}: too large to be a summary")
        data = loads_json(path.read_bytes(), str(path), max_bytes=MAX_SUMMARY_FILE)
    except FileNotFoundError:
        raise BadInput(f"{path}: no such summary file") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot read: {exc}") from None
    if isinstance(data, dict) and data.get("schema") == "pathprobe.profile/1":
        raise BadInput(
            f"{path}: this is a profile, not a summary; make one with `pathprobe summary {path}`"
            " (only summaries are ever sent)"
        )
    return validate_summary(data, str(path))


class Submitter:
    """POST one summary with retries. ``sleep`` and ``transport`` are the seams tests use."""

    def __init__(
        self,
        collector: str,
        token: str,
        *,
        attempts: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        timeout: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = check_collector_url(collector) + "/v1/summaries"
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.client = httpx.Client(
            timeout=timeout,
            transport=transport,
            trust_env=False,
            follow_redirects=False,
            headers={
                "Authorization": f"Bearer {check_token(token)}",
                "User-Agent": f"pathprobe/{__version__}",
            },
        )

    def close(self) -> None:
        """Close the HTTP client and its connections; nothing can be sent after this."""
        self.client.close()

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        delay = min(self.max_backoff, self.backoff * (2**attempt))
        delay *= 0.5 + random.random() / 2  # jitter: clients queued offline must not all return at once
        if retry_after and retry_after.strip().isdigit():
            delay = min(self.max_backoff, max(delay, float(retry_after)))
        self.sleep(delay)

    def send(self, summary: dict[str, Any]) -> Outcome:
        """POST one valid summary. 201 is :data:`ACCEPTED`, 200 :data:`DUPLICATE`, and any other 4xx but 408
        and 429 :data:`REJECTED` at once. Anything else (a network error, 408, 429, a redirect, a 5xx) is
        tried again, up to ``attempts`` tries in all, after an exponential back-off with jitter (raised to a
        numeric ``Retry-After``, in seconds; at most ``max_backoff``); then :data:`QUEUED`, for the caller to
        queue. Network errors never raise.
        """
        sid = summary["id"]
        body = json.dumps(summary, ensure_ascii=False).encode()
        last = "no answer"
        for attempt in range(self.attempts):
            retry_after = None
            try:
                r = self.client.post(self.url, content=body, headers={"Content-Type": "application/json"})
            except httpx.HTTPError as exc:
                last = f"collector not reachable ({type(exc).__name__})"
            else:
                if r.status_code in (200, 201):
                    return Outcome(
                        sid, DUPLICATE if r.status_code == 200 else ACCEPTED, http_status=r.status_code
                    )
                msg = _message(r)
                if 400 <= r.status_code < 500 and r.status_code not in (408, 429):
                    return Outcome(sid, REJECTED, msg, r.status_code)
                last = f"HTTP {r.status_code}: {msg}"
                retry_after = r.headers.get("Retry-After")
            if attempt + 1 < self.attempts:
                self._wait(attempt, retry_after)
        return Outcome(sid, QUEUED, last)


def _message(r: httpx.Response) -> str:
    try:
        data = r.json()
        text = data.get("error") if isinstance(data, dict) else None
    except ValueError:
        text = None
    text = text if isinstance(text, str) else r.text
    return " ".join(text.split())[:300] or r.reason_phrase


def submit_all(
    summaries: Sequence[dict[str, Any]],
    submitter: Submitter,
    queue: Queue,
    report: Callable[[Outcome], None],
) -> list[Outcome]:
    """Queued summaries first, then the given ones. Returns every outcome.

    After one summary exhausts its retries the collector is taken as unreachable and the rest are
    queued without further attempts; a 401/403 (bad token) queues the rest too and stops.
    """
    pending = queue.items()
    queued_ids = {s["id"] for s in pending}
    pending += [s for s in summaries if s["id"] not in queued_ids]
    outcomes: list[Outcome] = []
    give_up: str | None = None
    for s in pending:
        if give_up is not None:
            queue.put(s)
            o = Outcome(s["id"], QUEUED, give_up)
        else:
            o = submitter.send(s)
            if o.status in (ACCEPTED, DUPLICATE):
                queue.remove(s["id"])
            elif o.status == QUEUED:
                queue.put(s)
                give_up = o.message
            elif o.http_status in (401, 403):
                queue.put(s)
                o = Outcome(s["id"], REJECTED, f"the collector refused the token: {o.message}", o.http_status)
                give_up = "not sent: the token was refused"
            elif s["id"] in queued_ids:
                queue.reject(s)
        report(o)
        outcomes.append(o)
    return outcomes
