"""Wallaroo's Keycloak: realm ``master`` as an OpenID Connect provider and its admin user API.

No HTTP here: views pass plain values (see routes.py). Everything works on the backend's
store under its lock, so a user made by ``users/invite`` and one made by the admin API are
the same user everywhere.

Sessions are stateless (the session id travels in the tokens); only *ended* sessions are
remembered (logout), outside the scenario data, so a reset cannot bring one back. A token
names its user by id, and ids of users created at run time are random: a user deleted by a
reset is never impersonated by a later one.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any


from ..keys import PROCESS_KEYS, RsaKey, UnusableKey, rsa_from_pem
from ..validation import look_alike_problem, normalize_name
from . import exceptions as errors
from . import records, tokens
from .records import User, is_email

if TYPE_CHECKING:
    from .backend import WallarooBackend

KNOWN_CLIENTS = records.KNOWN_CLIENTS
#: confidential clients: the MLOps API docs' ``api-client``, with a secret (scenario setting)
CONFIDENTIAL_CLIENTS = ("api-client",)
#: public clients: anyone may use them without a secret (the SDK's ``sdk-client``, ``admin-cli``)
PUBLIC_CLIENTS = tuple(client for client in KNOWN_CLIENTS if client not in CONFIDENTIAL_CLIENTS)
SERVICE_ACCOUNT_PREFIX = "service-account-"
_SERVICE_ACCOUNT_NAMESPACE = uuid.UUID("0b1e5c7a-3f0d-4e8b-9a61-2c4d5e6f7a8b")
#: realm roles of ``master`` (Keycloak's defaults): ``default-roles-master`` is mapped to every
#: user and carries ``offline_access`` and ``uma_authorization``; ``admin`` makes a realm admin
DEFAULT_ROLE = "default-roles-master"
REALM_ROLES = {
    DEFAULT_ROLE: "${role_default-roles}",
    "offline_access": "${role_offline-access}",
    "uma_authorization": "${role_uma_authorization}",
    "admin": "${role_admin}",
}
_ROLE_NAMESPACE = uuid.UUID("5d3c2b1a-0f9e-4d8c-b7a6-958473625140")
REALM_ID = "master"


def role_representation(name: str) -> dict[str, Any]:
    return {"id": str(uuid.uuid5(_ROLE_NAMESPACE, name)), "name": name, "description": REALM_ROLES[name],
            "composite": name in (DEFAULT_ROLE, "admin"), "clientRole": False, "containerId": REALM_ID}


def service_account_id(client_id: str) -> str:
    return str(uuid.uuid5(_SERVICE_ACCOUNT_NAMESPACE, client_id))


class EndedSessions:
    """Session ids ended by logout, each kept until its refresh tokens have expired anyway.

    Bounded: beyond ``limit`` the oldest entries go (their tokens are long expired in any
    realistic run), so a server that runs for days does not grow with its logouts.
    """

    def __init__(self, limit: int = 100_000) -> None:
        self._until: OrderedDict[str, float] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def end(self, session_id: str, until: float) -> None:
        with self._lock:
            self._until[session_id] = until
            self._until.move_to_end(session_id)
            while len(self._until) > self._limit:
                self._until.popitem(last=False)

    def ended(self, session_id: Any) -> bool:
        return isinstance(session_id, str) and session_id in self._until


@dataclass
class ClientCredentials:
    """Who calls the token, logout or introspection endpoint (form fields or HTTP Basic)."""

    client_id: str
    secret: str | None


@dataclass
class NewUser:
    """A UserRepresentation posted to the admin API (members Keycloak would ignore are dropped)."""

    username: str | None
    email: str | None
    first_name: str | None
    last_name: str | None
    enabled: bool
    email_verified: bool
    password: str | None
    temporary_password: bool
    required_actions: list[str]


#: the admin API's field filters (``GET .../users`` query parameters and ``q`` keys Keycloak's
#: user storage treats as fields); any other ``q`` key is a user attribute, which no user here has
TEXT_FILTERS = ("username", "email", "firstName", "lastName")
FLAG_FILTERS = ("emailVerified", "enabled")
#: identity-provider links: there are no identity providers here, so these match nobody
IDP_FILTERS = ("idpAlias", "idpUserId")


@dataclass
class UserQuery:
    """The filters of ``GET .../users`` and ``users/count``, as Keycloak's UsersResource reads them.

    ``filters`` maps a filter name (``TEXT_FILTERS``, ``FLAG_FILTERS``, ``IDP_FILTERS``, or any
    attribute name from ``q``) to its text, as Keycloak passes them to its user storage:
    flags as ``"true"``/``"false"``, ``q``'s pairs merged over the named parameters.
    """

    search: str | None = None
    filters: dict[str, str] | None = None
    exact: bool = False
    enabled: bool | None = None  # also kept apart: Keycloak applies it alongside ``search``


def _filter_matches(user: User, name: str, wanted: str, exact: bool) -> bool:
    """One filter as Keycloak's user storage applies it: text fields case-insensitively, as a
    substring unless ``exact``; flags compared as Java's ``Boolean.parseBoolean`` reads them."""
    if name in TEXT_FILTERS:
        value = {"username": user.username, "email": user.email, "firstName": user.first_name,
                 "lastName": user.last_name}[name]
        if value is None:
            return False
        return value.lower() == wanted.lower() if exact else wanted.lower() in value.lower()
    if name in FLAG_FILTERS:
        flag = user.email_verified if name == "emailVerified" else user.enabled
        return flag == (wanted.lower() == "true")
    return False  # identity-provider links and user attributes: no user here has any


