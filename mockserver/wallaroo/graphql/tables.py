"""The GraphQL (Hasura) tables ``workspace``, ``workspace_users`` and ``user_default_workspace``
over the Wallaroo store, with PostgreSQL's constraint names and Hasura's ``on_conflict``.

Hasura serves the database behind the REST API, so these are views of the same store: a
:class:`Tables` works on its backend's data, under the store lock.

Reads hold the lock only to take a snapshot: the few fields a row needs, copied from the
records as tuples (records are changed in place, so a reference alone is not a snapshot).
The rows (dicts) are built, and then filtered, sorted and serialized by the resolvers, after
the lock is released: a read of 5 000 workspaces holds the store for the copy alone, a few
milliseconds, instead of the whole build (figures: docs/guarantees.md, section 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ...state import collector_paused
from ...validation import look_alike_problem, normalize_name
from ..records import (COLLABORATOR, DEFAULT_WORKSPACE_SUFFIX, MAX_NAME_LENGTH, OWNER, USER_TYPES, User, Workspace,
                       add_workspace,
                       change_workspace, default_workspace_name, drop_member, find_login, iso_timestamp,
                       set_member)
from . import errors as gql_errors
from .limits import RowBudget

if TYPE_CHECKING:
    from ..backend import WallarooBackend
    from ..records import WallarooData

#: the unique constraint of workspace memberships (one row per workspace and user)
MEMBER_KEY = "workspace_users_workspace_id_user_id_key"
#: the fields of a workspace its row shows, read in one C call (the snapshot of a read)
_WORKSPACE_FIELDS = attrgetter("id", "name", "created_at", "created_by", "archived", "models", "pipelines")
_FIRST = itemgetter(0)


def workspace_row(fields: tuple[Any, ...]) -> dict[str, Any]:
    """A ``workspace`` row from the fields of a snapshot (:data:`_WORKSPACE_FIELDS`): its
    columns, plus the model and pipeline ids its relationships list."""
    workspace_id, name, created_at, created_by, archived, models, pipelines = fields
    return {"id": workspace_id, "name": name, "created_at": created_at, "created_by": created_by,
            "archived": archived, "model_ids": list(models), "pipeline_ids": list(pipelines)}


def member_row(entry: tuple[int, str, str, int]) -> dict[str, Any]:
    """A ``workspace_users`` row from a snapshot entry (workspace id, user id, type, row id)."""
    workspace_id, user_id, user_type, row_id = entry
    return {"id": row_id, "user_id": user_id, "user_type": user_type, "workspace_id": workspace_id}


@dataclass
class ConflictRule:
    """Hasura's ``on_conflict``: which unique constraint it catches, the columns it then
    updates (none: the row is left alone) and the rows it may update (``where``)."""

    constraint: str
    update_columns: list[str] = field(default_factory=list)
    where: Callable[[dict[str, Any]], bool] | None = None


@dataclass
class MemberInsert:
    """One ``workspace_users`` row to insert (None: the column was not given)."""

    user_id: str | None
    user_type: str | None


class Tables:
    """The GraphQL tables of one backend's store."""

    def __init__(self, backend: WallarooBackend) -> None:
        self.backend = backend

    # Rows are plain dicts of a table's columns. Who may read and change what follows the
    # REST API's rules: admins everything; others the workspaces they belong to and the
    # members of those; only an OWNER (or an admin) changes members. Refusals are Hasura's
    # data errors (errors.py), raised before anything changes.
    @staticmethod
    def _may_read(caller: User, workspace: Workspace) -> bool:
        return caller.admin or caller.id in workspace.members

    @staticmethod
    def _may_manage(caller: User, workspace: Workspace) -> bool:
        return caller.admin or workspace.members.get(caller.id) == OWNER

    @staticmethod
    def _workspace_row(workspace: Workspace) -> dict[str, Any]:
        """The row of a workspace, for mutations (which run under the lock anyway)."""
        return workspace_row(_WORKSPACE_FIELDS(workspace))

    @staticmethod
    def _row_id(data: WallarooData, workspace_id: int, user_id: str) -> int:
        """The ``workspace_users.id`` of a membership, given on first use (lock held)."""
        key = (workspace_id, user_id)
        row_id = data.member_row_ids.get(key)
        if row_id is None:
            data.changes.item(data.member_row_ids, key)
            row_id = data.member_row_ids[key] = data.next_member_row_id
            data.next_member_row_id += 1
        return row_id

    def _member_row(self, workspace_id: int, user_id: str, user_type: str) -> dict[str, Any]:
        """The row of a membership, for mutations (lock held)."""
        return member_row((workspace_id, user_id, user_type, self._row_id(self.backend.data, workspace_id, user_id)))

    @staticmethod
    def _readable(data: WallarooData, caller: User, workspace_id: int | None,
                  readable_only: bool) -> Iterable[Workspace]:
        """The workspaces a read starts from, in the store's order (lock held): one by id, the
        caller's (through the membership index), or all of them."""
        if workspace_id is not None:
            found = data.workspaces.get(workspace_id)
            candidates: Iterable[Workspace] = [found] if found is not None else []
        elif readable_only and not caller.admin:
            workspaces = data.workspaces
            candidates = [workspaces[i] for i in data.user_workspaces.get(caller.id, ()) if i in workspaces]
        else:
            return data.workspaces.values()
        if readable_only and not caller.admin:
            return [w for w in candidates if caller.id in w.members]
        return candidates

    def _default_workspace(self, user: User) -> Workspace | None:
        """A user's default workspace: the one named ``<email> - Default Workspace`` (the store
        keeps no separate ``user_default_workspace`` table)."""
        if not user.email:
            return None
        workspace_id = self.backend.data.workspace_names.get(default_workspace_name(user.email))
        return None if workspace_id is None else self.backend.data.workspaces[workspace_id]

    @staticmethod
    def _default_workspace_users(data: WallarooData, workspace_id: int) -> list[User]:
        """The users whose default workspace this is (lock held): the one whose email its name
        carries; every user, should that login belong to another (the caller filters them)."""
        workspace = data.workspaces.get(workspace_id)
        if workspace is None or not workspace.name.endswith(DEFAULT_WORKSPACE_SUFFIX):
            return []
        owner = find_login(data, workspace.name[:-len(DEFAULT_WORKSPACE_SUFFIX)])
        if owner is not None and owner.email and default_workspace_name(owner.email) == workspace.name:
            return [owner]
        return list(data.users.values())

    def workspace_rows(self, caller: User, *, workspace_id: int | None = None,
                       readable_only: bool = True) -> list[dict[str, Any]]:
        """``workspace`` rows the caller may read, by id (one id: at most that row);
        ``readable_only=False``: whoever may read them."""
        # the collector paused: the snapshot allocates a tuple per row, and a full collection
        # over a big heap in the middle of it would hold the store ten times longer
        with self.backend.state.lock, collector_paused():
            fields = list(map(_WORKSPACE_FIELDS, self._readable(self.backend.data, caller, workspace_id,
                                                                readable_only)))
        fields.sort(key=_FIRST)  # by id (the store's order is already that, nearly always: cheap)
        return list(map(workspace_row, fields))

    def workspace_user_rows(self, caller: User, *, workspace_id: int | None = None) -> list[dict[str, Any]]:
        """``workspace_users`` rows of the workspaces the caller may read: by workspace id,
        then in the order the members joined."""
        with self.backend.state.lock, collector_paused():
            data = self.backend.data
            known = data.member_row_ids.get
            entries: list[Any] = []
            unnumbered: list[int] = []  # entries whose membership has no row id yet
            for workspace in self._readable(data, caller, workspace_id, True):
                wid = workspace.id
                for user_id, user_type in workspace.members.items():
                    row_id = known((wid, user_id))
                    if row_id is None:
                        unnumbered.append(len(entries))
                    entries.append((wid, user_id, user_type, row_id))
            # new row ids in the order the rows are listed (workspace id, then join order)
            unnumbered.sort(key=lambda at: entries[at][0])
            for at in unnumbered:
                wid, user_id, user_type, _ = entries[at]
                entries[at] = (wid, user_id, user_type, self._row_id(data, wid, user_id))
        entries.sort(key=_FIRST)  # stable: members keep their join order
        return list(map(member_row, entries))

    def default_workspace_rows(self, caller: User, *, user_id: str | None = None,
                               workspace_id: int | None = None) -> list[dict[str, Any]]:
        """``user_default_workspace`` rows: admins see everyone's, others their own, and only
        while they may read the workspace; ``workspace_id``: only that workspace's (its
        ``user_default_workspaces``), found from its name instead of a walk over every user."""
        with self.backend.state.lock, collector_paused():
            data = self.backend.data
            if not caller.admin:  # only their own
                user_id = caller.id if user_id in (None, caller.id) else None
                if user_id is None:
                    return []
            if user_id is not None:
                found = data.users.get(user_id)
                users = [found] if found is not None else []
            elif workspace_id is not None:
                users = self._default_workspace_users(data, workspace_id)
            else:
                users = list(data.users.values())
            links = []
            for user in users:
                workspace = self._default_workspace(user)
                if workspace is not None and self._may_read(caller, workspace) and \
                        workspace_id in (None, workspace.id):
                    links.append((user.id, workspace.id))
        return [{"user_id": linked_user, "workspace_id": linked_workspace} for linked_user, linked_workspace in links]

    def _checked_members(self, members: list[MemberInsert]) -> list[tuple[str, str]]:
        checked = []
        for member in members:
            if member.user_id is None:
                raise gql_errors.NotNullViolation("workspace_users", "user_id")
            if member.user_id not in self.backend.data.users:  # members are users of the realm
                raise gql_errors.ForeignKeyViolation("workspace_users", "workspace_users_user_id_fkey")
            kind = (member.user_type or COLLABORATOR).upper()
            if kind not in USER_TYPES:
                raise gql_errors.CheckViolation("workspace_users", "workspace_users_user_type_check")
            checked.append((member.user_id, kind))
        return checked

    def _member_conflict(self, workspace_id: int, user_id: str, user_type: str,
                         on_conflict: ConflictRule | None) -> bool:
        """A member already there: a uniqueness violation unless ``on_conflict`` catches it;
        whether it then updates the member's type."""
        if on_conflict is None or on_conflict.constraint != MEMBER_KEY:
            raise gql_errors.UniquenessViolation(MEMBER_KEY)
        row = self._member_row(workspace_id, user_id, user_type)
        return "user_type" in on_conflict.update_columns and (on_conflict.where is None or on_conflict.where(row))

    def _merged_members(self, workspace_id: int, current: dict[str, str], additions: list[tuple[str, str]],
                        on_conflict: ConflictRule | None) -> dict[str, str]:
        """``current`` with ``additions`` inserted, conflicts handled as ``on_conflict`` says."""
        merged = dict(current)
        for user_id, kind in additions:
            if user_id not in merged or self._member_conflict(workspace_id, user_id, merged[user_id], on_conflict):
                merged[user_id] = kind
        return merged

    def insert_workspace_row(self, caller: User, *, name: str | None, created_by: str | None, archived: bool | None,
                             members: list[MemberInsert], members_on_conflict: ConflictRule | None,
                             default_for: list[str | None], on_conflict: ConflictRule | None) -> dict[str, Any] | None:
        """``insert_workspace_one``: a new workspace with its members and default-workspace links.

        A taken name is a uniqueness violation unless ``on_conflict`` names
        ``workspace_name_key``; then the existing row is updated (``update_columns``, if the
        caller may manage it and ``where`` holds) or left alone: the answer is then null, or,
        with members or links to insert, Hasura's "affects zero rows" error.
        """
        with self.backend.state.lock:
            data = self.backend.data
            if name is None:
                raise gql_errors.NotNullViolation("workspace", "name")
            if look_alike_problem(name) is not None:  # our choice: docs/wallaroo.md, "Look-alike names"
                raise gql_errors.CheckViolation("workspace", "workspace_name_visible_check")
            name = normalize_name(name)
            if len(name) > max_inserted_name_length(name):  # our choice: docs/wallaroo.md, "Insert a workspace"
                raise gql_errors.CheckViolation("workspace", "workspace_name_length_check")
            if created_by is None and not caller.email:
                # created_by defaults to the caller's email (REC: default workspaces carry it);
                # a caller without one gets the error the recorded users tutorial shows for such users
                raise gql_errors.ArrayInsertAfterZeroRows()
            additions = self._checked_members(members)
            for user_id in default_for:
                if user_id is None:
                    raise gql_errors.NotNullViolation("user_default_workspace", "user_id")
                user = data.users.get(user_id)
                if user is None:
                    raise gql_errors.ForeignKeyViolation("user_default_workspace",
                                                         "user_default_workspace_user_id_fkey")
                if not user.email or default_workspace_name(user.email) != name:
                    expected = default_workspace_name(user.email) if user.email else None
                    raise gql_errors.NotModelled(
                        f"the mock keeps a user's default workspace as the workspace named '<email>"
                        f"{DEFAULT_WORKSPACE_SUFFIX}'; '{name}' cannot be the default workspace of user {user_id}"
                        + (f" (it would have to be named '{expected}')" if expected else " (the user has no email)"))
            existing_id = data.workspace_names.get(name)
            if existing_id is None:
                workspace_id = data.next_workspace_id
                workspace = Workspace(id=workspace_id, name=name, created_at=iso_timestamp(self.backend.state.clock.now()),
                                      created_by=created_by if created_by is not None else caller.email or "",
                                      archived=bool(archived),
                                      members=self._merged_members(workspace_id, {}, additions, members_on_conflict))
                add_workspace(data, workspace)
                return self._workspace_row(workspace)
            if on_conflict is None or on_conflict.constraint != "workspace_name_key":
                raise gql_errors.UniquenessViolation("workspace_name_key")
            existing = data.workspaces[existing_id]
            updates = on_conflict.update_columns and self._may_manage(caller, existing) and (
                on_conflict.where is None or on_conflict.where(self._workspace_row(existing)))
            if not updates:
                if members or default_for:
                    raise gql_errors.ArrayInsertAfterZeroRows()
                return None
            merged = self._merged_members(existing.id, existing.members, additions, members_on_conflict)
            if "archived" in on_conflict.update_columns and archived is not None:
                change_workspace(data, existing).archived = archived
            if "created_by" in on_conflict.update_columns and created_by is not None:
                change_workspace(data, existing).created_by = created_by
            for user_id, kind in merged.items():
                set_member(data, existing, user_id, kind)
            return self._workspace_row(existing)

    def insert_workspace_user_row(self, caller: User, *, workspace_id: int | None, member: MemberInsert,
                                  on_conflict: ConflictRule | None) -> dict[str, Any] | None:
        """``insert_workspace_users_one``: add a member (an OWNER's or an admin's right).

        A member already there is a uniqueness violation unless ``on_conflict`` names
        ``workspace_users_workspace_id_user_id_key``: then its ``user_type`` is updated (if in
        ``update_columns``) and the row returned, or it is left alone and the answer is null.
        """
        with self.backend.state.lock:
            if workspace_id is None:
                raise gql_errors.NotNullViolation("workspace_users", "workspace_id")
            workspace = self.backend.data.workspaces.get(workspace_id)
            if workspace is None:
                raise gql_errors.ForeignKeyViolation("workspace_users", "workspace_users_workspace_id_fkey")
            ((user_id, kind),) = self._checked_members([member])
            if not self._may_manage(caller, workspace):
                raise gql_errors.PermissionDenied()
            current = workspace.members.get(user_id)
            if current is not None and not self._member_conflict(workspace.id, user_id, current, on_conflict):
                return None  # the conflict was ignored: no row inserted or updated
            set_member(self.backend.data, workspace, user_id, kind)
            return self._member_row(workspace.id, user_id, kind)

    def delete_workspace_user_rows(self, caller: User, matches: Callable[[dict[str, Any]], bool], *,
                                   workspace_id: int | None = None) -> list[dict[str, Any]]:
        """``delete_workspace_users(where:)``: the members ``matches`` selects among those the
        caller may manage (``workspace_id`` narrows the search); returns the deleted rows."""
        with self.backend.state.lock:
            if workspace_id is not None:
                found = self.backend.data.workspaces.get(workspace_id)
                candidates = [found] if found is not None else []
            else:
                candidates = sorted(self.backend.data.workspaces.values(), key=lambda w: w.id)
            doomed = [(workspace, row) for workspace in candidates if self._may_manage(caller, workspace)
                      for row in [self._member_row(workspace.id, uid, kind) for uid, kind in workspace.members.items()]
                      if matches(row)]
            for workspace, row in doomed:
                drop_member(self.backend.data, workspace, row["user_id"])
                key = (workspace.id, row["user_id"])
                if key in self.backend.data.member_row_ids:
                    self.backend.data.changes.item(self.backend.data.member_row_ids, key)
                    del self.backend.data.member_row_ids[key]
            return [row for _, row in doomed]


#: the longest email a default workspace's name is made of (RFC 5321's limit on a path)
MAX_EMAIL_LENGTH = 254


def max_inserted_name_length(name: str) -> int:
    """The longest name ``insert_workspace_one`` takes: REST's 63 characters, or an email's 254
    plus the suffix for a default workspace (``<email> - Default Workspace``, which the SDK inserts)."""
    if name.endswith(DEFAULT_WORKSPACE_SUFFIX):
        return MAX_EMAIL_LENGTH + len(DEFAULT_WORKSPACE_SUFFIX)
    return MAX_NAME_LENGTH


@dataclass
class Context:
    """What the resolvers of one request work with: the tables and who is asking."""

    tables: Tables
    caller: User
    #: the rows this operation has read so far (limits.MAX_ROWS)
    rows: RowBudget = field(default_factory=RowBudget)
    #: LIKE patterns and _in sets of this operation, prepared once (filters.py)
    prepared: dict[tuple[Any, ...], Any] = field(default_factory=dict)
