"""Copies of the store's data (``clone``): reset, load and import build on them.

A backend's ``clone(data)`` copies each container and mutable object once and shares the
immutable ones. These tests prove it is deep wherever it must be. They walk the data
through ``dataclasses.fields``, so a field added later that the clone forgets (a shared
list, dict, set or mutable object) fails here, and so does a field the test scenario
leaves empty (fill it in ``SCENARIOS``).
"""

from __future__ import annotations

import copy
import dataclasses
import typing
from typing import Any, Iterator

import pytest

from mockserver import MockServer
from mockserver.modelarts import parsing as modelarts_parsing
from mockserver.modelarts import records as modelarts_records
from mockserver.modelarts.quotas import CATALOGUE
from mockserver.state import ScenarioError, State, clone_data
from mockserver.wallaroo import records as wallaroo_records
from mockserver.wallaroo.graphql.tables import Tables

MODELARTS_SCENARIO: dict[str, Any] = {
    "settings": {"delete_delay_seconds": 60, "max_workspaces_per_project": 50, "allow_cjk_names": True},
    "accounts": [{"name": "clone-account"}],
    "users": [
        {"name": "clone-boss", "account": "clone-account", "primary": True, "denied_actions": ["iam:*"],
         "access_keys": [{"access_key": "CLONEAK0001", "secret_key": "clone-secret-0001"}]},
        {"name": "clone-member", "account": "clone-account"},
    ],
    "projects": [{"name": "eu-nl", "account": "clone-account"}],
    "enterprise_projects": [{"id": "eps-clone", "name": "clone research"}],
    "workspaces": [
        {"project": "eu-nl", "name": "clone-shared", "auth_type": "INTERNAL", "grants": [{"user_name": "clone-member"}],
         "enterprise_project_id": "eps-clone",
         "quotas": [{"resource": CATALOGUE[0].resource, "quota": 600, "used_quota": 30, "update_time": 1}]},
        # a pending deletion (far in the future): fills the ``deleting`` index
        {"project": "eu-nl", "name": "clone-leaving", "status": "DELETING", "delete_complete_time": 4102444800000},
    ],
}
WALLAROO_SCENARIO: dict[str, Any] = {
    "settings": {"access_token_lifetime": 600, "default_workspace_on_invite": False},
    "users": [
        {"username": "clone-admin", "email": "clone-admin@example.com", "admin": True,
         "required_actions": ["UPDATE_PASSWORD"]},
        {"username": "clone-member", "email": "clone-member@example.com", "first_name": "Clone"},
    ],
    "workspaces": [
        {"name": "clone-team", "models": [1, 2], "pipelines": [3],
         "members": [{"user": "clone-admin", "user_type": "OWNER"}, {"user": "clone-member"}]},
    ],
    # the catalog: a model with a version (and its config), a deployed pipeline, a registered rule
    "models": [{"name": "clone-model", "workspace": "clone-team", "versions": [
        {"version": "00000000-0000-4000-8000-000000000001", "file_base64": "bm90IG9ubng=",
         "config": {"tensor_fields": ["tensor"]}}]}],
    "pipelines": [{"name": "clone-pipeline", "workspace": "clone-team", "versions": [{"definition": {"steps": [
        {"ModelInference": {"models": [{"name": "clone-model", "version": "00000000-0000-4000-8000-000000000001"}]}}
    ]}}], "deployment": {"engine_config": {"engine": {"cpu": 1}}}}],
    "inference": [{"model": "clone-model", "outputs": {"output": [1.0]}}],
}
SCENARIOS = {"modelarts": {"name": "clone-coverage", "modelarts": MODELARTS_SCENARIO},
             "wallaroo": {"name": "clone-coverage", "wallaroo": WALLAROO_SCENARIO}}
DATA_CLASSES = {"modelarts": modelarts_records.ModelArtsData, "wallaroo": wallaroo_records.WallarooData}


