"""The doh probe: plan parsing, and runs against dnsdist, hostile resolvers and blocked ones."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from doh_servers import CLOSED_PORT, DOH_PORT, H1_BEHAVIOURS, SITE_PORT, Pki, hostile_h1, raw_server

from pathprobe.analysis.pipeline import analyse
from pathprobe.analysis.roots import RootSet
from pathprobe.analysis.verdicts import Roots
from pathprobe.errors import BadInput
from pathprobe.model import PathMeasurement
from pathprobe.plan import default_plan_path, parse_plan_data, read_toml
from pathprobe.planfields import Entry, parse_hostport
from pathprobe.probes.base import RunContext
from pathprobe.probes.doh import DohProbe
from pathprobe.trust import known_roots

TIMEOUT = 1.5


def entry(**kw: Any) -> Entry:
    return Entry({"kind": "doh", **kw}, "plan.toml", 1)


def probe(port: int = DOH_PORT, **kw: Any) -> DohProbe:
    # do53 off unless asked for: 127.0.0.1:53 is not a test server (tests/doh/test_do53.py covers it).
    table = {"name": "local", "url": f"https://doh.test:{port}/dns-query", "bootstrap": ["127.0.0.1"],
             "do53": False, **kw}
    return DohProbe.from_plan(entry(**table))


def run(p: DohProbe, sites: list[str], controls: list[str] = ()) -> PathMeasurement:  # type: ignore[assignment]
    ctx = RunContext(timeout=TIMEOUT, sites=[parse_hostport(s) for s in sites],
                     controls=[parse_hostport(c) for c in controls])
    result = asyncio.run(p.run(ctx))
    assert len(result.paths) == 1
    return result.paths[0]


def roots(pki: Pki, *, device_extra: bool = False) -> Roots:
    public = RootSet.of("public", [pki.ca.cert], "test")
    device = RootSet.of("device", [pki.ca.cert, *([pki.evil.cert] if device_extra else [])], "test")
    return Roots(public=public, device=device, known=known_roots(None))


def profile_path(pm: PathMeasurement, r: Roots) -> tuple[dict[str, Any], dict[str, Any]]:
    prof = analyse([pm], None, r).to_dict()
    return prof, prof["paths"][0]


# --- plan ----------------------------------------------------------------------------------------


def test_plan_fields() -> None:
    p = DohProbe.from_plan(entry(name="q9", url="https://dns.quad9.net/dns-query",
                                 bootstrap=["9.9.9.9", "2620:fe::fe"], sites=["a.example:8443"],
                                 method="post"))
    assert p.path_ids() == ["doh:q9"]
    assert (p.resolver.host, p.resolver.port, p.url_path) == ("dns.quad9.net", 443, "/dns-query")
    assert p.bootstrap == ("9.9.9.9", "2620:fe::fe")
    assert p.sites is not None and str(p.sites[0]) == "a.example:8443"
    assert p.method == "post"


def test_plan_address_url_needs_no_bootstrap() -> None:
    p = DohProbe.from_plan(entry(name="g", url="https://8.8.8.8/dns-query"))
    assert p.bootstrap == ("8.8.8.8",)
    p6 = DohProbe.from_plan(entry(name="g6", url="https://[2001:4860:4860::8888]:8443/dns-query{?dns}"))
    assert (p6.resolver.host, p6.resolver.port, p6.bootstrap) == ("2001:4860:4860::8888", 8443,
                                                                 ("2001:4860:4860::8888",))


@pytest.mark.parametrize(
    ("table", "key", "words"),
    [
        ({"url": "https://a.example/dns-query", "bootstrap": ["1.1.1.1"]}, "name", "is required"),
        ({"name": "bad name", "url": "https://a.example/q", "bootstrap": ["1.1.1.1"]}, "name", "must be"),
        ({"name": "x", "bootstrap": ["1.1.1.1"]}, "url", "is required"),
        ({"name": "x", "url": "http://a.example/q", "bootstrap": ["1.1.1.1"]}, "url", "https://"),
        ({"name": "x", "url": "https://u:p@a.example/q", "bootstrap": ["1.1.1.1"]}, "url", "user name"),
        ({"name": "x", "url": "https://a.example:99999/q", "bootstrap": ["1.1.1.1"]}, "url", "not a valid"),
        ({"name": "x", "url": "https:///q", "bootstrap": ["1.1.1.1"]}, "url", "host"),
        ({"name": "x", "url": "https://a.example/q"}, "bootstrap", "is required"),
        ({"name": "x", "url": "https://a.example/q", "bootstrap": []}, "bootstrap", "at least one"),
        ({"name": "x", "url": "https://a.example/q", "bootstrap": ["dns.example"]}, "bootstrap", "not an IP"),
        ({"name": "x", "url": "https://a.example/q", "bootstrap": "1.1.1.1"}, "bootstrap", "list of strings"),
        ({"name": "x", "url": "https://a.example/q", "bootstrap": ["1.1.1.1"], "sites": ["bad site"]},
         "sites", "host"),
        ({"name": "x", "url": "https://a.example/q", "bootstrap": ["1.1.1.1"], "method": "put"}, "method",
         "supported: get, post"),
        ({"name": "x", "url": "https://a.example/q", "bootstrap": ["1.1.1.1"], "resolver": "y"}, "resolver",
         "unknown key"),
    ],
)
def test_plan_errors(table: dict[str, Any], key: str, words: str) -> None:
    with pytest.raises(BadInput) as err:
        DohProbe.from_plan(entry(**table))
    msg = str(err.value)
    assert "plan.toml" in msg and f"'{key}'" in msg and words in msg


def test_default_plan_doh_entries_parse() -> None:
    """The shipped plan's direct and doh tables load (never run: real-world targets)."""
    path = default_plan_path()
    data = read_toml(path)
    tables = [t for t in data["probe"] if t["kind"] in ("direct", "doh")]
    probes = parse_plan_data({"probe": tables}, str(path))
    doh = [p for p in probes if p.kind == "doh"]
    names = {p.path_ids()[0] for p in doh}
    assert {"doh:cloudflare", "doh:google", "doh:quad9", "doh:adguard", "doh:mullvad"} <= names
    for p in doh:
        assert isinstance(p, DohProbe) and p.bootstrap and p.sites is None


