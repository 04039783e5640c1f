"""The lab's fixed addresses and made-up names (private 10.77.0.0/16, only inside the lab namespaces).

    pp-client  c0 10.77.1.2 ── r0 10.77.1.1  pp-censor  r1 10.77.2.1 ── i0 10.77.2.2  pp-inet
               default via .1.1       ip_forward, lo 10.77.3.66      default via .2.1; services
                                                                     on more addresses of i0

Site names end in ``.test`` (RFC 6761): they can never mean anything outside the lab.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from pathprobe.errors import BadInput
from pathprobe.i18n import _

PREFIX_ENV = "PATHPROBE_LAB_PREFIX"
PREFIX = os.environ.get(PREFIX_ENV, "pp-")
"""Namespace name prefix (``pp-`` by default; ``pp-<x>-`` lets several labs run side by side).

Read at import but checked only by :func:`check_prefix`, before the lab touches any namespace:
importing the lab never fails, whatever the environment says."""


def prefix_problem() -> str | None:
    """Why :data:`PREFIX` cannot name the lab's namespaces, or None."""
    if re.fullmatch(r"pp-([a-z0-9]{1,6}-)?", PREFIX):
        return None
    return _("{variable} must be 'pp-' or 'pp-<up to 6 letters/digits>-' (it names the lab's namespaces)",
             variable=PREFIX_ENV)


def check_prefix() -> None:
    """Raise :class:`~pathprobe.errors.BadInput` (exit 2) when :data:`PREFIX` is not a lab prefix."""
    problem = prefix_problem()
    if problem:
        raise BadInput(problem)


CLIENT_NS = f"{PREFIX}client"
CENSOR_NS = f"{PREFIX}censor"
INET_NS = f"{PREFIX}inet"
NAMESPACES = (CLIENT_NS, CENSOR_NS, INET_NS)

CLIENT_IF, CENSOR_CLIENT_IF = "c0", "r0"
CENSOR_INET_IF, INET_IF = "r1", "i0"
CLIENT_ADDR = "10.77.1.2"
CLIENT_NET = "10.77.1.0/24"
CENSOR_CLIENT_ADDR = "10.77.1.1"
CENSOR_INET_ADDR = "10.77.2.1"
INET_ADDR = "10.77.2.2"
BLOCKPAGE_ADDR = "10.77.3.66"
"""The censor's own block-page server (on its loopback; the client reaches it through the router)."""

DNS_ADDR = "10.77.2.53"
"""The honest resolver; the client's configured nameserver."""
DOH_ADDR = "10.77.2.54"
DOH_NAME = "doh.resolver.test"
DOH_PATH = "/dns-query"
SOCKS_ADDR = "10.77.2.80"
SOCKS_PORT = 1080
OPENVPN_ADDR = "10.77.2.81"
"""OpenVPN servers: UDP and TCP on 1194, one with tls-crypt on 1195/udp."""
OPENVPN_PORT = 1194
OPENVPN_TLSCRYPT_PORT = 1195
WIREGUARD_ADDR = "10.77.2.82"
"""wireguard-go answers on every address of pp-inet; this is the one plans name."""
WIREGUARD_PORT = 51820
SHADOWSOCKS_ADDR = "10.77.2.83"
SHADOWSOCKS_PORT = 8388
HTTP_PROXY_ADDR = "10.77.2.84"
HTTP_PROXY_PORT = 3128
TOR_RELAYS_NET = "10.77.2.96/28"
"""The private Tor network's directory authorities and relays (a censor that drops this network drops
every one of them; the bridge is outside it)."""
TOR_ADDRS: dict[str, str] = {
    "auth0": "10.77.2.101",
    "auth1": "10.77.2.102",
    "auth2": "10.77.2.103",
    "relay0": "10.77.2.104",
    "relay1": "10.77.2.105",
    "bridge": "10.77.2.120",
}
"""One address per node (``relay0`` is the exit); see :mod:`pathprobe.lab.services.tornet`."""
TOR_BASE_PORT = 9000
"""Node ``i`` (auth0-2, relay0-1, bridge) listens on ``9000 + 2i`` (ORPort) and ``9000 + 2i + 1``
(an authority's DirPort, the bridge's obfs4 port): never 443, which an intercepting censor redirects."""
INTERCEPT_PORT = 8080
"""Where the censor's transparent interceptor listens (port 443 is redirected to it)."""

