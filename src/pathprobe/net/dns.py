"""The system resolver, as this device sees it: the hosts file first, then the configured DNS servers.

Uses dnspython's async stub resolver (it reads /etc/resolv.conf, or the namespace's copy under
``ip netns exec``), so a silent resolver is cancelled at the step deadline instead of leaving a
blocked getaddrinfo thread behind. ``PATHPROBE_HOSTS`` names an extra hosts file read first (tests).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass

import dns.asyncresolver
import dns.exception
import dns.rdatatype
import dns.resolver

from pathprobe.net.failures import (
    DNS_NO_ANSWER,
    DNS_NXDOMAIN,
    DNS_SERVER_FAILURE,
    GENERIC_TIMEOUT,
    NetFailure,
)

HOSTS_FILES = ("/etc/hosts",)


@dataclass(frozen=True)
class DnsAnswer:
    """Addresses for a name from one resolver, with where they came from."""

    addresses: tuple[str, ...]
    source: str
    """``literal`` | ``hosts`` | ``system``."""
    rcode: str = "NOERROR"


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _hosts_lookup(name: str) -> tuple[str, ...]:
    files = [os.environ["PATHPROBE_HOSTS"]] if os.environ.get("PATHPROBE_HOSTS") else []
    files += list(HOSTS_FILES)
    name = name.lower().rstrip(".")
    found: list[str] = []
    for path in files:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    fields = line.split("#", 1)[0].split()
                    if len(fields) >= 2 and name in (f.lower() for f in fields[1:]) and is_ip(fields[0]):
                        found.append(fields[0])
        except OSError:
            continue
        if found:
            return tuple(dict.fromkeys(found))
    return ()


async def system_resolve(host: str, lifetime: float) -> DnsAnswer:
    """Resolve ``host`` like the system would; raises :class:`NetFailure` on failure."""
    if is_ip(host):
        return DnsAnswer((host.strip("[]"),), "literal")
    hosts = _hosts_lookup(host)
    if hosts:
        return DnsAnswer(hosts, "hosts")
    try:
        resolver = dns.asyncresolver.Resolver()
    except dns.resolver.NoResolverConfiguration as exc:
        raise NetFailure(DNS_SERVER_FAILURE, "no resolver configured") from exc
    resolver.lifetime = lifetime
    resolver.timeout = max(lifetime / 2, 0.5)
    addresses: list[str] = []
    nx = 0
    errors: list[str] = []
    for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
        try:
            ans = await resolver.resolve(host, rdtype, search=False, raise_on_no_answer=False)
            addresses.extend(r.to_text() for r in ans)
        except dns.resolver.NXDOMAIN:
            nx += 1
        except dns.exception.Timeout:
            errors.append(GENERIC_TIMEOUT)
            break  # the second query would only wait again
        except (dns.resolver.NoNameservers, dns.resolver.YXDOMAIN):
            errors.append(DNS_SERVER_FAILURE)
        except dns.exception.DNSException:
            errors.append(DNS_SERVER_FAILURE)
    if addresses:
        return DnsAnswer(tuple(dict.fromkeys(addresses)), "system")
    if nx:
        raise NetFailure(DNS_NXDOMAIN)
    if errors:
        raise NetFailure(errors[0])
    raise NetFailure(DNS_NO_ANSWER)
