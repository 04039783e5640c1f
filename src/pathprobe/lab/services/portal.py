"""``portal``: the censor's portal page (``python -m pathprobe.lab.servers.portal`` in pp-censor, port 8081).

The censor's ruleset redirects every plain-HTTP (port 80) connection from the client to it, whatever
address it was meant for. Requests for ``portal.censor.test`` get the portal page; every other
``Host`` gets ``302 Location: http://portal.censor.test/`` (the capture). The page is either a
certificate-install page, as Kazakh ISPs showed in 2019 — offering the real, public Qaznet Trust
Network root (``qaznet``) and/or the scenario's own interception root (``interceptor``) as DER, PEM
and PKCS#7 files — or, with no offers, an ordinary captive log-in page (hotel Wi-Fi).

The server is :mod:`pathprobe.lab.servers.portal`, the same one the portal probe's tests use.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pathprobe.errors import LabError
from pathprobe.lab import world as w
from pathprobe.lab.services.base import LabContext, Launch, Listen, Service

OFFERS = ("qaznet", "interceptor")
"""What a portal may offer: the real Qaznet root, the scenario's interception root."""


class Portal(Service):
    """The censor's portal page on the router's port 8081: a certificate-install page offering
    ``offers`` (``qaznet``, ``interceptor``), or a log-in page when it offers none. Raises ValueError
    for an unknown offer.
    """

    kind = "portal"
    about = "the censor's portal page (pathprobe.lab.servers.portal: capture, certificate or log-in page)"

    def __init__(self, offers: list[str], instance: str = "portal", netns: str = w.CENSOR_NS) -> None:
        super().__init__(instance, netns)
        bad = [o for o in offers if o not in OFFERS]
        if bad:
            raise ValueError(f"unknown portal offer '{bad[0]}' (known: {', '.join(OFFERS)})")
        self.offers = list(dict.fromkeys(offers))

    def prepare(self, ctx: LabContext, workdir: Path) -> Launch:
        """The portal server's command (no configuration file; the interception root's certificate is
        written when offered); raises :class:`LabError` when it should offer an interception root the
        scenario lacks.
        """
        argv = [
            sys.executable,
            "-m",
            "pathprobe.lab.servers.portal",
            "--listen",
            f"0.0.0.0:{w.PORTAL_PORT}",
            "--name",
            w.PORTAL_NAME,
            "--redirect-others",
            f"http://{w.PORTAL_NAME}/",
        ]
        if "qaznet" in self.offers:
            argv.append("--offer-qaznet")
        if "interceptor" in self.offers:
            if ctx.interceptor is None:
                raise LabError(
                    "the portal offers the interception root, but the scenario has no [censor.intercept]"
                )
            root = workdir / "interception-root.pem"
            root.write_bytes(ctx.interceptor.root.cert_pem())  # the ROOT (public part), never a key
            argv += ["--offer", f"lab_root={root}"]
        if not self.offers:
            argv.append("--login")
        return Launch(argv)

    def listens(self) -> list[Listen]:
        """TCP port 8081 on every address of the router."""
        return [Listen("tcp", "0.0.0.0", w.PORTAL_PORT)]
