"""ModelArts behaviour: workspaces, quotas, delayed deletion, the cached list orders, and the
Python helpers; IAM (iam.py) and access rules (access.py) are mixed in, so one backend
object stays the API's face.

No HTTP here: views pass in plain values and get plain values (JSON-ready dicts) back.
Every public method of :class:`ModelArtsBackend` runs under the store lock and checks all
its input before changing anything, so a rejected call leaves the data as it was.
"""

from __future__ import annotations

import dataclasses
import hashlib
import weakref
from typing import TYPE_CHECKING, Any, Callable

from ..validation import Fields
from . import exceptions as errors
from . import records, scenario
from .access import AccessRules
from .iam import IamOperations
from .keystone import Keystone
from .orders import SortedBlocks
from .quotas import BY_RESOURCE, CATALOGUE, UNLIMITED
from .records import (ACTION_CREATE, ACTION_DELETE, ACTION_GET, ACTION_GET_QUOTAS, ACTION_LIST, ACTION_UPDATE,
                      ACTION_UPDATE_QUOTAS, AUTH_TYPES, DEFAULT_WORKSPACE_NAME, ORDERS, SORT_KEYS, USER_FIELDS,
                      WORKSPACE_FIELDS, AccessKey, Caller, ModelArtsData, QuotaState, Workspace, change_user,
                      change_workspace, default_quotas, drop_name, set_deleting, set_name)

if TYPE_CHECKING:
    from ..state import State
    from .parsing import ListQuery, WorkspaceInput

#: the list's sort keys: (sort field, name, id), unique within a project
_SORT_KEY: dict[str, Callable[[Workspace], tuple[Any, ...]]] = {
    "name": lambda w: (w.name, w.name, w.id),
    "update_time": lambda w: (w.update_time, w.name, w.id),
    "status": lambda w: (w.status, w.name, w.id),
}
#: a cached order: (the data, its revision, the workspaces in ascending order)
_Order = tuple[Any, int, SortedBlocks[Workspace]]


