"""Run inside pp-client by test_services.py: measures the lab's services with real clients and prints JSON.

    python client_probe.py RUN_DIR do53 NAME | doh NAME | direct NAME | socks NAME | http URL
    python client_probe.py RUN_DIR WHAT ARG WHAT ARG ...     # several at once: a JSON list

Uses the core's own resolver, SOCKS5 dialer and site check (pathprobe.net), dnspython's DoH client,
and the standard library's plain-HTTP client (one GET, no redirects followed).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from pathprobe.errors import NetFailure
from pathprobe.model import HostPort
from pathprobe.net.sitecheck import SystemDialer, check_site
from pathprobe.net.socks import SocksDialer

TIMEOUT = 2.0


def site(dialer: object, name: str) -> dict[str, object]:
    t = asyncio.run(check_site(dialer, HostPort(name), "site", "lab", time.monotonic(), TIMEOUT))  # type: ignore[arg-type]
    chain = t.tls.chain if t.tls else ()
    http = [o.detail.get("status") for o in t.observations if o.step == "http"]
    return {
        "failure": t.failure,
        "chain": [{"subject": c.subject, "issuer": c.issuer, "san": list(c.san)} for c in chain],
        "http": http[0] if http else None,
    }


def plain_http(url: str) -> dict[str, object]:
    import base64
    import hashlib
    import http.client
    import socket
    from urllib.parse import urlsplit

    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname or "", u.port or 80, timeout=TIMEOUT)
    try:
        conn.request("GET", u.path or "/", headers={"Host": u.hostname or ""})
        resp = conn.getresponse()
        body = resp.read(256 * 1024)
    except TimeoutError:
        return {"failure": "generic_timeout_error"}
    except ConnectionRefusedError:
        return {"failure": "connection_refused"}
    except socket.gaierror as exc:
        return {"failure": f"dns: {exc.strerror}"}
    finally:
        conn.close()
    return {
        "failure": None,
        "status": resp.status,
        "location": resp.getheader("Location"),
        "type": resp.getheader("Content-Type"),
        "sha256": hashlib.sha256(body).hexdigest(),
        "body": base64.b64encode(body).decode(),
    }


def main(run: str, what: str, name: str) -> dict[str, object]:
    if what == "do53":
        from pathprobe.net.dns import system_resolve

        try:
            return {"addresses": list(asyncio.run(system_resolve(name, TIMEOUT)).addresses)}
        except NetFailure as exc:
            return {"failure": exc.failure}
    if what == "doh":
        import dns.message
        import dns.query

        q = dns.message.make_query(name, "A")
        a = dns.query.https(
            q,
            "https://doh.resolver.test/dns-query",
            bootstrap_address="10.77.2.54",
            verify=f"{run}/public-roots.pem",
            timeout=TIMEOUT,
        )
        return {"addresses": [r.to_text() for rrset in a.answer for r in rrset], "rcode": a.rcode()}
    if what == "direct":
        return site(SystemDialer(), name)
    if what == "http":
        return plain_http(name)
    if what == "socks":
        return site(SocksDialer(HostPort("10.77.2.80", 1080)), name)
    raise SystemExit(f"unknown measurement {what}")


if __name__ == "__main__":
    run_dir, rest = sys.argv[1], sys.argv[2:]
    if len(rest) == 2:
        print(json.dumps(main(run_dir, *rest)))
    else:  # several WHAT ARG pairs: measured concurrently, printed as a list in the same order
        from concurrent.futures import ThreadPoolExecutor

        pairs = list(zip(rest[::2], rest[1::2], strict=True))
        with ThreadPoolExecutor(len(pairs)) as pool:
            print(json.dumps(list(pool.map(lambda p: main(run_dir, *p), pairs))))
