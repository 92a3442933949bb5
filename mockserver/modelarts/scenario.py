"""The ``modelarts`` section of scenario and state documents: merge, export, clone.

Merging checks each item before adding it, so a rejected item leaves ``data`` as it was
(the Python helpers add items to the live data this way, without copying the store).
"""

from __future__ import annotations

from dataclasses import fields as dataclass_fields
from typing import Any

from ..keys import UnusableKey, check_secret
from ..state import shallow_copy
from ..validation import ConflictError, FieldError, Fields, differences, look_alike_problem, normalize_name
from . import exceptions as errors
from .access import resolve_grant
from .quotas import BY_RESOURCE, UNLIMITED
from .records import (AUTH_TYPES, DEFAULT_ENTERPRISE_PROJECT, DEFAULT_WORKSPACE_ID, DEFAULT_WORKSPACE_NAME,
                      SCENARIO_EPOCH_MS, STATUSES, USER_FIELDS, WORKSPACE_FIELDS, AccessKey, Account, Grant, ModelArtsData, Project,
                      QuotaState, Settings, User, Workspace, add_workspace, clone_user, clone_workspace,
                      default_quotas, free_workspace_id, hex_id, in_creation_order, is_gone, primary_user, set_deleting,
                      table_of)


def merge(data: ModelArtsData, section: Any, path: str) -> None:
    fields = Fields(section, path, known=("settings", "accounts", "users", "projects", "enterprise_projects",
                                          "workspaces", "next_workspace_seq"))
    _merge_settings(data, fields.obj("settings", known=Settings.FIELDS))
    # ids given by this document: a record repeated within one document is a mistake, not a
    # repeat of another scenario's record
    here: set[tuple[str, str]] = set()
    for item in fields.objects("accounts", known=("id", "name")):
        name = _visible_name(item)
        account_id = item.str("id") or hex_id("modelarts-account", name)
        account = Account(id=account_id, name=name)
        if _repeats(data.accounts.get(account_id), account, item, "account", account_id, name, here):
            continue
        named = next((a for a in data.accounts.values() if a.name == name), None)
        if named is not None:
            raise ConflictError(item.at("name"), f"account name '{name}' is already defined{{by}} with other values: "
                                f"id: {named.id!r} before, {account_id!r} here", name)
        data.accounts[account_id] = account
    for item in fields.objects("users", known=USER_FIELDS):
        merge_user(data, item, here)
    for item in fields.objects("projects", known=("id", "name", "account")):
        merge_project(data, item, here)
    for item in fields.objects("enterprise_projects", known=("id", "name")):
        eps_id = item.str("id", required=True, nullable=False)
        eps_name = item.str("name", required=True, nullable=False)
        known_name = data.enterprise_projects.get(eps_id)
        if known_name is not None and known_name != eps_name and eps_id != DEFAULT_ENTERPRISE_PROJECT[0]:
            raise ConflictError(item.at("id"), f"enterprise project id '{eps_id}' is already defined{{by}} with other "
                                f"values: name: {known_name!r} before, {eps_name!r} here", eps_id)
        data.enterprise_projects[eps_id] = eps_name
    data.next_workspace_seq = max(data.next_workspace_seq, fields.int("next_workspace_seq", default=1, minimum=1))
    for item in fields.objects("workspaces", known=WORKSPACE_FIELDS):
        merge_workspace(data, item, here)
    for project in data.projects.values():
        ensure_default_workspace(data, project)


