"""``socks5://`` and ``http://`` proxy URLs: ``scheme://[user:password@]host:port``.

Credentials are percent-decoded and kept apart; error messages never repeat the URL.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from pathprobe.errors import BadProxyUrl
from pathprobe.i18n import _
from pathprobe.model import HostPort

SCHEMES = {"socks5": ("socks5", "socks5h"), "http": ("http",)}


@dataclass(frozen=True)
class ProxyUrl:
    """A parsed proxy URL: the protocol (``socks5`` or ``http``), its address and the percent-decoded
    credentials (None when the URL has none; the password is ``""`` when only a user is given).
    """

    scheme: str
    proxy: HostPort
    username: str | None
    password: str | None

    def __repr__(self) -> str:
        return f"ProxyUrl({self.scheme}://{self.proxy!s}, credentials={'***' if self.username else None})"


def parse_proxy_url(url: str, protocol: str) -> ProxyUrl:
    """Parse the URL of a ``socks5`` or ``http`` proxy; the port must be given."""
    from pathprobe.planfields import parse_hostport

    allowed = SCHEMES[protocol]
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in allowed:
        schemes = [f"{s}://" for s in allowed]
        want = schemes[0] if len(schemes) == 1 else _("{first} or {second}", first=", ".join(schemes[:-1]),
                                                        second=schemes[-1])
        if scheme.lower() == "https":
            raise BadProxyUrl(_("must start with {schemes} (HTTPS proxies are not supported)", schemes=want))
        raise BadProxyUrl(_("must start with {schemes}", schemes=want))
    rest = rest.split("#", 1)[0]
    if rest.endswith("/"):
        rest = rest[:-1]
    if "/" in rest or "?" in rest:
        raise BadProxyUrl(_("a proxy URL has no path or query: scheme://[user:password@]host:port"))
    userinfo, at, netloc = rest.rpartition("@")
    username = password = None
    if at:
        u, colon, p = userinfo.partition(":")
        if not u:
            raise BadProxyUrl(_("the user name is empty"))
        username = urllib.parse.unquote(u)
        password = urllib.parse.unquote(p) if colon else ""
    has_port = ("]:" in netloc) if netloc.startswith("[") else netloc.count(":") == 1
    if not has_port:
        raise BadProxyUrl(_("the proxy address needs a port (host:port)"))
    try:
        hp = parse_hostport(netloc)
    except ValueError:
        raise BadProxyUrl(_("the proxy address is not a valid host:port")) from None
    return ProxyUrl(protocol, hp, username, password)
