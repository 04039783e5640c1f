"""Every network socket a check opens: TCP streams and TLS capture, DNS and DoH, SOCKS5, UDP exchanges.

    stream.py       TCP connections and byte streams
    tls.py          TLS handshakes that keep the whole presented chain
    sitecheck.py    one site over a Dialer (dns, tcp, tls, http steps); the one TLS step (tls_step)
    http1.py        HTTP/1.1 requests with capped responses
    portalfetch.py  the portal probe's plain GETs: redirects, certificate-file links, caps
    dns.py          the system resolver and Do53
    doh.py          DNS-over-HTTPS
    socks.py        SOCKS5 (socks5h: the far side resolves)
    udp.py          one datagram exchange (OpenVPN, WireGuard)
    pace.py         deadlines adapted to the round trips observed
    failures.py     the one classifier of network errors into failure strings

Probes and the client code in ``vpn/`` and ``tor/`` reach the network only through these modules.
The other rooms that do I/O, precisely:

- ``tor/launch.py`` and ``tor/quick.py`` start processes (tor, obfs4proxy); ``launch.py`` talks to the
  tor it started over tor's control socket (a Unix socket, through stem). Tor's SOCKS port is reached
  with :mod:`.socks`.
- ``summary/submit.py`` sends summaries to a collector over HTTPS (asyncio, optionally through a SOCKS/HTTP proxy or tor); ``collector/`` serves HTTP
  (uvicorn, started by ``cli/collector.py``) and keeps its database (SQLite, or PostgreSQL through
  psycopg).
- ``trust.py`` reads the operating system's trust store (files; the Windows store; macOS ``security``).
- Files only: ``plan.py`` (plans), ``analysis/roots.py`` and ``probes/tor.py`` (root bundles and the
  package's ``data/``), ``profile.py`` and ``summary/`` (profiles, summaries, the submit queue),
  ``cli/`` (consent, ``--out``).
- ``lab/`` builds network namespaces, runs programs and its own servers (``lab/servers/``); nothing a
  check runs imports it.
"""
