"""The ``wallaroo`` section of scenario and state documents: merge, export, clone.

Merging checks each item before adding it, so a rejected item leaves ``data`` as it was
(the Python helpers add items to the live data this way).
"""

from __future__ import annotations

import uuid
from dataclasses import fields as dataclass_fields
from datetime import datetime
from typing import Any

from ..keys import UnusableKey, rsa_from_pem
from ..state import shallow_copy
from ..validation import ConflictError, FieldError, Fields, differences, look_alike_problem, normalize_name
from .catalog import scenario as catalog_scenario
from .records import (COLLABORATOR, OWNER, SCENARIO_EPOCH_MS, USER_TYPES, USER_ID_NAMESPACE, Settings, User,
                      WallarooData, Workspace, add_user, add_workspace, clone_user, clone_workspace,
                      ensure_default_workspace, find, is_email, iso_timestamp, login_key)


def merge(data: WallarooData, section: Any, path: str) -> None:
    fields = Fields(section, path, known=("settings", "users", "workspaces", "next_workspace_id", "next_user_seq",
                                          "models", "pipelines", "inference"))
    settings = fields.obj("settings", known=Settings.FIELDS + catalog_scenario.SETTINGS_FIELDS)
    if settings is not None:
        s = data.settings
        signing_key = settings.str("signing_key", default=s.signing_key)
        if signing_key is not None:
            try:
                rsa_from_pem(signing_key)
            except UnusableKey as error:
                raise FieldError(settings.at("signing_key"), str(error)) from None
        s.signing_key = signing_key
        secret = settings.str("api_client_secret", default=s.api_client_secret, nullable=False)
        if not secret:
            raise FieldError(settings.at("api_client_secret"), "must not be empty")
        s.api_client_secret = secret
        s.access_token_lifetime = settings.int("access_token_lifetime", default=s.access_token_lifetime, minimum=1)
        s.refresh_token_lifetime = settings.int("refresh_token_lifetime", default=s.refresh_token_lifetime, minimum=1)
        s.default_workspace_on_invite = settings.bool("default_workspace_on_invite",
                                                      default=s.default_workspace_on_invite)
        catalog_scenario.merge_settings(data.catalog, settings)
    wants_default_workspace: list[User] = []
    for item in fields.objects("users", known=("id", "username", "password", "email", "first_name", "last_name",
                                                "enabled", "email_verified", "admin", "created_timestamp",
                                                "last_login", "required_actions", "default_workspace")):
        email = item.str("email")
        username = item.str("username") or email
        if not username:
            raise FieldError(item.at("username"), "a user needs a username or an email")
        problem = look_alike_problem(username)
        if problem is not None:
            raise FieldError(item.at("username"), problem)
        if email is not None and not is_email(email):
            raise FieldError(item.at("email"), f"'{email}' is not an email address"
                             + (f": it {look_alike_problem(email)}" if look_alike_problem(email) else ""))
        username, email = normalize_name(username), normalize_name(email) if email is not None else None
        # an item without an id whose username is a loaded user's login repeats that user (a
        # saved state, another scenario): compared below, as an item giving the id would be
        same_login = data.logins.get(login_key(username))
        user_id = item.str("id") or same_login or str(uuid.uuid5(USER_ID_NAMESPACE, username.lower()))
        user = User(id=user_id, username=username, password=item.str("password", default=username), email=email,
                    first_name=item.str("first_name"), last_name=item.str("last_name"),
                    enabled=item.bool("enabled", default=True),
                    email_verified=item.bool("email_verified", default=False),
                    admin=item.bool("admin", default=False),
                    created_timestamp=item.int("created_timestamp", default=SCENARIO_EPOCH_MS, minimum=0),
                    last_login=item.int("last_login", minimum=0),
                    required_actions=list(item.str_list("required_actions", default=[])))
        existing = data.users.get(user_id)
        if existing is not None:
            if existing == user:
                continue  # the same record in two scenarios (the Keycloak admin): one user
            if item.str("id") is None:
                raise ConflictError(item.path, f"user '{username}' is already defined{{by}} with other values: "
                                    f"{differences(existing, user, USER_FIELDS)}", login_key(username),
                                    members=("username", "email"))
            raise ConflictError(item.at("id"), f"user id '{user_id}' ({existing.username}) is already defined{{by}} "
                                f"with other values: {differences(existing, user, USER_FIELDS)}", user_id)
        for login in {login_key(username), login_key(email or username)}:
            if login in data.logins:
                raise ConflictError(item.path, f"a user with the username or email '{login}' is already defined{{by}}",
                                    login, members=("username", "email"))
        add_user(data, user)
        if email and item.bool("default_workspace", default=True):
            wants_default_workspace.append(user)
    for item in fields.objects("workspaces", known=("id", "name", "created_at", "created_by", "archived", "models",
                                                     "pipelines", "members")):
        name = item.str("name", required=True, nullable=False)
        problem = look_alike_problem(name)
        if problem is not None:
            raise FieldError(item.at("name"), problem)
        name = normalize_name(name)
        same_name = data.workspaces.get(data.workspace_names[name]) if name in data.workspace_names else None
        workspace_id = item.int("id", minimum=1)
        if workspace_id is None:
            workspace_id = same_name.id if same_name is not None else data.next_workspace_id
        if same_name is None and workspace_id in data.workspaces:
            raise ConflictError(item.at("id"), f"workspace id {workspace_id} ('{data.workspaces[workspace_id].name}') "
                                "is already defined{by}", str(workspace_id))
        members: dict[str, str] = {}
        for member in item.objects("members", known=("user", "user_type")):
            ref = member.str("user", required=True, nullable=False)
            found = find(data, ref)
            if found is None:
                raise FieldError(member.at("user"), f"no user with the id, email or username '{ref}'")
            user_type = (member.str("user_type") or COLLABORATOR).upper()
            if user_type not in USER_TYPES:
                raise FieldError(member.at("user_type"), f"expected OWNER or COLLABORATOR, got '{user_type}'")
            members[found.id] = user_type
        created_by = item.str("created_by")
        if created_by is None:
            owners = [uid for uid, kind in members.items() if kind == OWNER]
            created_by = owners[0] if owners else ""
        created_at = item.str("created_at", default=iso_timestamp(SCENARIO_EPOCH_MS / 1000))
        try:
            has_offset = datetime.fromisoformat(created_at).utcoffset() is not None
        except ValueError:
            has_offset = False
        if not has_offset or "T" not in created_at:
            raise FieldError(item.at("created_at"),
                             f"'{created_at}' is not an ISO 8601 timestamp with an offset "
                             "(e.g. 2024-07-11T16:51:50.885751+00:00)")
        workspace = Workspace(
            id=workspace_id, name=name, created_at=created_at, created_by=created_by,
            archived=item.bool("archived", default=False), models=tuple(item.int_list("models", default=())),
            pipelines=tuple(item.int_list("pipelines", default=())), members=members)
        if same_name is not None:
            if same_name == workspace:
                continue  # the same workspace in two scenarios: one workspace
            raise ConflictError(item.at("name"), f"workspace '{name}' is already defined{{by}} with other values: "
                                f"{differences(same_name, workspace, WORKSPACE_FIELDS)}", name)
        add_workspace(data, workspace)
    for user in wants_default_workspace:
        ensure_default_workspace(data, user, created_at=iso_timestamp(user.created_timestamp / 1000))
    catalog_scenario.merge(data, fields)
    data.next_workspace_id = max(data.next_workspace_id, fields.int("next_workspace_id", default=1, minimum=1))
    data.next_user_seq = max(data.next_user_seq, fields.int("next_user_seq", default=1, minimum=1))

