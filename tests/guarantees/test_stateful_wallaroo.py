"""Random sequences of Wallaroo calls over HTTP, checked against a small reference model.

A Hypothesis ``RuleBasedStateMachine`` logs users in, creates workspaces, adds, removes
and lists members, invites, deactivates, activates and edits users, does the same to
workspaces and members through GraphQL (the same store, Hasura's rules), and resets the
server, in random order and with deliberately colliding names. Every answer is checked
against what the model predicts (status, error message, body), and after every step the
exported store (``GET /__mock/state``) must equal the model: users, workspaces, members
in join order and the next workspace id.

The model is written from the documented behaviour (docs/wallaroo.md), independently of
``mockserver/wallaroo/backend.py``: the order of checks (authentication, then body, then
the workspace, then permissions, then the target user) is part of what is tested.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from conftest import TOKEN_PATH

TIMEOUT = 10

#: who acts (login names); "zed@example.com" never exists
ACTORS = ("admin", "developer@example.com", "ann@example.com", "bob@example.com", "zed@example.com")
#: who calls: mostly the users that can be logged in, the developer (an admin with an email) most
CALLERS = st.sampled_from(("developer@example.com",) * 3 + ("admin", "ann@example.com", "ann@example.com",
                                                            "bob@example.com", "bob@example.com", "zed@example.com"))
#: emails offered to invite: new ones (most often), a case variant of another, an existing one, invalid
INVITE_EMAILS = ("ann@example.com", "bob@example.com") * 3 + (
    "Ann@Example.com", "developer@example.com", "not-an-email")
#: who invites: mostly admins, so that the other users come to exist early
INVITERS = st.sampled_from(("developer@example.com",) * 3 + ("admin", "ann@example.com", "zed@example.com"))
#: emails offered to the edit endpoint (some clash with other users' logins)
EDIT_EMAILS = ("carol@example.com", "ann@example.com", "Admin@Example.com", "developer@example.com", "bad")
#: colliding and invalid workspace names
WORKSPACE_NAMES = ("team-a", "team-b", "team-c", "Team-A", "x1", "1-starts-with-digit", "ends-with-dash-", "has space",
                   "")
USER_TYPES = (None, "OWNER", "COLLABORATOR", "collaborator", "boss")
#: which workspace a step names: 0-5 pick one that exists (by position), 6 and 7 one that does not
WORKSPACE_PICKS = st.integers(0, 7)
MISSING_USER_ID = "00000000-0000-4000-8000-000000000000"

SETTINGS = settings(max_examples=80, stateful_step_count=25, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def dns_compliant(name: str) -> bool:
    return (bool(name) and name[0].isascii() and name[0].isalpha() and not name.endswith("-") and len(name) < 64
            and all(c.isascii() and (c.isalnum() or c == "-") for c in name))


def is_email(text: str) -> bool:
    local, at, domain = text.partition("@")
    return bool(at and local and domain and "@" not in domain and not any(c.isspace() for c in text))


@dataclass
class ModelUser:
    id: str
    username: str
    email: str | None
    password: str
    admin: bool
    enabled: bool = True


@dataclass
class ModelWorkspace:
    id: int
    name: str
    members: dict[str, str] = field(default_factory=dict)


def without_clock(state: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in state.items() if key != "clock"}


class WallarooModel:
    """What the store should hold; rebuilt from the baseline on reset."""

    def __init__(self, baseline: dict[str, Any]) -> None:
        self.users: dict[str, ModelUser] = {}
        for user in baseline["users"]:
            self.users[user["id"]] = ModelUser(user["id"], user["username"], user["email"], user["password"],
                                               user["admin"], user["enabled"])
        self.workspaces: dict[int, ModelWorkspace] = {}
        for workspace in baseline["workspaces"]:
            self.workspaces[workspace["id"]] = ModelWorkspace(
                workspace["id"], workspace["name"], {m["user"]: m["user_type"] for m in workspace["members"]})
        self.next_workspace_id: int = baseline["next_workspace_id"]

    def by_login(self, name: str) -> ModelUser | None:
        """Keycloak's login: a username or an email, case-insensitively."""
        for user in self.users.values():
            if user.username.lower() == name.lower() or (user.email or "").lower() == name.lower():
                return user
        return None

    def by_email(self, email: str) -> ModelUser | None:
        for user in self.users.values():
            if (user.email or "").lower() == email.lower():
                return user
        return None

    def login_taken(self, name: str, *, other_than: str | None = None) -> bool:
        user = self.by_login(name)
        return user is not None and user.id != other_than

    def add_workspace(self, name: str, owner: ModelUser) -> int:
        workspace = ModelWorkspace(self.next_workspace_id, name, {owner.id: "OWNER"})
        self.workspaces[workspace.id] = workspace
        self.next_workspace_id += 1
        return workspace.id


