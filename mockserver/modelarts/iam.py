"""IAM (Keystone) for ModelArts: password login and the token body with its catalog, token and
AK/SK authentication, the project check, the project list, the IAM user list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..validation import normalize_name
from . import exceptions as errors
from . import signing, tokens
from .keystone import Keystone, TokenRefused, signing_secret
from .records import ACTION_LIST_IAM_USERS, Account, Caller, ModelArtsData, Project, User, hex_id, iso_time

if TYPE_CHECKING:
    from ..state import State
    from .parsing import ProjectQuery


class IamOperations:
    """The IAM part of :class:`~mockserver.modelarts.backend.ModelArtsBackend` (a mixin: the
    backend is one object, these are its IAM operations)."""

    state: State
    data: ModelArtsData
    keystone: Keystone

    def _account_of(self, user: User) -> Account:
        return self.data.accounts[user.account_id]

    def _find_user(self, name: str, account: Account | None = None) -> User | None:
        name = normalize_name(name)  # names are stored NFC (scenario.py)
        for user in self.data.users.values():
            if user.name == name and (account is None or user.account_id == account.id):
                return user
        return None

    def _find_account(self, *, account_id: str | None, name: str | None) -> Account | None:
        if account_id is not None:
            return self.data.accounts.get(account_id)
        name = normalize_name(name) if name is not None else None
        return next((a for a in self.data.accounts.values() if a.name == name), None)

    def _issue(self, user: User, project: Project | None, *, methods: list[str] | None = None,
               scope: str = "project", expires: float | None = None) -> tuple[str, dict[str, Any]]:
        """A token and its claims; ``expires``: kept as given (a rescoped token expires with
        the one it replaces), else the token lifetime from now."""
        now = self.state.clock.now()
        if expires is None:
            expires = round(now + self.data.settings.token_lifetime_seconds, 6)
        claims: dict[str, Any] = {"u": user.id, "d": user.account_id, "p": project.id if project else None,
                                  "s": scope, "iat": round(now, 6), "exp": expires,
                                  "m": methods or ["password"]}
        return tokens.encode(claims, signing_secret(self.data.settings)), claims

    def login(self, *, user_id: str | None, user_name: str | None, domain_id: str | None, domain_name: str | None,
              password: str, scope_project_id: str | None, scope_project_name: str | None,
              scope_project_domain_id: str | None, scope_project_domain_name: str | None,
              scope_domain_id: str | None, scope_domain_name: str | None, base_url: str,
              nocatalog: bool) -> tuple[str, dict[str, Any]]:
        """``POST /v3/auth/tokens`` with the password method: (token, response body)."""
        with self.state.lock:
            if user_id is not None:
                user = self.data.users.get(user_id)
            else:
                account = self._find_account(account_id=domain_id, name=domain_name)
                user = self._find_user(user_name or "", account) if account else None
            if user is None or user.password != password or not user.enabled:
                raise errors.KeystoneWrongPassword()
            account = self._account_of(user)
            project, scope = self._scope(
                user, account, scope_project_id=scope_project_id, scope_project_name=scope_project_name,
                scope_project_domain_id=scope_project_domain_id, scope_project_domain_name=scope_project_domain_name,
                scope_domain_id=scope_domain_id, scope_domain_name=scope_domain_name)
            token, claims = self._issue(user, project, scope=scope)
            return token, self._token_body(user, account, project, claims, base_url=base_url, nocatalog=nocatalog)

    def _scope(self, user: User, account: Account, *, scope_project_id: str | None, scope_project_name: str | None,
               scope_project_domain_id: str | None, scope_project_domain_name: str | None,
               scope_domain_id: str | None, scope_domain_name: str | None) -> tuple[Project | None, str]:
        """The project (or None) and scope kind a login asks for; 401 if the user may not have it."""
        project: Project | None = None
        scope = "unscoped"
        if scope_project_id is not None or scope_project_name is not None:
            scope = "project"
            if scope_project_id is not None:
                project = self.data.projects.get(scope_project_id)
            else:
                owner = account
                if scope_project_domain_id is not None or scope_project_domain_name is not None:
                    owner = self._find_account(account_id=scope_project_domain_id,
                                               name=scope_project_domain_name) or Account("", "")
                project = next((p for p in self.data.projects.values()
                                if p.name == scope_project_name and p.account_id == owner.id), None)
            if project is None or project.account_id != account.id:
                wanted = scope_project_id or scope_project_name
                raise errors.KeystoneScopeError(f"The user {user.name} has no access to the project {wanted}.")
        elif scope_domain_id is not None or scope_domain_name is not None:
            scope = "domain"
            wanted_domain = self._find_account(account_id=scope_domain_id, name=scope_domain_name)
            if wanted_domain is None or wanted_domain.id != account.id:
                raise errors.KeystoneScopeError(
                    f"The user {user.name} has no access to the domain {scope_domain_id or scope_domain_name}.")
        return project, scope

    def _token_body(self, user: User, account: Account, project: Project | None, claims: dict[str, Any], *,
                    base_url: str, nocatalog: bool) -> dict[str, Any]:
        domain = {"id": account.id, "name": account.name}
        token: dict[str, Any] = {"expires_at": iso_time(claims["exp"]), "methods": list(claims["m"])}
        if not nocatalog and claims["s"] != "unscoped":
            region = project.name if project else "*"
            token["catalog"] = [
                {"endpoints": [{"id": hex_id("endpoint", "iam", region), "interface": "public", "region": region,
                                "region_id": region, "url": f"{base_url}/v3"}],
                 "id": hex_id("service", "iam"), "name": "iam", "type": "identity"},
                {"endpoints": [{"id": hex_id("endpoint", "modelarts", region), "interface": "public",
                                "region": region, "region_id": region,
                                "url": f"{base_url}/v1/{project.id}" if project else f"{base_url}/v1"}],
                 "id": hex_id("service", "modelarts"), "name": "modelarts", "type": "modelarts"},
            ]
        if claims["s"] == "domain":
            token["domain"] = dict(domain)
        if claims["s"] != "unscoped":
            token["roles"] = [{"id": "0", "name": "te_admin" if user.primary else "op_fine_grained"}]
        if project is not None:
            token["project"] = {"domain": dict(domain), "id": project.id, "name": project.name}
        token["issued_at"] = iso_time(claims["iat"])
        token["user"] = {"domain": dict(domain), "id": user.id, "name": user.name, "password_expires_at": ""}
        return {"token": token}

    def issue_token(self, user_name: str = "modelarts-dev", project_id: str | None = None) -> str:
        """A project-scoped token for a user (default: the first project of the user's account)."""
        with self.state.lock:
            user = self._find_user(user_name)
            if user is None:
                raise KeyError(f"no IAM user named {user_name!r}")
            if project_id is None:
                project = next((p for p in self.data.projects.values() if p.account_id == user.account_id), None)
                if project is None:
                    raise KeyError(f"the account of {user_name!r} has no project")
            else:
                project = self.data.projects.get(project_id)
                if project is None:
                    raise KeyError(f"no project with the id {project_id!r}")
            return self._issue(user, project)[0]

    def credentials(self, user_name: str = "modelarts-dev") -> dict[str, Any]:
        """Everything a client needs to log in as a user (first access key, first project)."""
        with self.state.lock:
            user = self._find_user(user_name)
            if user is None:
                raise KeyError(f"no IAM user named {user_name!r}")
            project = next((p for p in self.data.projects.values() if p.account_id == user.account_id), None)
            key = user.access_keys[0] if user.access_keys else None
            return {"user_name": user.name, "password": user.password, "account": self._account_of(user).name,
                    "project_id": project.id if project else None, "region": project.name if project else None,
                    "access_key": key.access_key if key else None, "secret_key": key.secret_key if key else None}

    def default_project_id(self) -> str | None:
        """The first project of the store (the default scenario's ``eu-de`` project)."""
        with self.state.lock:
            return next(iter(self.data.projects), None)

    def authenticate(self, *, token: str | None, authorization: str | None, signed: signing.SignedRequest | None,
                     ) -> Caller:
        """The caller behind ``X-Auth-Token`` or an AK/SK signature; raises the gateway's 401s."""
        with self.state.lock:
            if token:
                return self._authenticate_token(token)
            if authorization and signing.is_signature_scheme(authorization):
                assert signed is not None
                return self._authenticate_signature(authorization, signed)
            raise errors.TokenNotFound()

    def _authenticate_token(self, token: str) -> Caller:
        try:
            claims, user = self.keystone.token_subject(token)
        except TokenRefused as refused:
            if refused.expired_at is not None:
                raise errors.TokenExpired(iso_time(refused.expired_at)) from None
            raise errors.TokenUndecodable() from None
        project_id = claims.get("p")
        return Caller(user=user, account=self._account_of(user), project_id=project_id, method="token",
                      has_project_scope=project_id is not None, scope=str(claims.get("s", "")))

    def _authenticate_signature(self, authorization: str, signed: signing.SignedRequest) -> Caller:
        try:
            parsed = signing.parse_authorization(authorization)
        except signing.SignatureError as error:
            raise errors.SignatureMismatch(error.reason) from None
        user_id = self.data.access_keys.get(parsed.access_key)
        user = self.data.users.get(user_id) if user_id else None
        if user is None:
            raise errors.UnknownAccessKey(parsed.access_key)
        secret = next(k.secret_key for k in user.access_keys if k.access_key == parsed.access_key)
        try:
            signing.verify(signed, parsed, secret, now=self.state.clock.now(),
                           max_skew_seconds=self.data.settings.signature_max_skew_seconds)
        except signing.SignatureError as error:
            raise errors.SignatureMismatch(error.reason) from None
        if not user.enabled:
            raise errors.SignatureMismatch("the user of the access key is disabled")
        return Caller(user=user, account=self._account_of(user), project_id=None, method="aksk")

    def authorize_project(self, caller: Caller, project_id: str, x_project_id: str | None) -> None:
        """ModelArts' own check: the URL's project is the token's (or in the key's account)."""
        with self.state.lock:
            if caller.method == "token":
                if not caller.has_project_scope:
                    raise errors.TokenWithoutProject()
                if caller.project_id != project_id:
                    raise errors.ProjectMismatch()
                return
            project = self.data.projects.get(project_id)
            if project is None or project.account_id != caller.account.id:
                raise errors.ProjectMismatch()
            if x_project_id is not None and x_project_id != project_id:
                raise errors.ProjectMismatch()

    def list_projects(self, caller: Caller, query: ProjectQuery, *, base_url: str) -> list[dict[str, Any]]:
        """``GET /v3/projects``: the projects of the caller's account (Keystone's list), filtered,
        then paged as IAM does (``page`` counts from 1)."""
        if query.is_domain is True or query.enabled is False:
            return []  # no project here is a domain, and all are enabled
        with self.state.lock:
            projects = []
            for project in self.data.projects.values():
                if project.account_id != caller.account.id:
                    continue
                # a region project's parent is the account (IAM: built-in projects name the account
                # as parent_id)
                if (query.name is not None and project.name != query.name) \
                        or (query.domain_id is not None and project.account_id != query.domain_id) \
                        or (query.parent_id is not None and project.account_id != query.parent_id):
                    continue
                projects.append({"is_domain": False, "description": "", "links": {
                    "self": f"{base_url}/v3/projects/{project.id}"}, "enabled": True, "id": project.id,
                    "parent_id": project.account_id, "domain_id": project.account_id, "name": project.name})
            if query.page is not None and query.per_page is not None:
                start = (query.page - 1) * query.per_page
                projects = projects[start:start + query.per_page]
            return projects

    def list_iam_users(self, caller: Caller, project_id: str) -> dict[str, Any]:
        """``GET .../workspaces/users/list``: the IAM users of the caller's account (grant candidates)."""
        with self.state.lock:
            if caller.user.denies(ACTION_LIST_IAM_USERS):
                raise errors.IamUserListForbidden()
            return {"users": [{"userName": u.name} for u in self.data.users.values()
                              if u.account_id == caller.account.id]}
