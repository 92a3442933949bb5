"""IAM tokens: stateless, signed, opaque to clients.

Real IAM tokens are long opaque strings starting with ``MII`` (PKI-signed). Clients never
look inside, so ours are ``MII`` + base64url(JSON claims) + ``.`` + base64url(HMAC-SHA256)
with a 256-bit secret: random per process unless given (the scenario's ``token_signing_key``
or a key file, see mockserver/keys.py). Being stateless, a token handed out before a store
reset stays valid as long as its user exists, the key is unchanged and it was not revoked
(``DELETE /v3/auth/tokens``); expiry is compared with the store's clock by the caller.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from ..keys import b64url

PREFIX = "MII"


class TokenError(ValueError):
    """The token was not issued by this server (or was altered)."""


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key_bytes(key: str | bytes) -> bytes:
    return key if isinstance(key, bytes) else key.encode("utf-8")


def encode(claims: dict[str, Any], key: str | bytes) -> str:
    payload = PREFIX + b64url(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    mac = hmac.new(_key_bytes(key), payload.encode("ascii"), hashlib.sha256).digest()
    return f"{payload}.{b64url(mac)}"


def decode(token: str, key: str | bytes) -> dict[str, Any]:
    """The claims of a token signed with ``key``; raises :class:`TokenError` otherwise."""
    token = token.strip()
    payload, dot, mac = token.rpartition(".")
    if not dot or not payload.startswith(PREFIX):
        raise TokenError("not a token of this server")
    expected = hmac.new(_key_bytes(key), payload.encode("ascii", "replace"), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(_unb64(mac), expected):
            raise TokenError("bad signature")
        claims = json.loads(_unb64(payload[len(PREFIX):]))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise TokenError("undecodable token") from None
    if not isinstance(claims, dict):
        raise TokenError("undecodable token")
    return claims
