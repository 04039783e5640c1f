"""The ``throttled`` signal's rules at their boundaries (pure logic: made-up body reads, real analysis).

A target is throttled when it was reached, its page is at least 16 KiB, its transfer lasted at least
0.5 s and its goodput is below a tenth of a comparable's (a control on the same path, or the same
site on another path that reached it). The end-to-end case with real servers is the golden
``throttled-on-direct`` (tests/golden/analysis)."""

from __future__ import annotations

import pytest

from pathprobe.analysis.advice import advise
from pathprobe.analysis.throttle import MIN_PAGE_BYTES, MIN_TRANSFER_MS, Transfer, apply_throttling, judge
from pathprobe.model import Observation, PathMeasurement, TargetMeasurement
from pathprobe.profile import Path, Profile, Target
from pathprobe.vocab import AdviceCase, Reachability, Role, Signal, Step, TlsVerdict


def t(goodput: float, *, ms: float = 2000.0, page: int = 262144, path: str = "direct", target: str = "a.test:443",
      role: str = Role.SITE, steady: float | None = None) -> Transfer:
    return Transfer(path, target, role, goodput, ms, page, steady)


@pytest.mark.parametrize(
    ("me", "comparable", "throttled"),
    [
        (t(99.9), t(1000.0), True),  # just below a tenth
        (t(100.0), t(1000.0), False),  # exactly a tenth: not below
        (t(10.0, ms=MIN_TRANSFER_MS), t(1000.0), True),  # 0.5 s: judged
        (t(10.0, ms=MIN_TRANSFER_MS - 0.1), t(1000.0), False),  # shorter: never
        (t(10.0, page=MIN_PAGE_BYTES), t(1000.0), True),  # 16 KiB: judged
        (t(10.0, page=MIN_PAGE_BYTES - 1), t(1000.0), False),  # smaller page: never
        (t(10.0), t(1000.0, page=MIN_PAGE_BYTES - 1), False),  # a small comparable is no comparable
        (t(10.0, steady=99.9), t(1000.0), True),  # slow all along
        (t(10.0, steady=100.0), t(1000.0), False),  # stalled, but fast between the stalls: loss
    ],
)
def test_the_rules_at_their_boundaries(me: Transfer, comparable: Transfer, throttled: bool) -> None:
    assert (judge(me, [comparable]) is not None) is throttled


def test_the_fastest_comparable_is_named() -> None:
    got = judge(t(50.0), [t(800.0, path="tor:vanilla"), t(9000.0, target="c.test:443", role=Role.CONTROL)])
    assert got is not None
    assert (got.goodput_kbps, got.compared_with, got.comparable_kbps) == (50.0, "c.test:443 on direct", 9000.0)


# ---------------------------------------------------------------------------- through the pipeline step


def tm(target: str, role: str, path: str, *, goodput: float | None, ms: float = 2000.0, page: int | None = 262144,
       body: int = 16000, failed: bool = False, steady: float | None = None) -> TargetMeasurement:
    detail: dict[str, object] = {"status": 200}
    if goodput is not None:
        detail.update(body_bytes=body, goodput_kbps=goodput, transfer_ms=ms, page_bytes=page)
        if steady is not None:  # absent: a read that did not record it (the goodput stands for it)
            detail["steady_kbps"] = steady
    obs = Observation(path, target, Step.HTTP, 10.0, ms, "generic_timeout_error" if failed else None, detail=detail)
    return TargetMeasurement(target=target, role=role, observations=(obs,))  # type: ignore[arg-type]


def verdict(m: PathMeasurement, blocked: frozenset[str] = frozenset()) -> Path:
    targets = tuple(
        Target(target=x.target, role=x.role,
               reachability=Reachability.BLOCKED if x.target in blocked else Reachability.REACHABLE,
               tls=TlsVerdict.UNVERIFIED if x.target in blocked else TlsVerdict.INTACT)
        for x in m.targets
    )
    return Path(id=m.id, kind=m.id.split(":")[0], reachability=Reachability.REACHABLE, tls=TlsVerdict.INTACT,
                targets=targets)


def judged(measured: list[PathMeasurement], blocked: frozenset[str] = frozenset()) -> dict[tuple[str, str], Target]:
    paths = apply_throttling(measured, [verdict(m, blocked) for m in measured])
    return {(p.id, x.target): x for p in paths for x in p.targets}


def test_a_control_on_the_same_path_is_a_comparable_and_the_target_stays_reachable_and_intact() -> None:
    direct = PathMeasurement("direct", "direct", (
        tm("slow.test:443", Role.SITE, "direct", goodput=64.0),
        tm("ctl.test:443", Role.CONTROL, "direct", goodput=50000.0),
    ))
    got = judged([direct])
    slow = got[("direct", "slow.test:443")]
    assert slow.signals == (Signal.THROTTLED,) and slow.reachability == Reachability.REACHABLE
    assert slow.tls == TlsVerdict.INTACT, "throttling is not interception"
    assert slow.throttle is not None and slow.throttle.compared_with == "ctl.test:443 on direct"
    assert got[("direct", "ctl.test:443")].signals == ()
    assert "throttle" in slow.to_dict() and "throttle" not in got[("direct", "ctl.test:443")].to_dict()


def test_the_same_site_on_another_path_is_a_comparable_but_another_site_is_not() -> None:
    direct = PathMeasurement("direct", "direct", (tm("slow.test:443", Role.SITE, "direct", goodput=64.0),
                                                  tm("other.test:443", Role.SITE, "direct", goodput=64.0)))
    tor = PathMeasurement("tor:vanilla", "tor", (tm("slow.test:443", Role.SITE, "tor:vanilla", goodput=3000.0),))
    got = judged([direct, tor])
    assert got[("direct", "slow.test:443")].signals == (Signal.THROTTLED,)
    assert got[("direct", "other.test:443")].signals == (), "another site on the same path is no comparable"
    assert got[("tor:vanilla", "slow.test:443")].signals == ()


