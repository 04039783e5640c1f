"""Bearer tokens: random, shown once, stored only as SHA-256 (they are 256-bit random, so no slow hash)."""

from __future__ import annotations

import hashlib
import re
import secrets

PREFIX = "pp_"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def new_token() -> str:
    """A fresh bearer token: ``pp_`` and 32 random bytes, URL-safe base64."""
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The hex SHA-256 of ``token``: the only form of it that is stored."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def valid_name(name: str) -> bool:
    """An organisation or campaign name: letters, digits, ``.``, ``_``, ``-``; at most 64 characters."""
    return bool(_NAME.fullmatch(name))


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, or None."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or len(value) > 256:
        return None
    return value
