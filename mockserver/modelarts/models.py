"""ModelArts state and behaviour: IAM accounts, users, keys and projects; workspaces; quotas.

No HTTP here: views pass in plain values and get plain values (JSON-ready dicts) back.
Every public method of :class:`ModelArtsBackend` runs under the store lock and checks all
its input before changing anything, so a rejected call leaves the data as it was.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import re
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..state import shallow_copy
from ..validation import FieldError, Fields
from . import exceptions as errors
from . import signing, tokens
from .quotas import BY_RESOURCE, CATALOGUE, UNLIMITED

if TYPE_CHECKING:
    from ..state import State

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
_NAME = re.compile(r"[A-Za-z0-9_-]{4,64}\Z")
_NAME_CJK = re.compile(r"[A-Za-z0-9_\-\u4e00-\u9fff]{4,64}\Z")
_ACTION = re.compile(r"[A-Za-z0-9_-]+:[A-Za-z0-9_*-]+:[A-Za-z0-9_*-]+\Z")

# IAM actions of the workspace API (permissions page of the API reference)
ACTION_CREATE = "modelarts:workspace:create"
ACTION_LIST = "modelarts:workspace:list"
ACTION_GET = "modelarts:workspace:get"
ACTION_UPDATE = "modelarts:workspace:update"
ACTION_DELETE = "modelarts:workspace:delete"
ACTION_GET_QUOTAS = "modelarts:workspace:getQuotas"
ACTION_UPDATE_QUOTAS = "modelarts:workspace:updateQuotas"
ACTION_LIST_IAM_USERS = "iam:users:listUsers"


def _hex_id(*parts: object) -> str:
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

    @property
    def is_default(self) -> bool:
        return self.id == DEFAULT_WORKSPACE_ID


@dataclass
class Settings:
    token_lifetime_seconds: int = 86400
    signature_max_skew_seconds: int = 900
    delete_delay_seconds: float = 0
    token_signing_key: str = "mockserver-modelarts-token-key"
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
    #: project id -> workspace name -> workspace id, for every workspace of ``workspaces``
    #: (DELETING ones too: their names stay taken): a name check without a scan
    workspace_names: dict[str, dict[str, str]] = field(default_factory=dict)
    #: (project id, workspace id) of the DELETING workspaces with a deadline: all _purge()
    #: has to look at, so calls do not scan every workspace
    deleting: set[tuple[str, str]] = field(default_factory=set)
    #: bumped on every change to the workspaces (added, removed, renamed, new update_time or
    #: status): list_workspaces' cached sort orders hold for one revision
    revision: int = 0


@dataclass(frozen=True)
class Caller:
    """Who is calling, and the project the credentials are scoped to (None: any of the account)."""

    user: User
    account: Account
    project_id: str | None
    method: str  # "token" or "aksk"
    has_project_scope: bool = True


@dataclass
class ListQuery:
    offset: int = 0
    limit: int = 1000
    sort_by: str = "name"
    order: str = "desc"
    enterprise_project_id: str | None = None
    name: str | None = None
    filter_accessible: bool = False


@dataclass
class GrantInput:
    user_id: str | None
    user_name: str | None
    user_type: str | None


@dataclass
class WorkspaceInput:
    """Create or update body; ``None`` means "not given"."""

    name: str | None = None
    description: str | None = None
    enterprise_project_id: str | None = None
    auth_type: str | None = None
    grants: list[GrantInput] | None = None


@dataclass
class AuthCheck:
    action_id: str
    action: str
    resource: str | None


def _clone_user(user: User) -> User:
    copied = shallow_copy(user)
    copied.access_keys = user.access_keys.copy()  # AccessKeys are frozen
    copied.denied_actions = user.denied_actions.copy()
    return copied


def _clone_workspace(workspace: Workspace) -> Workspace:
    copied = shallow_copy(workspace)
    # the grants tuple and the frozen QuotaStates are shared
    copied.quotas = workspace.quotas.copy()
    return copied


_USER_FIELDS = ("id", "name", "password", "account", "primary", "enabled", "access_keys", "denied_actions")
_WORKSPACE_FIELDS = ("project", "id", "name", "description", "owner", "auth_type", "grants", "enterprise_project_id",
                     "create_time", "update_time", "status", "status_info", "quotas", "delete_complete_time")


class ModelArtsBackend:
    """IAM (accounts, users, keys, projects) and the ModelArts workspaces of each project."""

    name = "modelarts"
    data: ModelArtsData

    def __init__(self, state: State) -> None:
        self.state = state
        #: (project id, sort key) -> (the data, its revision, the project's workspaces sorted
        #: ascending): a page of the list is then a slice, not a sort of the whole project
        self._orders: dict[tuple[str, str], tuple[Any, int, list[Workspace]]] = {}

    # == scenario documents ==========================================================
    def empty(self) -> ModelArtsData:
        return ModelArtsData()

    def merge(self, data: ModelArtsData, section: Any, path: str) -> None:
        fields = Fields(section, path, known=("settings", "accounts", "users", "projects", "enterprise_projects",
                                              "workspaces", "next_workspace_seq"))
        self._merge_settings(data, fields.obj("settings", known=Settings.FIELDS))
        for item in fields.objects("accounts", known=("id", "name")):
            name = item.str("name", required=True, nullable=False)
            if any(account.name == name for account in data.accounts.values()):
                raise FieldError(item.at("name"), f"duplicate account name '{name}'")
            account_id = item.str("id") or _hex_id("modelarts-account", name)
            if account_id in data.accounts:
                raise FieldError(item.at("id"), f"duplicate account id '{account_id}'")
            data.accounts[account_id] = Account(id=account_id, name=name)
        for item in fields.objects("users", known=_USER_FIELDS):
            self._merge_user(data, item)
        for item in fields.objects("projects", known=("id", "name", "account")):
            self._merge_project(data, item)
        for item in fields.objects("enterprise_projects", known=("id", "name")):
            eps_id = item.str("id", required=True, nullable=False)
            if eps_id in data.enterprise_projects and eps_id != DEFAULT_ENTERPRISE_PROJECT[0]:
                raise FieldError(item.at("id"), f"duplicate enterprise project id '{eps_id}'")
            data.enterprise_projects[eps_id] = item.str("name", required=True, nullable=False)
        data.next_workspace_seq = max(data.next_workspace_seq, fields.int("next_workspace_seq", default=1, minimum=1))
        for item in fields.objects("workspaces", known=_WORKSPACE_FIELDS):
            self._merge_workspace(data, item)
        for project in data.projects.values():
            self._ensure_default_workspace(data, project)

    @staticmethod
    def _merge_settings(data: ModelArtsData, settings: Fields | None) -> None:
        if settings is None:
            return
        s = data.settings
        s.token_lifetime_seconds = settings.int("token_lifetime_seconds", default=s.token_lifetime_seconds, minimum=1)
        s.signature_max_skew_seconds = settings.int("signature_max_skew_seconds",
                                                    default=s.signature_max_skew_seconds, minimum=0)
        delay = settings.number("delete_delay_seconds", default=s.delete_delay_seconds)
        if delay < 0:
            raise FieldError(settings.at("delete_delay_seconds"), f"must be at least 0, got {delay}")
        s.delete_delay_seconds = delay
        key = settings.str("token_signing_key", default=s.token_signing_key)
        if not key:
            raise FieldError(settings.at("token_signing_key"), "must not be empty")
        s.token_signing_key = key
        case = settings.str("auth_type_case", default=s.auth_type_case)
        if case not in ("lower", "upper"):
            raise FieldError(settings.at("auth_type_case"), f"expected 'lower' or 'upper', got '{case}'")
        s.auth_type_case = case
        s.allow_cjk_names = settings.bool("allow_cjk_names", default=s.allow_cjk_names)
        if "max_workspaces_per_project" in settings:
            s.max_workspaces_per_project = settings.int("max_workspaces_per_project", minimum=1)

    @staticmethod
    def _account_ref(data: ModelArtsData, item: Fields, key: str) -> Account:
        ref = item.str(key, required=True, nullable=False)
        account = data.accounts.get(ref) or next((a for a in data.accounts.values() if a.name == ref), None)
        if account is None:
            raise FieldError(item.at(key), f"no account with the id or name '{ref}'")
        return account

    def _merge_user(self, data: ModelArtsData, item: Fields) -> User:
        """Validate one scenario user, then add it (nothing changes unless it is valid)."""
        name = item.str("name", required=True, nullable=False)
        account = self._account_ref(data, item, "account")
        if any(u.name == name and u.account_id == account.id for u in data.users.values()):
            raise FieldError(item.at("name"), f"duplicate user name '{name}' in the account '{account.name}'")
        user_id = item.str("id") or _hex_id("modelarts-user", account.id, name)
        if user_id in data.users:
            raise FieldError(item.at("id"), f"duplicate user id '{user_id}'")
        primary = item.bool("primary", default=False)
        if primary and any(u.primary and u.account_id == account.id for u in data.users.values()):
            raise FieldError(item.at("primary"), f"the account '{account.name}' already has a primary user")
        keys: list[AccessKey] = []
        for key_item in item.objects("access_keys", known=("access_key", "secret_key")):
            access_key = key_item.str("access_key", required=True, nullable=False)
            secret_key = key_item.str("secret_key", required=True, nullable=False)
            if not access_key or not secret_key:
                raise FieldError(key_item.path, "access_key and secret_key must not be empty")
            if access_key in data.access_keys or any(k.access_key == access_key for k in keys):
                raise FieldError(key_item.at("access_key"), f"duplicate access key '{access_key}'")
            keys.append(AccessKey(access_key, secret_key))
        user = User(id=user_id, name=name, password=item.str("password", default=name), account_id=account.id,
                    primary=primary, enabled=item.bool("enabled", default=True), access_keys=keys,
                    denied_actions=list(item.str_list("denied_actions", default=[])))  # not the document's list
        data.users[user.id] = user
        for key in keys:
            data.access_keys[key.access_key] = user.id
        return user

    @staticmethod
    def _merge_project(data: ModelArtsData, item: Fields) -> Project:
        """Validate one scenario project, then add it (nothing changes unless it is valid)."""
        name = item.str("name", required=True, nullable=False)
        account = ModelArtsBackend._account_ref(data, item, "account")
        if any(p.name == name and p.account_id == account.id for p in data.projects.values()):
            raise FieldError(item.at("name"), f"duplicate project name '{name}' in the account '{account.name}'")
        project_id = item.str("id") or _hex_id("modelarts-project", account.id, name)
        if not project_id or "/" in project_id or project_id == "api":
            raise FieldError(item.at("id"), f"'{project_id}' cannot be a project id (it is a URL path segment)")
        if project_id in data.projects:
            raise FieldError(item.at("id"), f"duplicate project id '{project_id}'")
        data.projects[project_id] = Project(id=project_id, name=name, account_id=account.id)
        data.workspaces.setdefault(project_id, {})
        data.workspace_names.setdefault(project_id, {})
        return data.projects[project_id]

    def _merge_workspace(self, data: ModelArtsData, item: Fields) -> Workspace:
        """Validate one scenario workspace, then add it: nothing changes unless it is valid
        (the Python helpers rely on it to add items without copying the store)."""
        ref = item.str("project", required=True, nullable=False)
        project = data.projects.get(ref)
        if project is None:
            named = [p for p in data.projects.values() if p.name == ref]
            if len(named) != 1:
                raise FieldError(item.at("project"), f"no project with the id '{ref}'" if not named else
                                 f"several projects are named '{ref}'; use the project id")
            project = named[0]
        workspaces = data.workspaces.get(project.id, {})
        account = data.accounts[project.account_id]
        workspace_id = item.str("id")
        next_seq = data.next_workspace_seq
        if workspace_id is None:
            workspace_id, next_seq = self._free_workspace_id(data)
        if not workspace_id or "/" in workspace_id:
            raise FieldError(item.at("id"), f"'{workspace_id}' cannot be a workspace id")
        if workspace_id in workspaces:
            raise FieldError(item.at("id"), f"duplicate workspace id '{workspace_id}' in the project '{project.id}'")
        name = item.str("name", default=DEFAULT_WORKSPACE_NAME if workspace_id == DEFAULT_WORKSPACE_ID else None)
        if name is None:
            raise FieldError(item.at("name"), "missing required field")
        if (workspace_id == DEFAULT_WORKSPACE_ID) != (name == DEFAULT_WORKSPACE_NAME):
            raise FieldError(item.at("name"), f"the workspace '{DEFAULT_WORKSPACE_ID}' and only it is named "
                             f"'{DEFAULT_WORKSPACE_NAME}'")
        if name in data.workspace_names.get(project.id, ()):
            raise FieldError(item.at("name"), f"duplicate workspace name '{name}' in the project '{project.id}'")
        auth_type = item.str("auth_type", default="PUBLIC").upper()
        if auth_type not in AUTH_TYPES:
            raise FieldError(item.at("auth_type"), f"expected one of {', '.join(AUTH_TYPES)}, got '{auth_type}'")
        grants: list[Grant] = []
        for grant_item in item.objects("grants", known=("user_id", "user_name", "user_type")):
            grant_input = GrantInput(grant_item.str("user_id"), grant_item.str("user_name"),
                                     grant_item.str("user_type"))
            try:
                grants.append(self._resolve_grant(data, account, grant_input, len(grants)))
            except errors.ModelArtsError as error:
                raise FieldError(grant_item.path, error.description) from None
        eps_id = item.str("enterprise_project_id", default=DEFAULT_ENTERPRISE_PROJECT[0])
        if eps_id not in data.enterprise_projects:
            raise FieldError(item.at("enterprise_project_id"), f"no enterprise project with the id '{eps_id}'")
        status = item.str("status", default="NORMAL")
        if status not in STATUSES:
            raise FieldError(item.at("status"), f"expected one of {', '.join(STATUSES)}, got '{status}'")
        create_time = item.int("create_time", default=SCENARIO_EPOCH_MS, minimum=0)
        delete_complete_time = item.int("delete_complete_time", minimum=0)
        if delete_complete_time is not None and status != "DELETING":
            raise FieldError(item.at("delete_complete_time"), "only a DELETING workspace has a delete_complete_time")
        primary = self._primary_user(data, account.id)
        workspace = Workspace(
            project_id=project.id, id=workspace_id, name=name, description=item.str("description", default=""),
            owner=item.str("owner", default=primary.name if primary else ""), auth_type=auth_type, grants=tuple(grants),
            enterprise_project_id=eps_id, create_time=create_time,
            update_time=item.int("update_time", default=create_time, minimum=0), status=status,
            status_info=item.str("status_info", default=""), delete_complete_time=delete_complete_time)
        workspace.quotas = default_quotas()
        for quota_item in item.objects("quotas", known=("resource", "quota", "used_quota", "update_time")):
            resource = quota_item.str("resource", required=True, nullable=False)
            entry = BY_RESOURCE.get(resource)
            if entry is None:
                raise FieldError(quota_item.at("resource"), f"unknown quota resource '{resource}'; expected one of: "
                                 f"{', '.join(BY_RESOURCE)}")
            value = quota_item.int("quota", default=UNLIMITED)
            if not entry.accepts(value):
                raise FieldError(quota_item.at("quota"), f"must be -1 or from {max(entry.min_quota, 1)} to "
                                 f"{entry.max_quota}, got {value}")
            workspace.quotas[resource] = QuotaState(
                resource, quota=value, used_quota=quota_item.int("used_quota", default=0, minimum=0),
                update_time=quota_item.int("update_time", minimum=0))
        # everything is checked: from here on nothing fails
        data.next_workspace_seq = next_seq
        self._add_workspace(data, workspace)
        if status == "DELETING" and delete_complete_time is not None:
            data.deleting.add((project.id, workspace.id))
        return workspace

    def _ensure_default_workspace(self, data: ModelArtsData, project: Project) -> None:
        workspaces = data.workspaces.setdefault(project.id, {})
        if DEFAULT_WORKSPACE_ID in workspaces:
            return
        primary = self._primary_user(data, project.account_id)
        default = Workspace(project_id=project.id, id=DEFAULT_WORKSPACE_ID, name=DEFAULT_WORKSPACE_NAME,
                            owner=primary.name if primary else "")
        default.quotas = default_quotas()
        self._add_workspace(data, default)
        # the default workspace comes first, as it exists before any other
        data.workspaces[project.id] = {DEFAULT_WORKSPACE_ID: default, **workspaces}

    @staticmethod
    def _add_workspace(data: ModelArtsData, workspace: Workspace) -> None:
        """Store a new workspace (its name must be free in its project) and index its name."""
        data.workspaces.setdefault(workspace.project_id, {})[workspace.id] = workspace
        data.workspace_names.setdefault(workspace.project_id, {})[workspace.name] = workspace.id
        data.revision += 1

    @staticmethod
    def _remove_workspace(data: ModelArtsData, workspace: Workspace) -> None:
        """Drop a workspace for good, with its name and its pending deletion."""
        del data.workspaces[workspace.project_id][workspace.id]
        names = data.workspace_names.get(workspace.project_id, {})
        if names.get(workspace.name) == workspace.id:
            del names[workspace.name]
        data.deleting.discard((workspace.project_id, workspace.id))
        data.revision += 1

    @staticmethod
    def _name_taken(data: ModelArtsData, project_id: str, name: str) -> bool:
        return name in data.workspace_names.get(project_id, ())

    def export(self, data: ModelArtsData) -> dict[str, Any]:
        s = data.settings
        accounts = {account.id: account for account in data.accounts.values()}
        now_ms = self.state.clock.now_ms()
        workspaces = []
        for project_workspaces in data.workspaces.values():
            for workspace in project_workspaces.values():
                if self._is_gone(workspace, now_ms):
                    continue
                workspaces.append(self._export_workspace(workspace))
        return {
            "settings": {name: getattr(s, name) for name in Settings.FIELDS},
            "accounts": [account.export() for account in data.accounts.values()],
            "users": [self._export_user(u, accounts[u.account_id]) for u in data.users.values()],
            "projects": [{"id": p.id, "name": p.name, "account": accounts[p.account_id].name}
                         for p in data.projects.values()],
            "enterprise_projects": [{"id": eps_id, "name": name} for eps_id, name in data.enterprise_projects.items()],
            "workspaces": workspaces,
            "next_workspace_seq": data.next_workspace_seq,
        }

    @staticmethod
    def _export_user(u: User, account: Account) -> dict[str, Any]:
        return {"id": u.id, "name": u.name, "password": u.password, "account": account.name,
                "primary": u.primary, "enabled": u.enabled,
                "access_keys": [{"access_key": k.access_key, "secret_key": k.secret_key} for k in u.access_keys],
                "denied_actions": list(u.denied_actions)}

    def clone(self, data: ModelArtsData) -> ModelArtsData:
        """An independent copy of ``data`` (the store's reset, load and import use it).

        Each container and each mutable object (settings, users, workspaces) is copied
        once; frozen records and plain values are shared. About 1 µs per workspace, where
        ``copy.deepcopy`` took about 100. tests/test_state_clone.py checks that every field of
        every dataclass here is either copied or immutable.
        """
        copied = shallow_copy(data)
        copied.settings = shallow_copy(data.settings)
        copied.accounts = data.accounts.copy()
        copied.users = {user_id: _clone_user(user) for user_id, user in data.users.items()}
        copied.projects = data.projects.copy()
        copied.enterprise_projects = data.enterprise_projects.copy()
        copied.workspaces = {project_id: {workspace_id: _clone_workspace(workspace)
                                          for workspace_id, workspace in table.items()}
                             for project_id, table in data.workspaces.items()}
        copied.access_keys = data.access_keys.copy()
        copied.workspace_names = {project_id: names.copy() for project_id, names in data.workspace_names.items()}
        copied.deleting = data.deleting.copy()
        return copied

    @staticmethod
    def _export_workspace(w: Workspace) -> dict[str, Any]:
        item: dict[str, Any] = {
            "project": w.project_id, "id": w.id, "name": w.name, "description": w.description, "owner": w.owner,
            "auth_type": w.auth_type, "grants": [g.export() for g in w.grants],
            "enterprise_project_id": w.enterprise_project_id, "create_time": w.create_time,
            "update_time": w.update_time, "status": w.status, "status_info": w.status_info,
            "quotas": [{"resource": q.resource, "quota": q.quota, "used_quota": q.used_quota,
                        "update_time": q.update_time} for q in w.quotas.values()],
        }
        if w.delete_complete_time is not None:
            item["delete_complete_time"] = w.delete_complete_time
        return item

    # == helpers (call with the lock held) ===========================================
    @staticmethod
    def _primary_user(data: ModelArtsData, account_id: str) -> User | None:
        return next((u for u in data.users.values() if u.account_id == account_id and u.primary), None)

    @staticmethod
    def _new_workspace_id(data: ModelArtsData) -> str:
        """Deterministic ids (the same sequence after each reset), skipping ids already taken."""
        workspace_id, data.next_workspace_seq = ModelArtsBackend._free_workspace_id(data)
        return workspace_id

    @staticmethod
    def _free_workspace_id(data: ModelArtsData) -> tuple[str, int]:
        """The next free id of the sequence and the sequence number after it (nothing changed)."""
        seq = data.next_workspace_seq
        while True:
            workspace_id = _hex_id("modelarts-workspace", seq)
            seq += 1
            # a lookup per project, not a set of every id of the store built per call
            if not any(workspace_id in workspaces for workspaces in data.workspaces.values()):
                return workspace_id, seq

    @staticmethod
    def _resolve_grant(data: ModelArtsData, account: Account, grant: GrantInput, index: int) -> Grant:
        """A grant as stored: user_id wins over user_name; IAM users must exist in the account."""
        user_type = (grant.user_type or "IAM").upper()
        if user_type not in USER_TYPES:
            raise errors.InvalidGrant(index, f"user_type {grant.user_type} is invalid. Valid values: "
                                      f"{', '.join(USER_TYPES)}.")
        if not grant.user_id and not grant.user_name:
            raise errors.InvalidGrant(index, "either user_id or user_name is required.")
        if user_type != "IAM":
            # federated and agency users are not IAM users of the account: kept as given
            return Grant(user_id=grant.user_id or "", user_name=grant.user_name or "", user_type=user_type)
        members = [u for u in data.users.values() if u.account_id == account.id]
        if grant.user_id:
            user = next((u for u in members if u.id == grant.user_id), None)
            if user is None:
                raise errors.InvalidGrant(index, f"the IAM user with the id {grant.user_id} does not exist.")
        else:
            user = next((u for u in members if u.name == grant.user_name), None)
            if user is None:
                raise errors.InvalidGrant(index, f"the IAM user {grant.user_name} does not exist.")
        return Grant(user_id=user.id, user_name=user.name, user_type="IAM")

    @staticmethod
    def _is_gone(workspace: Workspace, now_ms: int) -> bool:
        return (workspace.status == "DELETING" and workspace.delete_complete_time is not None
                and workspace.delete_complete_time <= now_ms)

    def _purge(self) -> None:
        """Finish the deletions whose delay has passed (lazily, on the next call)."""
        data = self.data
        if not data.deleting:
            return
        now_ms = self._now_ms()
        for project_id, workspace_id in sorted(data.deleting):
            workspace = data.workspaces.get(project_id, {}).get(workspace_id)
            if workspace is None or workspace.status != "DELETING" or workspace.delete_complete_time is None:
                data.deleting.discard((project_id, workspace_id))
            elif self._is_gone(workspace, now_ms):
                self._remove_workspace(data, workspace)

    def _ordered(self, project_id: str, sort_by: str) -> list[Workspace]:
        """The project's workspaces in ascending (sort key, name, id) order, sorted once per revision.

        Ids are unique, so the descending order is exactly this one reversed.
        """
        data = self.data
        table = data.workspaces.get(project_id, {})
        cached = self._orders.get((project_id, sort_by))
        if cached is not None and cached[0]() is data and cached[1] == data.revision and len(cached[2]) == len(table):
            return cached[2]
        if sort_by == "update_time":
            ordered = sorted(table.values(), key=lambda w: (w.update_time, w.name, w.id))
        elif sort_by == "status":
            ordered = sorted(table.values(), key=lambda w: (w.status, w.name, w.id))
        else:
            ordered = sorted(table.values(), key=lambda w: (w.name, w.name, w.id))
        self._orders[(project_id, sort_by)] = (weakref.ref(data), data.revision, ordered)
        return ordered

    def _now_ms(self) -> int:
        return self.state.clock.now_ms()

    def _auth_type_out(self, auth_type: str) -> str:
        return auth_type.lower() if self.data.settings.auth_type_case == "lower" else auth_type.upper()

    def _can_access(self, user: User, workspace: Workspace) -> bool:
        if workspace.auth_type == "PUBLIC" or user.primary or user.name == workspace.owner:
            return True
        if workspace.auth_type == "INTERNAL":
            return any(g.user_type == "IAM" and g.user_id == user.id for g in workspace.grants)
        return False

    def _workspace(self, project_id: str, workspace_id: str) -> Workspace:
        workspace = self.data.workspaces.get(project_id, {}).get(workspace_id)
        if workspace is None:
            raise errors.WorkspaceNotFound(workspace_id)
        return workspace

    def _accessible_workspace(self, caller: Caller, project_id: str, workspace_id: str, action: str) -> Workspace:
        self._check_policy(caller, action)
        workspace = self._workspace(project_id, workspace_id)
        if not self._can_access(caller.user, workspace):
            raise errors.NotAuthorized(action)
        return workspace

    @staticmethod
    def _check_policy(caller: Caller, action: str) -> None:
        if caller.user.denies(action):
            raise errors.NotAuthorized(action)

    def _item(self, w: Workspace, *, grants: str | None = None) -> dict[str, Any]:
        """The workspace object; ``grants``: None (list items), "create" or "show"."""
        body: dict[str, Any] = {
            "id": w.id, "name": w.name, "description": w.description, "owner": w.owner,
            "create_time": w.create_time, "update_time": w.update_time,
            "enterprise_project_id": w.enterprise_project_id,
            "enterprise_project_name": self.data.enterprise_projects.get(w.enterprise_project_id, ""),
            "auth_type": self._auth_type_out(w.auth_type), "status": w.status, "status_info": w.status_info,
        }
        if grants == "create":
            body["grants"] = [{"user_id": g.user_id, "user_name": g.user_name} for g in w.grants]
        elif grants == "show":
            body["grants"] = [g.export() for g in w.grants]
        return body

    def _quota_item(self, w: Workspace, entry: Any, *, with_used: bool) -> dict[str, Any]:
        state = w.quotas.get(entry.resource) or QuotaState(entry.resource)
        body: dict[str, Any] = {
            "name_en": entry.name_en, "name_cn": entry.name_cn, "resource": entry.resource, "quota": state.quota,
            "min_quota": entry.min_quota, "max_quota": entry.max_quota, "unit_en": entry.unit_en,
            "unit_cn": entry.unit_cn,
            "update_time": state.update_time if state.update_time is not None else w.create_time,
        }
        if with_used:
            body["used_quota"] = None if state.quota == UNLIMITED else state.used_quota
        return body

    def _check_name(self, name: str) -> None:
        cjk = self.data.settings.allow_cjk_names
        if not (_NAME_CJK if cjk else _NAME).match(name):
            raise errors.InvalidWorkspaceName(name, cjk=cjk)
        if name == DEFAULT_WORKSPACE_NAME:
            raise errors.ReservedWorkspaceName(name)

    @staticmethod
    def _check_description(description: str) -> None:
        if len(description) > 256:
            raise errors.DescriptionTooLong(len(description))

    @staticmethod
    def _check_auth_type(auth_type: str) -> str:
        upper = auth_type.upper()
        if upper not in AUTH_TYPES:
            raise errors.InvalidAuthType(auth_type)
        return upper

    # == IAM: tokens, keys, projects ===================================================
    def _account_of(self, user: User) -> Account:
        return self.data.accounts[user.account_id]

    def _find_user(self, name: str, account: Account | None = None) -> User | None:
        for user in self.data.users.values():
            if user.name == name and (account is None or user.account_id == account.id):
                return user
        return None

    def _find_account(self, *, account_id: str | None, name: str | None) -> Account | None:
        if account_id is not None:
            return self.data.accounts.get(account_id)
        return next((a for a in self.data.accounts.values() if a.name == name), None)

    def _issue(self, user: User, project: Project | None, *, methods: list[str] | None = None,
               scope: str = "project") -> tuple[str, dict[str, Any]]:
        now = self.state.clock.now()
        expires = now + self.data.settings.token_lifetime_seconds
        claims: dict[str, Any] = {"u": user.id, "d": user.account_id, "p": project.id if project else None,
                                  "s": scope, "iat": round(now, 6), "exp": round(expires, 6),
                                  "m": methods or ["password"]}
        return tokens.encode(claims, self.data.settings.token_signing_key), claims

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
            token, claims = self._issue(user, project, scope=scope)
            return token, self._token_body(user, account, project, claims, base_url=base_url, nocatalog=nocatalog)

    def _token_body(self, user: User, account: Account, project: Project | None, claims: dict[str, Any], *,
                    base_url: str, nocatalog: bool) -> dict[str, Any]:
        domain = {"id": account.id, "name": account.name}
        token: dict[str, Any] = {"expires_at": iso_time(claims["exp"]), "methods": list(claims["m"])}
        if not nocatalog and claims["s"] != "unscoped":
            region = project.name if project else "*"
            token["catalog"] = [
                {"endpoints": [{"id": _hex_id("endpoint", "iam", region), "interface": "public", "region": region,
                                "region_id": region, "url": f"{base_url}/v3"}],
                 "id": _hex_id("service", "iam"), "name": "iam", "type": "identity"},
                {"endpoints": [{"id": _hex_id("endpoint", "modelarts", region), "interface": "public",
                                "region": region, "region_id": region,
                                "url": f"{base_url}/v1/{project.id}" if project else f"{base_url}/v1"}],
                 "id": _hex_id("service", "modelarts"), "name": "modelarts", "type": "modelarts"},
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
            claims = tokens.decode(token, self.data.settings.token_signing_key)
        except tokens.TokenError:
            raise errors.TokenUndecodable() from None
        user = self.data.users.get(str(claims.get("u")))
        exp = claims.get("exp")
        if user is None or not user.enabled or not isinstance(exp, (int, float)):
            raise errors.TokenUndecodable()
        if exp <= self.state.clock.now():
            raise errors.TokenExpired(iso_time(exp))
        project_id = claims.get("p")
        return Caller(user=user, account=self._account_of(user), project_id=project_id, method="token",
                      has_project_scope=project_id is not None)

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

    def list_projects(self, caller: Caller, *, name: str | None, domain_id: str | None, enabled: bool | None,
                      base_url: str) -> list[dict[str, Any]]:
        """``GET /v3/projects``: the projects of the caller's account (Keystone's list)."""
        with self.state.lock:
            projects = []
            for project in self.data.projects.values():
                if project.account_id != caller.account.id:
                    continue
                if name is not None and project.name != name:
                    continue
                if domain_id is not None and project.account_id != domain_id:
                    continue
                if enabled is False:
                    continue
                projects.append({"is_domain": False, "description": "", "links": {
                    "self": f"{base_url}/v3/projects/{project.id}"}, "enabled": True, "id": project.id,
                    "parent_id": project.account_id, "domain_id": project.account_id, "name": project.name})
            return projects

    # == workspaces =====================================================================
    def list_workspaces(self, caller: Caller, project_id: str, query: ListQuery) -> dict[str, Any]:
        with self.state.lock:
            self._check_policy(caller, ACTION_LIST)
            self._purge()
            if query.sort_by not in SORT_KEYS:
                raise errors.InvalidQueryParameter("sort_by", query.sort_by, "Valid values: name, update_time, "
                                                   "status.")
            if query.order not in ORDERS:
                raise errors.InvalidQueryParameter("order", query.order, "Valid values: asc, desc.")
            ordered = self._ordered(project_id, query.sort_by)
            descending = query.order == "desc"
            start = query.offset * query.limit  # offset is a page number (docs/modelarts.md)
            if query.enterprise_project_id is not None or query.name or query.filter_accessible:
                needle = (query.name or "").lower()
                selected = [w for w in (reversed(ordered) if descending else ordered)
                            if (query.enterprise_project_id is None
                                or w.enterprise_project_id == query.enterprise_project_id)
                            and (not needle or needle in w.name.lower())
                            and (not query.filter_accessible or self._can_access(caller.user, w))]
                total, page = len(selected), selected[start:start + query.limit]
            else:  # a slice of the cached order: no work in proportion to the project
                total = len(ordered)
                if descending:
                    stop = max(0, total - start)
                    page = ordered[max(0, stop - query.limit):stop][::-1]
                else:
                    page = ordered[start:start + query.limit]
            return {"total_count": total, "count": len(page), "workspaces": [self._item(w) for w in page]}

    def create_workspace(self, caller: Caller, project_id: str, body: WorkspaceInput) -> dict[str, Any]:
        with self.state.lock:
            self._check_policy(caller, ACTION_CREATE)
            self._purge()
            if body.name is None:
                raise errors.MissingParameter("name")
            self._check_name(body.name)
            description = body.description or ""
            self._check_description(description)
            auth_type = self._check_auth_type(body.auth_type) if body.auth_type is not None else "PUBLIC"
            grants = self._check_grants(caller, auth_type, body.grants)
            eps_id = body.enterprise_project_id if body.enterprise_project_id is not None else "0"
            if eps_id not in self.data.enterprise_projects:
                raise errors.UnknownEnterpriseProject(eps_id)
            if self._name_taken(self.data, project_id, body.name):
                raise errors.DuplicateWorkspaceName(body.name)
            limit = self.data.settings.max_workspaces_per_project
            if limit is not None and len(self.data.workspaces.get(project_id, ())) >= limit:
                raise errors.WorkspaceLimit(limit)
            now = self._now_ms()
            workspace = Workspace(project_id=project_id, id=self._new_workspace_id(self.data), name=body.name,
                                  description=description, owner=caller.user.name, auth_type=auth_type,
                                  grants=tuple(grants), enterprise_project_id=eps_id, create_time=now,
                                  update_time=now)
            workspace.quotas = default_quotas()
            self._add_workspace(self.data, workspace)
            return self._item(workspace, grants="create")

    def _check_grants(self, caller: Caller, auth_type: str, grants: list[GrantInput] | None) -> list[Grant]:
        if grants and auth_type != "INTERNAL":
            raise errors.GrantsRequireInternal()
        if auth_type == "INTERNAL" and not grants:
            raise errors.InternalRequiresGrants()
        resolved: list[Grant] = []
        for index, grant in enumerate(grants or []):
            item = self._resolve_grant(self.data, caller.account, grant, index)
            if not any(g.user_id == item.user_id and g.user_name == item.user_name for g in resolved):
                resolved.append(item)
        return resolved

    def show_workspace(self, caller: Caller, project_id: str, workspace_id: str) -> dict[str, Any]:
        with self.state.lock:
            self._purge()
            return self._item(self._accessible_workspace(caller, project_id, workspace_id, ACTION_GET), grants="show")

    def update_workspace(self, caller: Caller, project_id: str, workspace_id: str,
                         body: WorkspaceInput) -> dict[str, Any]:
        with self.state.lock:
            self._purge()
            workspace = self._accessible_workspace(caller, project_id, workspace_id, ACTION_UPDATE)
            if workspace.status != "NORMAL":
                raise errors.WorkspaceAbnormal(workspace.id, "update")
            name = workspace.name
            if body.name is not None and body.name != workspace.name:
                if workspace.is_default:
                    raise errors.DefaultWorkspaceForbidden()
                self._check_name(body.name)
                if self._name_taken(self.data, project_id, body.name):
                    raise errors.DuplicateWorkspaceName(body.name)
                name = body.name
            description = workspace.description
            if body.description is not None:
                self._check_description(body.description)
                description = body.description
            auth_type = self._check_auth_type(body.auth_type) if body.auth_type is not None else workspace.auth_type
            if body.grants is not None:
                grants = self._check_grants(caller, auth_type, body.grants)
            elif auth_type == "INTERNAL":
                grants = list(workspace.grants)
                if not grants:
                    raise errors.InternalRequiresGrants()
            else:
                grants = []  # grants only apply to INTERNAL workspaces: leaving INTERNAL drops them
            if name != workspace.name:
                names = self.data.workspace_names[project_id]
                del names[workspace.name]
                names[name] = workspace.id
            workspace.name, workspace.description, workspace.auth_type = name, description, auth_type
            workspace.grants = tuple(grants)
            workspace.update_time = max(self._now_ms(), workspace.update_time)
            self.data.revision += 1
            return {"workspace_id": workspace.id}

    def delete_workspace(self, caller: Caller, project_id: str, workspace_id: str) -> dict[str, Any]:
        with self.state.lock:
            self._purge()
            workspace = self._accessible_workspace(caller, project_id, workspace_id, ACTION_DELETE)
            if workspace.is_default:
                raise errors.DefaultWorkspaceForbidden()
            if workspace.status == "DELETING":
                raise errors.WorkspaceAbnormal(workspace.id, "delete")
            delay = self.data.settings.delete_delay_seconds
            if delay <= 0:
                self._remove_workspace(self.data, workspace)
            else:
                now = self._now_ms()
                workspace.status, workspace.status_info = "DELETING", ""
                workspace.update_time = max(now, workspace.update_time)
                workspace.delete_complete_time = now + int(delay * 1000)
                self.data.deleting.add((project_id, workspace.id))
                self.data.revision += 1
            return {"workspace_id": workspace.id}

    # == quotas ===========================================================================
    def show_quotas(self, caller: Caller, project_id: str, workspace_id: str) -> dict[str, Any]:
        with self.state.lock:
            self._purge()
            workspace = self._accessible_workspace(caller, project_id, workspace_id, ACTION_GET_QUOTAS)
            return {"quotas": [self._quota_item(workspace, entry, with_used=True) for entry in CATALOGUE]}

    def update_quotas(self, caller: Caller, project_id: str, workspace_id: str,
                      changes: list[tuple[str, int]]) -> dict[str, Any]:
        with self.state.lock:
            self._purge()
            workspace = self._accessible_workspace(caller, project_id, workspace_id, ACTION_UPDATE_QUOTAS)
            if workspace.status != "NORMAL":
                raise errors.WorkspaceAbnormal(workspace.id, "updateQuotas")
            seen: set[str] = set()
            for resource, value in changes:
                entry = BY_RESOURCE.get(resource)
                if entry is None:
                    raise errors.UnknownQuotaResource(resource)
                if resource in seen:
                    raise errors.DuplicateQuotaResource(resource)
                seen.add(resource)
                if not entry.accepts(value):
                    raise errors.InvalidQuotaValue(resource, value, entry.min_quota, entry.max_quota)
            now = self._now_ms()
            for resource, value in changes:
                state = workspace.quotas.get(resource) or QuotaState(resource)
                workspace.quotas[resource] = dataclasses.replace(state, quota=value, update_time=now)
            return {"quotas": [self._quota_item(workspace, BY_RESOURCE[resource], with_used=False)
                               for resource, _ in changes]}

    def set_used_quota(self, project_id: str, workspace_id: str, resource: str, used: int) -> None:
        """Python helper: pretend resources were consumed (``used_quota`` of a limited quota)."""
        with self.state.lock:
            workspace = self._workspace(project_id, workspace_id)
            if resource not in BY_RESOURCE:
                raise KeyError(f"unknown quota resource {resource!r}")
            state = workspace.quotas.get(resource) or QuotaState(resource)
            workspace.quotas[resource] = dataclasses.replace(state, used_quota=used)

    # == authorization check and IAM users ================================================
    def validate_authorization(self, caller: Caller, project_id: str, workspace_id: str,
                               checks: list[AuthCheck]) -> dict[str, Any]:
        """``POST .../workspaces/{id}/auth``: allow/deny per action for the caller in the workspace."""
        with self.state.lock:
            self._purge()
            workspace = self._workspace(project_id, workspace_id)
            for index, check in enumerate(checks):
                if not _ACTION.match(check.action):
                    raise errors.InvalidAction(index, check.action)
            results = []
            for check in checks:
                cause: list[dict[str, Any]] = []
                denied_by = next((p for p in caller.user.denied_actions if fnmatch.fnmatchcase(check.action, p)), None)
                if denied_by is not None:
                    cause.append({"policy_name": f"deny {denied_by}", "condition": []})
                elif check.action.startswith("modelarts:") and not self._can_access(caller.user, workspace):
                    cause.append({"policy_name": f"workspace {workspace.id} ({workspace.auth_type})",
                                  "condition": []})
                results.append({"action": check.action, "verdict": "deny" if cause else "allow",
                                "action_id": check.action_id, "resource": check.resource or "", "cause": cause})
            return {"results": results}

    def list_iam_users(self, caller: Caller, project_id: str) -> dict[str, Any]:
        """``GET .../workspaces/users/list``: the IAM users of the caller's account (grant candidates)."""
        with self.state.lock:
            if caller.user.denies(ACTION_LIST_IAM_USERS):
                raise errors.IamUserListForbidden()
            return {"users": [{"userName": u.name} for u in self.data.users.values()
                              if u.account_id == caller.account.id]}

    # == Python helpers (the pytest plugin, user code) ====================================
    def _scenario_item(self, kind: str, fields: dict[str, Any], known: tuple[str, ...]) -> Fields:
        """``fields`` read as the one item of a scenario's ``kind`` section (the same JSON paths
        in errors as a scenario file: ``modelarts.<kind>[0].<field>``)."""
        (item,) = Fields({kind: [fields]}, self.name).objects(kind, known=known)
        return item

    def add_user(self, **fields: Any) -> dict[str, Any]:
        """Add an IAM user as a scenario item would; returns the stored user (export form).

        Like the other ``add_*`` helpers it checks the item, then adds it to the live data:
        a rejected item (FieldError) changes nothing, and nothing is copied.
        """
        with self.state.lock:
            item = self._scenario_item("users", fields, _USER_FIELDS)
            user = self._merge_user(self.data, item)
            return self._export_user(user, self.data.accounts[user.account_id])

    def add_access_key(self, user_name: str, access_key: str | None = None,
                       secret_key: str | None = None) -> dict[str, str]:
        """Give an existing user one more AK/SK pair (generated deterministically if not given)."""
        with self.state.lock:
            user = self._find_user(user_name)
            if user is None:
                raise KeyError(f"no IAM user named {user_name!r}")
            if access_key is not None and access_key in self.data.access_keys:
                raise ValueError(f"the access key {access_key!r} already exists")
            seq = len(user.access_keys)
            while access_key is None or access_key in self.data.access_keys:
                access_key = hashlib.sha256(f"modelarts-ak:{user.id}:{seq}".encode()).hexdigest()[:20].upper()
                seq += 1
            secret_key = secret_key or hashlib.sha256(f"modelarts-sk:{access_key}".encode()).hexdigest()[:40]
            user.access_keys.append(AccessKey(access_key, secret_key))
            self.data.access_keys[access_key] = user.id
            return {"access_key": access_key, "secret_key": secret_key}

    def add_project(self, **fields: Any) -> dict[str, Any]:
        """Add a project (with its default workspace) as a scenario item would."""
        with self.state.lock:
            item = self._scenario_item("projects", fields, ("id", "name", "account"))
            project = self._merge_project(self.data, item)
            self._ensure_default_workspace(self.data, project)
            return {"id": project.id, "name": project.name, "account": self.data.accounts[project.account_id].name}

    def add_workspace(self, project_id: str, **fields: Any) -> dict[str, Any]:
        """Add a workspace as a scenario item would; returns it as ``show`` does (with grants)."""
        with self.state.lock:
            if project_id not in self.data.projects:
                raise KeyError(f"no project with the id {project_id!r}")
            item = self._scenario_item("workspaces", {"project": project_id, **fields}, _WORKSPACE_FIELDS)
            return self._item(self._merge_workspace(self.data, item), grants="show")

    def workspaces(self, project_id: str | None = None) -> list[dict[str, Any]]:
        """The workspaces of a project (default: the first one), as ``show`` returns them."""
        with self.state.lock:
            self._purge()
            project_id = project_id or next(iter(self.data.projects), None)
            return [self._item(w, grants="show") for w in self.data.workspaces.get(project_id or "", {}).values()]
