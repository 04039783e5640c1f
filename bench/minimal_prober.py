"""The baseline: the least a prober must do — TCP + TLS handshake with SNI to each site, concurrently.

    python bench/minimal_prober.py SITES_FILE     (one host:port per line; hosts from PATHPROBE_HOSTS)

No verification, no chain capture, no analysis: the cost floor pathprobe's quick check is compared to.
"""

from __future__ import annotations

import os
import socket
import ssl
import sys
from concurrent.futures import ThreadPoolExecutor


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


def probe(site: str, table: dict[str, str]) -> bool:
    host, port = site.rsplit(":", 1)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((table.get(host, host), int(port)), timeout=5) as s, \
                ctx.wrap_socket(s, server_hostname=host):
            return True
    except OSError:
        return False


def main() -> None:
    with open(sys.argv[1]) as fh:
        sites = [s.strip() for s in fh if s.strip()]
    table = hosts()
    with ThreadPoolExecutor(max_workers=min(64, len(sites))) as pool:
        ok = sum(pool.map(lambda s: probe(s, table), sites))
    print(f"{ok}/{len(sites)} handshakes")


if __name__ == "__main__":
    main()
