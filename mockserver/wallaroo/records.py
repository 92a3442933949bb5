"""Wallaroo records: users (a Keycloak realm), workspaces, settings, and the data object
holding them with its indexes; their wire forms; the index-keeping helpers every change of
users and memberships goes through.

No HTTP and no locking here: the backend (backend.py) calls these with the store lock held.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, ClassVar

from ..state import NOT_RECORDED, Changes, shallow_copy
from ..validation import look_alike_problem, normalize_name
from .catalog.records import CatalogData

#: the clients of realm master: public ones and the confidential ``api-client`` (keycloak.py)
KNOWN_CLIENTS = ("sdk-client", "api-client", "admin-cli", "account", "security-admin-console")
OWNER = "OWNER"
COLLABORATOR = "COLLABORATOR"
USER_TYPES = (OWNER, COLLABORATOR)
DEFAULT_WORKSPACE_SUFFIX = " - Default Workspace"
# Scenario items without a timestamp get this one, so a scenario always loads the same.
SCENARIO_EPOCH_MS = 1735689600000  # 2025-01-01T00:00:00Z
_DNS_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+")  # no control characters
USER_ID_NAMESPACE = uuid.UUID("6f9c1d8e-3b7a-4c5e-9d2f-0a1b2c3d4e5f")


def iso_timestamp(epoch_seconds: float) -> str:
    """``2024-07-11T16:53:30.02561+00:00``: ``created_at`` as PostgreSQL renders a timestamptz.

    PostgreSQL drops trailing zeros of the fraction (and the fraction itself when it is
    zero); the recorded outputs show ``...30.02561+00:00``, not ``...30.025610+00:00``.
    """
    moment = datetime.fromtimestamp(epoch_seconds, tz=timezone.utc)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += "." + f"{moment.microsecond:06d}".rstrip("0")
    return text + "+00:00"


#: the longest workspace name (the SDK's rule: shorter than 64 characters)
MAX_NAME_LENGTH = 63


def is_dns_compliant(name: str) -> bool:
    """The SDK's rule: a letter first, then letters, digits, dashes; no trailing dash; < 64."""
    return bool(_DNS_NAME.fullmatch(name)) and not name.endswith("-") and len(name) <= MAX_NAME_LENGTH


def is_email(text: str) -> bool:
    """An address with one ``@``, no spaces, and nothing invisible or reordering (zero-width,
    bidi, control characters: they make one address look like another)."""
    return bool(_EMAIL.fullmatch(text)) and look_alike_problem(text) is None


def login_key(text: str) -> str:
    """How usernames and emails are compared: Unicode NFC, then case-insensitively (Keycloak).
    ``"zoe\u0308@example.com"`` and ``"Zoë@example.com"`` are one login."""
    return normalize_name(text).lower()


def default_workspace_name(email: str) -> str:
    return f"{email}{DEFAULT_WORKSPACE_SUFFIX}"


@dataclass
class User:
    """A Keycloak user of the ``master`` realm."""

    id: str
    username: str
    password: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    enabled: bool = True
    email_verified: bool = False
    admin: bool = False
    created_timestamp: int = SCENARIO_EPOCH_MS
    required_actions: list[str] = field(default_factory=list)
    #: epoch ms of the last password login (None: never); not part of what makes two scenario
    #: records the same user
    last_login: int | None = field(default=None, compare=False)

    def representation(self, *, detailed: bool = False, admin_api: bool = False,
                       listing: bool = False) -> dict[str, Any]:
        """Keycloak's UserRepresentation, as ``users/query`` returns it (the keys the recorded tutorials show).

        ``detailed`` (a query by id) adds ``federatedIdentities``; ``admin_api`` is the
        shape of Keycloak's own admin REST API, which also carries ``totp``. ``users/query``
        adds ``lastLogin`` (``listing``: the last login, else null, as recorded for a query by
        id) and, when listing, ``realmRoles: ["admin"]`` for admins.
        """
        body: dict[str, Any] = {
            "access": {"manageGroupMembership": True, "view": True, "mapRoles": True, "impersonate": False,
                       "manage": True},
            "createdTimestamp": self.created_timestamp,
            "disableableCredentialTypes": [],
        }
        if self.email is not None:
            body["email"] = self.email
        body["emailVerified"] = self.email_verified
        body["enabled"] = self.enabled
        if detailed:
            body["federatedIdentities"] = []
        if self.first_name is not None:
            body["firstName"] = self.first_name
        body["id"] = self.id
        if listing or detailed:
            body["lastLogin"] = self.last_login if listing else None
        if self.last_name is not None:
            body["lastName"] = self.last_name
        body["notBefore"] = 0
        if listing and self.admin:
            body["realmRoles"] = ["admin"]
        body["requiredActions"] = list(self.required_actions)
        if admin_api:
            body["totp"] = False
        body["username"] = self.username
        return body

    def brief_representation(self) -> dict[str, Any]:
        """Keycloak's brief UserRepresentation (``briefRepresentation=true`` on the admin user search):
        identity, names, flags and creation time, with ``access``; unset members are left out."""
        body: dict[str, Any] = {"access": self.representation()["access"], "createdTimestamp": self.created_timestamp}
        if self.email is not None:
            body["email"] = self.email
        body["emailVerified"] = self.email_verified
        body["enabled"] = self.enabled
        if self.first_name is not None:
            body["firstName"] = self.first_name
        body["id"] = self.id
        if self.last_name is not None:
            body["lastName"] = self.last_name
        body["username"] = self.username
        return body

    def export(self) -> dict[str, Any]:
        return {"id": self.id, "username": self.username, "password": self.password, "email": self.email,
                "first_name": self.first_name, "last_name": self.last_name, "enabled": self.enabled,
                "email_verified": self.email_verified, "admin": self.admin,
                "created_timestamp": self.created_timestamp, "last_login": self.last_login,
                "required_actions": list(self.required_actions), "default_workspace": False}


