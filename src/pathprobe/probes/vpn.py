"""``vpn``: VPN endpoints and proxies, one path ``vpn:<name>`` per plan entry.

- ``openvpn`` / ``wireguard``: a handshake with the endpoint (no tunnel is built), so the path's
  ``tls`` is ``unverified`` and its one target is the endpoint, whose reachability the handshake
  shows — or ``unknown`` with the reason, where silence is what a working server does too.
- ``shadowsocks`` / ``socks5`` / ``http``: tunnels. The sites (the plan's own ``sites``, else the
  direct probe's sites and controls) are checked THROUGH the tunnel by the one HTTPS site check,
  :func:`~pathprobe.net.sitecheck.check_site`, with names resolved by the far side; so these paths get
  a real ``tls`` verdict and the same interception analysis as ``direct``.

Plan::

    [[probe]]
    kind = "vpn"
    name = "office"                  # path id vpn:office (default: the protocol)
    protocol = "openvpn"             # openvpn | wireguard | shadowsocks | socks5 | http
    endpoint = "vpn.example.org:1194"
    transport = "udp"                # openvpn only: udp | tcp
    # public_key = "..."             # wireguard: the server's public key
    # private_key = "..."            # wireguard: a key the server knows as a peer (secret)
    # preshared_key = "..."          # wireguard: the peer's preshared key, if it has one (secret)
    # url = "ss://..."               # tunnels: ss://, socks5://user:pass@host:port, http://host:port
    # sites = ["www.example.com"]    # tunnels only

Secrets (keys, passwords, ``ss://`` user info) are never written to output, logs or profiles, and
plan errors never repeat them.
"""

from __future__ import annotations

from typing import ClassVar

from pathprobe.errors import BadKey, BadProxyUrl, BadSsUrl
from pathprobe.i18n import _
from pathprobe.model import HostPort, PathMeasurement, TargetMeasurement
from pathprobe.net.sitecheck import Dialer
from pathprobe.net.socks import SocksDialer
from pathprobe.planfields import Entry, parse_hostport
from pathprobe.probes.base import Probe, ProbeResult, RunContext, check_sites, targets_or_default
from pathprobe.vocab import Failure, Reachability, Role, Step
from pathprobe.vpn import endpoint as vpn_endpoint
from pathprobe.vpn import proxyurl, shadowsocks, wireguard
from pathprobe.vpn.httpconnect import HttpConnectDialer
from pathprobe.vpn.openvpn import check_openvpn

PROTOCOLS = ("openvpn", "wireguard", "shadowsocks", "socks5", "http")
TUNNELS = ("shadowsocks", "socks5", "http")
_AUTH_FAILURES = frozenset({Failure.SOCKS_AUTH_FAILED, Failure.HTTP_PROXY_AUTH_REQUIRED})

NOTE_SS_SILENT = (
    "The Shadowsocks server accepted the connection but sent nothing back for any site. ss-server "
    "answers a wrong password or cipher with exactly this silence, and so would a network that "
    "swallows Shadowsocks after the TCP handshake: check the key; this does not show blocking."
)
NOTE_AUTH = "The proxy refused the credentials in the plan: check them. This says nothing about blocking."


