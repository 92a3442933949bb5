"""IAM as Keystone v3 beyond the password login: version documents, token validation and
revocation, re-scoping with the ``token`` method, and the ``/v3/auth/*`` and project lookups
keystoneauth1, openstacksdk and huaweicloudsdkiam make (docs/modelarts.md, "IAM (Keystone v3)").

No HTTP here: views pass plain values (see routes.py). Revoked tokens are remembered outside
the scenario data, so a reset cannot bring one back.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from ..keys import PROCESS_KEYS
from . import exceptions as errors
from . import tokens

if TYPE_CHECKING:
    from .backend import ModelArtsBackend
    from .records import Caller, Project, User

#: the API version IAM reports (OTC's and Huawei Cloud's IAM say ``v3.0``, updated 2013-03-06)
VERSION_ID = "v3.0"
VERSION_UPDATED = "2013-03-06T00:00:00Z"
MEDIA_TYPE = "application/vnd.openstack.identity-v3+json"


def version(base_url: str) -> dict[str, Any]:
    """One version entry: what ``GET /v3`` wraps in ``version`` and ``GET /`` lists."""
    return {"id": VERSION_ID, "status": "stable", "updated": VERSION_UPDATED,
            "links": [{"rel": "self", "href": f"{base_url}/v3/"}],
            "media-types": [{"base": "application/json", "type": MEDIA_TYPE}]}


def signing_secret(settings: Any) -> bytes:
    """The scenario's ``token_signing_key`` if it names one, else this process's secret."""
    key = settings.token_signing_key
    return key.encode("utf-8") if key else PROCESS_KEYS.secret()


class TokenRefused(Exception):
    """A token that does not stand: not ours, revoked, for a gone or disabled user, or expired
    (then ``expired_at`` says when, and nothing else was wrong with it)."""

    def __init__(self, expired_at: float | None = None) -> None:
        super().__init__("token refused")
        self.expired_at = expired_at


class RevokedTokens:
    """Digests of revoked tokens, each kept until the token would have expired anyway; bounded."""

    def __init__(self, limit: int = 100_000) -> None:
        self._until: OrderedDict[str, float] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    @staticmethod
    def _digest(token: str) -> str:
        return hashlib.sha256(token.strip().encode("utf-8", "replace")).hexdigest()

    def revoke(self, token: str, until: float) -> None:
        with self._lock:
            self._until[self._digest(token)] = until
            while len(self._until) > self._limit:
                self._until.popitem(last=False)

    def revoked(self, token: str) -> bool:
        return self._digest(token) in self._until


class Keystone:
    """The Keystone v3 face of IAM on the ModelArts backend's store."""

    def __init__(self, backend: ModelArtsBackend) -> None:
        self.backend = backend
        self.revoked = RevokedTokens()

    @property
    def data(self) -> Any:
        return self.backend.data

    def _now(self) -> float:
        return self.backend.state.clock.now()

    # == the subject token ==========================================================
    def token_subject(self, token: str) -> tuple[dict[str, Any], User]:
        """Claims and user of a token that is ours, unrevoked, for a live user and unexpired;
        else :class:`TokenRefused`. IAM's authentication and Keystone's token calls both ask
        this, and each answers a refusal with its own error."""
        try:
            claims = tokens.decode(token, signing_secret(self.data.settings))
        except tokens.TokenError:
            raise TokenRefused() from None
        if self.revoked.revoked(token):
            raise TokenRefused()
        user = self.data.users.get(str(claims.get("u")))
        exp = claims.get("exp")
        if user is None or not user.enabled or not isinstance(exp, (int, float)):
            raise TokenRefused()
        if exp <= self._now():
            raise TokenRefused(expired_at=exp)
        return claims, user

    def _subject(self, token: str) -> tuple[dict[str, Any], User]:
        """:meth:`token_subject`, refusals as Keystone's 404."""
        try:
            return self.token_subject(token)
        except TokenRefused:
            raise errors.KeystoneTokenNotFound() from None

    def _check_may_see(self, caller: Caller, user: User) -> None:
        """A token is validated or revoked by users of its own account (CHOICE, docs/modelarts.md)."""
        if caller.account.id != user.account_id:
            raise errors.KeystoneForbidden()

    def validate(self, caller: Caller, subject_token: str, *, base_url: str, nocatalog: bool) -> dict[str, Any]:
        """``GET``/``HEAD /v3/auth/tokens``: the subject token's body, as its login answered it."""
        with self.backend.state.lock:
            claims, user = self._subject(subject_token)
            self._check_may_see(caller, user)
            project = self.data.projects.get(claims["p"]) if claims.get("p") else None
            return self.backend._token_body(user, self.backend._account_of(user), project, claims,
                                            base_url=base_url, nocatalog=nocatalog)

    def revoke(self, caller: Caller, subject_token: str) -> None:
        """``DELETE /v3/auth/tokens``: the token is refused everywhere from now on."""
        with self.backend.state.lock:
            claims, user = self._subject(subject_token)
            self._check_may_see(caller, user)
            self.revoked.revoke(subject_token, float(claims["exp"]))

    def rescope(self, token_id: str, *, scope_project_id: str | None, scope_project_name: str | None,
                scope_project_domain_id: str | None, scope_project_domain_name: str | None,
                scope_domain_id: str | None, scope_domain_name: str | None, base_url: str,
                nocatalog: bool) -> tuple[str, dict[str, Any]]:
        """``POST /v3/auth/tokens`` with the ``token`` method: a token of the same user for another
        scope, expiring when the original does (as Keystone does)."""
        with self.backend.state.lock:
            try:
                original, user = self._subject(token_id)
            except errors.KeystoneTokenNotFound:
                raise errors.KeystoneUnauthorized("the token is invalid, expired or revoked") from None
            account = self.backend._account_of(user)
            project, scope = self.backend._scope(
                user, account, scope_project_id=scope_project_id, scope_project_name=scope_project_name,
                scope_project_domain_id=scope_project_domain_id, scope_project_domain_name=scope_project_domain_name,
                scope_domain_id=scope_domain_id, scope_domain_name=scope_domain_name)
            methods = ["token"] + [m for m in original.get("m", []) if m != "token"]
            token, claims = self.backend._issue(user, project, methods=methods, scope=scope, expires=original["exp"])
            return token, self.backend._token_body(user, account, project, claims, base_url=base_url,
                                                   nocatalog=nocatalog)

    # == what the caller may reach ===================================================
    @staticmethod
    def _project_item(project: Project, base_url: str) -> dict[str, Any]:
        return {"is_domain": False, "description": "", "links": {"self": f"{base_url}/v3/projects/{project.id}"},
                "enabled": True, "id": project.id, "parent_id": project.account_id, "domain_id": project.account_id,
                "name": project.name}

    def auth_projects(self, caller: Caller, *, base_url: str) -> list[dict[str, Any]]:
        """``GET /v3/auth/projects``: the projects the caller can scope to (its account's)."""
        with self.backend.state.lock:
            return [self._project_item(p, base_url) for p in self.data.projects.values()
                    if p.account_id == caller.account.id]

    def auth_domains(self, caller: Caller, *, base_url: str) -> list[dict[str, Any]]:
        """``GET /v3/auth/domains``: the caller's account (what ``GlobalCredentials`` looks up)."""
        account = caller.account
        return [{"enabled": True, "id": account.id, "name": account.name, "description": "",
                 "links": {"self": f"{base_url}/v3/domains/{account.id}"}}]

    def catalog(self, caller: Caller, *, base_url: str) -> list[dict[str, Any]]:
        """``GET /v3/auth/catalog``: the catalog of the caller's token (a scoped one; AK/SK: the
        first project of the account, or X-Project-Id's)."""
        with self.backend.state.lock:
            if caller.method == "token" and not caller.has_project_scope and caller.scope != "domain":
                raise errors.KeystoneForbidden("The service catalog is not available for an unscoped token.")
            project = self.data.projects.get(caller.project_id) if caller.project_id else None
            if project is None and caller.method == "aksk":
                project = next((p for p in self.data.projects.values() if p.account_id == caller.account.id), None)
            claims = {"exp": self._now(), "iat": self._now(), "m": ["password"],
                      "s": "project" if project else "domain"}
            body = self.backend._token_body(caller.user, caller.account, project, claims, base_url=base_url,
                                            nocatalog=False)
            return body["token"]["catalog"]

    def project(self, caller: Caller, project_id: str, *, base_url: str) -> dict[str, Any]:
        """``GET /v3/projects/{id}``: a project of the caller's account; others are not found."""
        with self.backend.state.lock:
            project = self.data.projects.get(project_id)
            if project is None or project.account_id != caller.account.id:
                raise errors.KeystoneProjectNotFound(project_id)
            return self._project_item(project, base_url)