def test_unreached_or_unmeasured_comparables_do_not_count() -> None:
    direct = PathMeasurement("direct", "direct", (
        tm("slow.test:443", Role.SITE, "direct", goodput=64.0),
        tm("ctl.test:443", Role.CONTROL, "direct", goodput=50000.0),  # blocked below: not a comparable
        tm("ctl2.test:443", Role.CONTROL, "direct", goodput=None),  # no body read (download_bytes = 0)
    ))
    assert judged([direct], frozenset({"ctl.test:443"}))[("direct", "slow.test:443")].signals == ()


def test_a_flow_stalled_by_loss_is_not_throttled() -> None:
    """Figures from a real ``lossy`` lab run: a 64 KiB page took 0.95 s (retransmission stalls) while a
    lucky control took 0.5 ms; between the stalls the page came as fast as the control."""
    direct = PathMeasurement("direct", "direct", (
        tm("a.test:443", Role.SITE, "direct", goodput=541.9, ms=952.4, steady=162394.7),
        tm("ctl.test:443", Role.CONTROL, "direct", goodput=1113456.5, ms=0.5, steady=2605598.4),
    ))
    assert all(x.signals == () for x in judged([direct]).values())
    shaped = PathMeasurement("direct", "direct", (
        tm("a.test:443", Role.SITE, "direct", goodput=29.0, ms=1977.8, steady=29.5),
        tm("ctl.test:443", Role.CONTROL, "direct", goodput=31657.3, ms=16.3, steady=2377940.0),
    ))
    assert judged([shaped])[("direct", "a.test:443")].signals == (Signal.THROTTLED,)


def test_unknown_page_size_under_16_kib_read_is_never_judged() -> None:
    """No Content-Length and the read cut by time before 16 KiB came: the page's size is unknown."""
    direct = PathMeasurement("direct", "direct", (
        tm("slow.test:443", Role.SITE, "direct", goodput=40.0, page=None, body=10000),
        tm("ctl.test:443", Role.CONTROL, "direct", goodput=50000.0),
    ))
    assert judged([direct])[("direct", "slow.test:443")].signals == ()


# ------------------------------------------------------------------------------------------- advice


def profile_of(paths: tuple[Path, ...]) -> Profile:
    return Profile(paths=paths)


def test_the_advice_names_throttled_sites_and_the_paths_that_were_not() -> None:
    direct = PathMeasurement("direct", "direct", (tm("slow.test:443", Role.SITE, "direct", goodput=64.4),
                                                  tm("slow2.test:443", Role.SITE, "direct", goodput=31.0)))
    tor = PathMeasurement("tor:vanilla", "tor", (tm("slow.test:443", Role.SITE, "tor:vanilla", goodput=3000.0),
                                                 tm("slow2.test:443", Role.SITE, "tor:vanilla", goodput=3000.0)))
    paths = apply_throttling([direct, tor], [verdict(direct), verdict(tor)])
    got = advise(profile_of(paths), ["tor:vanilla", "direct"])
    assert AdviceCase.THROTTLING in got.cases and AdviceCase.CLEAN not in got.cases
    assert ("slow.test and slow2.test are throttled to about 64 kbit/s on the plain network but not through Tor."
            in got.text), got.text


def test_the_advice_says_when_no_path_avoided_it() -> None:
    direct = PathMeasurement("direct", "direct", (tm("slow.test:443", Role.SITE, "direct", goodput=64.0),
                                                  tm("ctl.test:443", Role.CONTROL, "direct", goodput=9000.0)))
    got = advise(profile_of(apply_throttling([direct], [verdict(direct)])), ["direct"])
    assert got.text.startswith("slow.test is throttled to about 64 kbit/s on the plain network, where other sites "
                               "came at least ten times faster; no path tested avoided it."), got.text


def test_no_throttling_no_case() -> None:
    direct = PathMeasurement("direct", "direct", (tm("a.test:443", Role.SITE, "direct", goodput=9000.0),))
    got = advise(profile_of(apply_throttling([direct], [verdict(direct)])), ["direct"])
    assert AdviceCase.THROTTLING not in got.cases and got.cases == (AdviceCase.CLEAN,)


def test_a_read_with_too_few_arrivals_is_never_judged() -> None:
    """A real lossy lab run: 7 KiB in two arrivals over 1.3 s (a stall, a burst, a stall) against a
    2.4 Mbit/s control. The read recorded ``steady_kbps: null`` (under three arrivals): loss and a
    shaper look the same there, so nothing is called throttled."""
    site = tm("news.freepress.test:443", Role.SITE, "direct", goodput=37.0, ms=1328.3, body=7168)
    site.observations[0].detail["steady_kbps"] = None
    control = tm("www.bank.test:443", Role.CONTROL, "direct", goodput=2438.4, ms=211.7, body=65536, steady=89192.5)
    got = judged([PathMeasurement("direct", "direct", (site, control))])
    assert Signal.THROTTLED not in got[("direct", "news.freepress.test:443")].signals
    # the same read with a steady rate that was slow all along is throttled
    site2 = tm("news.freepress.test:443", Role.SITE, "direct", goodput=37.0, ms=1328.3, body=7168, steady=40.0)
    got = judged([PathMeasurement("direct", "direct", (site2, control))])
    assert Signal.THROTTLED in got[("direct", "news.freepress.test:443")].signals
