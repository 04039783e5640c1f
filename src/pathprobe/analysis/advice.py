"""One or two plain sentences: what was found and what to do (pure; golden-tested)."""

from __future__ import annotations

from typing import Any

PATH_NAMES = {"direct": "The plain network", "doh": "Encrypted DNS (DoH)", "tor": "Tor", "vpn": "The VPN"}


def describe_path(path_id: str) -> str:
    kind, _, name = path_id.partition(":")
    if kind == "tor":
        return "Tor" if name in ("", "vanilla") else f"Tor with {name} bridges"
    if kind == "vpn":
        return f"the VPN/proxy '{name}'"
    if kind == "doh":
        return f"encrypted DNS via {name}"
    return "the plain network"


def advice(profile: dict[str, Any], ranked: list[str]) -> str:
    network = profile.get("network") or {}
    findings = profile.get("interception") or []
    trust = (profile.get("trust_store") or {}).get("known_interception_roots") or []
    best = ranked[0] if ranked else None
    parts: list[str] = []
    if network.get("connectivity") == "offline":
        return (
            "Nothing on this network answered at all: the device seems offline, or the network has been shut "
            "down. This is not the same as censorship; connect to a network first and run the check again."
        )
    if findings:
        f = findings[0]
        hosts = sorted({x["host"] for x in findings})
        shown = ", ".join(hosts[:3]) + (f" and {len(hosts) - 3} more" if len(hosts) > 3 else "")
        issuer = f.get("issuer", "")
        known = next((x["known_as"] for x in findings if x.get("known_as")), None)
        if known:
            parts.append(
                f"Your network intercepts HTTPS to {shown} with a certificate from '{known}', a known state "
                "interception root."
            )
        else:
            parts.append(f"Your network intercepts HTTPS to {shown} (certificate issued by '{issuer}').")
    if trust:
        names = ", ".join(sorted({t.get("known_as") or t.get("subject", "?") for t in trust}))
        parts.append(f"This device trusts a known interception root ({names}): remove it from the trust store.")
    if best:
        parts.append(f"{describe_path(best)[0].upper()}{describe_path(best)[1:]} reached the real sites with HTTPS intact.")
    else:
        parts.append("No path tested kept HTTPS intact here; try other Tor bridges or transports, or another VPN.")
    if not findings and not trust and best:
        parts.insert(0, "No interception was seen.")
    return " ".join(parts)
