"""Kept for one release: the ModelArts state model now lives in ``records.py`` (entities),
``scenario.py`` (the scenario section), ``iam.py`` (tokens, keys, projects), ``access.py``
(grants and access rules), ``backend.py`` (workspaces, quotas) and, for request inputs,
``parsing.py``. Import from those; this module only re-exports them."""

from __future__ import annotations

from .backend import ModelArtsBackend
from .parsing import AuthCheck, GrantInput, ListQuery, WorkspaceInput
from .records import (ACTION_CREATE, ACTION_DELETE, ACTION_GET, ACTION_GET_QUOTAS, ACTION_LIST,
                      ACTION_LIST_IAM_USERS, ACTION_UPDATE, ACTION_UPDATE_QUOTAS, AUTH_TYPES,
                      DEFAULT_ENTERPRISE_PROJECT, DEFAULT_WORKSPACE_ID, DEFAULT_WORKSPACE_NAME, ORDERS,
                      SCENARIO_EPOCH_MS, SORT_KEYS, STATUSES, USER_TYPES, AccessKey, Account, Caller, Grant,
                      ModelArtsData, Project, QuotaState, Settings, User, Workspace, default_quotas, iso_time)

__all__ = ["ACTION_CREATE", "ACTION_DELETE", "ACTION_GET", "ACTION_GET_QUOTAS", "ACTION_LIST", "ACTION_LIST_IAM_USERS",
           "ACTION_UPDATE", "ACTION_UPDATE_QUOTAS", "AUTH_TYPES", "DEFAULT_ENTERPRISE_PROJECT", "DEFAULT_WORKSPACE_ID",
           "DEFAULT_WORKSPACE_NAME", "ORDERS", "SCENARIO_EPOCH_MS", "SORT_KEYS", "STATUSES", "USER_TYPES", "AccessKey",
           "Account", "AuthCheck", "Caller", "Grant", "GrantInput", "ListQuery", "ModelArtsBackend", "ModelArtsData",
           "Project", "QuotaState", "Settings", "User", "Workspace", "WorkspaceInput", "default_quotas", "iso_time"]
