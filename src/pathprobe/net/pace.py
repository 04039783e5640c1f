"""Adaptive deadlines: when to repeat an attempt and when to give up, from the round trips seen so far.

A check learns how fast this network answers from its own successful attempts (TCP connects, DNS
answers) and paces the rest by it (DESIGN.md "Time and size bounds"):

- an attempt that has not been answered after ``retry_after()`` is *repeated* — a fresh SYN or a
  re-sent query racing the earlier ones, which stay open — so a lost packet costs about four round
  trips (at least :data:`RETRY_FLOOR`) instead of the kernel's one-second SYN retransmission or a
  resolver timeout;
- a target is called silent (``generic_timeout_error``) before the step deadline only with
  evidence: at least :data:`MIN_ATTEMPTS` attempts sent and no answer after ``give_up_after()``,
  which is never less than :data:`GIVE_UP_FLOOR` (:data:`DNS_GIVE_UP_FLOOR` for DNS), ten typical
  round trips, or twice the slowest success seen. Without :data:`MIN_SAMPLES` successes there is no such evidence and the step's own
  deadline (``--timeout``) applies.

Retries share their step's deadline: nothing here ever waits longer than the caller's deadline.
The paces of one check live in a context variable that :func:`begin` sets (the runner calls it);
code running outside a check gets a fresh pace per call (no early give-up, retries at the ceiling).
"""

from __future__ import annotations

import asyncio
import contextvars
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

RETRY_FLOOR = 0.25
"""Never repeat an attempt sooner than this (seconds)."""
RETRY_CEIL = 1.0
"""Nor later than this: Linux's first SYN retransmission comes after 1 s."""
RETRY_RTTS = 4.0
"""Repeat after this many typical round trips (between the floor and the ceiling)."""
GIVE_UP_FLOOR = 1.5
"""Never call a connection silent sooner than this: at 15 % loss each way some 6–8 SYNs are lost in
a row with a probability near 1e-4."""
DNS_GIVE_UP_FLOOR = 3.0
"""A resolver's answer time is not a round trip: a name it has not cached may take it seconds to
look up while cached ones come back at once. Never call a query silent sooner than this."""
GIVE_UP_RTTS = 10.0
GIVE_UP_SLOWEST = 2.0
MIN_SAMPLES = 3
MIN_ATTEMPTS = 4
MAX_IN_FLIGHT = 4
"""Attempts of one target open at once (the oldest is dropped for a new one): bounds sockets."""
KEEP = 256


class Pace:
    """Round-trip samples of one kind of attempt (TCP connect, DNS query) within one check."""

    def __init__(self, give_up_floor: float = GIVE_UP_FLOOR) -> None:
        self.samples: list[float] = []
        self.give_up_floor = give_up_floor

    def add(self, seconds: float) -> None:
        """Record one answered attempt's round trip (seconds); only the latest 256 are kept."""
        self.samples.append(max(0.0, seconds))
        if len(self.samples) > KEEP:
            del self.samples[: len(self.samples) - KEEP]

    def typical(self) -> float | None:
        """The median round trip seen so far (seconds), or None before the first answer."""
        return statistics.median(self.samples) if self.samples else None

    def retry_after(self) -> float:
        """Seconds to wait for an answer before repeating an attempt (1 s until one is seen)."""
        t = self.typical()
        if t is None:
            return RETRY_CEIL
        return min(RETRY_CEIL, max(RETRY_FLOOR, RETRY_RTTS * t))

    def give_up_after(self, limit: float) -> float:
        """Seconds after the first attempt at which silence means "no answer" (at most ``limit``)."""
        if len(self.samples) < MIN_SAMPLES:
            return limit
        t = self.typical() or 0.0
        return min(limit, max(self.give_up_floor, GIVE_UP_RTTS * t, GIVE_UP_SLOWEST * max(self.samples)))


class Paces:
    """The paces of one check: TCP connects and DNS queries (DNS never gives up before 3 s)."""

    def __init__(self) -> None:
        self.tcp = Pace()
        self.dns = Pace(DNS_GIVE_UP_FLOOR)


_current: contextvars.ContextVar[Paces | None] = contextvars.ContextVar("pathprobe_paces", default=None)


def begin() -> Paces:
    """Fresh paces for the check running in this context (and the tasks it starts)."""
    p = Paces()
    _current.set(p)
    return p


def tcp() -> Pace:
    """The TCP pace of the check running in this context; outside a check, a fresh one with no samples."""
    p = _current.get()
    return p.tcp if p is not None else Pace()


def dns() -> Pace:
    """The DNS pace of the check running in this context; outside a check, a fresh one with no samples."""
    p = _current.get()
    return p.dns if p is not None else Pace(DNS_GIVE_UP_FLOOR)


async def race(
    attempt: Callable[[], Awaitable[T]],
    pace: Pace,
    deadline: float,
    discard: Callable[[T], None] = lambda _: None,
) -> T:
    """Run ``attempt`` and repeat it while unanswered, paced by ``pace``; the first result wins.

    An attempt that *fails* (a reset, an unreachable network) is a definite answer and ends the
    race with its exception. Silence until the give-up time or ``deadline`` (monotonic) raises
    ``TimeoutError``. Results of attempts that lose the race are passed to ``discard``.
    """
    start = time.monotonic()
    limit = max(0.0, deadline - start)
    tasks: list[asyncio.Task[T]] = []
    started: dict[asyncio.Task[T], float] = {}
    sent = 0

    def launch() -> None:
        nonlocal sent
        if len(tasks) >= MAX_IN_FLIGHT:
            oldest = tasks.pop(0)
            oldest.cancel()
            started.pop(oldest, None)
        t = asyncio.ensure_future(attempt())
        tasks.append(t)
        started[t] = time.monotonic()
        sent += 1

    async def settle() -> None:
        for t in tasks:
            t.cancel()
        for r in await asyncio.gather(*tasks, return_exceptions=True):
            if not isinstance(r, BaseException):
                discard(r)
        tasks.clear()

    launch()
    last = start
    try:
        while True:
            now = time.monotonic()
            give_up_at = start + pace.give_up_after(limit) if sent >= MIN_ATTEMPTS else deadline
            retry_at = last + pace.retry_after()
            wake = min(deadline, give_up_at, retry_at, now + RETRY_FLOOR)
            done, _ = await asyncio.wait(tasks, timeout=max(0.0, wake - now), return_when=asyncio.FIRST_COMPLETED)
            for t in done:
                tasks.remove(t)
                exc = t.exception()
                if exc is not None:
                    raise exc
                pace.add(time.monotonic() - started.pop(t))
                return t.result()
            now = time.monotonic()
            give_up_at = start + pace.give_up_after(limit) if sent >= MIN_ATTEMPTS else deadline
            if now >= deadline or now >= give_up_at:
                raise TimeoutError
            if now >= last + pace.retry_after():
                launch()
                last = now
    finally:
        await settle()
