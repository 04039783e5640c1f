"""``shadowsocks``: a Shadowsocks server in the "internet" (shadowsocks-libev ss-server), 10.77.2.83:8388.

A fresh password each run; the plan gets the client's key as ``{{shadowsocks.url}}`` (a SIP002
``ss://`` URL written as an Outline access key). The configuration is
:func:`pathprobe.lab.servers.vpn.ss_server`'s (TCP only, an explicit JSON file readable by its owner
only). ss-server resolves the sites' names itself, with pp-inet's resolver (the honest one).

Options (``[options.shadowsocks]``): ``method`` — ``chacha20-ietf-poly1305`` (default) or
``aes-256-gcm``.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from pathprobe.lab import world as w
from pathprobe.lab.servers import vpn as servers
from pathprobe.lab.services.base import LabContext, Launch, Listen, Service

METHODS = ("chacha20-ietf-poly1305", "aes-256-gcm")


class Shadowsocks(Service):
    """A Shadowsocks server (ss-server) at 10.77.2.83:8388 with ``method`` and a fresh password each run."""

    kind = "shadowsocks"
    about = "a Shadowsocks server (shadowsocks-libev ss-server)"

    def __init__(
        self, instance: str = "shadowsocks", netns: str = w.INET_NS, method: str = METHODS[0]
    ) -> None:
        super().__init__(instance, netns)
        self.method = method
        self._url: str | None = None

    def __repr__(self) -> str:
        return f"Shadowsocks(instance={self.instance!r}, method={self.method!r})"

    @classmethod
    def from_options(cls, options: dict[str, Any], where: str) -> Service:
        """Read ``[options.shadowsocks]``: ``method`` (one of :data:`METHODS`); raises ValueError
        otherwise.
        """
        opts = dict(options)
        method = opts.pop("method", METHODS[0])
        if opts:
            raise ValueError(f"'{sorted(opts)[0]}': unknown option (the shadowsocks service takes 'method')")
        if method not in METHODS:
            raise ValueError(f"'method': {method!r} is not one of {', '.join(METHODS)}")
        return cls(method=method)

    def prepare(self, ctx: LabContext, workdir: Path) -> Launch:
        """Pick a fresh password, write ss-server's configuration and return its command."""
        password = secrets.token_urlsafe(18)
        spec = servers.ss_server(
            workdir,
            port=w.SHADOWSOCKS_PORT,
            password=password,
            method=self.method,
            host=w.SHADOWSOCKS_ADDR,
            name="ss-server",
        )
        self._url = servers.ss_url(
            w.SHADOWSOCKS_ADDR, w.SHADOWSOCKS_PORT, self.method, password, outline=True, tag="pathprobe lab"
        )
        return Launch(spec.argv)

    def plan_values(self) -> dict[str, str]:
        """``url``: the client's ``ss://`` key (an Outline access key; a secret), once prepared."""
        return {"url": self._url} if self._url else {}

    def listens(self) -> list[Listen]:
        """TCP 10.77.2.83:8388."""
        return [Listen("tcp", w.SHADOWSOCKS_ADDR, w.SHADOWSOCKS_PORT)]

    def programs(self) -> list[str]:
        """``ss-server``."""
        return ["ss-server"]