class VpnProbe(Probe):
    """One VPN endpoint or proxy; path id ``vpn:<name>``."""

    kind: ClassVar[str] = "vpn"
    version: ClassVar[str] = "0.1.0"

    def __init__(
        self,
        name: str,
        protocol: str,
        *,
        endpoint: HostPort | None = None,
        transport: str = "udp",
        public_key: bytes | None = None,
        private_key: bytes | None = None,
        preshared_key: bytes | None = None,
        dialer: Dialer | None = None,
        sites: list[HostPort] | None = None,
    ) -> None:
        self.name = name
        self.protocol = protocol
        self.endpoint = endpoint
        self.transport = transport
        self._public_key = public_key
        self._private_key = private_key
        self._preshared_key = preshared_key
        self._dialer = dialer
        self.sites = sites

    def __repr__(self) -> str:
        return f"VpnProbe(name={self.name!r}, protocol={self.protocol!r})"

    @classmethod
    def from_plan(cls, entry: Entry) -> VpnProbe:
        """Read ``protocol`` and its keys: ``url`` (and ``sites``) for a tunnel; ``endpoint``,
        ``transport`` (openvpn) or the keys (wireguard) for a handshake. A key meant for the
        other group is rejected, and errors never repeat a secret.
        """
        protocol = entry.choice("protocol", PROTOCOLS)
        name = entry.path_name(protocol)
        sites = entry.sites("sites")
        if protocol in TUNNELS:
            for key in ("endpoint", "transport", "public_key", "private_key", "preshared_key"):
                if entry.has(key):
                    raise entry.error(key, _("is not used by protocol '{protocol}' (tunnels give 'url')", protocol=protocol))
            probe = cls(name, protocol, dialer=_tunnel_dialer(entry, protocol), sites=sites)
            entry.finish()
            return probe
        if entry.has("url"):
            raise entry.error("url", _("is only for tunnels ({tunnels}); {protocol} gives 'endpoint'",
                                       tunnels=", ".join(TUNNELS), protocol=protocol))
        if sites is not None:
            raise entry.error("sites", _("{protocol} is checked by its handshake (no HTTPS goes through it "
                                         "here); 'sites' is only for tunnels ({tunnels})", protocol=protocol,
                                         tunnels=", ".join(TUNNELS)))
        text = entry.req_str("endpoint")
        if protocol == "wireguard" and not _has_port(text):
            raise entry.error("endpoint", _("give host:port (WireGuard has no default port)"))
        try:
            hp = parse_hostport(text, default_port=1194)
        except ValueError as exc:
            raise entry.error("endpoint", str(exc)) from None
        if protocol == "openvpn":
            for key in ("public_key", "private_key", "preshared_key"):
                if entry.has(key):
                    raise entry.error(key, _("is only for wireguard"))
            transport = entry.choice("transport", ("udp", "tcp"), "udp")
            entry.finish()
            return cls(name, protocol, endpoint=hp, transport=transport)
        entry.choice("transport", ("udp",), "udp")
        public = _key(entry, "public_key")
        private = _key(entry, "private_key")
        psk = _key(entry, "preshared_key")
        if public is not None:
            try:
                wireguard.check_public_key(public)
            except BadKey as exc:
                raise entry.error("public_key", str(exc)) from None
        if private is not None and public is None:
            raise entry.error("private_key", _("needs the server's public_key too"))
        if psk is not None and private is None:
            raise entry.error("preshared_key", _("needs private_key (and public_key) too"))
        entry.finish()
        return cls(name, protocol, endpoint=hp, public_key=public, private_key=private, preshared_key=psk)

    def path_ids(self) -> list[str]:
        """One path: ``vpn:<name>``."""
        return [f"vpn:{self.name}"]

    def budget_extra(self, ctx: RunContext) -> float:
        """A tunnel's site check has one step more than a direct one (the proxy's own answer)."""
        return ctx.timeout if self.protocol in TUNNELS else 0.0

    async def run(self, ctx: RunContext) -> ProbeResult:
        """The endpoint's handshake (openvpn, wireguard), or the sites checked through the tunnel
        (shadowsocks, socks5, http).
        """
        path = self.path_ids()[0]
        detail: dict[str, object] = {"protocol": self.protocol}
        ctx.so_far.describe(path, detail)
        if self.endpoint is not None:  # a handshake: the endpoint is the target (unknown if the budget ends)
            transport = self.transport if self.protocol == "openvpn" else "udp"
            ctx.so_far.expect(path, [(vpn_endpoint.label(self.endpoint, transport), Role.ENDPOINT)])
        if self.protocol == "openvpn":
            assert self.endpoint is not None
            detail["transport"] = self.transport
            target = await check_openvpn(self.endpoint, self.transport, path, ctx.t0, ctx.timeout)  # type: ignore[arg-type]
            ctx.progress(path, 1, 1)
            return _result(path, (target,), detail)
        if self.protocol == "wireguard":
            assert self.endpoint is not None
            detail["transport"] = "udp"
            target = await wireguard.check_wireguard(self.endpoint, self._public_key, self._private_key, path,
                                                     ctx.t0, ctx.timeout, self._preshared_key)
            ctx.progress(path, 1, 1)
            return _result(path, (target,), detail)
        return await self._run_tunnel(ctx, path, detail)

    async def _run_tunnel(self, ctx: RunContext, path: str, detail: dict[str, object]) -> ProbeResult:
        assert self._dialer is not None
        dialer = self._dialer
        targets = targets_or_default(self.sites, ctx)
        if not targets:
            return ProbeResult(paths=(PathMeasurement(
                id=path, kind=self.kind, targets=(), detail=detail,
                untested_reason="no sites to check through the tunnel: give 'sites' or a direct probe"),))
        results = _explain(await check_sites(dialer, targets, path, ctx), dialer)
        blocked_reason = None
        if results and all(_failed_at_proxy(t) for t in results):
            blocked_reason = f"the {self.protocol} server itself could not be reached ({results[0].failure})"
        return ProbeResult(paths=(PathMeasurement(id=path, kind=self.kind, targets=tuple(results),
                                                  detail=detail, blocked_reason=blocked_reason),))


