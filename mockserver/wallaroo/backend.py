"""Wallaroo behaviour: login and tokens, users, workspaces and memberships, Keycloak admin,
and the GraphQL (Hasura) tables over the same store.

No HTTP here: views pass in plain values and get plain values back. Every public
method of :class:`WallarooBackend` runs under the store lock and checks all its input
before changing anything, so a rejected call leaves the data as it was.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING, Any, Iterable

from ..validation import normalize_name
from . import exceptions as errors
from . import records, scenario
from .catalog.backend import Catalog
from .keycloak import ClientCredentials, KeycloakRealm
from .records import (COLLABORATOR, OWNER, USER_TYPES, User, WallarooData, Workspace, is_dns_compliant, is_email,
                      iso_timestamp, login_key)

if TYPE_CHECKING:
    from ..state import State


class WallarooBackend:
    """The Wallaroo instance: its Keycloak realm and its workspaces."""

    name = "wallaroo"
    data: WallarooData
    #: every change is reported to ``data.changes`` first (records.py): resets undo them
    records_changes = True

    def __init__(self, state: State) -> None:
        self.state = state
        self.realm = KeycloakRealm(self)
        #: models, pipelines, deployments and inference (mockserver/wallaroo/catalog/)
        self.catalog = Catalog(self)

    # == scenario documents (scenario.py) ==============================================
    def empty(self) -> WallarooData:
        return WallarooData()

    def merge(self, data: WallarooData, section: Any, path: str) -> None:
        scenario.merge(data, section, path)

    def export(self, data: WallarooData) -> dict[str, Any]:
        return scenario.export(data, self.state.clock.now())

    def clone(self, data: WallarooData) -> WallarooData:
        """An independent copy of ``data`` (the store's reset, load and import use it)."""
        return scenario.clone(data)

    # == helpers (call with the lock held) =============================================
    _add_user = staticmethod(records.add_user)
    _add_workspace = staticmethod(records.add_workspace)
    _set_member = staticmethod(records.set_member)
    _drop_member = staticmethod(records.drop_member)
    _find = staticmethod(records.find)
    _find_login = staticmethod(records.find_login)

    def _find_by_email(self, email: str) -> User | None:
        user_id = self.data.logins.get(login_key(email))
        user = self.data.users.get(user_id) if user_id else None
        return user if user is not None and user.email and login_key(user.email) == login_key(email) else None

    def _workspace(self, workspace_id: int) -> Workspace:
        workspace = self.data.workspaces.get(workspace_id)
        if workspace is None:
            raise errors.WorkspaceNotFound(workspace_id)
        return workspace

    def _new_user_id(self) -> str:
        """A random id for a user created at run time: never the id of a user an earlier reset
        removed, so that user's tokens cannot act as this one (``next_user_seq`` still counts)."""
        self.data.next_user_seq += 1
        return str(uuid.uuid4())

    @staticmethod
    def _require_admin(caller: User) -> None:
        if not caller.admin:
            raise errors.AdminRequired()

    def _now(self) -> float:
        return self.state.clock.now()

    # == users and tokens ============================================================
    def find_user(self, ref: str) -> User | None:
        """A user by id, email or username."""
        with self.state.lock:
            return self._find(self.data, ref)

    def users(self) -> list[User]:
        with self.state.lock:
            return list(self.data.users.values())

    # the realm (keycloak.py) does the work; these keep the backend's public face
    def login(self, *, client_id: str, username: str, password: str, issuer: str) -> dict[str, Any]:
        """The ``password`` grant of Keycloak's token endpoint."""
        return self.realm.login(client=ClientCredentials(client_id, None), username=username, password=password,
                                issuer=issuer)

    def refresh(self, *, client_id: str, refresh_token: str, issuer: str) -> dict[str, Any]:
        """The ``refresh_token`` grant."""
        return self.realm.refresh(client=ClientCredentials(client_id, None), refresh_token=refresh_token,
                                  issuer=issuer)

    def issue_token(self, ref: str, *, issuer: str = "http://localhost/auth/realms/master",
                    client_id: str = "api-client", lifetime: int | None = None) -> str:
        """An access token for a user (by id, email or username), without a password."""
        return self.realm.issue_token(ref, issuer=issuer, client_id=client_id, lifetime=lifetime)

    def authenticate(self, authorization: str | None) -> User:
        """The user behind an ``Authorization: Bearer`` header, or a 401 error."""
        return self.realm.authenticate(authorization)

    def query_users(self, caller: User, user_ids: list[str] | None) -> dict[str, Any]:
        with self.state.lock:
            if user_ids is None:
                return {user.id: user.representation(listing=True) for user in self.data.users.values()}
            found: dict[str, Any] = {}
            for user_id in user_ids:
                user = self.data.users.get(user_id)
                found[user_id] = user.representation(detailed=True) if user else None
            return found

    def invite(self, caller: User, *, email: str, password: str | None, roles: list[str] | None,
               require_reset: bool | None) -> dict[str, str]:
        with self.state.lock:
            self._require_admin(caller)
            if not is_email(email):
                raise errors.InvalidEmail(email)
            email = normalize_name(email)
            if login_key(email) in self.data.logins:
                raise errors.EmailInUse(email)
            user_id = self._new_user_id()
            if password is None:
                password = "Mock-" + hashlib.sha256(f"password:{user_id}".encode()).hexdigest()[:12]
            user = User(id=user_id, username=email.lower(), password=password, email=email.lower(),
                        admin=bool(roles) and any(role in ("admin", "admin_user") for role in roles or ()),
                        created_timestamp=int(self._now() * 1000),
                        required_actions=["UPDATE_PASSWORD"] if require_reset else [])
            self._add_user(self.data, user)
            if self.data.settings.default_workspace_on_invite:
                records.ensure_default_workspace(self.data, user, created_at=iso_timestamp(self._now()))
            return {"id": user.id, "password": password}

    def set_enabled(self, caller: User, *, email: str, enabled: bool) -> None:
        with self.state.lock:
            self._require_admin(caller)
            user = self._find_by_email(email)
            if user is None:
                raise errors.KeycloakQueryFailed()
            records.change_user(self.data, user).enabled = enabled

    def edit_user(self, caller: User, *, user_id: str, first_name: str, last_name: str, email: str,
                  enabled: bool, is_admin: bool) -> None:
        with self.state.lock:
            self._require_admin(caller)
            user = self.data.users.get(user_id)
            if user is None:
                raise errors.UserIdNotFound(user_id)
            if not is_email(email):
                raise errors.InvalidEmail(email)
            email = normalize_name(email)
            holder = self.data.logins.get(login_key(email))
            if holder is not None and holder != user.id:
                raise errors.EmailInUse(email)
            if user.email:
                records.drop_login(self.data, user.email)
            records.set_login(self.data, user.username, user.id)
            records.change_user(self.data, user).email = email
            records.set_login(self.data, email, user.id)
            user.first_name, user.last_name = first_name, last_name
            user.enabled, user.admin = enabled, is_admin

    def add_user(self, **fields: Any) -> User:
        """Python helper: add a user as a scenario would (see fixtures/README)."""
        with self.state.lock:
            document = {"users": [fields]}
            before = set(self.data.users)
            self.merge(self.data, document, "wallaroo")
            (new_id,) = set(self.data.users) - before
            return self.data.users[new_id]

    # == workspaces ==================================================================
    @staticmethod
    def _require_member(caller: User, workspace: Workspace, *, owner: bool) -> None:
        """Admins may do anything; others must belong to the workspace (as OWNER to manage it)."""
        if caller.admin:
            return
        kind = workspace.members.get(caller.id)
        if kind is None:
            raise errors.NotWorkspaceMember(workspace.id)
        if owner and kind != OWNER:
            raise errors.WorkspaceOwnerRequired(workspace.id)

    def list_workspaces(self, caller: User, user_ids: list[str] | None) -> list[dict[str, Any]]:
        """What the caller may see (admins: all; others: their memberships), by id.

        With a user filter, the workspaces those users belong to, still limited to what
        the caller may see.
        """
        with self.state.lock:
            data = self.data
            ids: Iterable[int]
            if user_ids is not None:  # the users' workspaces, from the index: no scan of the store
                ids = set().union(*(data.user_workspaces.get(user_id, ()) for user_id in user_ids))
            elif not caller.admin:
                ids = data.user_workspaces.get(caller.id, set())
            else:
                ids = data.workspaces.keys()
            workspaces = [data.workspaces[workspace_id] for workspace_id in ids]
            if not caller.admin:
                workspaces = [w for w in workspaces if caller.id in w.members]
            return [w.item() for w in sorted(workspaces, key=lambda w: w.id)]

    def create_workspace(self, caller: User, name: str) -> int:
        with self.state.lock:
            if not is_dns_compliant(name):
                raise errors.InvalidWorkspaceName(name)
            if name in self.data.workspace_names:
                raise errors.DuplicateWorkspaceName(name)
            if not caller.email:
                raise errors.CallerHasNoEmail()
            workspace = Workspace(id=self.data.next_workspace_id, name=name, created_at=iso_timestamp(self._now()),
                                  created_by=caller.id, members={caller.id: OWNER})
            self._add_workspace(self.data, workspace)
            return workspace.id

    def add_workspace(self, **fields: Any) -> Workspace:
        """Python helper: add a workspace as a scenario would."""
        with self.state.lock:
            before = set(self.data.workspaces)
            self.merge(self.data, {"workspaces": [fields]}, "wallaroo")
            (new_id,) = set(self.data.workspaces) - before
            return self.data.workspaces[new_id]

    def add_workspace_user(self, caller: User, *, workspace_id: int, email: str | None, user_id: str | None,
                           user_type: str | None) -> None:
        """Add (or re-add: an upsert of the user type) a member; the email wins over user_id."""
        with self.state.lock:
            if not email and not user_id:
                raise errors.UserIdentityRequired()
            kind = (user_type or COLLABORATOR).upper()
            if kind not in USER_TYPES:
                raise errors.InvalidUserType(user_type or "")
            workspace = self._workspace(workspace_id)
            self._require_member(caller, workspace, owner=True)
            user = self._find_by_email(email) if email else self.data.users.get(user_id or "")
            if user is None:
                raise errors.UserNotFoundInKeycloak()
            self._set_member(self.data, workspace, user.id, kind)

    def list_workspace_users(self, caller: User, workspace_id: int) -> list[dict[str, Any]]:
        """Members in the order they joined (the creator, an OWNER, first)."""
        with self.state.lock:
            workspace = self._workspace(workspace_id)
            self._require_member(caller, workspace, owner=False)
            return [{"user_id": uid, "user_type": kind} for uid, kind in workspace.members.items()]

    def remove_workspace_user(self, caller: User, *, workspace_id: int, email: str | None,
                              user_id: str | None) -> int:
        """Rows deleted (1 or 0). An unknown email is the recorded Keycloak 500; an
        unknown user_id simply matches no row."""
        with self.state.lock:
            if not email and not user_id:
                raise errors.UserIdentityRequired()
            workspace = self._workspace(workspace_id)
            self._require_member(caller, workspace, owner=True)
            if email:
                user = self._find_by_email(email)
                if user is None:
                    raise errors.UserNotFoundInKeycloak()
                user_id = user.id
            return 1 if self._drop_member(self.data, workspace, user_id or "") else 0

    def validate_workspaces(self, caller: User) -> dict[str, Any]:
        """One-time migrations on a real instance; here every workspace is already valid."""
        with self.state.lock:
            self._require_admin(caller)
            return {}
