"""Keycloak-style tokens: signed JWTs with the claims Wallaroo's services read.

Real instances sign with RS256 keys from Keycloak; the SDK decodes tokens without
checking the signature, so HS256 with a per-store key is indistinguishable to clients
while still letting the server reject forged tokens. Expiry is checked against the
store's clock, not the wall clock, so tests can advance time past ``exp``.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import jwt

if TYPE_CHECKING:
    from .records import User

HASURA_CLAIMS = "https://hasura.io/jwt/claims"
ALGORITHM = "HS256"


def realm_issuer(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/auth/realms/master"


def access_claims(user: User, *, client_id: str, issuer: str, now: float, lifetime: int,
                  session_id: str) -> dict[str, Any]:
    roles = ["default-roles-master", "offline_access", "uma_authorization"] + (["admin"] if user.admin else [])
    hasura: dict[str, Any] = {
        "x-hasura-user-id": user.id,
        "x-hasura-default-role": "admin_user" if user.admin else "user",
        "x-hasura-allowed-roles": ["user", "admin_user"] if user.admin else ["user"],
        "x-hasura-user-groups": "{}",
    }
    claims: dict[str, Any] = {
        "exp": int(now) + lifetime,
        "iat": int(now),
        "jti": str(uuid.uuid4()),
        "iss": issuer,
        "aud": ["master-realm", "account"],
        "sub": user.id,
        "typ": "Bearer",
        "azp": client_id,
        "session_state": session_id,
        "acr": "1",
        "realm_access": {"roles": roles},
        "scope": "profile email",
        "sid": session_id,
        "email_verified": user.email_verified,
        "preferred_username": user.username,
        HASURA_CLAIMS: hasura,
    }
    if user.email:
        claims["email"] = user.email
        hasura["x-hasura-user-email"] = user.email
    if user.first_name or user.last_name:
        claims["name"] = " ".join(part for part in (user.first_name, user.last_name) if part)
    return claims


def refresh_claims(user: User, *, client_id: str, issuer: str, now: float, lifetime: int,
                   session_id: str) -> dict[str, Any]:
    return {
        "exp": int(now) + lifetime,
        "iat": int(now),
        "jti": str(uuid.uuid4()),
        "iss": issuer,
        "aud": issuer,
        "sub": user.id,
        "typ": "Refresh",
        "azp": client_id,
        "session_state": session_id,
        "scope": "profile email",
        "sid": session_id,
    }


def encode(claims: dict[str, Any], key: str) -> str:
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": "mockserver"})


#: (token, key) -> claims of tokens that verified. Decoding is a pure function of the two
#: (expiry is checked by the caller), and PyJWT spends ~50 µs on it: a client sends the
#: same token with every request, so verify it once. Bounded; failures are not cached.
_VERIFIED: dict[tuple[str, str], dict[str, Any]] = {}
_VERIFIED_LIMIT = 4096


def decode(token: str, key: str) -> dict[str, Any]:
    """The claims of a token signed with ``key``; raises jwt.InvalidTokenError otherwise.

    Expiry is not checked here (the caller compares ``exp`` with the store's clock).
    """
    claims = _VERIFIED.get((token, key))
    if claims is None:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM],
                            options={"verify_exp": False, "verify_aud": False, "verify_iat": False,
                                     "verify_nbf": False})
        if len(_VERIFIED) >= _VERIFIED_LIMIT:
            _VERIFIED.clear()
        _VERIFIED[(token, key)] = claims
    return dict(claims)  # a copy: the cached claims stay as verified
