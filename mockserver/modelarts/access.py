"""Who may do what in a ModelArts workspace: IAM policy denials, workspace visibility
(PUBLIC, PRIVATE, INTERNAL with grants), grants as stored, and the authorization check
endpoint (``POST .../workspaces/{id}/auth``)."""

from __future__ import annotations

import fnmatch
import re
from typing import TYPE_CHECKING, Any

from . import exceptions as errors
from .records import USER_TYPES, Account, Caller, Grant, ModelArtsData, User, Workspace

if TYPE_CHECKING:
    from ..state import State
    from .parsing import AuthCheck, GrantInput

_ACTION = re.compile(r"[A-Za-z0-9_-]+:[A-Za-z0-9_*-]+:[A-Za-z0-9_*-]+\Z")


def resolve_grant(data: ModelArtsData, account: Account, user_id: str | None, user_name: str | None,
                  user_type: str | None, index: int) -> Grant:
    """A grant as stored: user_id wins over user_name; IAM users must exist in the account."""
    user_type_given = user_type
    user_type = (user_type_given or "IAM").upper()
    if user_type not in USER_TYPES:
        raise errors.InvalidGrant(index, f"user_type {user_type_given} is invalid. Valid values: "
                                  f"{', '.join(USER_TYPES)}.")
    if not user_id and not user_name:
        raise errors.InvalidGrant(index, "either user_id or user_name is required.")
    if user_type != "IAM":
        # federated and agency users are not IAM users of the account: kept as given
        return Grant(user_id=user_id or "", user_name=user_name or "", user_type=user_type)
    members = [u for u in data.users.values() if u.account_id == account.id]
    if user_id:
        user = next((u for u in members if u.id == user_id), None)
        if user is None:
            raise errors.InvalidGrant(index, f"the IAM user with the id {user_id} does not exist.")
    else:
        user = next((u for u in members if u.name == user_name), None)
        if user is None:
            raise errors.InvalidGrant(index, f"the IAM user {user_name} does not exist.")
    return Grant(user_id=user.id, user_name=user.name, user_type="IAM")


class AccessRules:
    """The access part of :class:`~mockserver.modelarts.backend.ModelArtsBackend` (a mixin:
    the backend is one object, these are its access rules)."""

    state: State
    data: ModelArtsData

    def _can_access(self, user: User, workspace: Workspace) -> bool:
        if workspace.auth_type == "PUBLIC" or user.primary or user.name == workspace.owner:
            return True
        if workspace.auth_type == "INTERNAL":
            return any(g.user_type == "IAM" and g.user_id == user.id for g in workspace.grants)
        return False

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

    def _check_grants(self, caller: Caller, auth_type: str, grants: list[GrantInput] | None) -> list[Grant]:
        if grants and auth_type != "INTERNAL":
            raise errors.GrantsRequireInternal()
        if auth_type == "INTERNAL" and not grants:
            raise errors.InternalRequiresGrants()
        resolved: list[Grant] = []
        for index, grant in enumerate(grants or []):
            item = resolve_grant(self.data, caller.account, grant.user_id, grant.user_name, grant.user_type, index)
            if not any(g.user_id == item.user_id and g.user_name == item.user_name for g in resolved):
                resolved.append(item)
        return resolved

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

    # provided by the backend
    def _workspace(self, project_id: str, workspace_id: str) -> Workspace:
        raise NotImplementedError

    def _purge(self) -> None:
        raise NotImplementedError
