"""Explicit unbound configurations: local data only, ``local-zone: "." static``, no forwarders.

Shared by the ``dns``, ``dns-lie`` and ``doh`` services (unbound answers only what the lab wrote;
any other name gets NXDOMAIN and nothing is ever asked upstream).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def config(
    workdir: Path, interfaces: list[str], records: dict[str, str], *, extra: Sequence[str] = ()
) -> str:
    """An unbound.conf: ``interfaces`` like ``10.77.2.53`` or ``10.77.2.54@443``; ``records`` name -> IPv4."""
    lines = [
        "server:",
        "    verbosity: 1",
        "    do-daemonize: no",
        '    chroot: ""',
        '    username: ""',
        f'    directory: "{workdir}"',
        '    pidfile: ""',
        "    use-syslog: no",
        '    logfile: ""',
        "    log-queries: yes",
        "    log-replies: yes",
        "    num-threads: 1",
        "    so-reuseport: no",
        "    do-ip6: no",
        "    port: 53",
        '    module-config: "iterator"',
        "    access-control: 0.0.0.0/0 allow",
        "    hide-identity: yes",
        "    hide-version: yes",
        *(f"    interface: {i}" for i in interfaces),
        '    local-zone: "." static',
        *(f'    local-data: "{name}. 60 IN A {addr}"' for name, addr in sorted(records.items())),
        *(f"    {e}" for e in extra),
        "remote-control:",
        "    control-enable: no",
        "",
    ]
    return "\n".join(lines)


def write(workdir: Path, text: str) -> Path:
    path = workdir / "unbound.conf"
    path.write_text(text, "utf-8")
    return path


def argv(conf: Path) -> list[str]:
    return ["unbound", "-d", "-p", "-c", str(conf)]