def _repeats(existing: Any, record: Any, item: Fields, kind: str, record_id: str, name: str,
             here: set[tuple[str, str]] | None, project: str = "") -> bool:
    """Whether ``record`` (of ``kind``, from ``item``) repeats ``existing``, the loaded record of
    its id: the same record in two scenarios, or a saved state on its scenario, is one record.
    One of other values is a :class:`ConflictError` saying what differs, and so is an id given
    twice in one document (``here``: the ``(kind, id)`` given by the document so far)."""
    given = "id" in item.value  # else the id derives from the name: the name is what was written
    path, key = (item.at("id"), record_id) if given else (item.at("name"), name)
    where = f" in the project '{project}'" if project else ""
    identity = (kind, f"{project}/{record_id}")  # a workspace id is unique in its project
    seen = here is not None and identity in here
    if here is not None:
        here.add(identity)
    if existing is None:
        return False
    if seen:
        raise ConflictError(path, f"duplicate {kind} {'id' if given else 'name'} '{key}'{where}{{by}}", key)
    if existing == record:
        return True
    names = [f.name for f in dataclass_fields(record) if f.compare]
    what = f"{kind} id '{record_id}' ({name})" if given else f"{kind} '{name}'"
    raise ConflictError(path, f"{what}{where} is already defined{{by}} with other values: "
                        f"{differences(existing, record, names)}", key)


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
    if key is not None:
        try:
            check_secret(key)
        except UnusableKey as error:
            raise FieldError(settings.at("token_signing_key"), str(error)) from None
    s.token_signing_key = key
    case = settings.str("auth_type_case", default=s.auth_type_case)
    if case not in ("lower", "upper"):
        raise FieldError(settings.at("auth_type_case"), f"expected 'lower' or 'upper', got '{case}'")
    s.auth_type_case = case
    s.allow_cjk_names = settings.bool("allow_cjk_names", default=s.allow_cjk_names)
    if "max_workspaces_per_project" in settings:
        s.max_workspaces_per_project = settings.int("max_workspaces_per_project", minimum=1)


def _account_ref(data: ModelArtsData, item: Fields, key: str) -> Account:
    ref = item.str(key, required=True, nullable=False)
    account = data.accounts.get(ref) or next((a for a in data.accounts.values() if a.name == ref), None)
    if account is None:
        raise FieldError(item.at(key), f"no account with the id or name '{ref}'")
    return account


def _visible_name(item: Fields) -> str:
    """An account or user name: NFC, with nothing invisible or reordering in it (look-alikes)."""
    name = item.str("name", required=True, nullable=False)
    problem = look_alike_problem(name)
    if problem is not None:
        raise FieldError(item.at("name"), problem)
    return normalize_name(name)


def merge_user(data: ModelArtsData, item: Fields, here: set[tuple[str, str]] | None = None) -> User:
    """Validate one scenario user, then add it (nothing changes unless it is valid); the same
    user loaded before is left as it is (``here``: see :func:`_repeats`)."""
    name = _visible_name(item)
    account = _account_ref(data, item, "account")
    user_id = item.str("id") or hex_id("modelarts-user", account.id, name)
    repeated = data.users.get(user_id)
    named = next((u for u in data.users.values() if u.name == name and u.account_id == account.id), None)
    if named is not None and named is not repeated:
        raise ConflictError(item.at("name"), f"user name '{name}' in the account '{account.name}' is already "
                            f"defined{{by}} with other values: id: {named.id!r} before, {user_id!r} here", name)
    primary = item.bool("primary", default=False)
    if primary and any(u.primary and u.account_id == account.id and u is not repeated for u in data.users.values()):
        raise FieldError(item.at("primary"), f"the account '{account.name}' already has a primary user")
    keys: list[AccessKey] = []
    for key_item in item.objects("access_keys", known=("access_key", "secret_key")):
        access_key = key_item.str("access_key", required=True, nullable=False)
        secret_key = key_item.str("secret_key", required=True, nullable=False)
        if not access_key or not secret_key:
            raise FieldError(key_item.path, "access_key and secret_key must not be empty")
        holder = data.access_keys.get(access_key)
        if (holder is not None and holder != user_id) or any(k.access_key == access_key for k in keys):
            raise ConflictError(key_item.at("access_key"), f"access key '{access_key}' is already defined{{by}} "
                                f"for another user", access_key)
        keys.append(AccessKey(access_key, secret_key))
    user = User(id=user_id, name=name, password=item.str("password", default=name), account_id=account.id,
                primary=primary, enabled=item.bool("enabled", default=True), access_keys=keys,
                denied_actions=list(item.str_list("denied_actions", default=[])))  # not the document's list
    if _repeats(repeated, user, item, "user", user_id, name, here):
        return repeated  # type: ignore[return-value]
    data.changes.item(data.users, user.id)
    data.users[user.id] = user
    for key in keys:
        data.changes.item(data.access_keys, key.access_key)
        data.access_keys[key.access_key] = user.id
    return user