USER_FIELDS = tuple(f.name for f in dataclass_fields(User))
WORKSPACE_FIELDS = tuple(f.name for f in dataclass_fields(Workspace))


def export(data: WallarooData, now: float = 0.0) -> dict[str, Any]:
    """``now`` (epoch seconds): when model statuses are read (a conversion walk is timed)."""
    s = data.settings
    return {
        # a key is exported only when one was given: the process's own key never leaves it
        "settings": {**{name: getattr(s, name) for name in Settings.FIELDS
                        if name != "signing_key" or s.signing_key is not None},
                     **catalog_scenario.export_settings(data.catalog)},
        "users": [user.export() for user in data.users.values()],
        "workspaces": [workspace.export() for workspace in data.workspaces.values()],
        "next_workspace_id": data.next_workspace_id,
        "next_user_seq": data.next_user_seq,
        **catalog_scenario.export(data.catalog, now),
    }


def clone(data: WallarooData) -> WallarooData:
    """An independent copy of ``data`` (the store's reset, load and import use it).

    Each container and each mutable object (settings, users, workspaces) is copied
    once; plain values are shared. tests/test_state_clone.py checks that every field of
    every dataclass here is copied or immutable.
    """
    copied = shallow_copy(data)
    copied.settings = shallow_copy(data.settings)
    copied.users = {user_id: clone_user(user) for user_id, user in data.users.items()}
    copied.workspaces = {workspace_id: clone_workspace(workspace)
                         for workspace_id, workspace in data.workspaces.items()}
    copied.logins = data.logins.copy()
    copied.workspace_names = data.workspace_names.copy()
    copied.user_workspaces = {user_id: ids.copy() for user_id, ids in data.user_workspaces.items()}
    copied.member_row_ids = data.member_row_ids.copy()
    copied.catalog = data.catalog.clone()
    return copied