class KeycloakRealm:
    """Realm ``master``: tokens, sessions, OIDC documents and the admin user API."""

    def __init__(self, backend: WallarooBackend) -> None:
        self.backend = backend
        self.ended_sessions = EndedSessions()

    @property
    def state(self) -> Any:
        return self.backend.state

    @property
    def data(self) -> Any:
        return self.backend.data

    def _now(self) -> float:
        return self.state.clock.now()

    def _expired(self, claims: dict[str, Any]) -> bool:
        """No numeric ``exp``, or one the mock clock has reached."""
        exp = claims.get("exp")
        return not isinstance(exp, (int, float)) or exp <= self._now()

    # == keys and documents ===========================================================
    def signing_key(self) -> RsaKey:
        """The scenario's key if it names one, else this process's (random unless configured)."""
        pem = self.data.settings.signing_key
        if pem:
            try:
                return rsa_from_pem(pem)
            except UnusableKey:  # checked when loaded; a key set in Python directly may be wrong
                raise errors.KeycloakServerError("the realm's signing key is unusable") from None
        return PROCESS_KEYS.rsa()

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.signing_key().jwk()]}

    def realm_document(self, issuer: str) -> dict[str, Any]:
        """``GET /auth/realms/master``: what python-keycloak's ``public_key()`` reads."""
        return {"realm": REALM_ID, "public_key": self.signing_key().public_key_b64,
                "token-service": f"{issuer}/protocol/openid-connect", "account-service": f"{issuer}/account",
                "tokens-not-before": 0}

    @staticmethod
    def discovery(issuer: str) -> dict[str, Any]:
        """``.well-known/openid-configuration`` (the members validators read; see docs/wallaroo.md)."""
        oidc = f"{issuer}/protocol/openid-connect"
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{oidc}/auth",
            "token_endpoint": f"{oidc}/token",
            "introspection_endpoint": f"{oidc}/token/introspect",
            "userinfo_endpoint": f"{oidc}/userinfo",
            "end_session_endpoint": f"{oidc}/logout",
            "jwks_uri": f"{oidc}/certs",
            "grant_types_supported": ["password", "refresh_token", "client_credentials"],
            "response_types_supported": ["code", "id_token", "code id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [tokens.ALGORITHM],
            "userinfo_signing_alg_values_supported": [tokens.ALGORITHM],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "claims_supported": ["aud", "sub", "iss", "auth_time", "name", "given_name", "family_name",
                                 "preferred_username", "email", "email_verified", "acr"],
            "claims_parameter_supported": True,
            "request_parameter_supported": False,
            "frontchannel_logout_supported": False,
            "backchannel_logout_supported": False,
        }

    # == clients ======================================================================
    def _check_client(self, client: ClientCredentials, *, confidential: bool = False) -> None:
        """A known client; a confidential one's secret must match when given (or when required)."""
        if client.client_id not in KNOWN_CLIENTS:
            raise errors.InvalidClient()
        if client.client_id in CONFIDENTIAL_CLIENTS:
            expected = self.data.settings.api_client_secret
            if (client.secret is not None or confidential) and not (
                    client.secret is not None and secrets.compare_digest(client.secret, expected)):
                raise errors.InvalidClient()
        elif confidential:
            raise errors.PublicClientNotAllowed()

    # == tokens =======================================================================
    def login(self, *, client: ClientCredentials, username: str, password: str, issuer: str,
              scope: str | None = None, nonce: str | None = None) -> dict[str, Any]:
        """The ``password`` grant of the token endpoint."""
        with self.state.lock:
            self._check_client(client)
            user = records.find_login(self.data, username)
            if user is None or not user.password or user.password != password:
                raise errors.InvalidGrant()
            if not user.enabled:
                raise errors.AccountDisabled()
            if user.required_actions:  # e.g. UPDATE_PASSWORD after an invite with require_reset
                raise errors.AccountNotSetUp()
            body = self._token_response(user, client.client_id, issuer, str(uuid.uuid4()),
                                        tokens.granted_scope(scope), nonce=nonce)
            # users/query's lastLogin: password logins only (a refresh is no login, as recorded)
            records.change_user(self.data, user).last_login = int(self._now() * 1000)
            return body

    def refresh(self, *, client: ClientCredentials, refresh_token: str, issuer: str) -> dict[str, Any]:
        """The ``refresh_token`` grant: the session goes on with new tokens."""
        with self.state.lock:
            self._check_client(client)
            claims = self._refresh_claims(refresh_token, client.client_id, issuer)
            user = self.data.users.get(claims["sub"])
            if user is None:
                raise errors.InactiveRefreshToken()
            if not user.enabled:
                raise errors.RefreshUserDisabled()
            scope = claims.get("scope") if isinstance(claims.get("scope"), str) else None
            return self._token_response(user, client.client_id, issuer, str(claims.get("sid") or uuid.uuid4()),
                                        tokens.granted_scope(scope))

    def _refresh_claims(self, refresh_token: str, client_id: str, issuer: str) -> dict[str, Any]:
        try:
            claims = tokens.decode(refresh_token, self.signing_key())
        except tokens.TokenError:
            raise errors.InvalidRefreshToken() from None
        if claims.get("typ") != "Refresh" or not isinstance(claims.get("sub"), str):
            raise errors.InvalidRefreshToken()
        if claims.get("iss") != issuer:  # Keycloak: a token another server (or realm) issued
            raise errors.InvalidRefreshToken()
        if self._expired(claims):
            raise errors.InactiveRefreshToken()
        if claims.get("azp") != client_id:
            raise errors.RefreshClientMismatch()
        if self.ended_sessions.ended(claims.get("sid")):
            raise errors.SessionNotActive()
        return claims

    def client_credentials(self, *, client: ClientCredentials, issuer: str, scope: str | None = None,
                           ) -> dict[str, Any]:
        """The ``client_credentials`` grant: a token for the confidential client's service account."""
        with self.state.lock:
            if client.client_id in PUBLIC_CLIENTS:
                raise errors.PublicClientGrant()
            self._check_client(client, confidential=True)
            account = self.service_account(client.client_id)
            body = self._token_response(account, client.client_id, issuer, str(uuid.uuid4()),
                                        tokens.granted_scope(scope), with_refresh=False)
            return body

    def service_account(self, client_id: str) -> User:
        """The service-account user of a confidential client: a realm admin, not in the user list."""
        return User(id=service_account_id(client_id), username=SERVICE_ACCOUNT_PREFIX + client_id, password="",
                    admin=True, email_verified=False)

    def _token_response(self, user: User, client_id: str, issuer: str, session_id: str, scope: str, *,
                        nonce: str | None = None, with_refresh: bool = True) -> dict[str, Any]:
        s = self.data.settings
        key = self.signing_key()
        now = self._now()
        access = tokens.encode(tokens.access_claims(user, client_id=client_id, issuer=issuer, now=now,
                                                    lifetime=s.access_token_lifetime, session_id=session_id,
                                                    scope=scope), key)
        body: dict[str, Any] = {"access_token": access, "expires_in": s.access_token_lifetime}
        if with_refresh:
            body["refresh_expires_in"] = s.refresh_token_lifetime
            body["refresh_token"] = tokens.encode(
                tokens.refresh_claims(user, client_id=client_id, issuer=issuer, now=now,
                                      lifetime=s.refresh_token_lifetime, session_id=session_id, scope=scope), key)
        else:
            body["refresh_expires_in"] = 0
        body["token_type"] = "Bearer"
        if tokens.OPENID_SCOPE in scope.split():
            body["id_token"] = tokens.encode(
                tokens.id_claims(user, client_id=client_id, issuer=issuer, now=now,
                                 lifetime=s.access_token_lifetime, session_id=session_id, access_token=access,
                                 nonce=nonce), key)
        body["not-before-policy"] = 0
        if with_refresh:
            body["session_state"] = session_id
        body["scope"] = scope
        return body

    def issue_token(self, ref: str, *, issuer: str, client_id: str, lifetime: int | None) -> str:
        """An access token for a user (by id, email or username), without a password."""
        with self.state.lock:
            user = records.find(self.data, ref)
            if user is None:
                raise KeyError(f"no Wallaroo user with the id, email or username {ref!r}")
            s = self.data.settings
            claims = tokens.access_claims(user, client_id=client_id, issuer=issuer, now=self._now(),
                                          lifetime=lifetime or s.access_token_lifetime, session_id=str(uuid.uuid4()))
            return tokens.encode(claims, self.signing_key())

    def _verified(self, token: str) -> dict[str, Any]:
        """The claims of an access token we signed (any lifetime); raises InvalidToken."""
        try:
            claims = tokens.decode(token, self.signing_key())
        except tokens.TokenError:
            raise errors.InvalidToken() from None
        if claims.get("typ") != "Bearer" or not isinstance(claims.get("sub"), str):
            raise errors.InvalidToken()
        return claims

    def _token_user(self, claims: dict[str, Any]) -> User | None:
        user = self.data.users.get(claims["sub"])
        if user is None and claims["sub"] == service_account_id(str(claims.get("azp"))) \
                and claims.get("azp") in CONFIDENTIAL_CLIENTS:
            return self.service_account(claims["azp"])
        return user

    def authenticate(self, authorization: str | None) -> User:
        """The user behind an ``Authorization: Bearer`` header on the MLOps API, or a 401 error.

        Like an API gateway validating JWTs offline, this does not consult sessions: an
        access token stays good until it expires even after a logout (Keycloak's own
        ``userinfo`` and introspection do refuse it).
        """
        if not authorization:
            raise errors.MissingToken()
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise errors.MalformedAuthorization()
        with self.state.lock:
            claims = self._verified(token)
            if self._expired(claims):
                raise errors.ExpiredToken()
            user = self._token_user(claims)
            if user is None:
                raise errors.UnknownTokenUser()
            if not user.enabled:
                raise errors.UserDisabled()
            return user

    # == userinfo, logout, introspection ==============================================
    def userinfo(self, authorization: str | None) -> dict[str, Any]:
        """``GET``/``POST .../userinfo``: the token's user's profile; needs the ``openid`` scope."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise errors.UserinfoMissingToken()
        with self.state.lock:
            try:
                claims = self._verified(token.strip())
            except errors.InvalidToken:
                raise errors.UserinfoInvalidToken("Token verification failed") from None
            if self._expired(claims):
                raise errors.UserinfoInvalidToken("Token verification failed")
            if self.ended_sessions.ended(claims.get("sid")):
                raise errors.UserinfoInvalidToken("User session not found or doesn't have client attached on it")
            user = self._token_user(claims)
            if user is None:
                raise errors.UserinfoInvalidToken("User not found")
            if not user.enabled:
                raise errors.UserinfoUserDisabled()
            if tokens.OPENID_SCOPE not in str(claims.get("scope", "")).split():
                raise errors.UserinfoInsufficientScope()
            return {"sub": user.id, **tokens.profile_claims(user)}

    def logout(self, *, client: ClientCredentials, refresh_token: str, issuer: str) -> None:
        """End the session of a refresh token: its refresh tokens stop working at once."""
        with self.state.lock:
            self._check_client(client)
            claims = self._refresh_claims(refresh_token, client.client_id, issuer)
            until = max(float(claims["exp"]), self._now() + self.data.settings.refresh_token_lifetime)
            self.ended_sessions.end(str(claims.get("sid")), until)

    def introspect(self, *, client: ClientCredentials, token: str) -> dict[str, Any]:
        """RFC 7662 for confidential clients: the claims plus ``active``, or just ``active: false``."""
        with self.state.lock:
            self._check_client(client, confidential=True)
            try:
                claims = tokens.decode(token, self.signing_key())
            except tokens.TokenError:
                return {"active": False}
            if self._expired(claims) or not isinstance(claims.get("sub"), str) \
                    or self.ended_sessions.ended(claims.get("sid")):
                return {"active": False}
            user = self._token_user(claims)
            if user is None or not user.enabled:
                return {"active": False}
            claims.update({"client_id": claims.get("azp"), "username": user.username,
                           "token_type": claims.get("typ"), "active": True})
            return claims

    # == admin API: users ============================================================
    @staticmethod
    def _require_admin(caller: User) -> None:
        if not caller.admin:
            raise errors.KeycloakForbidden()

    def _user(self, user_id: str) -> User:
        user = self.data.users.get(user_id)
        if user is None:
            raise errors.KeycloakUserNotFound()
        return user

    def search_users(self, caller: User, query: UserQuery, *, first: int = 0, max_results: int = 100,
                     brief: bool = False) -> list[dict[str, Any]]:
        """``GET /auth/admin/realms/master/users``: the users the query matches, ordered by username;
        ``brief`` gives Keycloak's brief representation."""
        with self.state.lock:
            found = self.matching_users(query)[first:first + max_results]
            if brief:
                return [user.brief_representation() for user in found]
            return [user.representation(admin_api=True) for user in found]

    def matching_users(self, query: UserQuery) -> list[User]:
        """The users the admin API's query matches, by username (call it holding the store's lock).

        As Keycloak's UsersResource: ``search`` (``id:<id>`` looks one user up) goes with
        ``enabled`` only and the field filters are then ignored; otherwise every filter must match.
        """
        search = query.search.strip() if query.search is not None else None
        if search is not None and search.startswith("id:"):
            user = self.data.users.get(search[3:].strip())
            return [user] if user is not None else []
        users = sorted(self.data.users.values(), key=lambda u: u.username)  # after the lookup, which needs no order
        if search is not None:
            needle = search.strip("*").lower()
            return [user for user in users
                    if (query.enabled is None or user.enabled == query.enabled)
                    and any(needle in (value or "").lower()
                            for value in (user.username, user.email, user.first_name, user.last_name))]
        filters = query.filters or {}
        return [user for user in users if all(_filter_matches(user, name, wanted, query.exact)
                                              for name, wanted in filters.items())]

    def user_representation(self, caller: User, user_id: str) -> dict[str, Any]:
        """``GET /auth/admin/realms/master/users/<id>``."""
        with self.state.lock:
            return self._user(user_id).representation(admin_api=True)

    def update_user(self, caller: User, user_id: str, *, enabled: bool | None, first_name: str | None,
                    last_name: str | None, email: str | None, email_verified: bool | None,
                    required_actions: list[str] | None) -> None:
        """``PUT /auth/admin/realms/master/users/<id>``: members left out keep their value."""
        with self.state.lock:
            self._require_admin(caller)
            user = self._user(user_id)
            records.change_user(self.data, user)  # checks below raise before any change
            if email is not None and email != user.email:
                if not is_email(email):
                    raise errors.KeycloakBadRequest(f"'{email}' is not a valid email address")
                email = normalize_name(email)
                if self.data.logins.get(records.login_key(email), user.id) != user.id:
                    raise errors.KeycloakEmailExists()
                if user.email:
                    records.drop_login(self.data, user.email)
                    records.set_login(self.data, user.username, user.id)
                user.email = email  # as /v1/api/user does (see docs/wallaroo.md on letter case)
                records.set_login(self.data, email, user.id)
            if enabled is not None:
                user.enabled = enabled
            if first_name is not None:
                user.first_name = first_name
            if last_name is not None:
                user.last_name = last_name
            if email_verified is not None:
                user.email_verified = email_verified
            if required_actions is not None:
                user.required_actions = list(required_actions)

    def count_users(self, caller: User, query: UserQuery) -> int:
        """``GET .../users/count``: how many users the same filters as ``GET .../users`` match."""
        with self.state.lock:  # the same snapshot the count is of (no user added between two reads)
            return len(self.matching_users(query))

    def create_user(self, caller: User, new: NewUser) -> str:
        """``POST .../users``: the new user's id (201 + ``Location``); 409 when username or email is taken."""
        with self.state.lock:
            self._require_admin(caller)
            given = (new.username or "").strip()
            if not given:
                raise errors.KeycloakBadRequest("User name is missing", message_key="errorMessage")
            # as users/invite and scenarios: nothing invisible that would make it look like another
            # user's name, and stored NFC (and lower-cased, as Keycloak): docs/wallaroo.md, "Look-alike names"
            if look_alike_problem(given) is not None:
                raise errors.KeycloakInvalidAttribute("username", "error-username-invalid-character")
            username = records.login_key(given)
            if username in self.data.logins:
                raise errors.KeycloakUserExists()
            email = normalize_name(new.email.strip()) if new.email else None
            if email:
                if not is_email(email):
                    raise errors.KeycloakBadRequest("invalidEmailMessage", message_key="errorMessage")
                if records.login_key(email) in self.data.logins:
                    raise errors.KeycloakEmailExists()
            actions = list(new.required_actions)
            if new.password is not None and new.temporary_password and "UPDATE_PASSWORD" not in actions:
                actions.append("UPDATE_PASSWORD")
            user = User(id=str(uuid.uuid4()), username=username, password=new.password or "", email=email or None,
                        first_name=new.first_name, last_name=new.last_name, enabled=new.enabled,
                        email_verified=new.email_verified, created_timestamp=int(self._now() * 1000),
                        required_actions=actions)
            records.add_user(self.data, user)
            return user.id

    def delete_user(self, caller: User, user_id: str) -> None:
        """``DELETE .../users/<id>``: the user, their logins and memberships go; their tokens stop working."""
        with self.state.lock:
            self._require_admin(caller)
            records.drop_user(self.data, self._user(user_id))

    def reset_password(self, caller: User, user_id: str, *, value: str, temporary: bool) -> None:
        """``PUT .../users/<id>/reset-password``; a temporary one must be changed at the next login."""
        with self.state.lock:
            self._require_admin(caller)
            user = self._user(user_id)
            if not value:
                raise errors.KeycloakBadRequest("Missing password value", message_key="error")
            records.change_user(self.data, user).password = value
            actions = [action for action in user.required_actions if action != "UPDATE_PASSWORD"]
            user.required_actions = actions + (["UPDATE_PASSWORD"] if temporary else [])

    # == admin API: realm roles ======================================================
    @staticmethod
    def realm_roles() -> list[dict[str, Any]]:
        return [role_representation(name) for name in REALM_ROLES]

    @staticmethod
    def realm_role(name: str) -> dict[str, Any]:
        if name not in REALM_ROLES:
            raise errors.KeycloakRoleNotFound()
        return role_representation(name)

    def user_realm_roles(self, caller: User, user_id: str) -> list[dict[str, Any]]:
        """The roles mapped to the user directly: the default role, and ``admin`` for admins."""
        with self.state.lock:
            user = self._user(user_id)
            return [role_representation(DEFAULT_ROLE)] + ([role_representation("admin")] if user.admin else [])

    def _role_names(self, roles: list[dict[str, Any]]) -> list[str]:
        names = []
        for role in roles:
            name = role.get("name") if isinstance(role, dict) else None
            if not isinstance(name, str) or name not in REALM_ROLES:
                raise errors.KeycloakRoleNotFound()
            names.append(name)
        return names

    def map_realm_roles(self, caller: User, user_id: str, roles: list[dict[str, Any]], *, add: bool) -> None:
        """``POST``/``DELETE .../role-mappings/realm``. Only ``admin`` changes what a user may do;
        the default role's members are always in effect (see docs/wallaroo.md)."""
        with self.state.lock:
            self._require_admin(caller)
            user = self._user(user_id)
            names = self._role_names(roles)
            if "admin" in names:
                records.change_user(self.data, user).admin = add
