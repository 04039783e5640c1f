"""Throughput reading (issue 17): after the status, a reached site's body is read for at most
``min(timeout, 2 s)`` or ``download_bytes``, against real local HTTPS servers: a fast one, a slow
(rate-limited) one, a trickling one, a huge and an endless one, chunked and close-delimited bodies."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from pathprobe.errors import BadInput
from pathprobe.model import HostPort, Observation, TargetMeasurement
from pathprobe.net.sitecheck import FixedAddressDialer, check_site
from pathprobe.plan import parse_plan_data
from pathprobe.probes.base import RunContext
from pathprobe.probes.direct import DirectProbe
from pathprobe.runner import probe_budget
from pathprobe.vocab import Role, Step
from tests.servers import body_server

KIB = 1024


def check(port: int, *, timeout: float = 4.0, download_bytes: int = 64 * KIB) -> tuple[TargetMeasurement, float]:
    dialer = FixedAddressDialer({"site.test": ("127.0.0.1",)})
    start = time.monotonic()
    tm = asyncio.run(
        check_site(dialer, HostPort("site.test", port), Role.SITE, "direct", time.monotonic(), timeout,
                   download_bytes=download_bytes)
    )
    return tm, time.monotonic() - start


def http_obs(tm: TargetMeasurement) -> Observation:
    (obs,) = [o for o in tm.observations if o.step == Step.HTTP]
    assert obs.failure is None and obs.detail["status"] == 200
    return obs


def test_a_fast_server_is_read_up_to_the_cap_and_is_fast(tmp_path: Path) -> None:
    with body_server(tmp_path, "fast") as port:
        tm, took = check(port)
    d = http_obs(tm).detail
    assert d["body_bytes"] == 64 * KIB, "the read stops at the cap, not at the 256 KiB page's end"
    assert d["page_bytes"] == 256 * KIB, "the page's size comes from its Content-Length"
    assert d["goodput_kbps"] is not None and d["goodput_kbps"] > 5000, d
    assert took < 1.5


def test_records_that_arrive_together_are_one_arrival(tmp_path: Path) -> None:
    """Eight 1 KiB records in one burst a second: the steady rate is the bursts' (about 64 kbit/s), not
    the microseconds between records decrypted from one read (which made a shaped flow look fast)."""
    with body_server(tmp_path, "bursty") as port:
        tm, _ = check(port, timeout=5.0)
    d = http_obs(tm).detail
    assert 16 * KIB <= d["body_bytes"] <= 24 * KIB, d
    assert d["steady_kbps"] is not None and 40 < d["steady_kbps"] < 120, d


def test_a_slow_server_is_measured_at_its_rate_within_two_seconds(tmp_path: Path) -> None:
    """64 kbit/s: about 16 KiB in the 2 s the read may take (the timeout is longer)."""
    with body_server(tmp_path, "slow") as port:
        tm, took = check(port, timeout=5.0)
    d = http_obs(tm).detail
    assert 1.8 < took < 3.0, "the body read stops at 2 s, not at the page's end or the timeout"
    assert 1700 < d["transfer_ms"] < 2100
    assert 10 * KIB < d["body_bytes"] < 24 * KIB
    assert d["goodput_kbps"] is not None and 45 < d["goodput_kbps"] < 85, d
    assert d["steady_kbps"] is not None and 45 < d["steady_kbps"] < 90, "slow all along"
    assert d["page_bytes"] == 256 * KIB


def test_the_read_takes_at_most_the_timeout_when_it_is_under_two_seconds(tmp_path: Path) -> None:
    with body_server(tmp_path, "slow") as port:
        tm, took = check(port, timeout=0.8)
    d = http_obs(tm).detail
    assert took < 0.8 * 2 + 0.6, "head and body each within the 0.8 s timeout"
    assert d["transfer_ms"] < 850


def test_a_trickling_server_does_not_extend_the_check(tmp_path: Path) -> None:
    with body_server(tmp_path, "trickle") as port:
        tm, took = check(port, timeout=8.0)
    d = http_obs(tm).detail
    assert took < 3.0, "a body trickled byte by byte is cut at 2 s"
    assert 0 < d["body_bytes"] < 100
    assert d["page_bytes"] == 10_000_000
    assert tm.failure is None and tm.tls is not None


def test_an_endless_body_stops_at_the_cap(tmp_path: Path) -> None:
    with body_server(tmp_path, "endless") as port:
        tm, took = check(port, download_bytes=100_000)
    d = http_obs(tm).detail
    assert d["body_bytes"] == 100_000
    assert d["page_bytes"] is None, "no length and not ended: the size is unknown"
    assert took < 1.5


def test_a_chunked_body_counts_the_payload_only(tmp_path: Path) -> None:
    with body_server(tmp_path, "chunked") as port:
        tm, _ = check(port)
    d = http_obs(tm).detail
    assert d["body_bytes"] == 40_000 and d["page_bytes"] == 40_000, "chunk framing is not counted"


def test_a_slow_chunked_body_is_cut_by_time(tmp_path: Path) -> None:
    with body_server(tmp_path, "chunked-slow") as port:
        tm, took = check(port, timeout=3.0)
    d = http_obs(tm).detail
    assert took < 3.0
    assert 12_000 < d["body_bytes"] < 20_000 and d["page_bytes"] is None
    assert d["goodput_kbps"] is not None and 40 < d["goodput_kbps"] < 90, d


def test_a_small_page_is_read_whole(tmp_path: Path) -> None:
    with body_server(tmp_path, "small") as port:
        tm, _ = check(port)
    d = http_obs(tm).detail
    assert d["body_bytes"] == 2 * KIB and d["page_bytes"] == 2 * KIB


def test_download_bytes_zero_reads_no_body(tmp_path: Path) -> None:
    with body_server(tmp_path, "trickle") as port:
        tm, took = check(port, download_bytes=0)
    d = http_obs(tm).detail
    assert d == {"status": 200}, "off: the observation is as before (no body fields)"
    assert took < 1.0


def test_a_fast_body_is_steady_at_a_high_rate(tmp_path: Path) -> None:
    with body_server(tmp_path, "fast") as port:
        tm, _ = check(port)
    d = http_obs(tm).detail
    assert d["steady_kbps"] is not None and d["steady_kbps"] > 5000, d


# ------------------------------------------------------------------------------------- the plan key


def plan(extra: str) -> list[object]:
    import tomllib

    return list(parse_plan_data(tomllib.loads(f'[[probe]]\nkind = "direct"\nsites = ["a.example"]\n{extra}'),
                                "p.toml"))


def test_download_bytes_is_read_per_probe() -> None:
    (probe,) = plan("download_bytes = 0")
    assert isinstance(probe, DirectProbe) and probe.download_bytes == 0
    (probe,) = plan("")
    assert isinstance(probe, DirectProbe) and probe.download_bytes == 64 * KIB


@pytest.mark.parametrize("value", ["-1", "1e9", "10000000000", "true", '"64k"', "1.5"])
def test_bad_download_bytes_is_bad_input_naming_file_and_key(value: str) -> None:
    with pytest.raises(BadInput) as err:
        plan(f"download_bytes = {value}")
    assert "p.toml" in str(err.value) and "'download_bytes'" in str(err.value)


def test_the_portal_probe_takes_no_download_bytes() -> None:
    import tomllib

    with pytest.raises(BadInput, match="download_bytes"):
        parse_plan_data(tomllib.loads('[[probe]]\nkind = "portal"\ndownload_bytes = 10'), "p.toml")


def test_the_budget_grows_by_the_body_read_only_when_bodies_are_read() -> None:
    probe = DirectProbe([HostPort("a.example", 443)], [])
    ctx = RunContext(timeout=5.0)
    with_body = probe_budget(probe, ctx)
    probe.download_bytes = 0
    assert with_body - probe_budget(probe, ctx) == pytest.approx(2.0)
