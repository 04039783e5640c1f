"""Adaptive pacing (net/pace.py): the rules for repeating and giving up, the race of attempts, and a
real loopback connection feeding the check's pace. No timing assertions: counts and outcomes only."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from pathprobe.lab.servers.pki import CA
from pathprobe.net import pace
from pathprobe.net.sitecheck import Recorder, connect_any
from pathprobe.vocab import Failure
from tests.servers import closed_port, https_server


def test_no_samples_means_no_early_give_up() -> None:
    p = pace.Pace()
    assert p.retry_after() == pace.RETRY_CEIL
    assert p.give_up_after(8.0) == 8.0
    p.add(0.001)
    p.add(0.001)
    assert p.give_up_after(8.0) == 8.0  # fewer than MIN_SAMPLES: still the step deadline


def test_fast_network_repeats_at_the_floor_and_gives_up_at_the_floor() -> None:
    p = pace.Pace()
    for _ in range(5):
        p.add(0.002)
    assert p.retry_after() == pace.RETRY_FLOOR
    assert p.give_up_after(8.0) == pace.GIVE_UP_FLOOR
    assert p.give_up_after(1.0) == 1.0  # never beyond the step deadline


def test_slow_successes_make_the_pace_patient() -> None:
    p = pace.Pace()
    for x in (0.2, 0.2, 0.2):
        p.add(x)
    assert p.retry_after() == pytest.approx(0.8)
    assert p.give_up_after(8.0) == pytest.approx(2.0)  # ten typical round trips
    p.add(1.9)  # one success took 1.9 s (a retransmitted SYN): never give up before twice that
    assert p.give_up_after(8.0) == pytest.approx(3.8)
    p.add(30.0)  # the typical round trip stays 0.2 s, but the slowest success caps at the deadline
    assert p.retry_after() == pytest.approx(0.8)
    assert p.give_up_after(8.0) == 8.0
    for _ in range(9):
        p.add(0.5)
    assert p.retry_after() == pace.RETRY_CEIL


def test_a_resolver_gets_longer_before_silence_counts() -> None:
    p = pace.Paces().dns
    for _ in range(5):
        p.add(0.002)
    assert p.give_up_after(8.0) == pace.DNS_GIVE_UP_FLOOR > pace.GIVE_UP_FLOOR


def test_samples_are_bounded() -> None:
    p = pace.Pace()
    for i in range(pace.KEEP + 50):
        p.add(float(i))
    assert len(p.samples) == pace.KEEP
    assert p.samples[0] == 50.0


def test_begin_gives_the_check_shared_paces() -> None:
    async def main() -> tuple[bool, bool]:
        outside = pace.tcp() is pace.tcp()
        pace.begin()

        async def child() -> pace.Pace:
            return pace.tcp()

        a, b = await asyncio.gather(child(), child())
        return outside, a is b and a is pace.tcp()

    outside, shared = asyncio.run(main())
    assert outside is False  # outside a check: a fresh pace per call
    assert shared is True


def _fast() -> pace.Pace:
    p = pace.Pace()
    for _ in range(pace.MIN_SAMPLES):
        p.add(0.001)
    return p


def test_an_unanswered_attempt_is_repeated_and_the_answer_wins() -> None:
    launched: list[asyncio.Future[str]] = []

    async def attempt() -> str:
        fut: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        launched.append(fut)
        if len(launched) == 2:
            return "second"
        return await fut  # the first one is "lost": it never completes

    async def main() -> str:
        return await pace.race(attempt, _fast(), time.monotonic() + 5)

    assert asyncio.run(main()) == "second"
    assert len(launched) == 2
    assert launched[0].cancelled()  # the loser was cancelled, not left running


def test_silence_is_given_up_only_after_several_attempts() -> None:
    count = 0

    async def attempt() -> None:
        nonlocal count
        count += 1
        await asyncio.Event().wait()

    async def main() -> None:
        await pace.race(attempt, _fast(), time.monotonic() + 30)

    with pytest.raises(TimeoutError):
        asyncio.run(main())
    assert count >= pace.MIN_ATTEMPTS


def test_the_deadline_bounds_the_race_without_samples() -> None:
    count = 0

    async def attempt() -> None:
        nonlocal count
        count += 1
        await asyncio.Event().wait()

    async def main() -> None:
        await pace.race(attempt, pace.Pace(), time.monotonic() + 0.3)

    with pytest.raises(TimeoutError):
        asyncio.run(main())
    assert count == 1  # without samples the first repeat waits for RETRY_CEIL, beyond this deadline


def test_a_definite_failure_ends_the_race_at_once() -> None:
    count = 0

    async def attempt() -> None:
        nonlocal count
        count += 1
        raise ConnectionRefusedError

    async def main() -> None:
        await pace.race(attempt, _fast(), time.monotonic() + 30)

    with pytest.raises(ConnectionRefusedError):
        asyncio.run(main())
    assert count == 1


def test_attempts_in_flight_are_bounded_and_late_winners_discarded() -> None:
    in_flight = 0
    most = 0
    discarded: list[int] = []
    count = 0

    async def attempt() -> int:
        nonlocal in_flight, most, count
        count += 1
        me = count
        in_flight += 1
        most = max(most, in_flight)
        try:
            await asyncio.Event().wait()
            return me
        finally:
            in_flight -= 1

    async def main() -> None:
        await pace.race(attempt, _fast(), time.monotonic() + 30, discard=discarded.append)

    with pytest.raises(TimeoutError):
        asyncio.run(main())
    assert count > pace.MAX_IN_FLIGHT
    assert most <= pace.MAX_IN_FLIGHT
    assert in_flight == 0
    assert discarded == []


def test_connect_any_feeds_the_pace_and_refusal_is_an_answer(tmp_path: Path) -> None:
    ca = CA("Pace Root")
    with https_server(ca.issue("pace.test"), tmp_path) as port:

        async def main() -> tuple[int, str | None]:
            paces = pace.begin()
            rec = Recorder("direct", "pace.test", time.monotonic(), 4.0)
            for _ in range(3):
                (await connect_any(("127.0.0.1",), port, rec)).close()
            refused = Recorder("direct", "closed", time.monotonic(), 4.0)
            try:
                await connect_any(("127.0.0.1",), closed_port(), refused)
            except Exception:
                pass
            return len(paces.tcp.samples), refused.observations[-1].failure

        samples, failure = asyncio.run(main())
    assert samples == 3
    assert failure == Failure.CONNECTION_REFUSED
