"""The portal probe against real HTTP(S) servers on loopback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7
from portal_helpers import (
    BLACKHOLE,
    CLOSED,
    DETECT,
    EXTRA,
    PORTAL,
    PORTAL_TLS,
    ServeFn,
    run_probe,
    self_signed,
)

from pathprobe.lab.servers.pki import CA
from pathprobe.lab.servers.portal import (
    Route,
    Site,
    certificate_portal,
    honest_answer,
    login_portal,
    qaznet_root_pem,
)
from pathprobe.model import PortalMeasurement
from pathprobe.net.portalfetch import (
    BUDGET_SPENT,
    MAX_CERT_BYTES,
    parse_certificates,
)
from pathprobe.vocab import Failure

KNOWN = f"http://detect.test:{DETECT}/success.txt"
PORTAL_URL = f"http://portal.test:{PORTAL}/"


def _ders(m: PortalMeasurement) -> list[bytes]:
    return [o["der"] for o in m.offered]


def _failures(m: PortalMeasurement) -> list[str | None]:
    return [o.failure for o in m.observations]


def _cert_detail(m: PortalMeasurement, suffix: str) -> dict[str, object]:
    hits = [o for o in m.observations if o.step == "http" and o.target.endswith(suffix)]
    assert hits, f"no fetch of {suffix}"
    return hits[-1].detail


def test_honest_answer_is_no_portal(serve: ServeFn) -> None:
    site = serve(honest_answer("/success.txt", "success"), DETECT)
    m = run_probe(KNOWN)
    assert (m.detected, m.host, m.offered, m.failure) == (False, None, (), None)
    assert site.hits == [("detect.test", "/success.txt")]
    assert [o.step for o in m.observations] == ["dns", "tcp", "portal"]
    assert m.observations[-1].detail["status"] == 200


def test_page_replaced_in_place_is_a_portal_without_host(serve: ServeFn) -> None:
    serve({"/success.txt": Route(body=b"<html>Please log in</html>")}, DETECT)
    m = run_probe(KNOWN)
    assert (m.detected, m.host, m.offered, m.failure) == (True, None, (), None)


def test_expected_status_without_body_check(serve: ServeFn) -> None:
    serve({"/gen204": Route(status=204)}, DETECT)
    m = run_probe(f"http://detect.test:{DETECT}/gen204", expect_status=204, expect_body=None)
    assert m.detected is False


def _single_format_portal(cert: x509.Certificate, fmt: str) -> dict[str, Route]:
    if fmt == "der":
        body, ctype, name = cert.public_bytes(Encoding.DER), "application/octet-stream", "root.der"
    elif fmt == "pem":
        body, ctype, name = cert.public_bytes(Encoding.PEM), "text/plain", "root.pem"
    elif fmt == "p7b-der":
        body, ctype, name = (
            pkcs7.serialize_certificates([cert], Encoding.DER),
            "application/octet-stream",
            "root.p7b",
        )
    elif fmt == "p7b-pem":
        body, ctype, name = pkcs7.serialize_certificates([cert], Encoding.PEM), "text/plain", "bundle.p7b"
    else:  # a link with no certificate extension, known only by its type attribute
        body, ctype, name = cert.public_bytes(Encoding.DER), "application/x-x509-ca-cert", "download?id=7"
        page = f'<a type="application/x-x509-ca-cert" href="/files/{name}">install</a>'
        return {"/": Route(body=page.encode()), "/files/download": Route(body=body, content_type=ctype)}
    page = f'<html><body><a href="/files/{name}">Install the certificate</a></body></html>'
    return {
        "/": Route(body=page.encode()),
        f"/files/{name.split('?')[0]}": Route(body=body, content_type=ctype),
    }


@pytest.mark.parametrize("fmt", ["der", "pem", "p7b-der", "p7b-pem", "typed-link"])
def test_redirect_to_page_offering_a_certificate(
    serve: ServeFn, capture: Callable[[str], Site], fmt: str
) -> None:
    root = CA("National Security Certificate", country="KZ")
    serve(_single_format_portal(root.cert, fmt), PORTAL)
    capture(PORTAL_URL)
    m = run_probe(KNOWN)
    assert m.detected is True and m.failure is None
    assert m.host == "portal.test"
    assert _ders(m) == [root.cert.public_bytes(Encoding.DER)]
    assert m.offered[0]["over"] == "http"


def test_kz_style_page_offers_each_certificate_once(serve: ServeFn, capture: Callable[[str], Site]) -> None:
    lab = CA("Lab Interception Root")
    serve(certificate_portal([("qaznet", qaznet_root_pem()), ("lab", lab.cert_pem())]), PORTAL)
    capture(PORTAL_URL)
    m = run_probe(KNOWN)
    qaznet = x509.load_pem_x509_certificate(qaznet_root_pem()).public_bytes(Encoding.DER)
    assert _ders(m) == [qaznet, lab.cert.public_bytes(Encoding.DER)]  # .cer, .pem, .p7b of each: kept once
    assert _cert_detail(m, "/certs/lab.p7b")["certificates"] == 1


def test_meta_refresh_sends_the_client_to_the_portal(serve: ServeFn) -> None:
    root = CA("Refresh Root")
    serve(
        {"/success.txt": Route(body=f'<meta http-equiv="refresh" content="0; url={PORTAL_URL}">'.encode())},
        DETECT,
    )
    serve(_single_format_portal(root.cert, "der"), PORTAL)
    m = run_probe(KNOWN)
    assert (m.detected, m.host) == (True, "portal.test")
    assert _ders(m) == [root.cert.public_bytes(Encoding.DER)]


def test_captive_portal_without_certificate(serve: ServeFn, capture: Callable[[str], Site]) -> None:
    site = serve(login_portal(), PORTAL)
    capture(PORTAL_URL)
    m = run_probe(KNOWN)
    assert (m.detected, m.host, m.offered, m.failure) == (True, "portal.test", (), None)
    assert ("portal.test", "/terms.html") not in site.hits  # only certificate links are fetched


def _mixed_portal(bad: Route, good: x509.Certificate) -> dict[str, Route]:
    page = b'<a href="/bad.cer">bad</a> <a href="/good.crt">good</a>'
    return {
        "/": Route(body=page),
        "/bad.cer": bad,
        "/good.crt": Route(body=good.public_bytes(Encoding.DER), content_type="application/pkix-cert"),
    }


def test_garbage_certificate_file(serve: ServeFn, capture: Callable[[str], Site]) -> None:
    good = CA("Good Root")
    serve(
        _mixed_portal(
            Route(body=b"\x30\x82garbage" * 40, content_type="application/x-x509-ca-cert"), good.cert
        ),
        PORTAL,
    )
    capture(PORTAL_URL)
    m = run_probe(KNOWN)
    assert _ders(m) == [good.cert.public_bytes(Encoding.DER)]
    assert _cert_detail(m, "/bad.cer")["certificate_error"] == "not a certificate (DER, PEM or PKCS#7)"


def test_huge_certificate_file_is_cut_at_the_cap(serve: ServeFn, capture: Callable[[str], Site]) -> None:
    good = CA("Good Root")
    serve(_mixed_portal(Route(body=b"A" * 1000, mode="huge"), good.cert), PORTAL)
    capture(PORTAL_URL)
    m = run_probe(KNOWN)
    assert _ders(m) == [good.cert.public_bytes(Encoding.DER)]
    bad = [o for o in m.observations if o.target.endswith("/bad.cer") and o.step == "http"]
    assert bad[0].failure == "http_response_too_large"


def test_certificate_with_huge_declared_length_is_refused(
    serve: ServeFn, capture: Callable[[str], Site]
) -> None:
    good = CA("Good Root")
    serve(_mixed_portal(Route(body=b"B" * (MAX_CERT_BYTES + 1)), good.cert), PORTAL)
    capture(PORTAL_URL)
    m = run_probe(KNOWN)
    assert _ders(m) == [good.cert.public_bytes(Encoding.DER)]
    assert "http_response_too_large" in _failures(m)


def test_slow_certificate_file_hits_the_step_deadline(serve: ServeFn, capture: Callable[[str], Site]) -> None:
    good = CA("Good Root")
    slow_body = good.cert.public_bytes(Encoding.PEM)  # a real certificate, one byte every half second
    serve(
        _mixed_portal(Route(body=slow_body, mode="slow", content_type="application/x-pem-file"), good.cert),
        PORTAL,
    )
    capture(PORTAL_URL)
    m = run_probe(KNOWN, timeout=1.0)
    assert _ders(m) == [good.cert.public_bytes(Encoding.DER)]
    bad = [o for o in m.observations if o.target.endswith("/bad.cer") and o.step == "http"]
    assert bad[0].failure == "generic_timeout_error"


def test_redirect_loop_is_detected_and_stops(serve: ServeFn, capture: Callable[[str], Site]) -> None:
    other = f"http://other.test:{EXTRA}/b"
    site = serve({"/a": Route(status=302, location=other)}, PORTAL)
    serve({"/b": Route(status=302, location=f"http://portal.test:{PORTAL}/a")}, EXTRA)
    capture(f"http://portal.test:{PORTAL}/a")
    m = run_probe(KNOWN)
    assert (m.detected, m.host, m.offered, m.failure) == (True, "portal.test", (), None)
    assert Failure.HTTP_REDIRECT_LOOP in _failures(m)
    assert site.hits.count(("portal.test", "/a")) == 1


def test_endless_redirect_chain_stops_after_a_few(serve: ServeFn, capture: Callable[[str], Site]) -> None:
    routes = {f"/{i}": Route(status=302, location=f"/{i + 1}") for i in range(50)}
    site = serve(routes, PORTAL)
    capture(f"http://portal.test:{PORTAL}/0")
    m = run_probe(KNOWN)
    assert m.detected is True and m.offered == ()
    assert Failure.HTTP_TOO_MANY_REDIRECTS in _failures(m)
    assert len(site.hits) <= 6


def test_https_portal_with_self_signed_certificate(
    serve: ServeFn, capture: Callable[[str], Site], tmp_path: Path
) -> None:
    ctx, portal_der = self_signed("portal.test", tmp_path)
    root = CA("Offered Over HTTPS")
    serve(_single_format_portal(root.cert, "pem"), PORTAL_TLS, tls=ctx)
    capture(f"https://portal.test:{PORTAL_TLS}/")
    m = run_probe(KNOWN)
    assert (m.detected, m.host) == (True, "portal.test")
    assert _ders(m) == [root.cert.public_bytes(Encoding.DER)]
    assert m.offered[0]["over"] == "https"
    tls_obs = [o for o in m.observations if o.step == "tls"]
    assert tls_obs and all(o.failure is None for o in tls_obs)
    assert tls_obs[0].tls is not None and tls_obs[0].tls.chain[0].der == portal_der


def test_certificate_redirected_from_http_to_https_counts_as_https(
    serve: ServeFn, capture: Callable[[str], Site], tmp_path: Path
) -> None:
    ctx, _ = self_signed("portal.test", tmp_path)
    root = CA("Moved Root")
    serve(
        {
            "/": Route(body=b'<a href="/root.cer">root</a>'),
            "/root.cer": Route(status=301, location=f"https://portal.test:{PORTAL_TLS}/root.cer"),
        },
        PORTAL,
    )
    serve({"/root.cer": Route(body=root.cert.public_bytes(Encoding.DER))}, PORTAL_TLS, tls=ctx)
    capture(PORTAL_URL)
    m = run_probe(KNOWN)
    assert [(o["der"], o["over"]) for o in m.offered] == [(root.cert.public_bytes(Encoding.DER), "https")]


def test_known_url_refused_is_a_failure_not_a_portal() -> None:
    m = run_probe(f"http://detect.test:{CLOSED}/success.txt")
    assert (m.detected, m.host, m.failure) == (None, None, "connection_refused")


def test_known_url_silent_is_a_timeout(blackhole: int) -> None:
    m = run_probe(f"http://detect.test:{BLACKHOLE}/success.txt", timeout=1.0)
    assert (m.detected, m.failure) == (None, "generic_timeout_error")


def test_known_url_server_that_never_answers(serve: ServeFn) -> None:
    serve({"/success.txt": Route(mode="silent")}, DETECT)
    m = run_probe(KNOWN, timeout=1.0)
    assert (m.detected, m.failure) == (None, "generic_timeout_error")
    assert [o.step for o in m.observations][-1] == "portal"


def test_garbage_instead_of_http_is_a_failure(serve: ServeFn) -> None:
    import socket
    import threading

    lst = socket.socket()
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", DETECT))
    lst.listen(4)

    def answer() -> None:
        conn, _ = lst.accept()
        conn.recv(4096)
        conn.sendall(b"\x16\x03\x01 not http at all\r\n\r\n")
        conn.close()

    t = threading.Thread(target=answer, daemon=True)
    t.start()
    try:
        m = run_probe(KNOWN)
    finally:
        t.join(5)
        lst.close()
    assert (m.detected, m.failure) == (None, "http_invalid_response")


def test_observations_never_carry_the_query(serve: ServeFn, capture: Callable[[str], Site]) -> None:
    serve(login_portal(), PORTAL)
    capture(f"http://portal.test:{PORTAL}/?client_ip=10.11.12.13&mac=aa:bb:cc:dd:ee:ff")
    m = run_probe(KNOWN)
    assert m.detected is True
    text = json.dumps([o.to_json() for o in m.observations])
    assert "10.11.12.13" not in text and "aa:bb:cc" not in text
    assert f"http://portal.test:{PORTAL}/" in text


def test_parse_certificates_formats() -> None:
    a, b = CA("A"), CA("B")
    der_a, der_b = a.cert.public_bytes(Encoding.DER), b.cert.public_bytes(Encoding.DER)
    assert parse_certificates(der_a) == [der_a]
    assert parse_certificates(a.cert_pem() + b.cert_pem()) == [der_a, der_b]
    bundle = pkcs7.serialize_certificates([a.cert, b.cert], Encoding.DER)  # a DER SET OF: order not kept
    assert sorted(parse_certificates(bundle)) == sorted([der_a, der_b])
    assert parse_certificates(pkcs7.serialize_certificates([a.cert], Encoding.PEM)) == [der_a]
    for junk in (
        b"",
        b"hello",
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        b"\x30\x03\x02\x01\x00",
    ):
        with pytest.raises(ValueError):
            parse_certificates(junk)


FIREFOX_CANONICAL = (
    b'<meta http-equiv="refresh" content="0;url=https://support.mozilla.org/kb/captive-portal"/>'
)


def test_firefox_canonical_page_answered_honestly_is_not_followed(serve: ServeFn) -> None:
    """The honest canonical.html itself holds a meta refresh: the known answer wins, nothing is followed."""
    serve({"/canonical.html": Route(body=FIREFOX_CANONICAL)}, DETECT)
    m = run_probe(
        f"http://detect.test:{DETECT}/canonical.html",
        expect_body="https://support.mozilla.org/kb/captive-portal",
    )
    assert (m.detected, m.host) == (False, None)
    assert len([o for o in m.observations if o.step == "tcp"]) == 1


def test_whole_probe_stays_within_its_budget(serve: ServeFn) -> None:
    """Every answer comes within the step timeout, but the chain outlasts the probe's budget: it stops."""
    delay = 0.75  # each of the 6 fetches (known URL + 5 redirects) takes 0.75 s; the budget is 4 x 1 s
    routes = {f"/{i}": Route(status=302, location=f"/{i + 1}", delay=delay) for i in range(6)}
    serve(routes, PORTAL)
    serve({"/success.txt": Route(status=302, location=f"http://portal.test:{PORTAL}/0", delay=delay)}, DETECT)
    m = run_probe(KNOWN, timeout=1.0)
    assert (m.detected, m.host, m.failure) == (True, "portal.test", None)
    assert any(o.detail.get("reason") == BUDGET_SPENT for o in m.observations)
    assert Failure.HTTP_TOO_MANY_REDIRECTS not in _failures(m)


def test_parse_url() -> None:
    from pathprobe.net.portalfetch import parse_url

    u = parse_url("http://[::1]:18800/a?b=c")
    assert u is not None and (u.host, u.port, u.target, u.authority) == (
        "::1",
        18800,
        "/a?b=c",
        "[::1]:18800",
    )
    assert u.public() == "http://[::1]:18800/a"
    base = parse_url("https://Portal.Test/x/y")
    assert base is not None and str(base) == "https://portal.test/x/y"
    rel = parse_url("../root.cer", base)
    assert rel is not None and str(rel) == "https://portal.test/root.cer"
    for bad in (
        "javascript:alert(1)",
        "ftp://a.test/",
        "http://u:p@a.test/",
        "http:///x",
        "http://a.test:0/",
    ):
        assert parse_url(bad) is None, bad
