"""Keycloak-style tokens: RS256-signed JWTs with the claims Wallaroo's services read.

Keycloak signs with the realm's RSA key and names it in the ``kid`` header, so any JWKS
validator (python-keycloak's ``decode_token``, PyJWT's ``PyJWKClient``, OIDC middleware)
can check our tokens against ``certs``. The key is random per process unless one is given
(see mockserver/keys.py). Expiry is checked against the store's clock, not the wall clock,
so tests can advance time past ``exp``.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING, Any

from ..keys import b64url

if TYPE_CHECKING:
    from ..keys import RsaKey
    from .records import User

HASURA_CLAIMS = "https://hasura.io/jwt/claims"
ALGORITHM = "RS256"
OPENID_SCOPE = "openid"


def realm_issuer(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/auth/realms/master"


def granted_scope(requested: str | None) -> str:
    """The scope Keycloak grants: ``profile email`` always, ``openid`` when asked for."""
    wanted = (requested or "").split()
    return "openid profile email" if OPENID_SCOPE in wanted else "profile email"


def access_claims(user: User, *, client_id: str, issuer: str, now: float, lifetime: int,
                  session_id: str, scope: str = "profile email") -> dict[str, Any]:
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
        "scope": scope,
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
                   session_id: str, scope: str = "profile email") -> dict[str, Any]:
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
        "scope": scope,
        "sid": session_id,
    }


def profile_claims(user: User) -> dict[str, Any]:
    """The OpenID profile and email claims (ID token and ``userinfo``)."""
    claims: dict[str, Any] = {"email_verified": user.email_verified, "preferred_username": user.username}
    if user.first_name or user.last_name:
        claims["name"] = " ".join(part for part in (user.first_name, user.last_name) if part)
    if user.first_name:
        claims["given_name"] = user.first_name
    if user.last_name:
        claims["family_name"] = user.last_name
    if user.email:
        claims["email"] = user.email
    return claims


def id_claims(user: User, *, client_id: str, issuer: str, now: float, lifetime: int,
              session_id: str, access_token: str, nonce: str | None = None) -> dict[str, Any]:
    """The ID token of an ``openid`` login: audience is the client itself."""
    claims: dict[str, Any] = {
        "exp": int(now) + lifetime,
        "iat": int(now),
        "auth_time": int(now),
        "jti": str(uuid.uuid4()),
        "iss": issuer,
        "aud": client_id,
        "sub": user.id,
        "typ": "ID",
        "azp": client_id,
        "session_state": session_id,
        "at_hash": at_hash(access_token),
        "acr": "1",
        "sid": session_id,
    }
    if nonce:
        claims["nonce"] = nonce
    claims.update(profile_claims(user))
    return claims


def at_hash(access_token: str) -> str:
    """OIDC ``at_hash``: the left half of the access token's SHA-256, base64url."""
    return b64url(hashlib.sha256(access_token.encode("ascii")).digest()[:16])


class TokenError(ValueError):
    """A token that is not one this server signed (bad signature, garbled, another key)."""


def encode(claims: dict[str, Any], key: RsaKey) -> str:
    import jwt  # PyJWT and cryptography load with the first token, not at start-up

    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})


#: (token, kid) -> claims of tokens that verified. Decoding is a pure function of the two
#: (expiry is checked by the caller), and PyJWT spends ~50 µs on it: a client sends the
#: same token with every request, so verify it once. Bounded; failures are not cached.
_VERIFIED: dict[tuple[str, str], dict[str, Any]] = {}
_VERIFIED_LIMIT = 4096


def decode(token: str, key: RsaKey) -> dict[str, Any]:
    """The claims of a token signed with ``key`` (RS256 only); raises :class:`TokenError` otherwise.

    Expiry is not checked here (the caller compares ``exp`` with the store's clock).
    """
    claims = _VERIFIED.get((token, key.kid))
    if claims is None:
        import jwt

        try:
            claims = jwt.decode(token, key.public_key, algorithms=[ALGORITHM],
                                options={"verify_exp": False, "verify_aud": False, "verify_iat": False,
                                         "verify_nbf": False})
        except jwt.InvalidTokenError as error:
            raise TokenError(str(error)) from error
        if len(_VERIFIED) >= _VERIFIED_LIMIT:
            _VERIFIED.clear()
        _VERIFIED[(token, key.kid)] = claims
    return dict(claims)  # a copy: the cached claims stay as verified
