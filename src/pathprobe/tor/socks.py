"""Tor's SocksPort as a :class:`~pathprobe.net.sitecheck.Dialer` that retries what tor says about itself.

tor runs on this device, so its SOCKS "general failure" (reply 1: a circuit that failed or was torn
down, a relay that went away, a consensus just replaced) is tor's own state, not an answer from the
censored network, nor from the site. Tor Browser retries such streams; so does a check, within the
one step deadline (DESIGN: "retries share their step's deadline"). Every attempt is recorded as an
observation; only the last one decides the target.
"""

from __future__ import annotations

import asyncio
import time

from pathprobe.errors import NetFailure
from pathprobe.model import HostPort
from pathprobe.net.sitecheck import Recorder
from pathprobe.net.socks import SocksDialer
from pathprobe.net.stream import ByteStream
from pathprobe.vocab import Failure

RETRIED = frozenset({Failure.SOCKS_GENERAL_FAILURE})
"""SOCKS replies from tor that describe tor's circuits rather than the network or the site."""
PAUSE = 0.5
"""Seconds between attempts (tor builds or picks another circuit meanwhile)."""


class TorDialer:
    """Sites through tor's SocksPort on ``127.0.0.1:port``; see the module's description."""

    def __init__(self, port: int) -> None:
        self.inner = SocksDialer(HostPort("127.0.0.1", port), label="tor")

    async def dial(self, hp: HostPort, rec: Recorder) -> ByteStream:
        """A stream to ``hp`` through tor; raises :class:`NetFailure` with the last attempt's failure."""
        deadline = time.monotonic() + rec.timeout
        while True:
            try:
                return await self.inner.dial(hp, rec)
            except NetFailure as exc:
                if exc.failure not in RETRIED or deadline - time.monotonic() < PAUSE + 0.5:
                    raise
            await asyncio.sleep(PAUSE)