@dataclass
class Workspace:
    id: int
    name: str
    created_at: str
    created_by: str
    archived: bool = False
    #: model and pipeline ids: tuples, never changed in place, so copies of the data share them
    models: tuple[int, ...] = ()
    pipelines: tuple[int, ...] = ()
    #: user id -> OWNER or COLLABORATOR, in the order they joined
    members: dict[str, str] = field(default_factory=dict)

    def item(self) -> dict[str, Any]:
        """The ``workspaces/list`` item (all seven fields are required by the SDK).

        ``models`` and ``pipelines`` are the stored tuples (JSON arrays), not new lists: an
        answer with 100 000 workspaces then allocates a third of the objects, which the
        garbage collector would otherwise answer with a full collection per call.
        """
        return {"id": self.id, "name": self.name, "created_at": self.created_at, "created_by": self.created_by,
                "archived": self.archived, "models": self.models, "pipelines": self.pipelines}

    def export(self) -> dict[str, Any]:
        body = self.item()
        body["models"], body["pipelines"] = list(self.models), list(self.pipelines)  # a document of plain JSON
        body["members"] = [{"user": user_id, "user_type": user_type} for user_id, user_type in self.members.items()]
        return body


@dataclass
class Settings:
    #: PEM RSA private key of the realm; None: this process's key (random unless configured,
    #: see mockserver/keys.py)
    signing_key: str | None = None
    access_token_lifetime: int = 3600
    refresh_token_lifetime: int = 1800
    default_workspace_on_invite: bool = True
    #: the confidential ``api-client``'s secret (client_credentials, introspection)
    api_client_secret: str = "mockserver-api-client-secret"

    FIELDS = ("signing_key", "access_token_lifetime", "refresh_token_lifetime", "default_workspace_on_invite",
              "api_client_secret")


@dataclass
class WallarooData:
    users: dict[str, User] = field(default_factory=dict)
    workspaces: dict[int, Workspace] = field(default_factory=dict)
    #: lower-cased email and username -> user id
    logins: dict[str, str] = field(default_factory=dict)
    #: workspace name -> id (names are unique instance-wide)
    workspace_names: dict[str, int] = field(default_factory=dict)
    #: user id -> ids of the workspaces the user is a member of (every ``Workspace.members``
    #: entry, kept by _set_member/_drop_member): a user's workspaces without a scan
    user_workspaces: dict[str, set[int]] = field(default_factory=dict)
    next_workspace_id: int = 1
    next_user_seq: int = 1
    settings: Settings = field(default_factory=Settings)
    #: GraphQL ``workspace_users.id`` of each membership (workspace id, user id), given when a
    #: row is first read or written; not part of scenarios or exports (see docs/wallaroo.md)
    member_row_ids: dict[tuple[int, str], int] = field(default_factory=dict)
    next_member_row_id: int = 1
    #: models, pipelines, deployments (mockserver/wallaroo/catalog/)
    catalog: CatalogData = field(default_factory=CatalogData)
    #: where changes to live data are reported before they are made (the store attaches
    #: its log to the live data; data being built records nothing). Every change goes
    #: through the helpers below or reports itself (see state.Changes); the counters and
    #: the settings are kept whole by the store.
    changes: ClassVar[Changes] = NOT_RECORDED


