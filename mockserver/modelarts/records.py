"""ModelArts records: IAM accounts, users, keys and projects; workspaces with their grants and
quotas; settings; the data object with its indexes, and the index-keeping helpers every
change of workspaces goes through.

No HTTP and no locking here: the backend (backend.py) calls these with the store lock held.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, ClassVar

from ..state import NOT_RECORDED, Changes, shallow_copy
from .quotas import CATALOGUE, UNLIMITED

DEFAULT_WORKSPACE_ID = "0"
DEFAULT_WORKSPACE_NAME = "default"
DEFAULT_ENTERPRISE_PROJECT = ("0", "default")
AUTH_TYPES = ("PUBLIC", "PRIVATE", "INTERNAL")
STATUSES = ("CREATE_FAILED", "NORMAL", "DELETING", "DELETE_FAILED")
USER_TYPES = ("IAM", "FEDERATE", "AGENCY")
SORT_KEYS = ("name", "update_time", "status")
ORDERS = ("asc", "desc")
# Scenario items without a timestamp get this one, so a scenario always loads the same.
SCENARIO_EPOCH_MS = 1735689600000  # 2025-01-01T00:00:00Z
# \Z, not $: "$" also matches before a trailing newline, which let "name\n" through
NAME = re.compile(r"[A-Za-z0-9_-]{4,64}\Z")
NAME_CJK = re.compile(r"[A-Za-z0-9_\-\u4e00-\u9fff]{4,64}\Z")

# IAM actions of the workspace API (permissions page of the API reference)
ACTION_CREATE = "modelarts:workspace:create"
ACTION_LIST = "modelarts:workspace:list"
ACTION_GET = "modelarts:workspace:get"
ACTION_UPDATE = "modelarts:workspace:update"
ACTION_DELETE = "modelarts:workspace:delete"
ACTION_GET_QUOTAS = "modelarts:workspace:getQuotas"
ACTION_UPDATE_QUOTAS = "modelarts:workspace:updateQuotas"
ACTION_LIST_IAM_USERS = "iam:users:listUsers"


def hex_id(*parts: object) -> str:
    """A deterministic 32-hex id (the format of IAM and workspace ids)."""
    return hashlib.sha256(":".join(str(part) for part in parts).encode("utf-8")).hexdigest()[:32]


def iso_time(epoch_seconds: float) -> str:
    """IAM's time format: ``2025-01-02T00:00:00.000000Z``.

    Clamped to 9999-12-31T23:59:59Z: a token issued with the clock near the end of year
    9999 expires after it, which ``datetime`` cannot show (it made the login a 500).
    """
    moment = datetime.fromtimestamp(min(epoch_seconds, _LAST_INSTANT), tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_LAST_INSTANT = 253402300799  # 9999-12-31T23:59:59Z, the last second the mock clock may show


# == data ===========================================================================
# Frozen records (accounts, projects, keys, grants, quota states) and a workspace's grants
# (a tuple) are replaced, never changed in place, so copies of the data share them:
# ModelArtsBackend.clone copies only the containers and the mutable objects (users,
# workspaces, settings). Fewer objects per copy also means less work for the garbage collector.
@dataclass(frozen=True)
class Account:
    """An IAM account (a Keystone domain)."""

    id: str
    name: str

    def export(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


@dataclass(frozen=True)
class AccessKey:
    access_key: str
    secret_key: str


@dataclass
class User:
    """An IAM user of an account; the ``primary`` user is the account itself."""

    id: str
    name: str
    password: str
    account_id: str
    primary: bool = False
    enabled: bool = True
    access_keys: list[AccessKey] = field(default_factory=list)
    #: IAM actions (fnmatch patterns) this user's policies deny, e.g. ``modelarts:workspace:create``
    denied_actions: list[str] = field(default_factory=list)

    def denies(self, action: str) -> bool:
        return any(fnmatch.fnmatchcase(action, pattern) for pattern in self.denied_actions)


@dataclass(frozen=True)
class Project:
    """An IAM project; its name is the region id (``eu-de``)."""

    id: str
    name: str
    account_id: str


@dataclass(frozen=True)
class Grant:
    user_id: str
    user_name: str
    user_type: str = "IAM"

    def export(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "user_name": self.user_name, "user_type": self.user_type}


@dataclass(frozen=True)
class QuotaState:
    resource: str
    quota: int = UNLIMITED
    used_quota: int = 0
    update_time: int | None = None  # None: the workspace's create time


#: a new workspace's quotas (unlimited, nothing used); frozen, so every workspace shares them
_DEFAULT_QUOTAS: dict[str, QuotaState] = {entry.resource: QuotaState(entry.resource) for entry in CATALOGUE}


def default_quotas() -> dict[str, QuotaState]:
    """The quotas of a new workspace (a new dict of the shared default states)."""
    return dict(_DEFAULT_QUOTAS)


@dataclass
class Workspace:
    project_id: str
    id: str
    name: str
    description: str = ""
    owner: str = ""
    auth_type: str = "PUBLIC"
    grants: tuple[Grant, ...] = ()
    enterprise_project_id: str = "0"
    create_time: int = SCENARIO_EPOCH_MS
    update_time: int = SCENARIO_EPOCH_MS
    status: str = "NORMAL"
    status_info: str = ""
    quotas: dict[str, QuotaState] = field(default_factory=dict)
    #: while DELETING: when (epoch ms) the workspace disappears
    delete_complete_time: int | None = None
    #: its place in its project's creation order (the default workspace first): a reset puts
    #: a deleted workspace back at the end of its table, so whatever shows the creation
    #: order (exports, ``workspaces()``) goes by this, not by the table's order
    place: int = field(default=0, compare=False)

    @property
    def is_default(self) -> bool:
        return self.id == DEFAULT_WORKSPACE_ID


@dataclass
class Settings:
    token_lifetime_seconds: int = 86400
    signature_max_skew_seconds: int = 900
    delete_delay_seconds: float = 0
    #: HMAC secret of the tokens (>= 32 bytes); None: this process's random one (see mockserver/keys.py)
    token_signing_key: str | None = None
    #: how responses spell auth_type: "lower" (as every documented example) or "upper" (the enum)
    auth_type_case: str = "lower"
    #: Huawei Cloud (not OTC) also allows Chinese characters in workspace names
    allow_cjk_names: bool = False
    #: workspaces per project, the default one included (None: no limit)
    max_workspaces_per_project: int | None = None

    FIELDS = ("token_lifetime_seconds", "signature_max_skew_seconds", "delete_delay_seconds", "token_signing_key",
              "auth_type_case", "allow_cjk_names", "max_workspaces_per_project")


@dataclass
class ModelArtsData:
    settings: Settings = field(default_factory=Settings)
    accounts: dict[str, Account] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)
    enterprise_projects: dict[str, str] = field(default_factory=lambda: dict([DEFAULT_ENTERPRISE_PROJECT]))
    #: project id -> workspace id -> workspace (insertion order = creation order)
    workspaces: dict[str, dict[str, Workspace]] = field(default_factory=dict)
    #: access key -> user id
    access_keys: dict[str, str] = field(default_factory=dict)
    next_workspace_seq: int = 1
    #: the ``place`` of the next workspace added
    next_place: int = 1
    #: project id -> workspace name -> workspace id, for every workspace of ``workspaces``
    #: (DELETING ones too: their names stay taken): a name check without a scan
    workspace_names: dict[str, dict[str, str]] = field(default_factory=dict)
    #: (project id, workspace id) of the DELETING workspaces with a deadline: all _purge()
    #: has to look at, so calls do not scan every workspace
    deleting: set[tuple[str, str]] = field(default_factory=set)
    #: bumped on every change to the workspaces (added, removed, renamed, new update_time or
    #: status): list_workspaces' cached sort orders hold for one revision
    revision: int = 0
    #: where changes to live data are reported before they are made (the store attaches
    #: its log to the live data; data being built records nothing). Every change goes
    #: through the helpers below or reports itself (see state.Changes); the counters and
    #: the settings are kept whole by the store.
    changes: ClassVar[Changes] = NOT_RECORDED


@dataclass(frozen=True)
class Caller:
    """Who is calling, and the project the credentials are scoped to (None: any of the account)."""

    user: User
    account: Account
    project_id: str | None
    method: str  # "token" or "aksk"
    has_project_scope: bool = True
    #: a token's scope: "project", "domain" or "unscoped" ("" for AK/SK)
    scope: str = ""


def clone_user(user: User) -> User:
    copied = shallow_copy(user)
    copied.access_keys = user.access_keys.copy()  # AccessKeys are frozen
    copied.denied_actions = user.denied_actions.copy()
    return copied


def clone_workspace(workspace: Workspace) -> Workspace:
    copied = shallow_copy(workspace)
    # the grants tuple and the frozen QuotaStates are shared
    copied.quotas = workspace.quotas.copy()
    return copied


USER_FIELDS = ("id", "name", "password", "account", "primary", "enabled", "access_keys", "denied_actions")
WORKSPACE_FIELDS = ("project", "id", "name", "description", "owner", "auth_type", "grants", "enterprise_project_id",
                     "create_time", "update_time", "status", "status_info", "quotas", "delete_complete_time")


# == index-keeping helpers (call with the lock held) ===================================
def add_workspace(data: ModelArtsData, workspace: Workspace) -> None:
    """Store a new workspace (its name must be free in its project) and index its name."""
    table = table_of(data, data.workspaces, workspace.project_id)
    data.changes.item(table, workspace.id)
    if not workspace.is_default:  # the default workspace's place is 0: first
        workspace.place = data.next_place
        data.next_place += 1
    table[workspace.id] = workspace
    set_name(data, workspace.project_id, workspace.name, workspace.id)
    data.revision += 1


def table_of(data: ModelArtsData, tables: dict[str, dict[str, Any]], project_id: str) -> dict[str, Any]:
    """A project's table of ``tables`` (``workspaces`` or ``workspace_names``), made if missing,
    ready for a new item (reported to ``data.changes``)."""
    table = tables.get(project_id)
    if table is None:
        data.changes.item(tables, project_id)
        table = tables[project_id] = {}
    return table


def set_name(data: ModelArtsData, project_id: str, name: str, workspace_id: str) -> None:
    names = table_of(data, data.workspace_names, project_id)
    data.changes.item(names, name)
    names[name] = workspace_id


def drop_name(data: ModelArtsData, project_id: str, name: str) -> None:
    names = data.workspace_names.get(project_id, {})
    if name in names:
        data.changes.item(names, name)
        del names[name]


def change_workspace(data: ModelArtsData, workspace: Workspace) -> Workspace:
    """Report that ``workspace``'s fields (its quotas included) are about to change."""
    data.changes.record(workspace, clone_workspace)
    return workspace


