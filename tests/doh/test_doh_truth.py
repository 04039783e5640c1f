"""DoH resolver targets tell the truth (DESIGN "Precise rules", issue 16 part 5).

A resolver is ``reachable`` only when it answered a DoH query with a well-formed DNS message. Local
hostile resolvers complete TLS with a chain the public roots accept and then answer slowly, hugely,
with the wrong content type, an HTTP error, or a DNS message that is not the answer to the query: the
resolver target is ``blocked`` with the DoH failure and its ``tls`` still judged from the chain (here
``intact``), and the path, none of whose sites was reached, is ``tls: unverified``.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from doh_servers import CLOSED_PORT, SITE_PORT, Pki, hostile_h1, hostile_h2

from pathprobe.analysis.pipeline import analyse
from pathprobe.analysis.roots import RootSet
from pathprobe.analysis.verdicts import Roots
from pathprobe.model import PathMeasurement
from pathprobe.net.sitecheck import download_seconds
from pathprobe.planfields import Entry, parse_hostport
from pathprobe.probes.base import RunContext
from pathprobe.probes.doh import DohProbe
from pathprobe.trust import known_roots

TIMEOUT = 1.0
H1_PORT = 18450
H2_PORT = 18476


def probe(port: int, **kw: Any) -> DohProbe:
    table = {"kind": "doh", "name": "local", "url": f"https://doh.test:{port}/dns-query",
             "bootstrap": ["127.0.0.1"], "do53": False, **kw}
    return DohProbe.from_plan(Entry(table, "plan.toml", 1))


def run(p: DohProbe, sites: list[str]) -> PathMeasurement:
    ctx = RunContext(timeout=TIMEOUT, sites=[parse_hostport(s) for s in sites])
    (path,) = asyncio.run(p.run(ctx)).paths
    return path


def judged(pki: Pki, pm: PathMeasurement) -> tuple[dict[str, Any], dict[str, Any]]:
    roots = Roots(public=RootSet.of("public", [pki.ca.cert], "test"),
                  device=RootSet.of("device", [pki.ca.cert], "test"), known=known_roots(None))
    prof = analyse([pm], None, roots).to_dict()
    return prof, prof["paths"][0]


HOSTILE_H1 = {
    "silent": "generic_timeout_error",  # answers past the step's deadline
    "slow_trickle": "generic_timeout_error",
    "oversize_length": "doh_response_too_large",  # hugely
    "oversize_eof": "doh_response_too_large",
    "wrong_ctype": "doh_bad_content_type",
    "status_503": "doh_http_error",
    "short_dns": "doh_invalid_response",
    "wrong_id": "doh_invalid_response",
    "not_a_response": "doh_invalid_response",
    "wrong_type": "doh_invalid_response",
    "wrong_question": "doh_invalid_response",
}


def assert_blocked_resolver(pki: Pki, pm: PathMeasurement, failure: str) -> None:
    prof, path = judged(pki, pm)
    res = path["targets"][0]
    assert res["role"] == "resolver"
    assert (res["reachability"], res["tls"], res["failure"]) == ("blocked", "intact", failure)
    assert res["note"] and "no DoH query was answered" in res["note"]
    assert path["reachability"] == "blocked" and failure in path["reason"]
    assert path["tls"] == "unverified", "no site was reached over this path"
    assert prof["network"]["connectivity"] == "online", "the resolver's TLS handshake was an answer"
    assert prof["recommendation"]["path"] is None


@pytest.mark.parametrize("behaviour", sorted(HOSTILE_H1))
def test_http1_resolver_that_answers_nothing_usable_is_blocked(pki: Pki, stop_event: threading.Event,
                                                               behaviour: str) -> None:
    cert, key = pki.write("doh", pki.resolver)
    port = H1_PORT + sorted(HOSTILE_H1).index(behaviour)
    with hostile_h1(port, cert, key, behaviour, stop_event):
        pm = run(probe(port), [f"site.test:{SITE_PORT}"])
        stop_event.set()
    assert_blocked_resolver(pki, pm, HOSTILE_H1[behaviour])


HOSTILE_H2 = {"oversize": "doh_response_too_large", "wrong_ctype": "doh_bad_content_type",
              "reset": "doh_stream_reset"}


@pytest.mark.parametrize("behaviour", sorted(HOSTILE_H2))
def test_http2_resolver_that_answers_nothing_usable_is_blocked(pki: Pki, stop_event: threading.Event,
                                                               behaviour: str) -> None:
    cert, key = pki.write("doh", pki.resolver)
    port = H2_PORT + sorted(HOSTILE_H2).index(behaviour)
    with hostile_h2(port, cert, key, behaviour, stop_event):
        pm = run(probe(port), [f"site.test:{SITE_PORT}"])
        stop_event.set()
    assert_blocked_resolver(pki, pm, HOSTILE_H2[behaviour])


def test_a_resolver_is_asked_even_without_names_to_resolve(pki: Pki, stop_event: threading.Event) -> None:
    """No sites (or only address literals): one query for a neutral name still decides the resolver."""
    cert, key = pki.write("doh", pki.resolver)
    with hostile_h1(H1_PORT + 20, cert, key, "wrong_ctype", stop_event):
        pm = run(probe(H1_PORT + 20), [])
        stop_event.set()
    _, path = judged(pki, pm)
    res = path["targets"][0]
    assert (res["reachability"], res["failure"]) == ("blocked", "doh_bad_content_type")
    assert [o.step for o in pm.targets[0].observations] == ["tcp", "tls", "doh"]
    with hostile_h1(H1_PORT + 21, cert, key, "ok", stop_event):
        pm = run(probe(H1_PORT + 21), [])
    _, path = judged(pki, pm)
    assert path["targets"][0]["reachability"] == "reachable"
    assert path["reachability"] == "unknown" and "no sites to resolve" in path["reason"]
    assert path["tls"] == "unverified"


def test_a_working_resolver_whose_sites_all_fail_leaves_the_path_unverified(
        pki: Pki, stop_event: threading.Event) -> None:
    """The resolver answers (reachable, intact), but no site is reached: the path's HTTPS was never
    checked, so it is not ``intact`` on the resolver's chain alone."""
    cert, key = pki.write("doh", pki.resolver)
    with hostile_h1(H1_PORT + 22, cert, key, "ok", stop_event):
        pm = run(probe(H1_PORT + 22), [f"site.test:{CLOSED_PORT}"])
        stop_event.set()
    _, path = judged(pki, pm)
    res, site = path["targets"]
    assert (res["reachability"], res["tls"], res["failure"]) == ("reachable", "intact", None)
    assert (site["reachability"], site["failure"]) == ("blocked", "connection_refused")
    assert (path["reachability"], path["tls"]) == ("blocked", "unverified")