# -- walking the data ----------------------------------------------------------------
def is_immutable(value: Any) -> bool:
    """Safe to share between copies: plain values, and frozen dataclasses/tuples of them."""
    if value is None or isinstance(value, (str, int, float, bool, bytes)):
        return True
    if isinstance(value, (tuple, frozenset)):
        return all(is_immutable(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type) and value.__dataclass_params__.frozen:
        return all(is_immutable(getattr(value, f.name)) for f in dataclasses.fields(value))
    return False


def _hinted_types(hint: Any) -> Iterator[Any]:
    yield hint
    for arg in typing.get_args(hint):
        yield from _hinted_types(arg)


def dataclasses_of(root: type) -> set[type]:
    """Every dataclass reachable from ``root``'s field annotations (``root`` included)."""
    found: set[type] = set()
    pending = [root]
    while pending:
        cls = pending.pop()
        if cls in found:
            continue
        found.add(cls)
        for hint in typing.get_type_hints(cls).values():
            pending.extend(t for t in _hinted_types(hint) if isinstance(t, type) and dataclasses.is_dataclass(t))
    return found


def container_fields(cls: type) -> set[str]:
    """The fields of ``cls`` annotated as a dict, list or set (possibly ``| None``)."""
    names = set()
    for name, hint in typing.get_type_hints(cls).items():
        if any(typing.get_origin(t) in (dict, list, set) or t in (dict, list, set) for t in _hinted_types(hint)):
            names.add(name)
    return names


@dataclasses.dataclass
class Coverage:
    types: set[type] = dataclasses.field(default_factory=set)
    #: (dataclass, field) seen holding a non-empty container
    filled: set[tuple[type, str]] = dataclasses.field(default_factory=set)


def assert_independent(original: Any, copied: Any, path: str, coverage: Coverage) -> None:
    """``copied`` equals ``original`` and shares nothing mutable with it."""
    if is_immutable(original):  # may be shared; note the kinds of records it holds
        assert copied == original, path
        coverage.types.update(type(item) for item in reachable(original) if dataclasses.is_dataclass(item))
        return
    assert type(copied) is type(original), f"{path}: {type(copied).__name__}, not {type(original).__name__}"
    assert copied is not original, f"{path}: the clone shares this {type(original).__name__} with the original"
    if dataclasses.is_dataclass(original):
        coverage.types.add(type(original))
        for f in dataclasses.fields(original):
            value = getattr(original, f.name)
            if isinstance(value, (dict, list, set)) and value:
                coverage.filled.add((type(original), f.name))
            assert_independent(value, getattr(copied, f.name), f"{path}.{f.name}", coverage)
    elif isinstance(original, dict):
        assert list(copied) == list(original), f"{path}: other keys or another order"
        for key, value in original.items():
            assert is_immutable(key), f"{path}: a mutable key {key!r}"
            assert_independent(value, copied[key], f"{path}[{key!r}]", coverage)
    elif isinstance(original, list):
        assert len(copied) == len(original), path
        for index, (item, copied_item) in enumerate(zip(original, copied)):
            assert_independent(item, copied_item, f"{path}[{index}]", coverage)
    elif isinstance(original, set):
        assert copied == original, path
        assert all(is_immutable(item) for item in original), f"{path}: a set of mutable items"
    else:
        pytest.fail(f"{path}: a {type(original).__name__}; teach this test how to check it")


def reachable(value: Any) -> Iterator[Any]:
    """Every object reachable from ``value`` (each once): dataclasses, dicts, lists, sets, values."""
    seen: set[int] = set()
    pending = [value]
    while pending:
        item = pending.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            pending.extend(getattr(item, f.name) for f in dataclasses.fields(item))
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, (list, set, tuple, frozenset)):
            pending.extend(item)


MARK = object()  # hashable, equal to nothing else


def mutate_everything(value: Any) -> int:
    """Change every mutable object reachable from ``value`` in place; check frozen ones refuse.

    Returns how many objects were changed.
    """
    objects = [item for item in reachable(value) if not is_immutable(item)]
    for item in objects:
        if dataclasses.is_dataclass(item):
            for f in dataclasses.fields(item):
                setattr(item, f.name, MARK)
        elif isinstance(item, dict):
            item[MARK] = MARK
        elif isinstance(item, list):
            item.append(MARK)
        elif isinstance(item, set):
            item.add(MARK)
        else:
            pytest.fail(f"a mutable {type(item).__name__}; teach this test how to change it")
    for item in reachable(value):
        if dataclasses.is_dataclass(item) and not isinstance(item, type) and is_immutable(item):
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(item, dataclasses.fields(item)[0].name, MARK)
    return len(objects)