# --- runs ----------------------------------------------------------------------------------------


def test_against_dnsdist(dns_stack: object, site_server: object, pki: Pki) -> None:
    pm = run(probe(), [f"site.test:{SITE_PORT}", f"nothing-here.test:{SITE_PORT}", f"empty.test:{SITE_PORT}"],
             [f"good.test:{SITE_PORT}"])
    assert pm.id == "doh:local" and pm.kind == "doh"
    res, site, nx, empty, good = pm.targets
    assert (res.role, res.target) == ("resolver", f"doh.test:{DOH_PORT}")
    assert res.tls is not None and res.tls.sni == "doh.test" and res.tls.alpn == "h2"
    assert [o.step for o in res.observations] == ["tcp", "tls"]
    doh_obs = site.observations[0]
    assert doh_obs.step == "doh" and doh_obs.failure is None
    assert doh_obs.detail["answers"] == ["127.0.0.1", "::1"] and doh_obs.detail["rcode"] == "NOERROR"
    assert doh_obs.detail["resolver"] == "local" and doh_obs.detail["protocol"] == "h2"
    assert [o.step for o in site.observations] == ["doh", "tcp", "tls", "http"]
    assert site.observations[1].address == f"127.0.0.1:{SITE_PORT}"
    assert site.tls is not None and site.tls.sni == "site.test"
    assert (nx.failure, nx.tls) == ("dns_nxdomain_error", None)
    assert nx.observations[0].detail["rcode"] == "NXDOMAIN"
    assert empty.failure == "dns_no_answer"
    assert good.role == "control" and good.tls is not None

    prof, path = profile_path(pm, roots(pki))
    assert path["reachability"] == "partial" and path["tls"] == "intact"
    verdicts = {t["target"]: (t["reachability"], t["tls"], t["failure"]) for t in path["targets"]}
    assert verdicts[f"doh.test:{DOH_PORT}"] == ("reachable", "intact", None)
    assert verdicts[f"site.test:{SITE_PORT}"] == ("reachable", "intact", None)
    assert verdicts[f"nothing-here.test:{SITE_PORT}"] == ("blocked", "unverified", "dns_nxdomain_error")
    assert prof["interception"] == []


def test_http1_post_against_dnsdist(dns_stack: object, site_server: object, pki: Pki) -> None:
    pm = run(probe(method="post", sites=[f"site.test:{SITE_PORT}"]), [])
    _, path = profile_path(pm, roots(pki))
    assert (path["reachability"], path["tls"]) == ("reachable", "intact")