BLOCKPAGE_NAME = "blocked.censor.test"

PORTAL_NAME = "portal.censor.test"
"""The censor's portal page (answered by the honest resolver with the block-page address; any address
routed through the censor works, because the censor sends every client port-80 connection there)."""
PORTAL_PORT = 8081
SNIFILTER_PORT = 8443
"""Where the censor's reassembling SNI filter listens (port 443 is redirected to it; issue 17)."""
"""Where the censor's portal server listens (the client's port 80 is redirected to it)."""
DETECT_NAME = "detectportal.test"
DETECT_ADDR = "10.77.2.30"
"""An honest portal-detection server in the "internet" (``http://detectportal.test/success.txt``)."""
DETECT_PATH = "/success.txt"
DETECT_TEXT = "success"


def wg_ifname() -> str:
    """The WireGuard interface's name: unique on the machine, since wireguard-go's control sockets
    (``/var/run/wireguard/<name>.sock``) are shared by every namespace. Derived from the prefix
    (``pp-wg``, ``pp-x-wg``: at most 12 characters), so labs side by side never collide."""
    return f"{PREFIX}wg"


@dataclass(frozen=True)
class Site:
    """One of the lab's made-up sites: its name, its address in the "internet" and what it stands for."""

    name: str
    address: str
    about: str


SITES: tuple[Site, ...] = (
    Site("www.socialnet.test", "10.77.2.11", "a social network"),
    Site("www.tube.test", "10.77.2.12", "a video site"),
    Site("news.freepress.test", "10.77.2.13", "an independent news site"),
    Site("mail.postbox.test", "10.77.2.14", "a webmail service"),
    Site("www.bank.test", "10.77.2.21", "a bank (a control)"),
    Site("www.weather.test", "10.77.2.22", "a weather service (a control)"),
    Site("www.shop.test", "10.77.2.23", "a shop (a control)"),
)
SITE_BY_NAME = {s.name: s for s in SITES}

MANY_ADDR = "10.77.2.200"
"""Where the origins' generated sites live (``[options.origins] many = N``: a CDN serving N names)."""
MANY_MAX = 1000


def many_sites(n: int) -> dict[str, str]:
    """``n`` generated site names (``site-0001.many.test`` ...) -> their address (for scale runs)."""
    return {f"site-{i:04d}.many.test": MANY_ADDR for i in range(1, n + 1)}


def inet_addresses() -> list[str]:
    """Every address that lives on pp-inet's interface (the link address first)."""
    return [
        INET_ADDR,
        DNS_ADDR,
        DOH_ADDR,
        SOCKS_ADDR,
        OPENVPN_ADDR,
        WIREGUARD_ADDR,
        SHADOWSOCKS_ADDR,
        HTTP_PROXY_ADDR,
        DETECT_ADDR,
        *(s.address for s in SITES),
        *TOR_ADDRS.values(),
        MANY_ADDR,
    ]


def honest_records(many: int = 0) -> dict[str, str]:
    """name -> IPv4 address, as the honest resolver answers (``many``: the generated sites too)."""
    out = {s.name: s.address for s in SITES}
    out.update(many_sites(many))
    out[DOH_NAME] = DOH_ADDR
    out[BLOCKPAGE_NAME] = BLOCKPAGE_ADDR
    out[PORTAL_NAME] = BLOCKPAGE_ADDR
    out[DETECT_NAME] = DETECT_ADDR
    return out


def resolve_target(value: str) -> str:
    """A site name or address from a scenario -> an address (``ValueError`` naming it otherwise)."""
    import ipaddress

    if value in SITE_BY_NAME:
        return SITE_BY_NAME[value].address
    if value == DOH_NAME:
        return DOH_ADDR
    if value == DETECT_NAME:
        return DETECT_ADDR
    try:
        ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        raise ValueError(
            f"'{value}' is neither a lab site ({', '.join(SITE_BY_NAME)}) nor an IPv4 address"
        ) from None
    return value
