"""The baseline: the least a prober must do — TCP + TLS handshake with SNI to each site, concurrently.

    python bench/minimal_prober.py SITES_FILE     (one host:port per line; hosts from PATHPROBE_HOSTS)

One process, asyncio, the stdlib's TLS with no verification, no chain capture, no analysis and no
output beyond a count: the cost floor that pathprobe's quick check is compared to.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import sys


def hosts() -> dict[str, str]:
    out = {}
    path = os.environ.get("PATHPROBE_HOSTS")
    if path:
        with open(path) as fh:
            for line in fh:
                f = line.split()
                if len(f) >= 2:
                    out[f[1]] = f[0]
    return out


async def probe(site: str, table: dict[str, str], ctx: ssl.SSLContext) -> bool:
    host, port = site.rsplit(":", 1)
    try:
        async with asyncio.timeout(5):
            _, writer = await asyncio.open_connection(table.get(host, host), int(port), ssl=ctx,
                                                      server_hostname=host)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


async def main() -> None:
    with open(sys.argv[1]) as fh:
        sites = [s.strip() for s in fh if s.strip()]
    table = hosts()
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ok = sum(await asyncio.gather(*(probe(s, table, ctx) for s in sites)))
    print(f"{ok}/{len(sites)} handshakes")


if __name__ == "__main__":
    asyncio.run(main())