def test_no_sites_is_unknown_with_a_reason(dns_stack: object, pki: Pki) -> None:
    pm = run(probe(), [])
    _, path = profile_path(pm, roots(pki))
    assert path["reachability"] == "unknown" and "no sites to resolve" in path["reason"]
    assert path["targets"][0]["reachability"] == "reachable"


def test_resolver_port_closed_is_blocked(pki: Pki) -> None:
    pm = run(probe(CLOSED_PORT), [f"site.test:{SITE_PORT}"])
    _, path = profile_path(pm, roots(pki))
    assert path["reachability"] == "blocked"
    assert "connection_refused" in path["reason"]
    res = path["targets"][0]
    assert (res["role"], res["reachability"], res["failure"]) == ("resolver", "blocked", "connection_refused")
    assert path["targets"][1]["reachability"] == "unknown"


@pytest.mark.parametrize(("payload", "failure"), [(b"HTTP/1.0 400 nope\r\n\r\n" * 20, "ssl_failed_handshake"),
                                                   (None, "generic_timeout_error")])
def test_resolver_garbage_or_silence_is_blocked(pki: Pki, stop_event: threading.Event, payload: bytes | None,
                                                failure: str) -> None:
    port = 18431 if payload else 18432
    with raw_server(port, payload, stop_event):
        pm = run(probe(port), [f"site.test:{SITE_PORT}"])
        stop_event.set()
    _, path = profile_path(pm, roots(pki))
    assert path["reachability"] == "blocked" and failure in path["reason"]
    assert path["targets"][0]["failure"] == failure


def test_intercepted_resolver_is_a_finding(pki: Pki, stop_event: threading.Event,
                                           site_server: object) -> None:
    """A resolver whose chain the device trusts but the public roots do not: the path is intercepted."""
    forged = pki.evil.issue("doh.test")
    cert, key = pki.write("doh-forged", forged)
    port = 18410 + H1_BEHAVIOURS.index("ok")
    with hostile_h1(port, cert, key, "ok", stop_event):
        pm = run(probe(port), [f"site.test:{SITE_PORT}"])
        stop_event.set()
    prof, path = profile_path(pm, roots(pki, device_extra=True))
    assert path["tls"] == "intercepted"
    assert path["targets"][0]["signals"] == ["device_trusted_not_public"]
    assert [f["paths"] for f in prof["interception"]] == [["doh:local"]]
    assert prof["interception"][0]["host"] == "doh.test"
    assert prof["recommendation"]["path"] is None


def test_resolver_answering_garbage_leaves_sites_untested(pki: Pki, stop_event: threading.Event) -> None:
    cert, key = pki.write("doh", pki.resolver)
    port = 18410 + H1_BEHAVIOURS.index("wrong_ctype")
    with hostile_h1(port, cert, key, "wrong_ctype", stop_event):
        pm = run(probe(port), [f"site.test:{SITE_PORT}", f"good.test:{SITE_PORT}"])
        stop_event.set()
    res, site, _good = pm.targets
    assert res.note is not None and "no DoH query was answered (doh_bad_content_type)" in res.note
    assert site.failure == "doh_bad_content_type" and site.observations[0].detail["errors"] == {
        "A": "doh_bad_content_type", "AAAA": "doh_bad_content_type"}
    _, path = profile_path(pm, roots(pki))
    assert path["reachability"] == "blocked", "a resolver that answers nothing usable is no path"
    res_v = path["targets"][0]
    # DESIGN "Precise rules": a resolver that answers no DoH query is not reached; its chain is still judged.
    assert (res_v["reachability"], res_v["tls"], res_v["failure"]) == ("blocked", "intact", "doh_bad_content_type")
    assert path["tls"] == "unverified", "no site's TLS was checked over this path"


def test_untrusted_resolver_blocks_the_path(pki: Pki, stop_event: threading.Event,
                                            site_server: object) -> None:
    """A chain valid in neither store: the answers cannot be trusted, so the path is not usable."""
    cert, key = pki.write("doh-untrusted", pki.evil.issue("doh.test"))
    port = 18410 + H1_BEHAVIOURS.index("ok")
    with hostile_h1(port, cert, key, "ok", stop_event):
        pm = run(probe(port), [f"site.test:{SITE_PORT}"])
        stop_event.set()
    assert pm.targets[1].tls is not None, "the site itself was reached at the answered address"
    prof, path = profile_path(pm, roots(pki))
    assert path["reachability"] == "blocked"
    assert path["reason"] == f"the resolver doh.test:{port} could not be used (ssl_unknown_authority)"
    assert prof["recommendation"]["path"] is None