def merge_project(data: ModelArtsData, item: Fields, here: set[tuple[str, str]] | None = None) -> Project:
    """Validate one scenario project, then add it (nothing changes unless it is valid); the same
    project loaded before is left as it is (``here``: see :func:`_repeats`)."""
    name = item.str("name", required=True, nullable=False)
    account = _account_ref(data, item, "account")
    project_id = item.str("id") or hex_id("modelarts-project", account.id, name)
    if not project_id or "/" in project_id or project_id == "api":
        raise FieldError(item.at("id"), f"'{project_id}' cannot be a project id (it is a URL path segment)")
    project = Project(id=project_id, name=name, account_id=account.id)
    if _repeats(data.projects.get(project_id), project, item, "project", project_id, name, here):
        return data.projects[project_id]
    named = next((p for p in data.projects.values() if p.name == name and p.account_id == account.id), None)
    if named is not None:
        raise ConflictError(item.at("name"), f"project name '{name}' in the account '{account.name}' is already "
                            f"defined{{by}} with other values: id: {named.id!r} before, {project_id!r} here", name)
    data.changes.item(data.projects, project_id)
    data.projects[project_id] = project
    table_of(data, data.workspaces, project_id)
    table_of(data, data.workspace_names, project_id)
    return data.projects[project_id]


def merge_workspace(data: ModelArtsData, item: Fields, here: set[tuple[str, str]] | None = None) -> Workspace:
    """Validate one scenario workspace, then add it: nothing changes unless it is valid
    (the Python helpers rely on it to add items without copying the store). The same
    workspace loaded before (by id) is left as it is (``here``: see :func:`_repeats`)."""
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
    names = data.workspace_names.get(project.id, {})
    given_name = item.str("name")
    if workspace_id is None and here is not None and given_name in names:
        # names are unique in a project: in a scenario, an item without an id naming a loaded
        # workspace repeats it (compared below); a helper adding a taken name is refused below
        workspace_id = names[given_name]
    elif workspace_id is None:
        workspace_id, next_seq = free_workspace_id(data)
    if not workspace_id or "/" in workspace_id:
        raise FieldError(item.at("id"), f"'{workspace_id}' cannot be a workspace id")
    repeated = workspaces.get(workspace_id)
    name = item.str("name", default=DEFAULT_WORKSPACE_NAME if workspace_id == DEFAULT_WORKSPACE_ID else None)
    if name is None:
        raise FieldError(item.at("name"), "missing required field")
    if (workspace_id == DEFAULT_WORKSPACE_ID) != (name == DEFAULT_WORKSPACE_NAME):
        raise FieldError(item.at("name"), f"the workspace '{DEFAULT_WORKSPACE_ID}' and only it is named "
                         f"'{DEFAULT_WORKSPACE_NAME}'")
    if name in names and names[name] != workspace_id:
        raise ConflictError(item.at("name"), f"duplicate workspace name '{name}' in the project '{project.id}'{{by}}",
                            name)
    auth_type = item.str("auth_type", default="PUBLIC").upper()
    if auth_type not in AUTH_TYPES:
        raise FieldError(item.at("auth_type"), f"expected one of {', '.join(AUTH_TYPES)}, got '{auth_type}'")
    grants: list[Grant] = []
    for grant_item in item.objects("grants", known=("user_id", "user_name", "user_type")):
        try:
            grants.append(resolve_grant(data, account, grant_item.str("user_id"), grant_item.str("user_name"),
                                        grant_item.str("user_type"), len(grants)))
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
    primary = primary_user(data, account.id)
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
    if _repeats(repeated, workspace, item, "workspace", workspace_id, name, here, project.id):
        return repeated  # type: ignore[return-value]
    # everything is checked: from here on nothing fails
    data.next_workspace_seq = next_seq
    add_workspace(data, workspace)
    if status == "DELETING" and delete_complete_time is not None:
        set_deleting(data, (project.id, workspace.id), True)
    return workspace