# -- the backends' clones ------------------------------------------------------------
@pytest.fixture(params=sorted(SCENARIOS))
def loaded(request) -> tuple[MockServer, Any]:
    """A server with the API's coverage scenario loaded, and that API's backend."""
    server = MockServer()
    server.load_scenarios([copy.deepcopy(SCENARIOS[request.param])])
    if request.param == "wallaroo":  # GraphQL reads give the membership rows their ids
        token = server.wallaroo.issue_token("admin")
        answer = server.test_client().post("/v1/graphql", json={"query": "{ workspace_users { id } }"},
                                           headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200 and "errors" not in answer.get_json()
        assert server.wallaroo.data.member_row_ids
    return server, server.state[request.param]


def test_backends_have_their_own_clone(loaded):
    _, backend = loaded
    assert callable(getattr(backend, "clone", None))


def test_clone_is_equal_and_shares_nothing_mutable(loaded):
    _, backend = loaded
    original = backend.data
    copied = backend.clone(original)
    coverage = Coverage()
    assert_independent(original, copied, backend.name, coverage)
    assert copied == original
    # the scenario reaches every kind of object and fills every container field, so the
    # walk above checked them all (a new field must be filled in SCENARIOS)
    classes = dataclasses_of(DATA_CLASSES[backend.name])
    assert {cls.__name__ for cls in classes - coverage.types} == set()
    unfilled = {(cls.__name__, name) for cls in classes if not cls.__dataclass_params__.frozen
                for name in container_fields(cls) if (cls, name) not in coverage.filled}
    assert unfilled == set(), "fill these fields in the test scenario"


def test_changing_everything_in_the_clone_leaves_the_original_alone(loaded):
    _, backend = loaded
    original = backend.data
    before = copy.deepcopy(original)
    copied = backend.clone(original)
    assert mutate_everything(copied) > 20
    for f in dataclasses.fields(original):
        assert getattr(original, f.name) == getattr(before, f.name), f"{backend.name}.{f.name} changed"


def test_changing_the_original_leaves_the_clone_alone(loaded):
    _, backend = loaded
    copied = backend.clone(backend.data)
    before = copy.deepcopy(copied)
    mutate_everything(backend.data)
    for f in dataclasses.fields(copied):
        assert getattr(copied, f.name) == getattr(before, f.name), f"{backend.name}.{f.name} changed"


def test_the_store_keeps_nothing_of_the_scenario_document():
    """Loading copies what it keeps: changing the document afterwards changes nothing."""
    document = copy.deepcopy(SCENARIOS)
    server = MockServer()
    server.load_scenarios(list(document.values()))
    exported = server.export_state()
    mutate_everything(document)
    for section in SCENARIOS:
        assert server.export_state()[section] == exported[section]


def test_the_walk_catches_a_shared_container():
    """The checks above can fail: a clone that forgets a field is caught."""
    server = MockServer()
    server.load_scenarios([copy.deepcopy(SCENARIOS["modelarts"])])
    data = server.modelarts.data
    lazy = server.modelarts.clone(data)
    lazy.workspace_names = data.workspace_names  # as if clone() forgot the index
    with pytest.raises(AssertionError, match="workspace_names: the clone shares"):
        assert_independent(data, lazy, "modelarts", Coverage())
    lazy = server.modelarts.clone(data)
    user_id = next(iter(lazy.users))
    lazy.users[user_id].access_keys = data.users[user_id].access_keys  # as if clone() forgot the keys
    before = copy.deepcopy(data)
    mutate_everything(lazy)
    assert data.users[user_id].access_keys != before.users[user_id].access_keys
    assert data.workspaces == before.workspaces


def test_modelarts_reset_undoes_every_kind_of_change():
    server = MockServer()
    server.load_scenarios([copy.deepcopy(SCENARIOS["modelarts"])])
    backend = server.modelarts
    baseline = backend.export(backend.data)
    project_id = next(p.id for p in backend.data.projects.values() if p.name == "eu-nl")
    boss = backend.authenticate(token=backend.issue_token("clone-boss", project_id), authorization=None, signed=None)
    shared = next(w for w in backend.data.workspaces[project_id].values() if w.name == "clone-shared")
    backend.update_workspace(boss, project_id, shared.id, modelarts_parsing.WorkspaceInput(
        name="clone-renamed", description="changed", auth_type="PRIVATE"))
    backend.update_quotas(boss, project_id, shared.id, [(CATALOGUE[1].resource, 5)])
    backend.set_used_quota(project_id, shared.id, CATALOGUE[0].resource, 99)
    backend.create_workspace(boss, project_id, modelarts_parsing.WorkspaceInput(name="clone-new"))
    backend.add_access_key("clone-member")
    backend.add_user(name="clone-extra", account="clone-account")
    backend.add_project(name="eu-es", account="clone-account")
    backend.add_workspace(project_id, name="clone-added")
    backend.delete_workspace(boss, project_id, shared.id)
    backend.data.settings.delete_delay_seconds = 0
    server.reset()
    assert backend.export(backend.data) == baseline
    assert set(backend.data.workspace_names[project_id]) == {"default", "clone-shared", "clone-leaving"}
    server.reset()  # the baseline itself was not touched by the first round
    assert backend.export(backend.data) == baseline


def test_wallaroo_reset_undoes_every_kind_of_change():
    server = MockServer()
    server.load_scenarios([copy.deepcopy(SCENARIOS["wallaroo"])])
    backend = server.wallaroo
    baseline = copy.deepcopy(backend.data)
    admin = backend.find_user("clone-admin")
    member = backend.find_user("clone-member")
    team = backend.data.workspace_names["clone-team"]
    backend.remove_workspace_user(admin, workspace_id=team, email=None, user_id=member.id)
    created = backend.create_workspace(member, "clone-new")
    backend.add_workspace_user(member, workspace_id=created, email="clone-admin@example.com", user_id=None,
                               user_type="collaborator")
    backend.edit_user(admin, user_id=member.id, first_name="Changed", last_name="Name",
                      email="changed@example.com", enabled=False, is_admin=True)
    backend.realm.update_user(admin, admin.id, enabled=None, first_name=None, last_name=None, email=None,
                        email_verified=True, required_actions=[])
    backend.invite(admin, email="clone-invited@example.com", password="pw", roles=None, require_reset=True)
    backend.add_workspace(name="clone-added", members=[{"user": "clone-member"}])
    Tables(backend).workspace_user_rows(admin)  # gives the GraphQL membership rows their ids
    backend.data.settings.access_token_lifetime = 1
    server.reset()
    assert backend.data == baseline
    server.reset()  # the baseline itself was not touched by the first round
    assert backend.data == baseline


# -- the store: clone when the backend has one, deep copy otherwise ------------------
class PlainBackend:
    """A backend without ``clone``: the store deep-copies its data."""

    name = "plain"
    data: Any

    def empty(self) -> dict[str, list[Any]]:
        return {"items": []}

    def merge(self, data: dict[str, list[Any]], section: Any, path: str) -> None:
        data["items"].extend(copy.deepcopy(section))

    def export(self, data: dict[str, list[Any]]) -> dict[str, Any]:
        return {"items": copy.deepcopy(data["items"])}


class CloningBackend(PlainBackend):
    name = "cloning"

    def __init__(self) -> None:
        self.clones = 0

    def clone(self, data: dict[str, list[Any]]) -> dict[str, list[Any]]:
        self.clones += 1
        return {"items": [dict(item) for item in data["items"]]}


def test_store_falls_back_to_a_deep_copy_without_clone():
    state = State()
    backend = state.register(PlainBackend())
    state.load([("doc", {"plain": [{"n": 1}]})])
    backend.data["items"][0]["n"] = 2
    backend.data["items"].append({"n": 3})
    state.reset()
    assert backend.data == {"items": [{"n": 1}]}
    backend.data["items"][0]["n"] = 4
    state.reset()
    assert backend.data == {"items": [{"n": 1}]}
    assert clone_data(backend, backend.data) == backend.data


def test_store_uses_the_backends_clone_for_load_reset_and_import():
    state = State()
    backend = state.register(CloningBackend())
    state.load([("doc", {"cloning": [{"n": 1}]})])  # the live data, then the baseline
    after_load = backend.clones
    assert after_load >= 2
    state.reset()
    assert backend.clones == after_load + 1
    backend.data["items"][0]["n"] = 2
    state.reset()
    assert backend.data == {"items": [{"n": 1}]}
    state.import_({"cloning": [{"n": 5}]}, as_baseline=True)
    backend.data["items"][0]["n"] = 6
    state.reset()
    assert backend.data == {"items": [{"n": 5}]}
    with pytest.raises(ScenarioError):
        state.load([("bad", {"cloning": [1], "unknown": 1})])  # rejected: nothing changes
    assert backend.data == {"items": [{"n": 5}]}
