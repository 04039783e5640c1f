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
"""

from __future__ import annotations

from pathprobe.lab import world as w
from pathprobe.lab.scenario import Block, Censor

TABLE = "pp_censor"


def _block_rule(b: Block) -> str:
    parts = []
    if b.to:
        parts.append(f"ip daddr {b.to}")
    parts.append(f"meta l4proto {b.proto}")
    if b.port is not None:
        parts.append(f"{b.proto} dport {b.port}")
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