def ensure_default_workspace(data: ModelArtsData, project: Project) -> None:
    workspaces = table_of(data, data.workspaces, project.id)
    if DEFAULT_WORKSPACE_ID in workspaces:
        return
    primary = primary_user(data, project.account_id)
    default = Workspace(project_id=project.id, id=DEFAULT_WORKSPACE_ID, name=DEFAULT_WORKSPACE_NAME,
                        owner=primary.name if primary else "")
    default.quotas = default_quotas()
    add_workspace(data, default)
    # the default workspace comes first, as it exists before any other
    data.changes.item(data.workspaces, project.id)
    data.workspaces[project.id] = {DEFAULT_WORKSPACE_ID: default, **workspaces}


def export(data: ModelArtsData, now_ms: int) -> dict[str, Any]:
    s = data.settings
    accounts = {account.id: account for account in data.accounts.values()}
    workspaces = []
    for project_workspaces in data.workspaces.values():
        for workspace in in_creation_order(project_workspaces):
            if is_gone(workspace, now_ms):
                continue
            workspaces.append(_export_workspace(workspace))
    return {
        # a key is exported only when one was given: the process's own key never leaves it
        "settings": {name: getattr(s, name) for name in Settings.FIELDS
                     if name != "token_signing_key" or s.token_signing_key is not None},
        "accounts": [account.export() for account in data.accounts.values()],
        "users": [export_user(u, accounts[u.account_id]) for u in data.users.values()],
        "projects": [{"id": p.id, "name": p.name, "account": accounts[p.account_id].name}
                     for p in data.projects.values()],
        "enterprise_projects": [{"id": eps_id, "name": name} for eps_id, name in data.enterprise_projects.items()],
        "workspaces": workspaces,
        "next_workspace_seq": data.next_workspace_seq,
    }

def export_user(u: User, account: Account) -> dict[str, Any]:
    return {"id": u.id, "name": u.name, "password": u.password, "account": account.name,
            "primary": u.primary, "enabled": u.enabled,
            "access_keys": [{"access_key": k.access_key, "secret_key": k.secret_key} for k in u.access_keys],
            "denied_actions": list(u.denied_actions)}


def clone(data: ModelArtsData) -> ModelArtsData:
    """An independent copy of ``data`` (the store's reset, load and import use it).

    Each container and each mutable object (settings, users, workspaces) is copied
    once; frozen records and plain values are shared. About 1 µs per workspace, where
    ``copy.deepcopy`` took about 100. tests/test_state_clone.py checks that every field of
    every dataclass here is either copied or immutable.
    """
    copied = shallow_copy(data)
    copied.settings = shallow_copy(data.settings)
    copied.accounts = data.accounts.copy()
    copied.users = {user_id: clone_user(user) for user_id, user in data.users.items()}
    copied.projects = data.projects.copy()
    copied.enterprise_projects = data.enterprise_projects.copy()
    copied.workspaces = {project_id: {workspace_id: clone_workspace(workspace)
                                      for workspace_id, workspace in table.items()}
                         for project_id, table in data.workspaces.items()}
    copied.access_keys = data.access_keys.copy()
    copied.workspace_names = {project_id: names.copy() for project_id, names in data.workspace_names.items()}
    copied.deleting = data.deleting.copy()
    return copied

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
