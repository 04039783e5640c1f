"""The censor router's nft ruleset, built from a scenario's ``[censor]`` (pure; applied in pp-censor).

- random loss (``loss = N``, percent) drops forwarded packets in both directions (``numgen random``:
  no netem here);
- filters (``[[censor.block]]``) sit in the forward hook: client -> internet traffic is dropped or
  rejected (``reject with tcp reset`` for TCP, ICMP port unreachable for UDP);
- a DNS hijack DNATs the client's port-53 traffic, whatever server it was meant for, to the lying
  resolver on the router;
- interception redirects the client's port-443 traffic to the transparent interceptor;
- a portal redirects the client's port-80 traffic (plain HTTP, whatever its destination) to the
  censor's portal server, which answers every other host with a redirect to its own page.

The tables live only in the pp-censor namespace and vanish with it.

Throttling (``[censor.throttle]``, issue 17) is not nft: :func:`shaping_commands` gives the ``tc`` and
``iptables`` commands run in pp-censor after the ruleset (LAB-NOTES "Shaping and DPI"): a packet from
the client that names a listed site (``-m string``, one packet at a time) marks its connection
(CONNMARK); the connection's packets toward the client are classified (CLASSIFY) into an htb class of
``kbps`` on the client-facing interface, with a short queue and GSO capped so the class is not fed
64 KB super-packets. Everything else goes through an unlimited class.
"""

from __future__ import annotations

from pathprobe.lab import world as w
from pathprobe.lab.scenario import Block, Censor, Throttle

TABLE = "pp_censor"


def _block_rule(b: Block) -> str:
    parts = []
    if b.to:
        parts.append(f"ip daddr {b.to}")
    parts.append(f"meta l4proto {b.proto}")
    if b.port is not None:
        parts.append(f"{b.proto} dport {b.port}")
    if b.payload:
        parts.append("ip length > 80")  # IP + the largest TCP header: only packets that carry data
    if b.action == "drop":
        parts.append("drop")
    elif b.proto == "tcp":
        parts.append("reject with tcp reset")
    else:
        parts.append("reject")
    parts.append(f'comment "{b.action} {b.proto}{"/" + str(b.port) if b.port else ""}"')
    return " ".join(parts)


def ruleset(censor: Censor) -> str:
    """The whole ruleset (one ``nft -f`` file); an empty censor still gets empty chains."""
    client_if = w.CENSOR_CLIENT_IF
    forward = [f'iifname "{client_if}" ' + _block_rule(b) for b in censor.blocks]
    if censor.loss:
        # A bad link, both directions, before any filter: each packet is lost with this probability.
        forward.insert(0, f'numgen random mod 100 < {censor.loss} drop comment "random loss {censor.loss}%"')
    nat = []
    if censor.lies is not None:
        for proto in ("udp", "tcp"):
            nat.append(
                f'iifname "{client_if}" {proto} dport 53 dnat to {w.CENSOR_CLIENT_ADDR}:53 '
                f'comment "DNS hijack"'
            )
    if censor.intercept is not None:
        nat.append(
            f'iifname "{client_if}" tcp dport 443 redirect to :{w.INTERCEPT_PORT} comment "TLS interception"'
        )
    if censor.sni is not None and censor.sni.mode == "reassemble":
        nat.append(
            f'iifname "{client_if}" tcp dport 443 redirect to :{w.SNIFILTER_PORT} comment "SNI filter (reassembling)"'
        )
    if censor.portal is not None:
        nat.append(
            f'iifname "{client_if}" tcp dport 80 redirect to :{w.PORTAL_PORT} comment "portal capture"'
        )
    lines = [
        f"table ip {TABLE} {{",
        "    chain filter_forward {",
        "        type filter hook forward priority filter; policy accept;",
        *(f"        {r}" for r in forward),
        "    }",
        "    chain nat_prerouting {",
        "        type nat hook prerouting priority dstnat; policy accept;",
        *(f"        {r}" for r in nat),
        "    }",
        "}",
        "",
    ]
    return "\n".join(lines)


# --- filtering by server name, per packet (issue 17) ---