class WallarooMachine(RuleBasedStateMachine):
    def __init__(self, server: Any) -> None:
        super().__init__()
        self.server = server
        server.reset()
        self.initial = without_clock(server.export_state())
        self.baseline = server.export_state()["wallaroo"]
        self.model = WallarooModel(self.baseline)
        self.http = requests.Session()
        self.http.trust_env = False  # 127.0.0.1 only: no proxy lookups per request
        self.client = server.test_client()  # for the invariant: in-process, cheap
        #: actor name -> (user id the token was issued for, access token)
        self.tokens: dict[str, tuple[str, str]] = {}
        for actor in ("admin", "developer@example.com"):
            self.login(actor=actor, right_password=True, client="sdk-client")

    def teardown(self) -> None:
        self.http.close()
        # whatever the sequence did, a reset brings back exactly the baseline: nothing it
        # changed was shared with the baseline's copy
        self.server.reset()
        assert without_clock(self.server.export_state()) == self.initial

    # -- plumbing ------------------------------------------------------------------------
    def post(self, path: str, body: Any, actor: str | None) -> tuple[int, Any]:
        headers = {}
        if actor is not None and actor in self.tokens:
            headers["Authorization"] = f"Bearer {self.tokens[actor][1]}"
        response = self.http.post(self.server.url + path, json=body, headers=headers, timeout=TIMEOUT)
        assert response.headers["Content-Type"].startswith("application/json"), response.text
        return response.status_code, response.json()

    def caller(self, actor: str) -> tuple[ModelUser | None, str | None]:
        """The acting user, or the 401 message the API must answer with."""
        if actor not in self.tokens:
            return None, "Jwt is missing"
        user = self.model.users.get(self.tokens[actor][0])
        if user is None:
            return None, "Jwt verification fails: the token's user does not exist"
        if not user.enabled:
            return None, "Jwt verification fails: the user account is disabled"
        return user, None

    @staticmethod
    def expect(answer: tuple[int, Any], status: int, message: str | None = None) -> Any:
        code, body = answer
        event(f"status {status}" + (f": {message}" if message else ""))
        assert code == status, f"expected {status}, got {code}: {body}"
        if status >= 400:
            assert body == {"msg": body.get("msg"), "code": status}, body
            if message is not None:
                assert message in body["msg"], f"{message!r} not in {body['msg']!r}"
        return body

    def expect_caller(self, actor: str, answer: tuple[int, Any]) -> ModelUser | None:
        """Check a 401 if the actor cannot call; return the acting user otherwise."""
        user, problem = self.caller(actor)
        if user is None:
            self.expect(answer, 401, problem)
        return user

    def workspace_for(self, caller: ModelUser, workspace_id: int, *, owner: bool,
                      answer: tuple[int, Any]) -> ModelWorkspace | None:
        workspace = self.model.workspaces.get(workspace_id)
        if workspace is None:
            self.expect(answer, 400, f"workspace {workspace_id} was not found")
            return None
        if not caller.admin:
            kind = workspace.members.get(caller.id)
            if kind is None:
                self.expect(answer, 401, f"not a member of workspace {workspace_id}")
                return None
            if owner and kind != "OWNER":
                self.expect(answer, 401, f"only an OWNER of workspace {workspace_id}")
                return None
        return workspace

    def workspace_id(self, pick: int) -> int:
        """Mostly an existing workspace, so that steps get past the not-found check."""
        existing = sorted(self.model.workspaces)
        if pick < 6 and existing:
            return existing[pick % len(existing)]
        return 0 if pick == 6 else self.model.next_workspace_id + 100

    def target(self, name: str, by_email: bool) -> dict[str, str]:
        """How a request names a user: by email, or by the id of the user with that login."""
        if by_email:
            return {"email": name}
        user = self.model.by_login(name)
        return {"user_id": user.id if user else MISSING_USER_ID}

    def target_user(self, ref: dict[str, str]) -> ModelUser | None:
        if "email" in ref:
            return self.model.by_email(ref["email"])
        return self.model.users.get(ref["user_id"])

    # -- rules ---------------------------------------------------------------------------
    @initialize(bob_is_admin=st.booleans(), ann_collaborates=st.booleans())
    def colleagues(self, bob_is_admin: bool, ann_collaborates: bool) -> None:
        """Sequences start with two more users, each with a default workspace: ann is no
        admin (so permission checks come into play), and may collaborate on the
        developer's workspace (so the OWNER-only checks do too)."""
        self.invite(actor="developer@example.com", email="ann@example.com", admin=False, password=None)
        self.invite(actor="developer@example.com", email="bob@example.com", admin=bob_is_admin, password="Secret-1")
        if ann_collaborates:
            self.add_user(actor="developer@example.com", pick=0, who="ann@example.com", by_email=True,
                          user_type="COLLABORATOR")

    @rule(actor=st.sampled_from(ACTORS), right_password=st.sampled_from([True, True, True, False]),
          client=st.sampled_from(["sdk-client"] * 5 + ["no-such-client"]))
    def login(self, actor: str, right_password: bool, client: str) -> None:
        user = self.model.by_login(actor)
        password = user.password if user and right_password else "wrong-password"
        response = self.http.post(self.server.url + TOKEN_PATH, timeout=TIMEOUT, data={
            "grant_type": "password", "client_id": client, "username": actor, "password": password})
        body = response.json()
        if client != "sdk-client":
            assert (response.status_code, body["error"]) == (401, "invalid_client"), body
        elif user is None or not right_password:
            assert (response.status_code, body["error"]) == (401, "invalid_grant"), body
        elif not user.enabled:
            assert (response.status_code, body) == (400, {"error": "invalid_grant",
                                                          "error_description": "Account disabled"}), body
        else:
            assert response.status_code == 200, body
            assert body["token_type"] == "Bearer"
            self.tokens[actor] = (user.id, body["access_token"])
            event("logged in")

    @rule(actor=CALLERS, name=st.sampled_from(WORKSPACE_NAMES))
    def create_workspace(self, actor: str, name: str) -> None:
        answer = self.post("/v1/api/workspaces/create", {"workspace_name": name}, actor)
        user = self.expect_caller(actor, answer)
        if user is None:
            return
        if not dns_compliant(name):
            self.expect(answer, 400, "is invalid")
        elif any(w.name == name for w in self.model.workspaces.values()):
            self.expect(answer, 400, "already exists")
        elif not user.email:
            self.expect(answer, 400, "no email address")
        else:
            assert self.expect(answer, 200) == {"workspace_id": self.model.add_workspace(name, user)}

    @rule(actor=CALLERS, pick=WORKSPACE_PICKS, who=st.sampled_from(ACTORS),
          by_email=st.booleans(), user_type=st.sampled_from(USER_TYPES))
    def add_user(self, actor: str, pick: int, who: str, by_email: bool, user_type: str | None) -> None:
        workspace_id = self.workspace_id(pick)
        ref = self.target(who, by_email)
        body: dict[str, Any] = {"workspace_id": workspace_id, **ref}
        if user_type is not None:
            body["user_type"] = user_type
        answer = self.post("/v1/api/workspaces/add_user", body, actor)
        caller = self.expect_caller(actor, answer)
        if caller is None:
            return
        kind = (user_type or "COLLABORATOR").upper()
        if kind not in ("OWNER", "COLLABORATOR"):
            self.expect(answer, 400, "invalid user_type")
            return
        workspace = self.workspace_for(caller, workspace_id, owner=True, answer=answer)
        if workspace is None:
            return
        user = self.target_user(ref)
        if user is None:  # the recorded Keycloak lookup failure
            self.expect(answer, 500, "Failed to find user in Keycloak: No user was found in Keycloak.")
            return
        assert self.expect(answer, 200) == {}
        workspace.members[user.id] = kind  # an upsert: re-adding keeps the join position

    @rule(actor=CALLERS, pick=WORKSPACE_PICKS, who=st.sampled_from(ACTORS),
          by_email=st.booleans())
    def remove_user(self, actor: str, pick: int, who: str, by_email: bool) -> None:
        workspace_id = self.workspace_id(pick)
        ref = self.target(who, by_email)
        answer = self.post("/v1/api/workspaces/remove_user", {"workspace_id": workspace_id, **ref}, actor)
        caller = self.expect_caller(actor, answer)
        if caller is None:
            return
        workspace = self.workspace_for(caller, workspace_id, owner=True, answer=answer)
        if workspace is None:
            return
        user = self.target_user(ref)
        if user is None and "email" in ref:
            self.expect(answer, 500, "Failed to find user in Keycloak: No user was found in Keycloak.")
            return
        removed = workspace.members.pop(user.id, None) if user else None
        assert self.expect(answer, 200) == {"affected_rows": 0 if removed is None else 1}

    @rule(actor=CALLERS, pick=WORKSPACE_PICKS)
    def list_users(self, actor: str, pick: int) -> None:
        workspace_id = self.workspace_id(pick)
        answer = self.post("/v1/api/workspaces/list_users", {"workspace_id": workspace_id}, actor)
        caller = self.expect_caller(actor, answer)
        if caller is None:
            return
        workspace = self.workspace_for(caller, workspace_id, owner=False, answer=answer)
        if workspace is None:
            return
        assert self.expect(answer, 200) == {"users": [{"user_id": uid, "user_type": kind}
                                                      for uid, kind in workspace.members.items()]}

    @rule(actor=CALLERS, member=st.one_of(st.none(), st.sampled_from(ACTORS)))
    def list_workspaces(self, actor: str, member: str | None) -> None:
        body: dict[str, Any] = {}
        if member is not None:
            body["user_id"] = self.target(member, by_email=False)["user_id"]
        answer = self.post("/v1/api/workspaces/list", body, actor)
        caller = self.expect_caller(actor, answer)
        if caller is None:
            return
        visible = [w for w in self.model.workspaces.values() if caller.admin or caller.id in w.members]
        if member is not None:
            visible = [w for w in visible if body["user_id"] in w.members]
        listed = self.expect(answer, 200)["workspaces"]
        assert [(w["id"], w["name"]) for w in listed] == [(w.id, w.name) for w in sorted(visible, key=lambda w: w.id)]

    @rule(actor=INVITERS, email=st.sampled_from(INVITE_EMAILS), admin=st.booleans(),
          password=st.sampled_from([None, "Secret-1"]))
    def invite(self, actor: str, email: str, admin: bool, password: str | None) -> None:
        body: dict[str, Any] = {"email": email, "roles": ["admin"] if admin else []}
        if password is not None:
            body["password"] = password
        answer = self.post("/v1/api/users/invite", body, actor)
        caller = self.expect_caller(actor, answer)
        if caller is None:
            return
        if not caller.admin:
            self.expect(answer, 401, "requires the admin role")
        elif not is_email(email):
            self.expect(answer, 400, "is not a valid email address")
        elif self.model.login_taken(email):
            self.expect(answer, 400, "already exists")
        else:
            created = self.expect(answer, 200)
            assert set(created) == {"id", "password"}
            assert created["id"] not in self.model.users
            assert password is None or created["password"] == password
            user = ModelUser(created["id"], email.lower(), email.lower(), created["password"], admin)
            self.model.users[user.id] = user
            name = f"{user.email} - Default Workspace"
            if not any(w.name == name for w in self.model.workspaces.values()):
                self.model.add_workspace(name, user)
            if email in ACTORS:  # the new user can act from now on
                self.login(actor=email, right_password=True, client="sdk-client")

    @rule(actor=CALLERS, email=st.sampled_from(ACTORS), enabled=st.booleans())
    def set_enabled(self, actor: str, email: str, enabled: bool) -> None:
        path = "/v1/api/users/activate" if enabled else "/v1/api/users/deactivate"
        answer = self.post(path, {"email": email}, actor)
        caller = self.expect_caller(actor, answer)
        if caller is None:
            return
        if not caller.admin:
            self.expect(answer, 401, "requires the admin role")
            return
        user = self.model.by_email(email)
        if user is None:  # recorded: the real API answers a bare 500 here
            self.expect(answer, 500, "error querying keycloak server")
            return
        assert self.expect(answer, 200) == {}
        user.enabled = enabled

    @rule(actor=CALLERS, who=st.sampled_from(ACTORS), email=st.sampled_from(EDIT_EMAILS),
          enabled=st.booleans(), is_admin=st.booleans())
    def edit_user(self, actor: str, who: str, email: str, enabled: bool, is_admin: bool) -> None:
        user_id = self.target(who, by_email=False)["user_id"]
        answer = self.post("/v1/api/user", {"id": user_id, "firstName": "F", "lastName": "L", "email": email,
                                            "enabled": enabled, "isAdmin": is_admin}, actor)
        caller = self.expect_caller(actor, answer)
        if caller is None:
            return
        user = self.model.users.get(user_id)
        if not caller.admin:
            self.expect(answer, 401, "requires the admin role")
        elif user is None:
            self.expect(answer, 400, "no user with the id")
        elif not is_email(email):
            self.expect(answer, 400, "is not a valid email address")
        elif self.model.login_taken(email, other_than=user.id):
            self.expect(answer, 400, "already exists")
        else:
            assert self.expect(answer, 200) == {}
            user.email, user.enabled, user.admin = email, enabled, is_admin

    # -- the same store through GraphQL (Hasura: always 200, data or one error) -------------
    def graphql(self, actor: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[actor][1]}"} if actor in self.tokens else {}
        response = self.http.post(self.server.url + "/v1/graphql", json={"query": query, "variables": variables},
                                  headers=headers, timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        return response.json()

    def graphql_caller(self, actor: str, answer: dict[str, Any]) -> ModelUser | None:
        """The acting user, or None after checking Hasura's token error."""
        user, problem = self.caller(actor)
        if user is None:
            code = "invalid-headers" if problem == "Jwt is missing" else "invalid-jwt"
            self.expect_graphql_error(answer, code)
        return user

    @staticmethod
    def expect_graphql_error(answer: dict[str, Any], code: str, message: str | None = None) -> None:
        assert list(answer) == ["errors"] and len(answer["errors"]) == 1, answer
        event(f"graphql {code}" + (f": {message}" if message else ""))
        assert answer["errors"][0]["extensions"]["code"] == code, answer
        if message is not None:
            assert message in answer["errors"][0]["message"], answer

    @rule(actor=CALLERS, name=st.sampled_from(WORKSPACE_NAMES + ("Team B", "developer@example.com - Default Workspace")),
          member=st.one_of(st.none(), st.tuples(st.sampled_from(ACTORS), st.sampled_from(USER_TYPES))))
    def gql_insert_workspace(self, actor: str, name: str, member: tuple[str, str | None] | None) -> None:
        """``insert_workspace_one``: no DNS rule here, any user may insert, members as given."""
        obj: dict[str, Any] = {"name": name}
        if member is not None:
            who, user_type = member
            entry = {"user_id": self.target(who, by_email=False)["user_id"]}
            if user_type is not None:  # left out: COLLABORATOR (an explicit null is a not-null violation)
                entry["user_type"] = user_type
            obj["users"] = {"data": [entry]}
        answer = self.graphql(actor, "mutation($o: workspace_insert_input!) { insert_workspace_one(object: $o) "
                                     "{ id name created_by users { user_id user_type } } }", {"o": obj})
        caller = self.graphql_caller(actor, answer)
        if caller is None:
            return
        if not caller.email:
            self.expect_graphql_error(answer, "not-supported", "affects zero rows")
            return
        members: dict[str, str] = {}
        if member is not None:
            user_id, kind = obj["users"]["data"][0]["user_id"], (member[1] or "COLLABORATOR").upper()
            if user_id not in self.model.users:
                self.expect_graphql_error(answer, "constraint-violation", "workspace_users_user_id_fkey")
                return
            if kind not in ("OWNER", "COLLABORATOR"):
                self.expect_graphql_error(answer, "constraint-violation", "workspace_users_user_type_check")
                return
            members[user_id] = kind
        if any(w.name == name for w in self.model.workspaces.values()):
            self.expect_graphql_error(answer, "constraint-violation", "workspace_name_key")
            return
        row = answer["data"]["insert_workspace_one"]
        workspace = ModelWorkspace(self.model.next_workspace_id, name, members)
        assert (row["id"], row["name"], row["created_by"]) == (workspace.id, name, caller.email)
        readable = caller.admin or caller.id in members  # the returned row's members obey read rights
        assert row["users"] == [{"user_id": uid, "user_type": kind} for uid, kind in members.items() if readable]
        self.model.workspaces[workspace.id] = workspace
        self.model.next_workspace_id += 1

    @rule(actor=CALLERS, pick=WORKSPACE_PICKS, who=st.sampled_from(ACTORS), user_type=st.sampled_from(USER_TYPES))
    def gql_add_member(self, actor: str, pick: int, who: str, user_type: str | None) -> None:
        """``insert_workspace_users_one``: an OWNER's or an admin's right; a member twice is a conflict."""
        workspace_id = self.workspace_id(pick)
        user_id = self.target(who, by_email=False)["user_id"]
        obj: dict[str, Any] = {"workspace_id": workspace_id, "user_id": user_id}
        if user_type is not None:
            obj["user_type"] = user_type
        answer = self.graphql(actor, "mutation($o: workspace_users_insert_input!) { insert_workspace_users_one("
                                     "object: $o) { user_id user_type workspace_id } }", {"o": obj})
        caller = self.graphql_caller(actor, answer)
        if caller is None:
            return
        workspace = self.model.workspaces.get(workspace_id)
        kind = (user_type or "COLLABORATOR").upper()
        if workspace is None:
            self.expect_graphql_error(answer, "constraint-violation", "workspace_users_workspace_id_fkey")
        elif user_id not in self.model.users:
            self.expect_graphql_error(answer, "constraint-violation", "workspace_users_user_id_fkey")
        elif kind not in ("OWNER", "COLLABORATOR"):
            self.expect_graphql_error(answer, "constraint-violation", "workspace_users_user_type_check")
        elif not (caller.admin or workspace.members.get(caller.id) == "OWNER"):
            self.expect_graphql_error(answer, "permission-error")
        elif user_id in workspace.members:
            self.expect_graphql_error(answer, "constraint-violation", "workspace_users_workspace_id_user_id_key")
        else:
            assert answer == {"data": {"insert_workspace_users_one": {
                "user_id": user_id, "user_type": kind, "workspace_id": workspace_id}}}
            workspace.members[user_id] = kind

    @rule(actor=CALLERS, pick=WORKSPACE_PICKS, who=st.sampled_from(ACTORS))
    def gql_remove_member(self, actor: str, pick: int, who: str) -> None:
        """``delete_workspace_users``: rows the caller may not manage are left alone, silently."""
        workspace_id = self.workspace_id(pick)
        user_id = self.target(who, by_email=False)["user_id"]
        answer = self.graphql(actor, "mutation($w: bigint!, $u: String!) { delete_workspace_users(where: "
                                     "{workspace_id: {_eq: $w}, user_id: {_eq: $u}}) { affected_rows } }",
                              {"w": workspace_id, "u": user_id})
        caller = self.graphql_caller(actor, answer)
        if caller is None:
            return
        workspace = self.model.workspaces.get(workspace_id)
        removed = workspace is not None and user_id in workspace.members and (
            caller.admin or workspace.members.get(caller.id) == "OWNER")
        event(f"graphql delete: {int(removed)} rows")
        assert answer == {"data": {"delete_workspace_users": {"affected_rows": int(removed)}}}, answer
        if removed:
            del workspace.members[user_id]

    @rule(actor=CALLERS, pick=WORKSPACE_PICKS)
    def gql_read(self, actor: str, pick: int) -> None:
        """``workspace_by_pk``: null for what the caller may not read; members in joining order."""
        workspace_id = self.workspace_id(pick)
        answer = self.graphql(actor, "query($id: bigint!) { workspace_by_pk(id: $id) { id name users "
                                     "{ user_id user_type } } }", {"id": workspace_id})
        caller = self.graphql_caller(actor, answer)
        if caller is None:
            return
        workspace = self.model.workspaces.get(workspace_id)
        if workspace is None or not (caller.admin or caller.id in workspace.members):
            assert answer == {"data": {"workspace_by_pk": None}}, answer
        else:
            assert answer == {"data": {"workspace_by_pk": {"id": workspace.id, "name": workspace.name, "users": [
                {"user_id": uid, "user_type": kind} for uid, kind in workspace.members.items()]}}}, answer

    @rule(roll=st.integers(0, 3))
    def reset(self, roll: int) -> None:
        if roll:  # reset on a quarter of its draws only, so that sequences build up state
            return
        response = self.http.post(self.server.url + "/__mock/reset", timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        self.model = WallarooModel(self.baseline)

    # -- the store must equal the model after every step -----------------------------------
    @invariant()
    def store_matches_model(self) -> None:
        # read in-process: the calls above went over HTTP, and a GET /__mock/state per step
        # would double the run time for no extra coverage (the control API has its own tests)
        state = self.server.export_state()["wallaroo"]
        users = {u["id"]: (u["username"], u["email"], u["enabled"], u["admin"]) for u in state["users"]}
        assert users == {u.id: (u.username, u.email, u.enabled, u.admin) for u in self.model.users.values()}
        workspaces = {w["id"]: (w["name"], [(m["user"], m["user_type"]) for m in w["members"]])
                      for w in state["workspaces"]}
        assert workspaces == {w.id: (w.name, list(w.members.items())) for w in self.model.workspaces.values()}
        assert state["next_workspace_id"] == self.model.next_workspace_id
        # what a user who is no admin may see, after every step (in-process: cheap)
        ann = self.model.by_login("ann@example.com")
        if ann is None or ann.admin or not ann.enabled:
            return
        headers = {"Authorization": f"Bearer {self.server.wallaroo.issue_token(ann.id)}"}
        listed = self.client.post("/v1/api/workspaces/list", json={}, headers=headers).get_json()["workspaces"]
        assert [w["id"] for w in listed] == sorted(w.id for w in self.model.workspaces.values() if ann.id in w.members)
        for workspace in self.model.workspaces.values():
            response = self.client.post("/v1/api/workspaces/list_users", json={"workspace_id": workspace.id},
                                        headers=headers)
            assert response.status_code == (200 if ann.id in workspace.members else 401)


def test_baseline_is_what_the_model_assumes(mockserver):
    """The machine starts from the default scenario: two admins, one default workspace."""
    baseline = mockserver.export_state()["wallaroo"]
    model = WallarooModel(baseline)
    developer = model.by_login("developer@example.com")
    assert developer is not None and developer.admin and developer.password == "developer"
    assert model.by_login("admin") is not None and model.by_login("admin").email is None
    assert [(w.id, w.name, w.members) for w in model.workspaces.values()] == [
        (1, "developer@example.com - Default Workspace", {developer.id: "OWNER"})]
    assert model.next_workspace_id == 2


def test_random_call_sequences_match_the_model(mockserver):
    run_state_machine_as_test(lambda: WallarooMachine(mockserver), settings=SETTINGS)
