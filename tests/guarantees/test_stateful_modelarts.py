"""Random sequences of ModelArts calls over HTTP, checked against a small reference model.

A Hypothesis ``RuleBasedStateMachine`` logs in through IAM, creates, shows, updates
(renames, descriptions, access types, grants), deletes and lists workspaces, changes and
reads quotas, and resets the server, in random order, as the account's primary user and
as an ordinary user, with colliding and invalid names. Every answer is checked against
the model (status, error code, message, body), and after every step the exported store
must equal the model: workspaces, names, owners, access types, grants and quotas.

The model follows the contract in docs/modelarts.md (order of checks, access rules),
written independently of ``mockserver/modelarts/backend.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import requests
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from conftest import PROJECT

DEV, VIEWER = "modelarts-dev", "modelarts-viewer"  # the primary user and an ordinary one
PASSWORDS = {DEV: "modelarts-dev", VIEWER: "modelarts-viewer"}
TIMEOUT = 10

#: callers: mostly the two users, sometimes no credentials at all
ACTORS = st.sampled_from((DEV, DEV, VIEWER, VIEWER, None))
#: colliding names (most often), then reserved and invalid ones ("good\n": a trailing newline once
#: slipped through)
NAMES = ("alpha", "beta_1", "gamma-2", "ALPHA", "delta") * 2 + (
    "default", "default", "abc", "x" * 65, "has space", "good\n", "ünïcode")
#: (auth_type, grants as user names): consistent pairs (most often), then refused ones
ACCESS = ((None, None), ("PUBLIC", None), ("PRIVATE", None), ("private", []), ("INTERNAL", [VIEWER]),
          ("internal", [VIEWER, VIEWER]), ("INTERNAL", [DEV, VIEWER])) * 2 + (
    ("secret", None), ("INTERNAL", None), ("PUBLIC", [VIEWER]), ("INTERNAL", ["ghost"]), ("INTERNAL", []),
    (None, [VIEWER]))
#: which workspace a step names: 0-5 pick an existing one (by position), 6 and 7 unknown ids
WORKSPACE_PICKS = st.integers(0, 7)
RESOURCES = ("trainJob.gpu_duration", "exemlProject.gpu_duration", "no.such_resource")
QUOTA_VALUES = (-1, 0, 1, 500, 60000, 60001, 6000000)
MAX_QUOTA = {"trainJob.gpu_duration": 6000000, "exemlProject.gpu_duration": 60000}
NAME_RULE = re.compile(r"[A-Za-z0-9_-]{4,64}\Z")

SETTINGS = settings(max_examples=60, stateful_step_count=25, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def without_clock(state: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in state.items() if key != "clock"}


@dataclass
class ModelWorkspace:
    id: str
    name: str
    owner: str
    auth_type: str = "PUBLIC"
    description: str = ""
    grants: list[str] = field(default_factory=list)  # IAM user names
    quotas: dict[str, int] = field(default_factory=dict)  # resource -> quota, when not the default -1


class ModelArtsMachine(RuleBasedStateMachine):
    def __init__(self, server: Any) -> None:
        super().__init__()
        self.server = server
        server.reset()
        self.initial = without_clock(server.export_state())
        self.http = requests.Session()
        self.http.trust_env = False
        self.user_ids = {u["name"]: u["id"] for u in server.export_state()["modelarts"]["users"]}
        self.workspaces = self.baseline()
        self.tokens: dict[str, str] = {}
        self.client = server.test_client()  # for the invariant: in-process, cheap
        self.primary = {"X-Auth-Token": server.modelarts.issue_token(DEV)}
        self.ordinary = {"X-Auth-Token": server.modelarts.issue_token(VIEWER)}
        for user in (DEV, VIEWER):
            self.login(user=user, right_password=True)

    @staticmethod
    def baseline() -> dict[str, ModelWorkspace]:
        return {"0": ModelWorkspace("0", "default", DEV)}

    def teardown(self) -> None:
        self.http.close()
        # whatever the sequence did, a reset brings back exactly the baseline: nothing it
        # changed was shared with the baseline's copy
        self.server.reset()
        assert without_clock(self.server.export_state()) == self.initial

    # -- plumbing ------------------------------------------------------------------------
    def call(self, actor: str | None, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"X-Auth-Token": self.tokens[actor]} if actor in self.tokens else {}
        response = self.http.request(method, f"{self.server.url}/v1/{PROJECT}/{path}", json=body,
                                     headers=headers, timeout=TIMEOUT)
        answer = response.json()
        if response.status_code >= 400:  # the ModelArts shape, with the request id in the header too
            assert list(answer) == ["error_msg", "error_code", "request_id"], answer
            assert answer["request_id"] == response.headers["X-Request-Id"]
        return response.status_code, answer

    @staticmethod
    def expect(answer: tuple[int, Any], status: int, code: str | None = None, message: str | None = None) -> Any:
        got, body = answer
        assert got == status, f"expected {status} {code}, got {got}: {body}"
        if code is not None:
            assert body["error_code"] == code, body
        if message is not None:
            assert body["error_msg"] == message, body
        return body

    def authenticated(self, actor: str | None, answer: tuple[int, Any]) -> bool:
        if actor is None:
            self.expect(answer, 401, "APIG.0301", "Incorrect IAM authentication information: x-auth-token not found")
            return False
        return True

    def pick(self, index: int) -> str:
        existing = sorted(self.workspaces)
        if index < 6:
            return existing[index % len(existing)]
        return "0" * 31 + "1" if index == 6 else "no-such-workspace"

    def can_access(self, actor: str, workspace: ModelWorkspace) -> bool:
        if workspace.auth_type == "PUBLIC" or actor == DEV or workspace.owner == actor:  # DEV is primary
            return True
        return workspace.auth_type == "INTERNAL" and actor in workspace.grants

    def accessible(self, actor: str, workspace_id: str, action: str, answer: tuple[int, Any]) -> ModelWorkspace | None:
        workspace = self.workspaces.get(workspace_id)
        if workspace is None:
            self.expect(answer, 400, "ModelArts.0104", f"workspace: {workspace_id} not exist.")
            return None
        if not self.can_access(actor, workspace):
            self.expect(answer, 403, "ModelArts.0108", f"You are not authorized to perform the "
                                                         f"(modelarts:workspace:{action}) operation.")
            return None
        return workspace

    def name_problem(self, name: str) -> str | None:
        if not NAME_RULE.match(name):
            return (f"Invalid workspace name: {name}. Enter 4 to 64 characters; only letters, digits, hyphens (-) "
                    "and underscores (_) are allowed.")
        if name == "default":
            return "Invalid workspace name: default. The name default is reserved for the default workspace."
        return None

    def grants_problem(self, auth_type: str, grants: list[str] | None) -> str | None:
        if grants and auth_type != "INTERNAL":
            return "Parameter error. grants can be set only when auth_type is INTERNAL."
        if auth_type == "INTERNAL" and not grants:
            return "Parameter error. grants is mandatory when auth_type is INTERNAL."
        for index, name in enumerate(grants or []):
            if name not in self.user_ids:
                return f"Invalid grants[{index}]: the IAM user {name} does not exist."
        return None

    # -- rules ---------------------------------------------------------------------------
    @initialize()
    def workspaces_of_each_kind(self) -> None:
        """Start with private, internal (granted to the viewer) and public workspaces of both
        users, so that access rules, grants and the list filter matter from the first step."""
        self.create(actor=DEV, name="dev_private", access=("PRIVATE", None))
        self.create(actor=DEV, name="dev_internal", access=("INTERNAL", [VIEWER]))
        self.create(actor=VIEWER, name="viewer_private", access=("PRIVATE", None))

    @rule(user=st.sampled_from((DEV, VIEWER)), right_password=st.sampled_from((True, True, False)))
    def login(self, user: str, right_password: bool) -> None:
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": user, "password": PASSWORDS[user] if right_password else "wrong",
            "domain": {"name": "mock-account"}}}}, "scope": {"project": {"id": PROJECT}}}}
        response = self.http.post(f"{self.server.url}/v3/auth/tokens", json=body, timeout=TIMEOUT)
        if right_password:
            assert response.status_code == 201, response.text
            assert response.json()["token"]["project"]["id"] == PROJECT
            self.tokens[user] = response.headers["X-Subject-Token"]
        else:
            assert response.status_code == 401
            assert response.json() == {"error": {"code": 401, "message": "The username or password is wrong.",
                                                 "title": "Unauthorized"}}

    @rule(actor=ACTORS, name=st.sampled_from(NAMES), access=st.sampled_from(ACCESS))
    def create(self, actor: str | None, name: str, access: tuple[str | None, list[str] | None]) -> None:
        auth_type, grants = access
        body: dict[str, Any] = {"name": name, "description": f"made by {actor}"}
        if auth_type is not None:
            body["auth_type"] = auth_type
        if grants is not None:
            body["grants"] = [{"user_name": g} for g in grants]
        answer = self.call(actor, "POST", "workspaces", body)
        if not self.authenticated(actor, answer):
            return
        kind = (auth_type or "PUBLIC").upper()
        problem = self.name_problem(name)
        if problem is None and kind not in ("PUBLIC", "PRIVATE", "INTERNAL"):
            problem = f"Invalid auth_type: {auth_type}. Valid values: PUBLIC, PRIVATE, INTERNAL."
        problem = problem or self.grants_problem(kind, grants)
        if problem is None and any(w.name == name for w in self.workspaces.values()):
            problem = f"workspace name: {name} already exists."
        if problem is not None:
            self.expect(answer, 400, "ModelArts.0104", problem)
            return
        created = self.expect(answer, 200)
        assert created["id"] not in self.workspaces and re.fullmatch(r"[0-9a-f]{32}", created["id"])
        assert (created["name"], created["owner"], created["auth_type"], created["status"]) == (
            name, actor, kind.lower(), "NORMAL")
        assert created["grants"] == [{"user_id": self.user_ids[g], "user_name": g} for g in dict.fromkeys(grants or [])]
        self.workspaces[created["id"]] = ModelWorkspace(created["id"], name, actor, kind, body["description"],
                                                        list(dict.fromkeys(grants or [])))

    @rule(actor=ACTORS, pick=WORKSPACE_PICKS)
    def show(self, actor: str | None, pick: int) -> None:
        workspace_id = self.pick(pick)
        answer = self.call(actor, "GET", f"workspaces/{workspace_id}")
        if not self.authenticated(actor, answer):
            return
        workspace = self.accessible(actor, workspace_id, "get", answer)
        if workspace is None:
            return
        shown = self.expect(answer, 200)
        assert (shown["id"], shown["name"], shown["owner"], shown["auth_type"], shown["description"]) == (
            workspace.id, workspace.name, workspace.owner, workspace.auth_type.lower(), workspace.description)
        assert shown["grants"] == [{"user_id": self.user_ids[g], "user_name": g, "user_type": "IAM"}
                                   for g in workspace.grants]

    @rule(actor=ACTORS, pick=WORKSPACE_PICKS, name=st.one_of(st.none(), st.sampled_from(NAMES)),
          access=st.sampled_from(ACCESS), description=st.sampled_from([None, "", "new words", "d" * 257]))
    def update(self, actor: str | None, pick: int, name: str | None, access: tuple[str | None, list[str] | None],
               description: str | None) -> None:
        auth_type, grants = access
        workspace_id = self.pick(pick)
        body: dict[str, Any] = {}
        for key, value in (("name", name), ("auth_type", auth_type), ("description", description)):
            if value is not None:
                body[key] = value
        if grants is not None:
            body["grants"] = [{"user_name": g} for g in grants]
        answer = self.call(actor, "PUT", f"workspaces/{workspace_id}", body)
        if not self.authenticated(actor, answer):
            return
        workspace = self.accessible(actor, workspace_id, "update", answer)
        if workspace is None:
            return
        problem, code = None, "ModelArts.0104"
        if name is not None and name != workspace.name:
            if workspace.id == "0":
                problem, code = "Forbidden to modify the default workspace.", "ModelArts.3566"
            else:
                problem = self.name_problem(name)
                if problem is None and any(w.name == name for w in self.workspaces.values()):
                    problem = f"workspace name: {name} already exists."
        if problem is None and description is not None and len(description) > 256:
            problem = f"Invalid description: {len(description)} characters. Enter 0 to 256 characters."
        kind = (auth_type or workspace.auth_type).upper()
        if problem is None and kind not in ("PUBLIC", "PRIVATE", "INTERNAL"):
            problem = f"Invalid auth_type: {auth_type}. Valid values: PUBLIC, PRIVATE, INTERNAL."
        if problem is None:
            if grants is not None:
                problem = self.grants_problem(kind, grants)
            elif kind == "INTERNAL" and not workspace.grants:
                problem = "Parameter error. grants is mandatory when auth_type is INTERNAL."
        if problem is not None:
            self.expect(answer, 400, code, problem)
            return
        assert self.expect(answer, 200) == {"workspace_id": workspace.id}
        workspace.name = name if name is not None else workspace.name
        workspace.description = description if description is not None else workspace.description
        workspace.auth_type = kind
        if grants is not None:
            workspace.grants = list(dict.fromkeys(grants))
        elif kind != "INTERNAL":
            workspace.grants = []  # leaving INTERNAL drops the grants

    @rule(actor=ACTORS, pick=WORKSPACE_PICKS, name=st.sampled_from(NAMES))
    def rename(self, actor: str | None, pick: int, name: str) -> None:
        """A rename alone, more often than a full update draws one: it reorders the list."""
        self.update(actor=actor, pick=pick, name=name, access=(None, None), description=None)

    @rule(actor=ACTORS, pick=WORKSPACE_PICKS)
    def delete(self, actor: str | None, pick: int) -> None:
        workspace_id = self.pick(pick)
        answer = self.call(actor, "DELETE", f"workspaces/{workspace_id}")
        if not self.authenticated(actor, answer):
            return
        workspace = self.accessible(actor, workspace_id, "delete", answer)
        if workspace is None:
            return
        if workspace.id == "0":
            self.expect(answer, 400, "ModelArts.3566", "Forbidden to modify the default workspace.")
            return
        assert self.expect(answer, 200) == {"workspace_id": workspace.id}
        del self.workspaces[workspace.id]

    @rule(actor=ACTORS, accessible_only=st.booleans(), order=st.sampled_from(["desc", "asc"]),
          name=st.sampled_from([None, "a", "ALPHA", "space"]))
    def list(self, actor: str | None, accessible_only: bool, order: str, name: str | None) -> None:
        query = f"filter_accessible={str(accessible_only).lower()}&order={order}" + (f"&name={name}" if name else "")
        answer = self.call(actor, "GET", f"workspaces?{query}")
        if not self.authenticated(actor, answer):
            return
        listed = self.expect(answer, 200)
        wanted = [w for w in self.workspaces.values()
                  if (not accessible_only or self.can_access(actor, w))
                  and (not name or name.lower() in w.name.lower())]
        wanted.sort(key=lambda w: (w.name, w.id), reverse=order == "desc")
        assert [(w["id"], w["name"]) for w in listed["workspaces"]] == [(w.id, w.name) for w in wanted]
        assert listed["count"] == listed["total_count"] == len(wanted)

    @rule(actor=ACTORS, pick=WORKSPACE_PICKS, resource=st.sampled_from(RESOURCES),
          value=st.sampled_from(QUOTA_VALUES))
    def update_quota(self, actor: str | None, pick: int, resource: str, value: int) -> None:
        workspace_id = self.pick(pick)
        answer = self.call(actor, "PUT", f"workspaces/{workspace_id}/quotas",
                           {"quotas": [{"resource": resource, "quota": value}]})
        if not self.authenticated(actor, answer):
            return
        workspace = self.accessible(actor, workspace_id, "updateQuotas", answer)
        if workspace is None:
            return
        if resource not in MAX_QUOTA:
            self.expect(answer, 400, "ModelArts.0104", f"Invalid quota resource: {resource}.")
        elif value != -1 and not 1 <= value <= MAX_QUOTA[resource]:
            self.expect(answer, 400, "ModelArts.0104", f"Invalid quota {value} for the resource {resource}. The quota "
                                                       f"must be -1 (unlimited) or a positive integer from 1 to "
                                                       f"{MAX_QUOTA[resource]}.")
        else:
            changed = self.expect(answer, 200)["quotas"]
            assert [(q["resource"], q["quota"]) for q in changed] == [(resource, value)]
            workspace.quotas[resource] = value

    @rule(actor=ACTORS, pick=WORKSPACE_PICKS)
    def show_quotas(self, actor: str | None, pick: int) -> None:
        workspace_id = self.pick(pick)
        answer = self.call(actor, "GET", f"workspaces/{workspace_id}/quotas")
        if not self.authenticated(actor, answer):
            return
        workspace = self.accessible(actor, workspace_id, "getQuotas", answer)
        if workspace is None:
            return
        quotas = {q["resource"]: q["quota"] for q in self.expect(answer, 200)["quotas"]}
        assert all(quotas[r] == workspace.quotas.get(r, -1) for r in MAX_QUOTA)

    @rule(roll=st.integers(0, 3))
    def reset(self, roll: int) -> None:
        if roll:  # reset on a quarter of its draws only, so that sequences build up state
            return
        assert self.http.post(f"{self.server.url}/__mock/reset", timeout=TIMEOUT).status_code == 200
        self.workspaces = self.baseline()

    # -- the store must equal the model after every step -----------------------------------
    @invariant()
    def store_matches_model(self) -> None:
        state = self.server.export_state()["modelarts"]  # in-process: the calls went over HTTP
        stored = {w["id"]: (w["name"], w["owner"], w["auth_type"], w["description"],
                            [g["user_name"] for g in w["grants"]],
                            {q["resource"]: q["quota"] for q in w["quotas"] if q["quota"] != -1})
                  for w in state["workspaces"] if w["project"] == PROJECT}
        assert stored == {w.id: (w.name, w.owner, w.auth_type, w.description, w.grants,
                                 {r: q for r, q in w.quotas.items() if q != -1})
                          for w in self.workspaces.values()}
        assert all(w["status"] == "NORMAL" for w in state["workspaces"])
        # and the list agrees after every step, in both orders (the server caches sort orders)
        for order in ("asc", "desc"):
            listed = self.client.get(f"/v1/{PROJECT}/workspaces?order={order}", headers=self.primary).get_json()
            expected = sorted(self.workspaces.values(), key=lambda w: (w.name, w.id), reverse=order == "desc")
            assert [(w["id"], w["name"]) for w in listed["workspaces"]] == [(w.id, w.name) for w in expected]
        listed = self.client.get(f"/v1/{PROJECT}/workspaces?filter_accessible=true", headers=self.ordinary).get_json()
        assert {w["id"] for w in listed["workspaces"]} == {w.id for w in self.workspaces.values()
                                                           if self.can_access(VIEWER, w)}


def test_random_call_sequences_match_the_model(mockserver):
    run_state_machine_as_test(lambda: ModelArtsMachine(mockserver), settings=SETTINGS)
