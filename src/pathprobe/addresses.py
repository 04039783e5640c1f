"""Network addresses in free text, in the forms networks write them, found and scrubbed in linear time.

Portals put the client's IP and MAC address in their URLs, error messages quote addresses, and a
certificate's name can carry one. :func:`scrub_addresses` replaces each with ``[scrubbed]``:

- IPv4 as dotted quads, also with ``-`` or ``_`` between the parts (``gw-10-1-2-3``), percent-encoded
  dots (``192%2E168%2E0%2E1``) and octal or hex parts (``0300.0250.0.1``, ``0xc0.0xa8.0.1``); as one
  hex number of 8 digits (``c0a80001``, ``0xc0a80001``; so any 8 digits standing alone); as one
  decimal number of 9 or 10 digits up to 4294967295 (``3232235521``);
- IPv6 in any valid form: compressed, full, with an embedded IPv4 (``::ffff:192.168.0.1``), in
  brackets, with ``%3A`` for its colons, with a zone id (``fe80::1%eth0``, ``%25eth0``);
- MAC addresses: ``aa:bb:cc:dd:ee:ff``, ``aa-bb-cc-dd-ee-ff``, ``aabb.ccdd.eeff`` and ``aabbccddeeff``.

Hex that is longer than an address (SHA-256 and SPKI fingerprints, tor relay fingerprints) is not an
address and stays: hex forms must stand alone, not be part of a longer run of letters and digits.

Every pattern has bounded repetition and fixed-width look-arounds, so the work per position of the text
is bounded by a constant: scrubbing is linear in the text's length, whatever the text.
"""

from __future__ import annotations

import ipaddress
import re

SCRUBBED = "[scrubbed]"

_FLAGS = re.IGNORECASE | re.ASCII

_MAC = re.compile(
    r"(?<![0-9a-z])(?<![0-9a-f][:\-.])(?:"  # not the middle of a longer run (a fingerprint AB:CD:...)
    r"[0-9a-f]{2}(:|-|%3a|%2d)[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}(?!\1[0-9a-f])"  # aa:bb:.., aa-bb-.., %3A
    r"|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}(?!\.[0-9a-f])"  # aabb.ccdd.eeff (Cisco)
    r"|[0-9a-f]{12}"  # aabbccddeeff
    r")(?![0-9a-z])",
    _FLAGS,
)

_PART = r"(?:0x[0-9a-f]{1,2}|0[0-7]{3}|\d{1,3})"
_IPV4 = re.compile(rf"{_PART}(?:(?:[.\-_]|%2e|%2d){_PART}){{3}}", _FLAGS)

_IPV6 = re.compile(
    r"(?<![0-9a-z.])(?<![0-9a-f]:)"  # the start of a run, not its middle (fingerprints with colons)
    r"(?=(?:[0-9a-f]{0,4}(?::|%3a)){2})"  # two colons within the first groups
    r"(?:[0-9a-f]|:|%3a){2,160}"
    r"(?:%(?:25)?[0-9a-z_.\-]{1,32})?",  # a zone id
    _FLAGS,
)

_HEX_OR_DECIMAL = re.compile(r"(?<![0-9a-z])(?:(?:0x)?[0-9a-f]{8}|[1-9]\d{8,9})(?![0-9a-z])", _FLAGS)


def _ipv6(m: re.Match[str]) -> str:
    text = m[0]
    body = text.split("%", 1)[0] if re.search(r"%(?!3a)", text, _FLAGS) else text
    full = re.sub("%3a", ":", body, flags=_FLAGS)
    candidate = full.rstrip(":")
    probes = [full, candidate]  # "2001:db8::" as it is; "fe80::1:" before a port or a full stop
    if m.string.startswith(SCRUBBED, m.end()):  # "::ffff:" before an embedded IPv4 already scrubbed
        probes.append(candidate + "::")
    for probe in probes:
        try:
            ipaddress.IPv6Address(probe)
        except ValueError:
            continue
        return SCRUBBED
    return text


def _hex_or_decimal(m: re.Match[str]) -> str:
    text = m[0]
    if len(text) > 8 and text.isdigit():  # 9 or 10 digits: an address only up to 255.255.255.255
        return SCRUBBED if int(text) <= 4_294_967_295 else text
    return SCRUBBED  # 8 hex digits (any 8 digits too), with or without 0x


def scrub_addresses(text: str) -> str:
    """``text`` with every IPv4, IPv6 and MAC address (in the forms listed above) replaced by
    ``[scrubbed]``."""
    text = _MAC.sub(SCRUBBED, text)
    text = _IPV4.sub(SCRUBBED, text)
    text = _IPV6.sub(_ipv6, text)
    return _HEX_OR_DECIMAL.sub(_hex_or_decimal, text)


def has_address(text: str) -> bool:
    """Whether ``text`` holds an address that :func:`scrub_addresses` would scrub."""
    return scrub_addresses(text) != text
