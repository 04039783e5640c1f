"""The three namespaces and their veth links; running commands inside them; removing them again.

Only the names in :data:`~pathprobe.lab.world.NAMESPACES` are ever created or removed here, and
only ``/etc/netns/<those names>`` (``ip netns exec`` bind-mounts the resolv.conf and hosts found
there). The veth pairs are created directly inside the namespaces: no interface, route or rule of
the host's own network is touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from pathprobe.errors import LabError
from pathprobe.i18n import _, format_number
from pathprobe.lab import world as w

NETNS_ETC = Path("/etc/netns")
_CMD_TIMEOUT = 20.0


def run(argv: list[str], *, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run a short command; a failure is a :class:`LabError` naming the command and its stderr."""
    try:
        cp = subprocess.run(
            argv, capture_output=True, text=True, timeout=_CMD_TIMEOUT, check=False, input=input
        )
    except FileNotFoundError:
        raise LabError(_("'{program}' is not installed (run scripts/setup.sh)", program=argv[0])) from None
    except subprocess.TimeoutExpired:
        raise LabError(_("'{command}' did not finish in {seconds} s", command=" ".join(argv),
                         seconds=format_number(_CMD_TIMEOUT))) from None
    if check and cp.returncode != 0:
        raise LabError(_("'{command}' failed: {reason}", command=" ".join(argv),
                         reason=cp.stderr.strip() or cp.stdout.strip()))
    return cp


def _namespaces() -> tuple[str, ...]:
    """The lab's namespace names, once the prefix they are made from is known to be a lab prefix."""
    w.check_prefix()
    return w.NAMESPACES


def nsexec(ns: str, *argv: str) -> list[str]:
    """The argv that runs ``argv`` inside namespace ``ns``."""
    assert ns in _namespaces(), ns
    return ["ip", "netns", "exec", ns, *argv]


def existing() -> list[str]:
    """Which of the lab's namespaces exist now."""
    cp = run(["ip", "netns", "list"], check=False)
    names = {line.split()[0] for line in cp.stdout.splitlines() if line.strip()}
    return [n for n in _namespaces() if n in names]


def netns_etc_dirs() -> list[Path]:
    """The ``/etc/netns/<ns>`` directories of the lab's namespaces that exist now."""
    return [NETNS_ETC / n for n in _namespaces() if (NETNS_ETC / n).exists()]


def pids_in(ns: str) -> list[int]:
    """Processes living in namespace ``ns`` (``ip netns pids``)."""
    cp = run(["ip", "netns", "pids", ns], check=False)
    return [int(x) for x in cp.stdout.split() if x.isdigit()]


def _write_etc(ns: str, nameserver: str | None) -> None:
    d = NETNS_ETC / ns
    d.mkdir(parents=True, exist_ok=True)
    (d / "hosts").write_text(f"127.0.0.1 localhost\n::1 localhost\n# pathprobe lab ({ns})\n", "utf-8")
    if nameserver:
        (d / "resolv.conf").write_text(
            f"# pathprobe lab ({ns})\nnameserver {nameserver}\noptions timeout:2 attempts:1\n", "utf-8"
        )


def create() -> None:
    """Build the namespaces, links, addresses and routes (the caller removed any stale lab first)."""
    for ns in _namespaces():
        run(["ip", "netns", "add", ns])
    run(
        [
            "ip",
            "link",
            "add",
            w.CLIENT_IF,
            "netns",
            w.CLIENT_NS,
            "type",
            "veth",
            "peer",
            "name",
            w.CENSOR_CLIENT_IF,
            "netns",
            w.CENSOR_NS,
        ]
    )
    run(
        [
            "ip",
            "link",
            "add",
            w.CENSOR_INET_IF,
            "netns",
            w.CENSOR_NS,
            "type",
            "veth",
            "peer",
            "name",
            w.INET_IF,
            "netns",
            w.INET_NS,
        ]
    )
    batch = {
        w.CLIENT_NS: [
            f"addr add {w.CLIENT_ADDR}/24 dev {w.CLIENT_IF}",
            "link set lo up",
            f"link set {w.CLIENT_IF} up",
            f"route add default via {w.CENSOR_CLIENT_ADDR}",
        ],
        w.CENSOR_NS: [
            f"addr add {w.CENSOR_CLIENT_ADDR}/24 dev {w.CENSOR_CLIENT_IF}",
            f"addr add {w.CENSOR_INET_ADDR}/24 dev {w.CENSOR_INET_IF}",
            f"addr add {w.BLOCKPAGE_ADDR}/32 dev lo",
            "link set lo up",
            f"link set {w.CENSOR_CLIENT_IF} up",
            f"link set {w.CENSOR_INET_IF} up",
        ],
        w.INET_NS: [
            *(f"addr add {a}/24 dev {w.INET_IF}" for a in w.inet_addresses()),
            "link set lo up",
            f"link set {w.INET_IF} up",
            f"route add default via {w.CENSOR_INET_ADDR}",
        ],
    }
    for ns, lines in batch.items():
        run(["ip", "-n", ns, "-batch", "-"], input="\n".join(lines) + "\n")
    for ns in w.NAMESPACES:
        sysctls = ["net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"]
        if ns == w.CENSOR_NS:
            sysctls.append("net.ipv4.ip_forward=1")
        run(nsexec(ns, "sysctl", "-q", "-w", *sysctls))
    _write_etc(w.CLIENT_NS, w.DNS_ADDR)
    _write_etc(w.CENSOR_NS, w.DNS_ADDR)
    _write_etc(w.INET_NS, w.DNS_ADDR)


def destroy() -> list[str]:
    """Remove the lab's namespaces and their /etc/netns entries; return what was removed.

    Processes inside must already be gone (a namespace with processes outlives ``ip netns del``).
    """
    removed = []
    for ns in existing():
        run(["ip", "netns", "del", ns], check=False)
        removed.append(ns)
    for d in netns_etc_dirs():
        shutil.rmtree(d, ignore_errors=True)
        removed.append(str(d))
    return removed


def platform_problem() -> str | None:
    """Why the lab cannot run here (not Linux, not root, no ``ip``), or None."""
    import sys

    if not sys.platform.startswith("linux"):
        return _("pathprobe lab needs Linux (network namespaces); this is {platform}", platform=sys.platform)
    if os.geteuid() != 0:
        return _("pathprobe lab needs root (it creates network namespaces); run it with sudo")
    if shutil.which("ip") is None:
        return _("pathprobe lab needs iproute2's 'ip' command (run scripts/setup.sh)")
    return w.prefix_problem()
