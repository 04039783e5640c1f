"""``doh``: a DNS-over-HTTPS server in the "internet" (unbound ``https-port``), honest answers.

``https://doh.resolver.test/dns-query`` at 10.77.2.54:443, with a certificate from the lab public CA
(for the name and the address). Its data is the honest resolver's; nothing is forwarded anywhere.
"""

from __future__ import annotations

from pathlib import Path

from pathprobe.lab import world as w
from pathprobe.lab.services import _unbound
from pathprobe.lab.services.base import LabContext, Launch, Listen, Service


class DohServer(Service):
    """``https://doh.resolver.test/dns-query`` at 10.77.2.54:443: unbound's DoH with the honest data."""

    kind = "doh"
    about = "a DNS-over-HTTPS server (unbound https-port, honest local data)"

    def prepare(self, ctx: LabContext, workdir: Path) -> Launch:
        """Issue its certificate from the lab public CA (for the name and the address), write the key,
        chain and unbound configuration, and return the command.
        """
        leaf = ctx.public.issue(w.DOH_NAME, w.DOH_ADDR)
        chain, key = workdir / "doh.chain.pem", workdir / "doh.key.pem"
        chain.write_bytes(leaf.chain_pem())
        key.write_bytes(leaf.key_pem())
        key.chmod(0o600)
        text = _unbound.config(
            workdir,
            [f"{w.DOH_ADDR}@443"],
            w.honest_records(ctx.many),
            extra=[
                "https-port: 443",
                f'tls-service-key: "{key}"',
                f'tls-service-pem: "{chain}"',
                f'http-endpoint: "{w.DOH_PATH}"',
                "http-notls-downstream: no",
            ],
        )
        return Launch(_unbound.argv(_unbound.write(workdir, text)))

    def listens(self) -> list[Listen]:
        """TCP 10.77.2.54:443."""
        return [Listen("tcp", w.DOH_ADDR, 443)]

    def programs(self) -> list[str]:
        """``unbound``."""
        return ["unbound"]