SNI_MARK = "0x17"
"""The connection mark of a flow whose TLS hello named a filtered site."""


def sni_rules(censor: Censor) -> str | None:
    """The per-packet SNI filter as an ``iptables-nft-restore`` file (nft itself cannot match a string
    at any offset; the kernel's ``xt_string`` does, through nft's compat layer), or None when the
    scenario has none. A client packet to port 443 that carries a listed name marks its connection;
    every packet of a marked connection, both ways, is then dropped (silence, Kazakhstan style) or, for
    ``reset``, the client gets a TCP reset. Each packet is matched on its own: a hello split inside the
    name gets through, as it does past many real DPI boxes."""
    sni = censor.sni
    if sni is None or sni.mode != "packet":
        return None
    act = "DROP" if sni.action == "drop" else "REJECT --reject-with tcp-reset"
    lines = ["*filter", ":FORWARD ACCEPT [0:0]",
             f"-A FORWARD -p tcp -m connmark --mark {SNI_MARK} -j {act}"]
    for h in sni.hosts:
        lines.append(f'-A FORWARD -i {w.CENSOR_CLIENT_IF} -p tcp --dport 443 -m string --algo bm --string "{h}" '
                     f"-j CONNMARK --set-mark {SNI_MARK}")
    lines += [f"-A FORWARD -p tcp -m connmark --mark {SNI_MARK} -j {act}", "COMMIT", ""]
    return "\n".join(lines)


# ---- throttling (issue 17) -------------------------------------------------------------------------
THROTTLE_MARK = 0x1700
"""The connection mark of the flows naming the i-th throttled site is ``THROTTLE_MARK + i + 1``."""
THROTTLE_CLASS = 0x17
"""... and their packets toward the client go into htb class ``1:(THROTTLE_CLASS + i + 1)`` (hex)."""
QUEUE_SECONDS = 0.5
"""Each shaped class queues about this much time at its rate (at least 3 packets): a long queue keeps
delivering a finished flow's packets for seconds and starves the next flow of the same site."""


def throttle_classes(throttle: Throttle) -> list[tuple[str, str, str]]:
    """(site, connection mark, htb class id) per throttled site: each site is shaped on its own, as a
    per-flow shaper would (two shaped sites measured at once do not share one rate)."""
    return [(site, hex(THROTTLE_MARK + i + 1), f"1:{THROTTLE_CLASS + i + 1:x}") for i, site in enumerate(throttle.sites)]


def shaping_commands(throttle: Throttle | None) -> list[list[str]]:
    """The commands (argv lists, to run in pp-censor in this order) that shape the flows naming
    ``throttle.sites`` to ``throttle.kbps`` each; none without a throttle."""
    if throttle is None:
        return []
    dev = w.CENSOR_CLIENT_IF
    limit = max(3, round(throttle.kbps * 1000 / 8 * QUEUE_SECONDS / 1500))
    cmds = [
        ["ip", "link", "set", "dev", dev, "gso_max_segs", "1"],
        ["tc", "qdisc", "replace", "dev", dev, "root", "handle", "1:", "htb", "default", "1"],
        ["tc", "class", "add", "dev", dev, "parent", "1:", "classid", "1:1", "htb", "rate", "10gbit"],
    ]
    for site, mark, classid in throttle_classes(throttle):
        cmds += [
            ["tc", "class", "add", "dev", dev, "parent", "1:", "classid", classid, "htb",
             "rate", f"{throttle.kbps}kbit", "ceil", f"{throttle.kbps}kbit", "burst", "2k", "cburst", "2k"],
            ["tc", "qdisc", "add", "dev", dev, "parent", classid, "pfifo", "limit", str(limit)],
            ["iptables", "-t", "mangle", "-A", "FORWARD", "-i", dev, "-p", "tcp", "-m", "string",
             "--algo", "bm", "--string", site, "-j", "CONNMARK", "--set-mark", mark],
            ["iptables", "-t", "mangle", "-A", "POSTROUTING", "-o", dev, "-m", "connmark", "--mark",
             mark, "-j", "CLASSIFY", "--set-class", classid],
        ]
    return cmds