def _result(path: str, targets: tuple[TargetMeasurement, ...], detail: dict[str, object]) -> ProbeResult:
    """A handshake path: a blocked endpoint's explanation becomes the path's reason."""
    blocked = [t for t in targets if t.reachability == Reachability.BLOCKED]
    reason = None
    if blocked and len(blocked) == len(targets):
        reason = blocked[0].note or f"the handshake with the endpoint failed ({blocked[0].failure})"
    return ProbeResult(paths=(PathMeasurement(id=path, kind="vpn", targets=targets, detail=detail,
                                              blocked_reason=reason),))


def _has_port(text: str) -> bool:
    return ("]:" in text) if text.startswith("[") else text.count(":") == 1


def _key(entry: Entry, key: str) -> bytes | None:
    text = entry.str(key)
    if text is None:
        return None
    try:
        return wireguard.decode_key(text)
    except BadKey as exc:
        raise entry.error(key, str(exc)) from None


def _tunnel_dialer(entry: Entry, protocol: str) -> Dialer:
    url = entry.req_str("url")
    if protocol == "shadowsocks":
        try:
            return shadowsocks.ShadowsocksDialer(shadowsocks.parse_ss_url(url.strip()))
        except BadSsUrl as exc:
            raise entry.error("url", _("not a usable ss:// URL: {reason}", reason=exc)) from None
    try:
        p = proxyurl.parse_proxy_url(url.strip(), protocol)
    except BadProxyUrl as exc:
        raise entry.error("url", _("not a usable {protocol} proxy URL: {reason}", protocol=protocol,
                                   reason=exc)) from None
    if protocol == "socks5":
        return SocksDialer(p.proxy, p.username, p.password, label="socks5")
    return HttpConnectDialer(p.proxy, p.username, p.password, label="http")


def _failed_at_proxy(t: TargetMeasurement) -> bool:
    """The target failed before anything went through the tunnel (reaching the proxy itself)."""
    if t.failure is None or not t.observations:
        return False
    last = t.observations[-1]
    if last.failure is None:
        return False
    return last.step == Step.TCP or (last.step == Step.DNS and last.detail.get("for") == "proxy")


def _explain(results: list[TargetMeasurement], dialer: Dialer) -> list[TargetMeasurement]:
    """Mark failures that say nothing about blocking as ``unknown``, with the reason."""
    if any(t.failure is None for t in results):
        return results
    if all(t.failure in _AUTH_FAILURES for t in results):
        return [_unknown(t, NOTE_AUTH) for t in results]
    if isinstance(dialer, shadowsocks.ShadowsocksDialer):
        def silent(t: TargetMeasurement) -> bool:
            stream = dialer.streams.get(t.target)
            last = t.observations[-1] if t.observations else None
            return (stream is not None and stream.bytes_received == 0 and last is not None
                    and last.step == Step.TLS and last.failure == Failure.GENERIC_TIMEOUT_ERROR)

        if all(silent(t) for t in results):
            return [_unknown(t, NOTE_SS_SILENT) for t in results]
    return results


def _unknown(t: TargetMeasurement, note: str) -> TargetMeasurement:
    return TargetMeasurement(target=t.target, role=t.role, observations=t.observations, failure=t.failure,
                             reachability=Reachability.UNKNOWN, note=note)
