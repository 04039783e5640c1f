"""VPN endpoints and proxies, one module per protocol.

- :mod:`.openvpn` — credential-free OpenVPN reset handshake over UDP and TCP.
- :mod:`.wireguard` — a Noise IKpsk2 handshake initiation (and, with a key the server knows, its
  authenticated response).
- :mod:`.shadowsocks` — SIP002 ``ss://`` URLs (Outline access keys too) and an AEAD stream/Dialer.
- :mod:`.httpconnect` — an HTTP CONNECT proxy Dialer; SOCKS5 lives in :mod:`pathprobe.net.socks`.
- :mod:`.proxyurl` — ``socks5://`` and ``http://`` proxy URLs.

Every socket they use comes from :mod:`pathprobe.net` (TCP streams, SOCKS5, and
:mod:`pathprobe.net.udp` for the OpenVPN and WireGuard datagrams).

Client code only: the real servers the tests and the lab run are configured by
:mod:`pathprobe.lab.servers.vpn`. Tunnels (Shadowsocks, SOCKS5, HTTP CONNECT) only provide a
:class:`~pathprobe.net.sitecheck.Dialer`; the HTTPS check itself is always
:func:`pathprobe.net.sitecheck.check_site`.
"""