class ModelArtsBackend(IamOperations, AccessRules):
    """IAM (accounts, users, keys, projects) and the ModelArts workspaces of each project."""

    name = "modelarts"
    data: ModelArtsData
    #: every change is reported to ``data.changes`` first (records.py): resets undo them
    records_changes = True

    def __init__(self, state: State) -> None:
        self.state = state
        self.keystone = Keystone(self)
        #: (project id, sort key) -> the project's workspaces sorted ascending, kept in order
        #: through creates, updates and deletes (:meth:`_reorder`): a page of the list is a
        #: slice, and no call sorts the whole project again. Its changes are recorded with
        #: the data's, so a reset puts back the orders of the baseline too.
        self._orders: dict[tuple[str, str], _Order] = {}

    # == scenario documents ==========================================================
    def empty(self) -> ModelArtsData:
        return ModelArtsData()

    def merge(self, data: ModelArtsData, section: Any, path: str) -> None:
        scenario.merge(data, section, path)

    def export(self, data: ModelArtsData) -> dict[str, Any]:
        return scenario.export(data, self.state.clock.now_ms())

    def clone(self, data: ModelArtsData) -> ModelArtsData:
        """An independent copy of ``data`` (the store's reset, load and import use it)."""
        return scenario.clone(data)

    # == helpers (call with the lock held) ===========================================
    _add_workspace = staticmethod(records.add_workspace)
    _remove_workspace = staticmethod(records.remove_workspace)
    _name_taken = staticmethod(records.name_taken)
    _new_workspace_id = staticmethod(records.new_workspace_id)
    _is_gone = staticmethod(records.is_gone)

    def _purge(self) -> None:
        """Finish the deletions whose delay has passed (lazily, on the next call)."""
        data = self.data
        if not data.deleting:
            return
        now_ms = self._now_ms()
        for project_id, workspace_id in sorted(data.deleting):
            workspace = data.workspaces.get(project_id, {}).get(workspace_id)
            if workspace is None or workspace.status != "DELETING" or workspace.delete_complete_time is None:
                set_deleting(data, (project_id, workspace_id), False)
            elif self._is_gone(workspace, now_ms):
                self._remove(workspace)

    def _ordered(self, project_id: str, sort_by: str) -> SortedBlocks[Workspace]:
        """The project's workspaces in ascending (sort key, name, id) order, sorted once per revision.

        Ids are unique, so the descending order is exactly this one reversed.
        """
        data = self.data
        table = data.workspaces.get(project_id, {})
        slot = (project_id, sort_by)
        cached = self._orders.get(slot)
        if cached is not None and cached[0]() is data and cached[1] == data.revision and len(cached[2]) == len(table):
            return cached[2]
        key = _SORT_KEY[sort_by]
        in_order = sorted(table.values(), key=key)
        ordered = SortedBlocks([key(w) for w in in_order], in_order)
        at_mark = data.changes.original(data)
        if at_mark is None or at_mark.revision != data.revision:
            # an order of changed workspaces: gone after a reset (one of the baseline stays)
            data.changes.item(self._orders, slot)
        self._orders[slot] = (weakref.ref(data), data.revision, ordered)
        return ordered

    def _sort_keys(self, workspace: Workspace) -> dict[str, tuple[Any, ...]]:
        """The workspace's place in each order, before a change moves it."""
        return {sort_by: key(workspace) for sort_by, key in _SORT_KEY.items()}

    def _reorder(self, project_id: str, revision: int, *, removed: dict[str, tuple[Any, ...]] | None = None,
                 added: Workspace | None = None) -> None:
        """Keep the project's cached orders right across one change made at ``revision``: the
        workspace at the ``removed`` keys leaves, ``added`` comes in (a binary search each,
        not a sort). Orders that were already out of date are left to be sorted again."""
        data = self.data
        for sort_by, key in _SORT_KEY.items():
            slot = (project_id, sort_by)
            cached = self._orders.get(slot)
            if cached is None or cached[0]() is not data or cached[1] != revision:
                continue
            ordered = cached[2]
            if data.changes.first(self._orders, slot):  # the saved order stays as it was
                ordered = ordered.copy()
            if removed is not None and not ordered.remove(removed[sort_by]):
                del self._orders[slot]  # not where it should be: sorted again when asked
                continue
            if added is not None:
                ordered.insert(key(added), added)
            self._orders[slot] = (cached[0], data.revision, ordered)

    def _remove(self, workspace: Workspace) -> None:
        """Drop a workspace for good (its orders kept right)."""
        revision, keys = self.data.revision, self._sort_keys(workspace)
        self._remove_workspace(self.data, workspace)
        self._reorder(workspace.project_id, revision, removed=keys)

    def _now_ms(self) -> int:
        return self.state.clock.now_ms()

    def _auth_type_out(self, auth_type: str) -> str:
        return auth_type.lower() if self.data.settings.auth_type_case == "lower" else auth_type.upper()

    def _workspace(self, project_id: str, workspace_id: str) -> Workspace:
        workspace = self.data.workspaces.get(project_id, {}).get(workspace_id)
        if workspace is None:
            raise errors.WorkspaceNotFound(workspace_id)
        return workspace

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
        if not (records.NAME_CJK if cjk else records.NAME).match(name):
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
                selected = [w for w in (reversed(ordered) if descending else iter(ordered))
                            if (query.enterprise_project_id is None
                                or w.enterprise_project_id == query.enterprise_project_id)
                            and (not needle or needle in w.name.lower())
                            and (not query.filter_accessible or self._can_access(caller.user, w))]
                total, page = len(selected), selected[start:start + query.limit]
            else:  # a slice of the cached order: no work in proportion to the project
                total = len(ordered)
                if descending:
                    stop = max(0, total - start)
                    page = ordered.slice(max(0, stop - query.limit), stop)[::-1]
                else:
                    page = ordered.slice(start, start + query.limit)
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
            revision = self.data.revision
            self._add_workspace(self.data, workspace)
            self._reorder(project_id, revision, added=workspace)
            return self._item(workspace, grants="create")

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
            revision, keys = self.data.revision, self._sort_keys(workspace)
            if name != workspace.name:
                drop_name(self.data, project_id, workspace.name)
                set_name(self.data, project_id, name, workspace.id)
            change_workspace(self.data, workspace)
            workspace.name, workspace.description, workspace.auth_type = name, description, auth_type
            workspace.grants = tuple(grants)
            workspace.update_time = max(self._now_ms(), workspace.update_time)
            self.data.revision += 1
            self._reorder(project_id, revision, removed=keys, added=workspace)
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
                self._remove(workspace)
            else:
                now = self._now_ms()
                revision, keys = self.data.revision, self._sort_keys(workspace)
                change_workspace(self.data, workspace)
                workspace.status, workspace.status_info = "DELETING", ""
                workspace.update_time = max(now, workspace.update_time)
                workspace.delete_complete_time = now + int(delay * 1000)
                set_deleting(self.data, (project_id, workspace.id), True)
                self.data.revision += 1
                self._reorder(project_id, revision, removed=keys, added=workspace)
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
            change_workspace(self.data, workspace)
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
            change_workspace(self.data, workspace).quotas[resource] = dataclasses.replace(state, used_quota=used)

    # == authorization check and IAM users ================================================
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
            item = self._scenario_item("users", fields, USER_FIELDS)
            user = scenario.merge_user(self.data, item)
            return scenario.export_user(user, self.data.accounts[user.account_id])

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
            change_user(self.data, user).access_keys.append(AccessKey(access_key, secret_key))
            self.data.changes.item(self.data.access_keys, access_key)
            self.data.access_keys[access_key] = user.id
            return {"access_key": access_key, "secret_key": secret_key}

    def add_project(self, **fields: Any) -> dict[str, Any]:
        """Add a project (with its default workspace) as a scenario item would."""
        with self.state.lock:
            item = self._scenario_item("projects", fields, ("id", "name", "account"))
            project = scenario.merge_project(self.data, item)
            scenario.ensure_default_workspace(self.data, project)
            return {"id": project.id, "name": project.name, "account": self.data.accounts[project.account_id].name}

    def add_workspace(self, project_id: str, **fields: Any) -> dict[str, Any]:
        """Add a workspace as a scenario item would; returns it as ``show`` does (with grants)."""
        with self.state.lock:
            if project_id not in self.data.projects:
                raise KeyError(f"no project with the id {project_id!r}")
            item = self._scenario_item("workspaces", {"project": project_id, **fields}, WORKSPACE_FIELDS)
            return self._item(scenario.merge_workspace(self.data, item), grants="show")

    def workspaces(self, project_id: str | None = None) -> list[dict[str, Any]]:
        """The workspaces of a project (default: the first one), as ``show`` returns them."""
        with self.state.lock:
            self._purge()
            project_id = project_id or next(iter(self.data.projects), None)
            table = self.data.workspaces.get(project_id or "", {})
            return [self._item(w, grants="show") for w in records.in_creation_order(table)]
