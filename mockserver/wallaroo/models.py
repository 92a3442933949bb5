"""Kept for one release: the Wallaroo state model now lives in ``records.py`` (entities and
wire forms), ``scenario.py`` (the scenario section) and ``backend.py`` (the operations).
Import from those; this module only re-exports them."""

from __future__ import annotations

from .backend import WallarooBackend
from .graphql.tables import MEMBER_KEY, ConflictRule, MemberInsert
from .records import (COLLABORATOR, DEFAULT_WORKSPACE_SUFFIX, KNOWN_CLIENTS, OWNER, SCENARIO_EPOCH_MS,
                      USER_TYPES, Settings, User, WallarooData, Workspace, default_workspace_name, is_dns_compliant,
                      is_email, iso_timestamp)

__all__ = ["COLLABORATOR", "DEFAULT_WORKSPACE_SUFFIX", "KNOWN_CLIENTS", "MEMBER_KEY", "OWNER", "SCENARIO_EPOCH_MS",
           "USER_TYPES", "ConflictRule", "MemberInsert", "Settings", "User", "WallarooBackend", "WallarooData",
           "Workspace", "default_workspace_name", "is_dns_compliant", "is_email", "iso_timestamp"]