def change_user(data: ModelArtsData, user: User) -> User:
    """Report that ``user``'s fields (its keys included) are about to change."""
    data.changes.record(user, clone_user)
    return user


def set_deleting(data: ModelArtsData, key: tuple[str, str], pending: bool) -> None:
    """Add or remove a (project id, workspace id) of the pending deletions."""
    if (key in data.deleting) != pending:
        data.changes.member(data.deleting, key)
        if pending:
            data.deleting.add(key)
        else:
            data.deleting.discard(key)


def remove_workspace(data: ModelArtsData, workspace: Workspace) -> None:
    """Drop a workspace for good, with its name and its pending deletion."""
    table = data.workspaces[workspace.project_id]
    data.changes.item(table, workspace.id)
    del table[workspace.id]
    if data.workspace_names.get(workspace.project_id, {}).get(workspace.name) == workspace.id:
        drop_name(data, workspace.project_id, workspace.name)
    set_deleting(data, (workspace.project_id, workspace.id), False)
    data.revision += 1


def name_taken(data: ModelArtsData, project_id: str, name: str) -> bool:
    return name in data.workspace_names.get(project_id, ())


def primary_user(data: ModelArtsData, account_id: str) -> User | None:
    return next((u for u in data.users.values() if u.account_id == account_id and u.primary), None)


def new_workspace_id(data: ModelArtsData) -> str:
    """Deterministic ids (the same sequence after each reset), skipping ids already taken."""
    workspace_id, data.next_workspace_seq = free_workspace_id(data)
    return workspace_id


def free_workspace_id(data: ModelArtsData) -> tuple[str, int]:
    """The next free id of the sequence and the sequence number after it (nothing changed)."""
    seq = data.next_workspace_seq
    while True:
        workspace_id = hex_id("modelarts-workspace", seq)
        seq += 1
        # a lookup per project, not a set of every id of the store built per call
        if not any(workspace_id in workspaces for workspaces in data.workspaces.values()):
            return workspace_id, seq


def in_creation_order(table: dict[str, Workspace]) -> list[Workspace]:
    """A project's workspaces as created (a table's own order may differ after a reset)."""
    return sorted(table.values(), key=_place)


def _place(workspace: Workspace) -> int:
    return workspace.place


def is_gone(workspace: Workspace, now_ms: int) -> bool:
    return (workspace.status == "DELETING" and workspace.delete_complete_time is not None
            and workspace.delete_complete_time <= now_ms)