def clone_user(user: User) -> User:
    copied = shallow_copy(user)
    copied.required_actions = user.required_actions.copy()
    return copied


def clone_workspace(workspace: Workspace) -> Workspace:
    copied = shallow_copy(workspace)
    copied.members = workspace.members.copy()  # models and pipelines are tuples: shared
    return copied


# == index-keeping helpers (call with the lock held) ===================================
def add_user(data: WallarooData, user: User) -> None:
    set_login(data, user.username, user.id)
    if user.email:
        set_login(data, user.email, user.id)
    data.changes.item(data.users, user.id)
    data.users[user.id] = user


def set_login(data: WallarooData, login: str, user_id: str) -> None:
    """Index a username or email (lower-cased) for logins and lookups."""
    key = login_key(login)
    data.changes.item(data.logins, key)
    data.logins[key] = user_id


def drop_login(data: WallarooData, login: str) -> None:
    key = login_key(login)
    if key in data.logins:
        data.changes.item(data.logins, key)
        del data.logins[key]


def drop_user(data: WallarooData, user: User) -> None:
    """Remove a user with their logins and memberships (reported to the change log)."""
    for workspace_id in sorted(data.user_workspaces.get(user.id, ())):
        drop_member(data, data.workspaces[workspace_id], user.id)
    if user.id in data.user_workspaces:
        data.changes.item(data.user_workspaces, user.id)
        del data.user_workspaces[user.id]
    for login in (user.username, user.email):
        if login and data.logins.get(login_key(login)) == user.id:
            drop_login(data, login)
    data.changes.whole(data.users)  # the users' order shows (exports, queries): kept whole
    del data.users[user.id]


def change_user(data: WallarooData, user: User) -> User:
    """Report that ``user``'s fields are about to change; returns it."""
    data.changes.record(user, clone_user)
    return user


def add_workspace(data: WallarooData, workspace: Workspace) -> None:
    changes = data.changes
    changes.item(data.workspaces, workspace.id)
    data.workspaces[workspace.id] = workspace
    changes.item(data.workspace_names, workspace.name)
    data.workspace_names[workspace.name] = workspace.id
    data.next_workspace_id = max(data.next_workspace_id, workspace.id + 1)
    for user_id in workspace.members:
        _index_membership(data, user_id, workspace.id)


def _index_membership(data: WallarooData, user_id: str, workspace_id: int) -> None:
    ids = data.user_workspaces.get(user_id)
    if ids is None:
        data.changes.item(data.user_workspaces, user_id)
        data.user_workspaces[user_id] = {workspace_id}
    elif workspace_id not in ids:
        data.changes.member(ids, workspace_id)
        ids.add(workspace_id)


def change_workspace(data: WallarooData, workspace: Workspace) -> Workspace:
    """Report that ``workspace``'s fields (its members included) are about to change."""
    data.changes.record(workspace, clone_workspace)
    return workspace


def set_member(data: WallarooData, workspace: Workspace, user_id: str, user_type: str) -> None:
    """Add a member, or change its type (an upsert keeps its place in the join order)."""
    change_workspace(data, workspace).members[user_id] = user_type
    _index_membership(data, user_id, workspace.id)


def drop_member(data: WallarooData, workspace: Workspace, user_id: str) -> bool:
    """Remove a member; False if it was not one."""
    if user_id not in workspace.members:
        return False
    del change_workspace(data, workspace).members[user_id]
    ids = data.user_workspaces.get(user_id)
    if ids is not None and workspace.id in ids:
        if len(ids) == 1:
            data.changes.item(data.user_workspaces, user_id)
            del data.user_workspaces[user_id]
        else:
            data.changes.member(ids, workspace.id)
            ids.discard(workspace.id)
    return True


def find(data: WallarooData, ref: str) -> User | None:
    """A user by id, email or username (the last two case-insensitively, as Keycloak)."""
    user = data.users.get(ref)
    if user is None:
        user_id = data.logins.get(login_key(ref))
        user = data.users.get(user_id) if user_id else None
    return user


def find_login(data: WallarooData, login: str) -> User | None:
    """A user by username or email (what Keycloak's login form accepts), case-insensitively."""
    user_id = data.logins.get(login_key(login))
    return data.users.get(user_id) if user_id else None


def ensure_default_workspace(data: WallarooData, user: User, created_at: str) -> None:
    assert user.email
    name = default_workspace_name(user.email)
    if name in data.workspace_names:
        return
    add_workspace(data, Workspace(id=data.next_workspace_id, name=name, created_at=created_at,
                                  created_by=user.email, members={user.id: OWNER}))
