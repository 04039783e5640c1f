"""``interceptor``: the censor's transparent TLS interceptor (mitmdump 11 in transparent mode).

The censor's ruleset redirects the client's port-443 traffic to it (port 8080 on the router).
It forges a leaf for every intercepted name, signed by the scenario's interception root (or its
intermediate, which it then presents with the root, as Kazakhstan's did), and checks the real
origin's certificate against the lab public root. ``hosts`` limits interception to those SNIs
(mitmproxy's ``allow_hosts``); ``ignore`` passes those through untouched (``ignore_hosts``).

mitmdump is found through ``PATHPROBE_MITMDUMP``, else ``<repo>/.venv-mitmproxy/bin/mitmdump``,
else ``PATH``.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from pathprobe.errors import LabError
from pathprobe.lab import world as w
from pathprobe.lab.services.base import LabContext, Launch, Listen, Service


def mitmdump_path() -> str | None:
    """The mitmdump to run: ``PATHPROBE_MITMDUMP``, else the repository's ``.venv-mitmproxy``, else
    ``PATH``; None when there is none.
    """
    env = os.environ.get("PATHPROBE_MITMDUMP")
    if env:
        return env
    repo = Path(__file__).resolve().parents[4]
    venv = repo / ".venv-mitmproxy" / "bin" / "mitmdump"
    if venv.is_file():
        return str(venv)
    return shutil.which("mitmdump")


def host_regex(name: str) -> str:
    """mitmproxy matches ``host:port`` strings (address, SNI, Host header) with re.search."""
    return f"^{re.escape(name)}:\\d+$"


class Interceptor(Service):
    """The censor's transparent TLS interceptor (mitmdump) on the router's port 8080; ``hosts``
    (None: every name) limits interception to those SNIs, ``ignore`` passes those through.
    """

    kind = "interceptor"
    about = "a transparent TLS interceptor (mitmdump --mode transparent)"

    def __init__(
        self,
        hosts: list[str] | None,
        ignore: list[str] | None,
        instance: str = "interceptor",
        netns: str = w.CENSOR_NS,
    ) -> None:
        super().__init__(instance, netns)
        self.hosts = hosts
        self.ignore = ignore

    def prepare(self, ctx: LabContext, workdir: Path) -> Launch:
        """Write the interception CA into mitmproxy's confdir and return the mitmdump command; raises
        :class:`LabError` when the scenario has no interception root or mitmdump is not found.
        """
        if ctx.interceptor is None:
            raise LabError("the interceptor needs an interception root ([censor.intercept] root)")
        exe = mitmdump_path()
        if exe is None:
            raise LabError("mitmdump not found: set PATHPROBE_MITMDUMP or run scripts/setup.sh")
        confdir = workdir / "confdir"
        confdir.mkdir(exist_ok=True)
        ca = confdir / "mitmproxy-ca.pem"
        ca.write_bytes(ctx.interceptor.mitmproxy_ca_pem())
        ca.chmod(0o600)
        argv = [
            exe,
            "--mode",
            "transparent",
            "--listen-host",
            "0.0.0.0",
            "--listen-port",
            str(w.INTERCEPT_PORT),
            "--set",
            f"confdir={confdir}",
            "--set",
            f"ssl_verify_upstream_trusted_ca={ctx.public_pem}",
            "--set",
            "termlog_verbosity=info",
            "--flow-detail",
            "1",
        ]
        for h in self.hosts or []:
            argv += ["--allow-hosts", host_regex(h)]
        for h in self.ignore or []:
            argv += ["--ignore-hosts", host_regex(h)]
        return Launch(argv, env={"HOME": str(workdir)})

    def listens(self) -> list[Listen]:
        """TCP port 8080 on every address of the router."""
        return [Listen("tcp", "0.0.0.0", w.INTERCEPT_PORT)]

    def programs(self) -> list[str]:
        """The mitmdump :func:`mitmdump_path` finds (``mitmdump`` when none)."""
        exe = mitmdump_path()
        return [exe or "mitmdump"]
