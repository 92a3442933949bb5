"""The OpenAPI document against the server: real requests, their answers checked with jsonschema.

Every case makes one request over the socket and checks that its status is documented
for the operation, that the body matches the documented schema (strictly: an object
may carry no member the document does not list), that the documented media type and
headers are there. Then: every documented (operation, status) is exercised by a case.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, Callable

import jsonschema
import pytest
import requests

from mockserver.openapi import openapi_document

from conftest import PROJECT

DOCUMENT = openapi_document()
DEVELOPER = "3c9a2e57-6a1f-4d0b-8f2e-5b7d1c4e9a01"  # its Wallaroo platform admin
WORKSPACES = f"/v1/{PROJECT}/workspaces"


# -- OpenAPI 3.0 schema -> JSON Schema (draft 7) ---------------------------------------------------
def to_json_schema(schema: Any) -> Any:
    """``nullable`` becomes a null alternative; refs point at ``definitions``; objects with listed
    members allow no others unless they say so (answers must not grow undocumented members)."""
    if isinstance(schema, list):
        return [to_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {key: to_json_schema(value) for key, value in schema.items()
                 if key not in ("nullable", "example", "description")}
    if "properties" in converted:
        converted["properties"] = {name: to_json_schema(member) for name, member in schema["properties"].items()}
        converted.setdefault("additionalProperties", False)
    if "$ref" in converted:
        converted["$ref"] = converted["$ref"].replace("#/components/schemas/", "#/definitions/")
    if schema.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


DEFINITIONS = {name: to_json_schema(schema) for name, schema in DOCUMENT["components"]["schemas"].items()}


def validate(schema: dict[str, Any], value: Any) -> None:
    root = {"allOf": [to_json_schema(schema)], "definitions": DEFINITIONS}
    jsonschema.Draft7Validator(root).validate(value)


def operation(template: str, method: str) -> dict[str, Any]:
    item = DOCUMENT["paths"].get(template)
    assert item is not None and method in item, f"{method.upper()} {template} is not documented"
    return item[method]


def check_answer(template: str, method: str, response: requests.Response) -> None:
    """The answer is documented: status, media type, headers and body schema."""
    documented = operation(template, method)["responses"]
    status = str(response.status_code)
    assert status in documented, (f"{method.upper()} {template} answered {status}, documented: "
                                  f"{sorted(documented)}; body: {response.text[:300]}")
    expected = documented[status]
    for name in expected.get("headers", {}):
        assert name in response.headers, f"{method.upper()} {template} {status}: header {name} is missing"
    content = expected.get("content")
    if not content:
        assert response.content == b"", f"{method.upper()} {template} {status} should have no body"
        return
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    assert media_type in content, f"{method.upper()} {template} {status}: {media_type} not in {list(content)}"
    schema = content[media_type]["schema"]
    if media_type == "application/json":
        validate(schema, response.json())
    else:
        validate(schema, response.text)


# -- the cases -------------------------------------------------------------------------------------
@dataclass
class Env:
    server: Any
    http: requests.Session
    tmp_path: Any

    def url(self, path: str) -> str:
        return self.server.url + path

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(method, self.url(path), **kwargs)

    def wallaroo(self, user: str = "developer@example.com") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.server.wallaroo.issue_token(user)}"}

    def member(self) -> dict[str, str]:
        """A Wallaroo user without the admin role (with a default workspace)."""
        if self.server.wallaroo.find_user("member@example.com") is None:
            self.server.wallaroo.add_user(username="member@example.com", email="member@example.com", password="pw")
        return self.wallaroo("member@example.com")

    def member_id(self) -> str:
        self.member()
        return self.server.wallaroo.find_user("member@example.com").id

    def modelarts(self, user: str = "modelarts-dev") -> dict[str, str]:
        return {"X-Auth-Token": self.server.modelarts.issue_token(user, PROJECT)}

    def private_workspace(self) -> str:
        """A PRIVATE workspace of modelarts-dev: modelarts-viewer may not open it."""
        answer = self.call("POST", WORKSPACES, json={"name": "private-ws", "auth_type": "PRIVATE"},
                           headers=self.modelarts())
        assert answer.status_code == 200, answer.text
        return answer.json()["id"]

    def workspace(self) -> str:
        answer = self.call("POST", WORKSPACES, json={"name": "public-ws"}, headers=self.modelarts())
        assert answer.status_code == 200, answer.text
        return answer.json()["id"]


@dataclass
class Case:
    method: str
    template: str
    status: int
    what: str
    request: Callable[[Env], requests.Response]

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.template} {self.status} {self.what}"


def _keycloak_user_id(env: Env) -> str:
    return env.member_id()


def _login(env: Env, **form: str) -> requests.Response:
    return env.call("POST", "/auth/realms/master/protocol/openid-connect/token",
                    data={"client_id": "sdk-client", **form})


def _refresh(env: Env) -> requests.Response:
    tokens = _login(env, grant_type="password", username="developer@example.com", password="developer").json()
    return _login(env, grant_type="refresh_token", refresh_token=tokens["refresh_token"])


def _iam_login(scope: Any = None) -> dict[str, Any]:
    document: dict[str, Any] = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "modelarts-dev", "password": "modelarts-dev", "domain": {"name": "mock-account"}}}}}}
    if scope is not None:
        document["auth"]["scope"] = scope
    return document


def _denied_lister(env: Env) -> dict[str, str]:
    env.server.modelarts.add_user(name="no-lister", account="mock-account", denied_actions=["iam:users:listUsers"])
    return env.modelarts("no-lister")


def _other_project(path: str) -> str:
    return path.replace(PROJECT, "ffffffffffffffffffffffffffffffff")


def _create_with_an_expired_token(env: Env) -> requests.Response:
    token = env.server.wallaroo.issue_token("developer@example.com", lifetime=1)
    env.server.clock.advance(5)
    return env.call("POST", f"{W}/create", json={"workspace_name": "ws-b"}, headers={"Authorization": f"Bearer {token}"})


def _save_under_a_file(env: Env) -> requests.Response:
    (env.tmp_path / "file").write_text("not a folder")
    return env.call("POST", "/__mock/state/save", json={"path": str(env.tmp_path / "file" / "state.json")})


def _after_a_request(env: Env, method: str, path: str, *, first: str = "/v1/api/workspaces/list",
                     **kwargs: Any) -> requests.Response:
    """``method path`` once the journal holds a (failed) request to ``first``."""
    env.call("POST", first, json={})
    return env.call(method, path, **kwargs)


def _list_faults(env: Env) -> requests.Response:
    env.call("POST", "/__mock/faults", json={"drop": True, "path": "/nowhere"})
    return env.call("GET", "/__mock/faults")


def _delete_a_fault(env: Env) -> requests.Response:
    rule = env.call("POST", "/__mock/faults", json={"status": 500, "path": "/nowhere"}).json()
    return env.call("DELETE", f"/__mock/faults/{rule['id']}")


W = "/v1/api/workspaces"
KC_USERS = "/auth/admin/realms/master/users"
ONE_USER = "/auth/admin/realms/master/users/{user_id}"
ONE = "/v1/{project_id}/workspaces/{workspace_id}"
T_WORKSPACES = "/v1/{project_id}/workspaces"

CASES = [
    # -- Wallaroo: workspaces
    Case("post", f"{W}/list", 200, "all", lambda e: e.call("POST", f"{W}/list", json={}, headers=e.wallaroo())),
    Case("post", f"{W}/list", 200, "by user", lambda e: e.call("POST", f"{W}/list", json={"user_id": DEVELOPER},
                                                             headers=e.wallaroo())),
    Case("post", f"{W}/list", 400, "not JSON", lambda e: e.call("POST", f"{W}/list", data="[", headers=e.wallaroo())),
    Case("post", f"{W}/list", 401, "no token", lambda e: e.call("POST", f"{W}/list", json={})),
    Case("post", f"{W}/create", 200, "", lambda e: e.call("POST", f"{W}/create", json={"workspace_name": "ws-a"},
                                                          headers=e.wallaroo())),
    Case("post", f"{W}/create", 400, "bad name", lambda e: e.call("POST", f"{W}/create", json={"workspace_name": "-"},
                                                                  headers=e.wallaroo())),
    Case("post", f"{W}/create", 401, "expired", _create_with_an_expired_token),
    Case("post", f"{W}/add_user", 200, "", lambda e: e.call("POST", f"{W}/add_user", headers=e.wallaroo(), json={
        "workspace_id": 1, "email": "developer@example.com"})),
    Case("post", f"{W}/add_user", 400, "no workspace", lambda e: e.call(
        "POST", f"{W}/add_user", json={"workspace_id": 999, "user_id": DEVELOPER}, headers=e.wallaroo())),
    Case("post", f"{W}/add_user", 401, "not a member", lambda e: e.call(
        "POST", f"{W}/add_user", json={"workspace_id": 1, "user_id": DEVELOPER}, headers=e.member())),
    Case("post", f"{W}/add_user", 500, "unknown email", lambda e: e.call(
        "POST", f"{W}/add_user", json={"workspace_id": 1, "email": "nobody@example.com"}, headers=e.wallaroo())),
    Case("post", f"{W}/list_users", 200, "", lambda e: e.call("POST", f"{W}/list_users", json={"workspace_id": 1},
                                                              headers=e.wallaroo())),
    Case("post", f"{W}/list_users", 400, "missing id", lambda e: e.call("POST", f"{W}/list_users", json={},
                                                                        headers=e.wallaroo())),
    Case("post", f"{W}/list_users", 401, "bad token", lambda e: e.call(
        "POST", f"{W}/list_users", json={"workspace_id": 1}, headers={"Authorization": "Bearer not-a-jwt"})),
    Case("post", f"{W}/remove_user", 200, "", lambda e: e.call(
        "POST", f"{W}/remove_user", json={"workspace_id": 1, "user_id": "someone"}, headers=e.wallaroo())),
    Case("post", f"{W}/remove_user", 400, "neither email nor id", lambda e: e.call(
        "POST", f"{W}/remove_user", json={"workspace_id": 1}, headers=e.wallaroo())),
    Case("post", f"{W}/remove_user", 401, "no token", lambda e: e.call("POST", f"{W}/remove_user",
                                                                       json={"workspace_id": 1})),
    Case("post", f"{W}/remove_user", 500, "unknown email", lambda e: e.call(
        "POST", f"{W}/remove_user", json={"workspace_id": 1, "email": "nobody@example.com"}, headers=e.wallaroo())),
    Case("post", f"{W}/validate", 200, "no body", lambda e: e.call("POST", f"{W}/validate", headers=e.wallaroo())),
    Case("post", f"{W}/validate", 400, "not JSON", lambda e: e.call("POST", f"{W}/validate", data="x",
                                                                    headers=e.wallaroo())),
    Case("post", f"{W}/validate", 401, "not admin", lambda e: e.call("POST", f"{W}/validate", headers=e.member())),
    # -- Wallaroo: users
    Case("post", "/v1/api/users/query", 200, "all", lambda e: e.call("POST", "/v1/api/users/query", json={},
                                                                     headers=e.wallaroo())),
    Case("post", "/v1/api/users/query", 200, "by id", lambda e: e.call(
        "POST", "/v1/api/users/query", json={"user_ids": [DEVELOPER, "unknown"]}, headers=e.wallaroo())),
    Case("post", "/v1/api/users/query", 400, "bad ids", lambda e: e.call(
        "POST", "/v1/api/users/query", json={"user_ids": [1]}, headers=e.wallaroo())),
    Case("post", "/v1/api/users/query", 401, "no token", lambda e: e.call("POST", "/v1/api/users/query", json={})),
    Case("post", "/v1/api/users/invite", 200, "", lambda e: e.call(
        "POST", "/v1/api/users/invite", json={"email": "ana@example.com"}, headers=e.wallaroo())),
    Case("post", "/v1/api/users/invite", 400, "bad email", lambda e: e.call(
        "POST", "/v1/api/users/invite", json={"email": "ana"}, headers=e.wallaroo())),
    Case("post", "/v1/api/users/invite", 401, "not admin", lambda e: e.call(
        "POST", "/v1/api/users/invite", json={"email": "ana@example.com"}, headers=e.member())),
    *[Case("post", f"/v1/api/users/{action}", status, what, request) for action in ("deactivate", "activate")
      for status, what, request in (
          (200, "", lambda e, a=action: e.call("POST", f"/v1/api/users/{a}", json={"email": "developer@example.com"},
                                               headers=e.wallaroo("admin"))),
          (400, "no email", lambda e, a=action: e.call("POST", f"/v1/api/users/{a}", json={}, headers=e.wallaroo())),
          (401, "not admin", lambda e, a=action: e.call("POST", f"/v1/api/users/{a}",
                                                        json={"email": "developer@example.com"}, headers=e.member())),
          (500, "unknown email", lambda e, a=action: e.call("POST", f"/v1/api/users/{a}",
                                                            json={"email": "nobody@example.com"},
                                                            headers=e.wallaroo())))],
    Case("post", "/v1/api/user", 200, "", lambda e: e.call("POST", "/v1/api/user", headers=e.wallaroo(), json={
        "id": DEVELOPER, "firstName": "Dev", "lastName": "Eloper", "email": "developer@example.com",
        "enabled": True, "isAdmin": True})),
    Case("post", "/v1/api/user", 400, "missing members", lambda e: e.call("POST", "/v1/api/user", json={"id": "x"},
                                                                          headers=e.wallaroo())),
    Case("post", "/v1/api/user", 401, "no token", lambda e: e.call("POST", "/v1/api/user", json={})),
    # -- Wallaroo: platform, Keycloak, documentation
    Case("get", "/v1/api/config", 200, "", lambda e: e.call("GET", "/v1/api/config")),
    Case("post", "/v1/graphql", 200, "data", lambda e: e.call(
        "POST", "/v1/graphql", json={"query": "{ workspace_by_pk(id: 1) { id name } }"}, headers=e.wallaroo())),
    Case("post", "/v1/graphql", 200, "errors", lambda e: e.call("POST", "/v1/graphql", json={"query": "{ nope }"})),
    Case("post", "/auth/realms/master/protocol/openid-connect/token", 200, "password", lambda e: _login(
        e, grant_type="password", username="developer@example.com", password="developer")),
    Case("post", "/auth/realms/master/protocol/openid-connect/token", 200, "refresh", _refresh),
    Case("post", "/auth/realms/master/protocol/openid-connect/token", 400, "grant", lambda e: _login(
        e, grant_type="client_credentials")),
    Case("post", "/auth/realms/master/protocol/openid-connect/token", 401, "password", lambda e: _login(
        e, grant_type="password", username="developer@example.com", password="wrong")),
    Case("get", KC_USERS, 200, "", lambda e: e.call("GET", KC_USERS, params={"email": "example.com"},
                                                    headers=e.wallaroo())),
    Case("get", KC_USERS, 400, "bad first", lambda e: e.call("GET", KC_USERS, params={"first": "x"},
                                                             headers=e.wallaroo())),
    Case("get", KC_USERS, 401, "no token", lambda e: e.call("GET", KC_USERS)),
    Case("get", ONE_USER, 200, "", lambda e: e.call("GET", f"{KC_USERS}/{DEVELOPER}", headers=e.wallaroo())),
    Case("get", ONE_USER, 401, "no token", lambda e: e.call("GET", f"{KC_USERS}/{DEVELOPER}")),
    Case("get", ONE_USER, 404, "", lambda e: e.call("GET", f"{KC_USERS}/nobody", headers=e.wallaroo())),
    Case("put", ONE_USER, 204, "", lambda e: e.call("PUT", f"{KC_USERS}/{_keycloak_user_id(e)}",
                                                    json={"firstName": "Mem"}, headers=e.wallaroo())),
    Case("put", ONE_USER, 400, "not an object", lambda e: e.call("PUT", f"{KC_USERS}/{DEVELOPER}", json=[1],
                                                                 headers=e.wallaroo())),
    Case("put", ONE_USER, 401, "no token", lambda e: e.call("PUT", f"{KC_USERS}/{DEVELOPER}", json={})),
    Case("put", ONE_USER, 403, "not admin", lambda e: e.call("PUT", f"{KC_USERS}/{DEVELOPER}", json={},
                                                             headers=e.member())),
    Case("put", ONE_USER, 404, "", lambda e: e.call("PUT", f"{KC_USERS}/nobody", json={}, headers=e.wallaroo())),
    Case("put", ONE_USER, 409, "email taken", lambda e: e.call(
        "PUT", f"{KC_USERS}/{_keycloak_user_id(e)}", json={"email": "developer@example.com"}, headers=e.wallaroo())),
    Case("get", "/v1/api/docs", 200, "", lambda e: e.call("GET", "/v1/api/docs")),
    Case("get", "/v1/api/openapi.json", 200, "", lambda e: e.call("GET", "/v1/api/openapi.json")),
    # -- ModelArts: workspaces
    Case("get", T_WORKSPACES, 200, "", lambda e: e.call("GET", WORKSPACES, headers=e.modelarts())),
    Case("get", T_WORKSPACES, 200, "page", lambda e: e.call(
        "GET", WORKSPACES, params={"limit": 1, "offset": 0, "sort_by": "update_time", "order": "asc",
                                   "name": "def", "filter_accessible": "true"}, headers=e.modelarts())),
    Case("get", T_WORKSPACES, 400, "sort_by", lambda e: e.call("GET", WORKSPACES, params={"sort_by": "size"},
                                                               headers=e.modelarts())),
    Case("get", T_WORKSPACES, 401, "no credentials", lambda e: e.call("GET", WORKSPACES)),
    Case("get", T_WORKSPACES, 403, "other project", lambda e: e.call("GET", _other_project(WORKSPACES),
                                                                     headers=e.modelarts())),
    Case("post", T_WORKSPACES, 200, "", lambda e: e.call("POST", WORKSPACES, headers=e.modelarts(), json={
        "name": "granted", "auth_type": "internal", "grants": [{"user_name": "modelarts-viewer"}]})),
    Case("post", T_WORKSPACES, 400, "name", lambda e: e.call("POST", WORKSPACES, json={"name": "x"},
                                                             headers=e.modelarts())),
    Case("post", T_WORKSPACES, 401, "bad token", lambda e: e.call("POST", WORKSPACES, json={"name": "abcd"},
                                                                  headers={"X-Auth-Token": "MIIforged.x"})),
    Case("post", T_WORKSPACES, 403, "other project", lambda e: e.call(
        "POST", _other_project(WORKSPACES), json={"name": "abcd"}, headers=e.modelarts())),
    Case("get", ONE, 200, "default", lambda e: e.call("GET", f"{WORKSPACES}/0", headers=e.modelarts())),
    Case("get", ONE, 400, "unknown", lambda e: e.call("GET", f"{WORKSPACES}/nope", headers=e.modelarts())),
    Case("get", ONE, 401, "", lambda e: e.call("GET", f"{WORKSPACES}/0")),
    Case("get", ONE, 403, "private", lambda e: e.call("GET", f"{WORKSPACES}/{e.private_workspace()}",
                                                      headers=e.modelarts("modelarts-viewer"))),
    Case("put", ONE, 200, "", lambda e: e.call("PUT", f"{WORKSPACES}/{e.workspace()}", json={"description": "d"},
                                               headers=e.modelarts())),
    Case("put", ONE, 400, "rename default", lambda e: e.call("PUT", f"{WORKSPACES}/0", json={"name": "other"},
                                                             headers=e.modelarts())),
    Case("put", ONE, 401, "", lambda e: e.call("PUT", f"{WORKSPACES}/0", json={})),
    Case("put", ONE, 403, "private", lambda e: e.call("PUT", f"{WORKSPACES}/{e.private_workspace()}", json={},
                                                      headers=e.modelarts("modelarts-viewer"))),
    Case("delete", ONE, 200, "", lambda e: e.call("DELETE", f"{WORKSPACES}/{e.workspace()}", headers=e.modelarts())),
    Case("delete", ONE, 400, "default", lambda e: e.call("DELETE", f"{WORKSPACES}/0", headers=e.modelarts())),
    Case("delete", ONE, 401, "", lambda e: e.call("DELETE", f"{WORKSPACES}/0")),
    Case("delete", ONE, 403, "private", lambda e: e.call("DELETE", f"{WORKSPACES}/{e.private_workspace()}",
                                                         headers=e.modelarts("modelarts-viewer"))),
    # -- ModelArts: quotas, auth checks, IAM users
    Case("get", f"{ONE}/quotas", 200, "", lambda e: e.call("GET", f"{WORKSPACES}/0/quotas", headers=e.modelarts())),
    Case("get", f"{ONE}/quotas", 400, "unknown", lambda e: e.call("GET", f"{WORKSPACES}/nope/quotas",
                                                                  headers=e.modelarts())),
    Case("get", f"{ONE}/quotas", 401, "", lambda e: e.call("GET", f"{WORKSPACES}/0/quotas")),
    Case("get", f"{ONE}/quotas", 403, "private", lambda e: e.call(
        "GET", f"{WORKSPACES}/{e.private_workspace()}/quotas", headers=e.modelarts("modelarts-viewer"))),
    Case("put", f"{ONE}/quotas", 200, "", lambda e: e.call(
        "PUT", f"{WORKSPACES}/0/quotas", json={"quotas": [{"resource": "exemlProject.gpu_duration", "quota": 10}]},
        headers=e.modelarts())),
    Case("put", f"{ONE}/quotas", 400, "zero", lambda e: e.call(
        "PUT", f"{WORKSPACES}/0/quotas", json={"quotas": [{"resource": "exemlProject.gpu_duration", "quota": 0}]},
        headers=e.modelarts())),
    Case("put", f"{ONE}/quotas", 401, "", lambda e: e.call("PUT", f"{WORKSPACES}/0/quotas", json={"quotas": []})),
    Case("put", f"{ONE}/quotas", 403, "private", lambda e: e.call(
        "PUT", f"{WORKSPACES}/{e.private_workspace()}/quotas", json={"quotas": []},
        headers=e.modelarts("modelarts-viewer"))),
    Case("post", f"{ONE}/auth", 200, "", lambda e: e.call("POST", f"{WORKSPACES}/0/auth", headers=e.modelarts(), json={
        "requests": [{"action_id": "1", "action": "modelarts:workspace:get"},
                     {"action_id": "2", "action": "modelarts:workspace:delete", "resource": "r",
                      "service_attributes": {"k": "v"}}]})),
    Case("post", f"{ONE}/auth", 400, "no requests", lambda e: e.call("POST", f"{WORKSPACES}/0/auth", json={},
                                                                     headers=e.modelarts())),
    Case("post", f"{ONE}/auth", 401, "", lambda e: e.call("POST", f"{WORKSPACES}/0/auth", json={})),
    Case("post", f"{ONE}/auth", 403, "other project", lambda e: e.call(
        "POST", _other_project(f"{WORKSPACES}/0/auth"), json={"requests": []}, headers=e.modelarts())),
    Case("get", f"{T_WORKSPACES}/users/list", 200, "", lambda e: e.call("GET", f"{WORKSPACES}/users/list",
                                                                        headers=e.modelarts())),
    Case("get", f"{T_WORKSPACES}/users/list", 400, "denied", lambda e: e.call("GET", f"{WORKSPACES}/users/list",
                                                                              headers=_denied_lister(e))),
    Case("get", f"{T_WORKSPACES}/users/list", 401, "", lambda e: e.call("GET", f"{WORKSPACES}/users/list")),
    Case("get", f"{T_WORKSPACES}/users/list", 403, "other project", lambda e: e.call(
        "GET", _other_project(f"{WORKSPACES}/users/list"), headers=e.modelarts())),
    # -- IAM
    Case("post", "/v3/auth/tokens", 201, "project", lambda e: e.call(
        "POST", "/v3/auth/tokens", json=_iam_login({"project": {"name": "eu-de"}}))),
    Case("post", "/v3/auth/tokens", 201, "domain, no catalog", lambda e: e.call(
        "POST", "/v3/auth/tokens?nocatalog=true", json=_iam_login({"domain": {"name": "mock-account"}}))),
    Case("post", "/v3/auth/tokens", 201, "unscoped", lambda e: e.call("POST", "/v3/auth/tokens", json=_iam_login())),
    Case("post", "/v3/auth/tokens", 400, "not password", lambda e: e.call(
        "POST", "/v3/auth/tokens", json={"auth": {"identity": {"methods": ["token"]}}})),
    Case("post", "/v3/auth/tokens", 401, "wrong password", lambda e: e.call(
        "POST", "/v3/auth/tokens", json={"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "modelarts-dev", "password": "wrong", "domain": {"name": "mock-account"}}}}}})),
    Case("get", "/v3/projects", 200, "", lambda e: e.call("GET", "/v3/projects", params={"name": "eu-de"},
                                                          headers=e.modelarts())),
    Case("get", "/v3/projects", 400, "", lambda e: e.call("GET", "/v3/projects", params={"page": "0", "per_page": "1"},
                                                          headers=e.modelarts())),
    Case("get", "/v3/projects", 401, "", lambda e: e.call("GET", "/v3/projects")),
    # -- control API
    Case("get", "/__mock/health", 200, "", lambda e: e.call("GET", "/__mock/health")),
    Case("post", "/__mock/reset", 200, "", lambda e: e.call("POST", "/__mock/reset")),
    Case("post", "/__mock/reset", 200, "scenarios", lambda e: e.call("POST", "/__mock/reset",
                                                                     json={"scenarios": ["default"]})),
    Case("post", "/__mock/reset", 400, "unknown member", lambda e: e.call("POST", "/__mock/reset", json={"x": 1})),
    Case("post", "/__mock/reset", 422, "unknown scenario", lambda e: e.call("POST", "/__mock/reset",
                                                                            json={"scenarios": ["nope"]})),
    Case("get", "/__mock/state", 200, "", lambda e: e.call("GET", "/__mock/state")),
    Case("get", "/__mock/state", 200, "secrets", lambda e: e.call("GET", "/__mock/state?secrets=true")),
    Case("get", "/__mock/state", 400, "flag", lambda e: e.call("GET", "/__mock/state?secrets=maybe")),
    Case("put", "/__mock/state", 200, "", lambda e: e.call("PUT", "/__mock/state", json=e.server.export_state())),
    Case("put", "/__mock/state", 400, "flag", lambda e: e.call("PUT", "/__mock/state?as_baseline=maybe", json={})),
    Case("put", "/__mock/state", 422, "version", lambda e: e.call("PUT", "/__mock/state", json={"version": 99})),
    Case("post", "/__mock/state/save", 200, "", lambda e: e.call(
        "POST", "/__mock/state/save", json={"path": str(e.tmp_path / "state.json")})),
    Case("post", "/__mock/state/save", 400, "path type", lambda e: e.call("POST", "/__mock/state/save",
                                                                          json={"path": 1})),
    Case("post", "/__mock/state/save", 409, "no state file", lambda e: e.call("POST", "/__mock/state/save")),
    Case("post", "/__mock/state/save", 403, "outside the save dir", lambda e: e.call(
        "POST", "/__mock/state/save", json={"path": "../elsewhere.json"})),
    Case("post", "/__mock/state/save", 500, "unwritable", _save_under_a_file),
    Case("get", "/__mock/scenarios", 200, "", lambda e: e.call("GET", "/__mock/scenarios")),
    Case("post", "/__mock/scenarios/load", 200, "", lambda e: e.call(
        "POST", "/__mock/scenarios/load", json={"scenarios": [{"name": "x", "wallaroo": {}}], "as_baseline": False})),
    Case("post", "/__mock/scenarios/load", 400, "no list", lambda e: e.call("POST", "/__mock/scenarios/load",
                                                                            json={})),
    Case("post", "/__mock/scenarios/load", 422, "bad scenario", lambda e: e.call(
        "POST", "/__mock/scenarios/load", json={"scenarios": [{"wallaroo": {"workspaces": [{"nome": "w"}]}}]})),
    Case("get", "/__mock/requests", 200, "", lambda e: _after_a_request(
        e, "GET", "/__mock/requests", params={"include_control": "true"})),
    Case("get", "/__mock/requests", 400, "status", lambda e: e.call("GET", "/__mock/requests?status=x")),
    Case("delete", "/__mock/requests", 200, "", lambda e: e.call("DELETE", "/__mock/requests")),
    Case("post", "/__mock/requests/find", 200, "match", lambda e: _after_a_request(
        e, "POST", "/__mock/requests/find", json={"path": f"{W}/list", "json": {}})),
    Case("post", "/__mock/requests/find", 200, "near misses", lambda e: _after_a_request(
        e, "POST", "/__mock/requests/find", json={"path": f"{W}/create"})),
    Case("post", "/__mock/requests/find", 400, "unknown member", lambda e: e.call("POST", "/__mock/requests/find",
                                                                                  json={"x": 1})),
    Case("get", "/__mock/requests/unmatched", 200, "", lambda e: _after_a_request(
        e, "GET", "/__mock/requests/unmatched", first="/v1/api/nothing")),
    Case("get", "/__mock/faults", 200, "", _list_faults),
    Case("post", "/__mock/faults", 201, "", lambda e: e.call("POST", "/__mock/faults", json={
        "method": "POST", "path": "/v1/api/**", "api": "wallaroo", "latency_ms": 1, "status": 503,
        "body": {"x": 1}, "headers": {"Retry-After": "1"}, "times": 2, "probability": 0.5})),
    Case("post", "/__mock/faults", 400, "drop and status", lambda e: e.call("POST", "/__mock/faults",
                                                                            json={"drop": True, "status": 500})),
    Case("delete", "/__mock/faults", 200, "", lambda e: e.call("DELETE", "/__mock/faults")),
    Case("delete", "/__mock/faults/{rule_id}", 200, "", _delete_a_fault),
    Case("delete", "/__mock/faults/{rule_id}", 404, "", lambda e: e.call("DELETE", "/__mock/faults/99")),
    Case("get", "/__mock/clock", 200, "", lambda e: e.call("GET", "/__mock/clock")),
    Case("post", "/__mock/clock", 200, "", lambda e: e.call("POST", "/__mock/clock",
                                                            json={"freeze": "2025-01-01T00:00:00Z", "advance": 1})),
    Case("post", "/__mock/clock", 400, "no offset", lambda e: e.call("POST", "/__mock/clock",
                                                                     json={"set": "2025-01-01T00:00:00"})),
    Case("get", "/__mock/openapi.json", 200, "", lambda e: e.call("GET", "/__mock/openapi.json")),
]

# -- Keycloak: the OpenID Connect provider and the admin API python-keycloak drives ----------------
REALM = "/auth/realms/master"
OIDC = f"{REALM}/protocol/openid-connect"
KC_ADMIN = "/auth/admin/realms/master"
API_CLIENT = {"client_id": "api-client", "client_secret": "mockserver-api-client-secret"}


def _openid_tokens(env: Env, scope: str = "openid") -> dict[str, Any]:
    return _login(env, grant_type="password", username="developer@example.com", password="developer",
                  scope=scope).json()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _create_keycloak_user(env: Env) -> requests.Response:
    return env.call("POST", KC_USERS, json={"username": "kc-user", "enabled": True}, headers=env.wallaroo())


def _new_keycloak_user(env: Env) -> str:
    answer = _create_keycloak_user(env)
    assert answer.status_code == 201, answer.text
    return answer.headers["Location"].rsplit("/", 1)[1]


ROLES = f"{ONE_USER}/role-mappings/realm"
RESET = f"{ONE_USER}/reset-password"
KEYCLOAK_CASES = [
    Case("get", REALM, 200, "", lambda e: e.call("GET", REALM)),
    Case("get", f"{REALM}/.well-known/openid-configuration", 200, "", lambda e: e.call(
        "GET", f"{REALM}/.well-known/openid-configuration")),
    Case("get", f"{OIDC}/certs", 200, "", lambda e: e.call("GET", f"{OIDC}/certs")),
    *[case for method in ("get", "post") for case in (
        Case(method, f"{OIDC}/userinfo", 200, "", lambda e, m=method: e.call(
            m.upper(), f"{OIDC}/userinfo", headers=_bearer(_openid_tokens(e)["access_token"]))),
        Case(method, f"{OIDC}/userinfo", 401, "no token", lambda e, m=method: e.call(m.upper(), f"{OIDC}/userinfo")),
        Case(method, f"{OIDC}/userinfo", 403, "no openid scope", lambda e, m=method: e.call(
            m.upper(), f"{OIDC}/userinfo", headers=_bearer(_openid_tokens(e, "profile")["access_token"]))))],
    Case("post", "/auth/realms/master/protocol/openid-connect/token", 200, "client_credentials", lambda e: e.call(
        "POST", f"{OIDC}/token", data={"grant_type": "client_credentials", **API_CLIENT})),
    Case("post", f"{OIDC}/logout", 204, "", lambda e: e.call("POST", f"{OIDC}/logout", data={
        "client_id": "sdk-client", "refresh_token": _openid_tokens(e)["refresh_token"]})),
    Case("post", f"{OIDC}/logout", 400, "no refresh token", lambda e: e.call(
        "POST", f"{OIDC}/logout", data={"client_id": "sdk-client"})),
    Case("post", f"{OIDC}/logout", 401, "unknown client", lambda e: e.call(
        "POST", f"{OIDC}/logout", data={"client_id": "nobody", "refresh_token": "x"})),
    Case("post", f"{OIDC}/token/introspect", 200, "", lambda e: e.call("POST", f"{OIDC}/token/introspect", data={
        "token": _openid_tokens(e)["access_token"], **API_CLIENT})),
    Case("post", f"{OIDC}/token/introspect", 200, "inactive", lambda e: e.call(
        "POST", f"{OIDC}/token/introspect", data={"token": "x", **API_CLIENT})),
    Case("post", f"{OIDC}/token/introspect", 400, "no token", lambda e: e.call(
        "POST", f"{OIDC}/token/introspect", data=API_CLIENT)),
    Case("post", f"{OIDC}/token/introspect", 401, "wrong secret", lambda e: e.call(
        "POST", f"{OIDC}/token/introspect", data={"token": "x", "client_id": "api-client", "client_secret": "no"})),
    Case("post", f"{OIDC}/token/introspect", 403, "public client", lambda e: e.call(
        "POST", f"{OIDC}/token/introspect", data={"token": "x", "client_id": "sdk-client"})),
    Case("get", f"{KC_USERS}/count", 200, "", lambda e: e.call("GET", f"{KC_USERS}/count", headers=e.wallaroo())),
    Case("get", f"{KC_USERS}/count", 400, "bad max", lambda e: e.call("GET", f"{KC_USERS}/count?max=-1",
                                                                      headers=e.wallaroo())),
    Case("get", f"{KC_USERS}/count", 401, "no token", lambda e: e.call("GET", f"{KC_USERS}/count")),
    Case("post", KC_USERS, 201, "", _create_keycloak_user),
    Case("post", KC_USERS, 400, "no username", lambda e: e.call("POST", KC_USERS, json={"enabled": True},
                                                                headers=e.wallaroo())),
    Case("post", KC_USERS, 401, "no token", lambda e: e.call("POST", KC_USERS, json={"username": "x"})),
    Case("post", KC_USERS, 403, "not admin", lambda e: e.call("POST", KC_USERS, json={"username": "x"},
                                                              headers=e.member())),
    Case("post", KC_USERS, 409, "username taken", lambda e: e.call("POST", KC_USERS, json={"username": "admin"},
                                                                   headers=e.wallaroo())),
    Case("delete", ONE_USER, 204, "", lambda e: e.call("DELETE", f"{KC_USERS}/{_new_keycloak_user(e)}",
                                                       headers=e.wallaroo())),
    Case("delete", ONE_USER, 401, "no token", lambda e: e.call("DELETE", f"{KC_USERS}/{DEVELOPER}")),
    Case("delete", ONE_USER, 403, "not admin", lambda e: e.call("DELETE", f"{KC_USERS}/{DEVELOPER}",
                                                                headers=e.member())),
    Case("delete", ONE_USER, 404, "", lambda e: e.call("DELETE", f"{KC_USERS}/nobody", headers=e.wallaroo())),
    Case("put", RESET, 204, "", lambda e: e.call("PUT", f"{KC_USERS}/{_keycloak_user_id(e)}/reset-password",
                                                 json={"value": "new-pw", "temporary": False}, headers=e.wallaroo())),
    Case("put", RESET, 400, "no value", lambda e: e.call("PUT", f"{KC_USERS}/{DEVELOPER}/reset-password",
                                                         json={"type": "password"}, headers=e.wallaroo())),
    Case("put", RESET, 401, "no token", lambda e: e.call("PUT", f"{KC_USERS}/{DEVELOPER}/reset-password",
                                                         json={"value": "x"})),
    Case("put", RESET, 403, "not admin", lambda e: e.call("PUT", f"{KC_USERS}/{DEVELOPER}/reset-password",
                                                          json={"value": "x"}, headers=e.member())),
    Case("put", RESET, 404, "", lambda e: e.call("PUT", f"{KC_USERS}/nobody/reset-password", json={"value": "x"},
                                                 headers=e.wallaroo())),
    Case("get", ROLES, 200, "", lambda e: e.call("GET", f"{KC_USERS}/{DEVELOPER}/role-mappings/realm",
                                                 headers=e.wallaroo())),
    Case("get", ROLES, 401, "no token", lambda e: e.call("GET", f"{KC_USERS}/{DEVELOPER}/role-mappings/realm")),
    Case("get", ROLES, 404, "", lambda e: e.call("GET", f"{KC_USERS}/nobody/role-mappings/realm",
                                                 headers=e.wallaroo())),
    *[case for method in ("post", "delete") for case in (
        Case(method, ROLES, 204, "", lambda e, m=method: e.call(
            m.upper(), f"{KC_USERS}/{_keycloak_user_id(e)}/role-mappings/realm", json=[{"name": "admin"}],
            headers=e.wallaroo())),
        Case(method, ROLES, 400, "not a list", lambda e, m=method: e.call(
            m.upper(), f"{KC_USERS}/{DEVELOPER}/role-mappings/realm", json={"name": "admin"}, headers=e.wallaroo())),
        Case(method, ROLES, 401, "no token", lambda e, m=method: e.call(
            m.upper(), f"{KC_USERS}/{DEVELOPER}/role-mappings/realm", json=[{"name": "admin"}])),
        Case(method, ROLES, 403, "not admin", lambda e, m=method: e.call(
            m.upper(), f"{KC_USERS}/{DEVELOPER}/role-mappings/realm", json=[{"name": "admin"}],
            headers=e.member())),
        Case(method, ROLES, 404, "unknown role", lambda e, m=method: e.call(
            m.upper(), f"{KC_USERS}/{DEVELOPER}/role-mappings/realm", json=[{"name": "no-such-role"}],
            headers=e.wallaroo())))],
    Case("get", f"{KC_ADMIN}/roles", 200, "", lambda e: e.call("GET", f"{KC_ADMIN}/roles", headers=e.wallaroo())),
    Case("get", f"{KC_ADMIN}/roles", 401, "no token", lambda e: e.call("GET", f"{KC_ADMIN}/roles")),
    Case("get", f"{KC_ADMIN}/roles/{{role_name}}", 200, "", lambda e: e.call(
        "GET", f"{KC_ADMIN}/roles/admin", headers=e.wallaroo())),
    Case("get", f"{KC_ADMIN}/roles/{{role_name}}", 401, "no token", lambda e: e.call("GET", f"{KC_ADMIN}/roles/admin")),
    Case("get", f"{KC_ADMIN}/roles/{{role_name}}", 404, "", lambda e: e.call(
        "GET", f"{KC_ADMIN}/roles/nope", headers=e.wallaroo())),
]
CASES += KEYCLOAK_CASES


# -- IAM as Keystone v3 ------------------------------------------------------------------------------
def _iam_token(env: Env, scope: Any = None) -> str:
    answer = env.call("POST", "/v3/auth/tokens", json=_iam_login(scope))
    assert answer.status_code == 201, answer.text
    return answer.headers["X-Subject-Token"]


def _subject(env: Env, token: str | None = None) -> dict[str, str]:
    return {**env.modelarts(), "X-Subject-Token": token if token is not None else _iam_token(env)}


def _other_account_token(env: Env) -> str:
    env.server.load({"modelarts": {"accounts": [{"name": "other-account"}], "users": [
        {"name": "other-user", "password": "pw", "account": "other-account"}]}})
    answer = env.call("POST", "/v3/auth/tokens", json={"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"name": "other-user", "password": "pw", "domain": {"name": "other-account"}}}}}})
    return answer.headers["X-Subject-Token"]


def _revoked(env: Env) -> requests.Response:
    token = _iam_token(env)
    env.call("DELETE", "/v3/auth/tokens", headers=_subject(env, token))
    return env.call("DELETE", "/v3/auth/tokens", headers=_subject(env, token))


TOKENS = "/v3/auth/tokens"
KEYSTONE_CASES = [
    Case("get", "/", 300, "", lambda e: e.call("GET", "/")),
    Case("get", "/v3", 200, "", lambda e: e.call("GET", "/v3")),
    Case("post", TOKENS, 201, "re-scope", lambda e: e.call("POST", TOKENS, json={"auth": {
        "identity": {"methods": ["token"], "token": {"id": _iam_token(e)}}, "scope": {"project": {"id": PROJECT}}}})),
    Case("get", TOKENS, 200, "", lambda e: e.call("GET", TOKENS, headers=_subject(e))),
    Case("get", TOKENS, 400, "no subject", lambda e: e.call("GET", TOKENS, headers=e.modelarts())),
    Case("get", TOKENS, 401, "no caller", lambda e: e.call("GET", TOKENS, headers={"X-Subject-Token": "x"})),
    Case("get", TOKENS, 403, "other account", lambda e: e.call("GET", TOKENS,
                                                               headers=_subject(e, _other_account_token(e)))),
    Case("get", TOKENS, 404, "not ours", lambda e: e.call("GET", TOKENS, headers=_subject(e, "MIIx.y"))),
    Case("delete", TOKENS, 204, "", lambda e: e.call("DELETE", TOKENS, headers=_subject(e))),
    Case("delete", TOKENS, 400, "no subject", lambda e: e.call("DELETE", TOKENS, headers=e.modelarts())),
    Case("delete", TOKENS, 401, "no caller", lambda e: e.call("DELETE", TOKENS, headers={"X-Subject-Token": "x"})),
    Case("delete", TOKENS, 403, "other account", lambda e: e.call("DELETE", TOKENS,
                                                                  headers=_subject(e, _other_account_token(e)))),
    Case("delete", TOKENS, 404, "already revoked", _revoked),
    *[case for path in ("/v3/auth/projects", "/v3/auth/domains", "/v3/auth/catalog") for case in (
        Case("get", path, 200, "", lambda e, p=path: e.call("GET", p, headers=e.modelarts())),
        Case("get", path, 401, "no caller", lambda e, p=path: e.call("GET", p)))],
    Case("get", "/v3/auth/catalog", 403, "unscoped", lambda e: e.call(
        "GET", "/v3/auth/catalog", headers={"X-Auth-Token": _iam_token(e)})),
    Case("get", "/v3/projects/{project_id}", 200, "", lambda e: e.call("GET", f"/v3/projects/{PROJECT}",
                                                                       headers=e.modelarts())),
    Case("get", "/v3/projects/{project_id}", 401, "no caller", lambda e: e.call("GET", f"/v3/projects/{PROJECT}")),
    Case("get", "/v3/projects/{project_id}", 404, "", lambda e: e.call("GET", "/v3/projects/nope",
                                                                       headers=e.modelarts())),
]
CASES += KEYSTONE_CASES


# -- Wallaroo: models, pipelines, deployments, inference ------------------------------------------
M = "/v1/api/models"
P = "/v1/api/pipelines"
INFER = "/v1/api/pipelines/infer/{name}/{pipeline_name}"


def _onnx_bytes() -> bytes:
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Identity", ["tensor"], ["dense_1"])], "g",
                              [helper.make_tensor_value_info("tensor", TensorProto.FLOAT, [None, 3])],
                              [helper.make_tensor_value_info("dense_1", TensorProto.FLOAT, [None, 3])])
    return helper.make_model(graph).SerializeToString()


def _upload(env: Env, path: str = "upload", workspace_id: int = 1, name: str = "ccfraud",
            headers: dict[str, str] | None = None, file: bool = True) -> requests.Response:
    import json

    metadata = {"name": name, "visibility": "private", "workspace_id": workspace_id,
                "conversion": {"framework": "onnx" if path == "upload" else "pytorch"}}
    files = {"metadata": (None, json.dumps(metadata), "application/json")}
    if file:
        files["file"] = ("ccfraud.onnx", _onnx_bytes(), "application/octet-stream")
    return env.call("POST", f"{M}/{path}", files=files, headers=env.wallaroo() if headers is None else headers)


def _version_id(env: Env) -> int:
    answer = _upload(env)
    assert answer.status_code == 200, answer.text
    return answer.json()["insert_models"]["returning"][0]["models"][0]["id"]


def _pipeline(env: Env) -> dict[str, Any]:
    version_id = _version_id(env)
    detail = env.call("POST", f"{M}/get_version_by_id", json={"model_version_id": version_id},
                      headers=env.wallaroo()).json()["model_version"]["model_version"]
    step = {"ModelInference": {"models": [{"name": "ccfraud", "version": detail["file_info"]["version"],
                                           "sha": detail["file_info"]["sha"]}]}}
    created = env.call("POST", f"{P}/create", headers=env.wallaroo(), json={
        "pipeline_id": "ccfraudpipeline", "workspace_id": 1, "definition": {"id": "ccfraudpipeline",
                                                                           "steps": [step]}})
    assert created.status_code == 200, created.text
    return created.json()


def _deployment(env: Env) -> int:
    created = _pipeline(env)
    deployed = env.call("POST", f"{P}/deploy", headers=env.wallaroo(), json={
        "deploy_id": "ccfraudpipeline", "pipeline_version_pk_id": created["pipeline_variant_pk_id"]})
    assert deployed.status_code == 200, deployed.text
    return deployed.json()["id"]


def _infer(env: Env, body: Any = None, *, data: bytes | None = None, content_type: str =
           "application/json; format=pandas-records", name: str | None = None,
           headers: dict[str, str] | None = None) -> requests.Response:
    import json

    path = f"{P}/infer/{name or f'ccfraudpipeline-{_deployment(env)}'}/ccfraudpipeline"
    payload = data if data is not None else json.dumps(body).encode()
    return env.call("POST", path, data=payload, params={"dataset[]": "*", "dataset.exclude[]": "metadata",
                                                        "dataset.separator": "."},
                    headers={**(env.wallaroo() if headers is None else headers), "Content-Type": content_type})


def _infer_arrow(env: Env) -> requests.Response:
    import io

    import pyarrow as pa

    sink = io.BytesIO()
    table = pa.table({"tensor": [[1.0, 2.0, 3.0]]})
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return _infer(env, data=sink.getvalue(), content_type="application/vnd.apache.arrow.file")


def _infer_starting(env: Env) -> requests.Response:
    env.server.wallaroo.catalog.configure(deployment_starting_seconds=60)
    return _infer(env, [{"tensor": [1.0, 2.0, 3.0]}])


def _infer_failing_function(env: Env) -> requests.Response:
    env.server.wallaroo.catalog.set_inference(model="ccfraud", function=lambda row: 1 / 0)
    return _infer(env, [{"tensor": [1.0, 2.0, 3.0]}])


CASES += [
    Case("post", f"{M}/upload", 200, "", _upload),
    Case("post", f"{M}/upload", 400, "no file", lambda e: _upload(e, file=False)),
    Case("post", f"{M}/upload", 401, "not a member", lambda e: _upload(e, headers=e.member())),
    Case("post", f"{M}/upload", 500, "unknown workspace", lambda e: _upload(e, workspace_id=99)),
    Case("post", f"{M}/upload_and_convert", 202, "", lambda e: _upload(e, "upload_and_convert")),
    Case("post", f"{M}/upload_and_convert", 400, "bad name", lambda e: _upload(e, "upload_and_convert", name="-x")),
    Case("post", f"{M}/upload_and_convert", 401, "no token", lambda e: _upload(e, "upload_and_convert", headers={})),
    Case("post", f"{M}/upload_and_convert", 500, "unknown workspace", lambda e: _upload(
        e, "upload_and_convert", workspace_id=99)),
    *[case for path in ("get_version_by_id", "get_model_version_by_id") for case in (
        Case("post", f"{M}/{path}", 200, "", lambda e, path=path: e.call(
            "POST", f"{M}/{path}", json={"model_version_id": _version_id(e)}, headers=e.wallaroo())),
        Case("post", f"{M}/{path}", 400, "unknown", lambda e, path=path: e.call(
            "POST", f"{M}/{path}", json={"model_version_id": 99}, headers=e.wallaroo())),
        Case("post", f"{M}/{path}", 401, "no token", lambda e, path=path: e.call(
            "POST", f"{M}/{path}", json={"model_version_id": 1})))],
    Case("post", f"{M}/insert_model_config", 200, "", lambda e: e.call(
        "POST", f"{M}/insert_model_config", json={"model_version_id": _version_id(e), "tensor_fields": ["tensor"]},
        headers=e.wallaroo())),
    Case("post", f"{M}/insert_model_config", 400, "unknown", lambda e: e.call(
        "POST", f"{M}/insert_model_config", json={"model_version_id": 99}, headers=e.wallaroo())),
    Case("post", f"{M}/insert_model_config", 401, "no token", lambda e: e.call(
        "POST", f"{M}/insert_model_config", json={"model_version_id": 1})),
    Case("post", f"{M}/get_config_by_id", 200, "", lambda e: e.call(
        "POST", f"{M}/get_config_by_id", json={"model_id": _version_id(e)}, headers=e.wallaroo())),
    Case("post", f"{M}/get_config_by_id", 400, "unknown", lambda e: e.call(
        "POST", f"{M}/get_config_by_id", json={"model_id": 99}, headers=e.wallaroo())),
    Case("post", f"{M}/get_config_by_id", 401, "no token", lambda e: e.call(
        "POST", f"{M}/get_config_by_id", json={"model_id": 1})),
    Case("post", f"{M}/list", 200, "", lambda e: (_version_id(e), e.call(
        "POST", f"{M}/list", json={"workspace_id": 1}, headers=e.wallaroo()))[1]),
    Case("post", f"{M}/list", 400, "unknown workspace", lambda e: e.call(
        "POST", f"{M}/list", json={"workspace_id": 99}, headers=e.wallaroo())),
    Case("post", f"{M}/list", 401, "no token", lambda e: e.call("POST", f"{M}/list", json={})),
    Case("post", f"{M}/get", 200, "", lambda e: (_version_id(e), e.call(
        "POST", f"{M}/get", json={"id": 1}, headers=e.wallaroo()))[1]),
    Case("post", f"{M}/get", 400, "unknown", lambda e: e.call("POST", f"{M}/get", json={"id": 9},
                                                              headers=e.wallaroo())),
    Case("post", f"{M}/get", 401, "no token", lambda e: e.call("POST", f"{M}/get", json={"id": 1})),
    Case("post", f"{M}/list_versions", 200, "", lambda e: (_version_id(e), e.call(
        "POST", f"{M}/list_versions", json={"model_id": "ccfraud"}, headers=e.wallaroo()))[1]),
    Case("post", f"{M}/list_versions", 400, "wrong type", lambda e: e.call(
        "POST", f"{M}/list_versions", json={"model_id": 7}, headers=e.wallaroo())),
    Case("post", f"{M}/list_versions", 401, "no token", lambda e: e.call("POST", f"{M}/list_versions", json={})),
    Case("post", f"{P}/create", 200, "", lambda e: e.call("POST", f"{P}/create", headers=e.wallaroo(), json={
        "pipeline_id": "empty", "workspace_id": 1, "definition": {}})),
    Case("post", f"{P}/create", 400, "bad name", lambda e: e.call("POST", f"{P}/create", headers=e.wallaroo(), json={
        "pipeline_id": "Not_DNS", "workspace_id": 1})),
    Case("post", f"{P}/create", 401, "not a member", lambda e: e.call("POST", f"{P}/create", headers=e.member(),
                                                                      json={"pipeline_id": "p", "workspace_id": 1})),
    Case("post", f"{P}/create", 400, "unknown workspace", lambda e: e.call(
        "POST", f"{P}/create", headers=e.wallaroo(), json={"pipeline_id": "p", "workspace_id": 99})),
    Case("post", f"{P}/list_pipelines", 200, "", lambda e: (_deployment(e), e.call(
        "POST", f"{P}/list_pipelines", json={}, headers=e.wallaroo()))[1]),
    Case("post", f"{P}/list_pipelines", 400, "unknown workspace", lambda e: e.call(
        "POST", f"{P}/list_pipelines", json={"workspace_name": "nope"}, headers=e.wallaroo())),
    Case("post", f"{P}/list_pipelines", 401, "no token", lambda e: e.call("POST", f"{P}/list_pipelines", json={})),
    Case("post", f"{P}/get_pipeline_by_name", 200, "", lambda e: (_pipeline(e), e.call(
        "POST", f"{P}/get_pipeline_by_name", json={"pipeline_name": "ccfraudpipeline", "workspace_id": 1},
        headers=e.wallaroo()))[1]),
    Case("post", f"{P}/get_pipeline_by_name", 400, "no name", lambda e: e.call(
        "POST", f"{P}/get_pipeline_by_name", json={"workspace_id": 1}, headers=e.wallaroo())),
    Case("post", f"{P}/get_pipeline_by_name", 401, "no token", lambda e: e.call(
        "POST", f"{P}/get_pipeline_by_name", json={"pipeline_name": "p", "workspace_id": 1})),
    Case("post", f"{P}/get_pipeline_by_name", 404, "", lambda e: e.call(
        "POST", f"{P}/get_pipeline_by_name", json={"pipeline_name": "p", "workspace_id": 1}, headers=e.wallaroo())),
    Case("post", f"{P}/deploy", 200, "", lambda e: e.call("POST", f"{P}/deploy", headers=e.wallaroo(), json={
        "deploy_id": "ccfraudpipeline", "pipeline_version_pk_id": _pipeline(e)["pipeline_variant_pk_id"],
        "engine_config": {"engine": {"arch": "x86", "accel": "none"}}})),
    Case("post", f"{P}/deploy", 400, "unknown version", lambda e: e.call("POST", f"{P}/deploy", headers=e.wallaroo(),
                                                                         json={"deploy_id": "p",
                                                                               "pipeline_version_pk_id": 99})),
    Case("post", f"{P}/deploy", 401, "no token", lambda e: e.call("POST", f"{P}/deploy", json={"deploy_id": "p"})),
    Case("post", f"{P}/undeploy", 200, "", lambda e: e.call("POST", f"{P}/undeploy", headers=e.wallaroo(),
                                                            json={"deployment_id": _deployment(e)})),
    Case("post", f"{P}/undeploy", 400, "unknown", lambda e: e.call("POST", f"{P}/undeploy", headers=e.wallaroo(),
                                                                   json={"deployment_id": 99})),
    Case("post", f"{P}/undeploy", 401, "no token", lambda e: e.call("POST", f"{P}/undeploy", json={})),
    Case("post", "/v1/api/status/get_deployment", 200, "", lambda e: e.call(
        "POST", "/v1/api/status/get_deployment", headers=e.wallaroo(),
        json={"name": f"ccfraudpipeline-{_deployment(e)}"})),
    Case("post", "/v1/api/status/get_deployment", 400, "no name", lambda e: e.call(
        "POST", "/v1/api/status/get_deployment", headers=e.wallaroo(), json={})),
    Case("post", "/v1/api/status/get_deployment", 401, "no token", lambda e: e.call(
        "POST", "/v1/api/status/get_deployment", json={"name": "p-1"})),
    Case("post", "/v1/api/status/get_deployment", 404, "", lambda e: e.call(
        "POST", "/v1/api/status/get_deployment", headers=e.wallaroo(), json={"name": "p-1"})),
    Case("post", INFER, 200, "records", lambda e: _infer(e, [{"tensor": [1.0, 2.0, 3.0]}])),
    Case("post", INFER, 200, "arrow", _infer_arrow),
    Case("post", INFER, 400, "nulls", lambda e: _infer(e, [{"tensor": None}])),
    Case("post", INFER, 401, "no token", lambda e: _infer(e, [{"tensor": [1.0]}], name="p-1", headers={})),
    Case("post", INFER, 404, "", lambda e: _infer(e, [{"tensor": [1.0]}], name="p-1")),
    Case("post", INFER, 500, "function fails", _infer_failing_function),
    Case("post", INFER, 503, "starting", _infer_starting),
]

@pytest.fixture
def env(mockserver, tmp_path, monkeypatch) -> Env:
    monkeypatch.setattr(mockserver.control_policy, "save_dir", tmp_path.resolve())  # saves by path go there
    with requests.Session() as http:
        yield Env(mockserver, http, tmp_path)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_answer_matches_the_document(env, case):
    response = case.request(env)
    assert response.status_code == case.status, f"{case.id}: {response.status_code} {response.text[:300]}"
    check_answer(case.template, case.method, response)


def test_every_documented_answer_is_exercised():
    exercised = {(case.template, case.method, str(case.status)) for case in CASES}
    documented = {(template, method, status) for template, item in DOCUMENT["paths"].items()
                  for method, op in item.items() if method != "parameters" for status in op["responses"]}
    assert documented - exercised == set(), "documented answers no case produces"
    assert exercised - documented == set(), "cases whose answers are not documented"


def test_examples_fit_their_own_schemas():
    checked = 0
    for item in DOCUMENT["paths"].values():
        for op in (item[m] for m in ("get", "put", "post", "delete") if m in item):
            for media in op.get("requestBody", {}).get("content", {}).values():
                if "example" in media:
                    validate(media["schema"], media["example"])
                    checked += 1
    assert checked >= 20
    with pytest.raises(jsonschema.ValidationError):
        validate(DOCUMENT["paths"]["/v1/api/workspaces/create"]["post"]["requestBody"]["content"]
                 ["application/json"]["schema"], {"workspace_name": 7})


# -- the checker itself must be able to fail ---------------------------------------------------------
def test_an_undocumented_member_fails_the_check():
    with pytest.raises(jsonschema.ValidationError):
        validate({"$ref": "#/components/schemas/WallarooError"}, {"msg": "x", "code": 400, "extra": 1})
    with pytest.raises(jsonschema.ValidationError):
        validate({"$ref": "#/components/schemas/WallarooError"}, {"msg": "x"})


def test_nullable_means_null_is_allowed_and_nothing_else_is():
    schema = DOCUMENT["components"]["schemas"]["ModelArtsQuota"]["properties"]["used_quota"]
    validate(schema, None)
    validate(schema, 5)
    with pytest.raises(jsonschema.ValidationError):
        validate(schema, "5")


def test_an_undocumented_status_fails_the_check(mockserver):
    answer = requests.post(f"{mockserver.url}/v1/api/workspaces/list", json={},
                           headers={"Authorization": "Bearer x"})
    broken = copy.deepcopy(answer)
    broken.status_code = 418
    with pytest.raises(AssertionError, match="answered 418"):
        check_answer("/v1/api/workspaces/list", "post", broken)


def test_the_schemas_cover_what_the_fixtures_hold(mockserver):
    """The sample scenario's unusual values (DELETE_FAILED, limited quotas, INTERNAL grants) fit too."""
    mockserver.load("modelarts-sample")
    project = "fedcba9876543210fedcba9876543210"
    headers = {"X-Auth-Token": mockserver.modelarts.issue_token("testUser", project)}
    listed = requests.get(f"{mockserver.url}/v1/{project}/workspaces", headers=headers)
    check_answer(T_WORKSPACES, "get", listed)
    for workspace in listed.json()["workspaces"]:
        shown = requests.get(f"{mockserver.url}/v1/{project}/workspaces/{workspace['id']}", headers=headers)
        check_answer(ONE, "get", shown)
        quotas = requests.get(f"{mockserver.url}/v1/{project}/workspaces/{workspace['id']}/quotas", headers=headers)
        check_answer(f"{ONE}/quotas", "get", quotas)
    assert re.search("DELETE_FAILED", listed.text)