def test_a_site_reached_over_the_resolver_makes_the_path_intact(
        pki: Pki, stop_event: threading.Event, site_server: object) -> None:
    cert, key = pki.write("doh", pki.resolver)
    with hostile_h1(H1_PORT + 23, cert, key, "ok", stop_event):
        pm = run(probe(H1_PORT + 23), [f"site.test:{SITE_PORT}", f"good.test:{CLOSED_PORT}"])
        stop_event.set()
    _, path = judged(pki, pm)
    assert (path["reachability"], path["tls"]) == ("partial", "intact")


class Hurried(DohProbe):
    """A doh probe whose budget ends within the queries' step (through the existing declaration)."""

    def budget_extra(self, ctx: RunContext) -> float:
        return 0.8 - (4 * ctx.timeout + 2.0 + download_seconds(ctx.timeout))  # a budget of 0.8 s in all


def test_a_budget_ending_while_the_resolver_is_asked_leaves_the_path_unknown(
        pki: Pki, stop_event: threading.Event) -> None:
    """The resolver completed TLS and the budget ended while its queries waited: neither it nor the path
    is blocked (nothing failed yet); they are unknown with the reason, and the steps done are kept."""
    from pathprobe.runner import run_probes

    cert, key = pki.write("doh", pki.resolver)
    base = probe(H1_PORT + 24)
    hurried = Hurried(base.name, base.url, base.resolver, base.url_path, base.bootstrap, None, do53=False)
    with hostile_h1(H1_PORT + 24, cert, key, "silent", stop_event):
        ctx = RunContext(timeout=2.0, sites=[parse_hostport(f"site.test:{SITE_PORT}")])
        paths, _ = asyncio.run(run_probes([hurried], ctx))
        stop_event.set()
    (pm,) = paths
    res = pm.targets[0]
    assert res.role == "resolver" and [o.step for o in res.observations] == ["tcp", "tls"]
    prof, path = judged(pki, pm)
    assert path["reachability"] == "unknown" and "time budget ran out" in path["reason"]
    assert [t["reachability"] for t in path["targets"]] == ["unknown", "unknown"]
    assert path["tls"] == "unverified"
    assert prof["network"]["connectivity"] == "online"
