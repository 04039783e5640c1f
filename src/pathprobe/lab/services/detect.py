"""``detect``: an honest portal-detection server in the "internet" (like Firefox's detectportal).

``http://detectportal.test/success.txt`` at 10.77.2.30:80 answers ``200`` with ``success``, as a
network without a portal lets it. Run by :mod:`pathprobe.lab.servers.portal` (``--answer``); every other
path is a 404. A portal probe in a scenario's plan uses::

    url = "http://detectportal.test/success.txt"
    expect_body = "success"
"""

from __future__ import annotations

import sys
from pathlib import Path

from pathprobe.lab import world as w
from pathprobe.lab.services.base import LabContext, Launch, Listen, Service

PORT = 80


class DetectServer(Service):
    """The honest portal-detection URL: ``http://detectportal.test/success.txt`` answers ``success``."""

    kind = "detect"
    about = "an honest portal-detection URL (pathprobe.lab.servers.portal --answer)"

    def prepare(self, ctx: LabContext, workdir: Path) -> Launch:
        """The portal server in ``--answer`` mode on 10.77.2.30:80; it needs no configuration file."""
        return Launch(
            [
                sys.executable,
                "-m",
                "pathprobe.lab.servers.portal",
                "--listen",
                f"{w.DETECT_ADDR}:{PORT}",
                "--answer",
                f"{w.DETECT_PATH}={w.DETECT_TEXT}",
            ]
        )

    def listens(self) -> list[Listen]:
        """TCP 10.77.2.30:80."""
        return [Listen("tcp", w.DETECT_ADDR, PORT)]
