"""Fuzzing every route of every API over HTTP (docs/guarantees.md, "What is tested").

The routes come from the app's own ``url_map``, so a route added tomorrow is fuzzed
tomorrow. Each example sends one request to a listening server (a real socket) with a
random method, path arguments, query, credentials, content type and body, and then
holds the answer to the error-shape contract of ``test_error_shapes.shape_problems``:
an allowed status, the owning API's JSON shape with a clear message, no traceback or
HTML, an answer within the timeout, and, for every answer that is not a 2xx, an
unchanged store. The store is put back to its baseline before each example.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver import MockServer
from conftest import PROJECT
from test_error_shapes import is_rejection, shape_problems

TIMEOUT = 10
DEV_WALLAROO_ID = "3c9a2e57-6a1f-4d0b-8f2e-5b7d1c4e9a01"
def fuzz(max_examples: int) -> settings:
    return settings(FUZZ, max_examples=max_examples)


FUZZ = settings(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
#: routes a random body must not drive: they write files named in the body
WRITES_FILES = {"control.save_state"}
#: routes whose successful answer is a documentation page rather than JSON
DOC_PAGES = {"wallaroo.docs"}


@dataclass(frozen=True)
class Route:
    rule: str
    endpoint: str
    methods: tuple[str, ...]
    arguments: tuple[str, ...]


def routes_of(server: MockServer) -> list[Route]:
    found = []
    for rule in server.app.url_map.iter_rules():
        methods = tuple(sorted(rule.methods - {"HEAD", "OPTIONS"}))
        found.append(Route(rule.rule, rule.endpoint, methods, tuple(sorted(rule.arguments))))
    return sorted(found, key=lambda r: (r.rule, r.methods))


def fresh(server: MockServer) -> dict[str, Any]:
    """Back to the default scenario as baseline and reset; the store's document without the clock."""
    server.load_scenarios(["default"], replace=True)
    server.reset()
    return without_clock(server.export_state())


def without_clock(state: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in state.items() if key != "clock"}


# == strategies ===========================================================================
#: any text, control characters and odd planes included (lone surrogates cannot travel as
#: UTF-8; they come as JSON escapes, below)
any_text = st.text(st.characters(codec="utf-8"), max_size=24)
json_scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70)
                | st.floats(allow_nan=False, allow_infinity=False)
                | any_text | st.sampled_from(["developer@example.com", "admin", DEV_WALLAROO_ID, "OWNER", "INTERNAL",
                                              "modelarts-viewer", "0", "trainJob.gpu_duration", "a:b:c", "default"]))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(any_text, inner, max_size=4), max_leaves=12)
#: members the APIs read, so that bodies get past "not an object" into typed parsing
FIELDS = ["workspace_id", "workspace_name", "email", "user_id", "user_ids", "user_type", "url", "roles", "password",
          "require_reset", "id", "firstName", "lastName", "enabled", "isAdmin", "emailVerified", "requiredActions",
          "name", "description", "auth_type", "grants", "enterprise_project_id", "quotas", "resource", "quota",
          "requests", "action", "action_id", "user_name", "auth", "identity", "methods", "scope", "project",
          "scenarios", "replace", "as_baseline", "freeze", "set", "advance", "unfreeze", "reset", "method", "path",
          "api", "status", "latency_ms", "body", "headers", "drop", "times", "probability", "format", "version",
          "wallaroo", "modelarts", "json", "query"]
shaped_objects = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6)
surrogate_escapes = st.sampled_from([b'{"name": "\\ud800"}', b'{"email": "a\\udfff@b"}', b'["\\udbff"]',
                                     b'{"\\ud800": 1}', b'{"workspace_name": "x\\ud83d"}'])
bodies = st.one_of(
    st.none(),
    shaped_objects.map(lambda v: json.dumps(v).encode()),
    shaped_objects.map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=64),
    surrogate_escapes,
    st.sampled_from([b"", b"   ", b"null", b"NaN", b'{"a": Infinity}', b'{"n": 1e999}', b"9" * 5000, b"{" * 50,
                     b'{"a": 1,}', b"\xef\xbb\xbf{}", b"\x00", b"grant_type=password&client_id=sdk-client"]),
    st.dictionaries(st.sampled_from(["grant_type", "client_id", "username", "password", "refresh_token"]),
                    any_text, max_size=5).map(lambda form: "&".join(
                        f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'))}" for k, v in form.items()).encode()),
)
CONTENT_TYPES = [None, "application/json", "application/json;charset=utf-8", "application/json; charset=latin-1",
                 "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "multipart/form-data",
                 "text/plain", "text/html", "application/octet-stream", "garbage", ""]
ODD_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "HEAD", "PROPFIND", "MKCOL", "FOO"]
QUERY_KEYS = ["offset", "limit", "sort_by", "order", "name", "filter_accessible", "enterprise_project_id", "email",
              "username", "search", "exact", "first", "max", "status", "method", "path", "api", "include_control",
              "as_baseline", "nocatalog", "enabled", "domain_id", "briefRepresentation"]
queries = st.dictionaries(st.sampled_from(QUERY_KEYS), any_text, max_size=3)
segments = (st.sampled_from(["0", "1", "ffff", "users", "api", PROJECT, DEV_WALLAROO_ID, "{project_id}", "a%2Fb"])
            | any_text.filter(lambda s: s not in ("", ".", "..")))
CREDENTIALS = ["none", "wallaroo-admin", "wallaroo-plain", "modelarts-primary", "modelarts-viewer", "garbage",
               "bad-signature"]


def credential_headers(server: MockServer, kind: str) -> dict[str, str]:
    if kind == "wallaroo-admin":
        return {"Authorization": f"Bearer {server.wallaroo.issue_token('developer@example.com')}"}
    if kind == "wallaroo-plain":
        return {"Authorization": f"Bearer {server.wallaroo.issue_token('admin')}"}
    if kind.startswith("modelarts"):
        user = "modelarts-dev" if kind == "modelarts-primary" else "modelarts-viewer"
        return {"X-Auth-Token": server.modelarts.issue_token(user)}
    if kind == "garbage":
        return {"Authorization": "Bearer not.a.jwt", "X-Auth-Token": "MIIgarbage"}
    if kind == "bad-signature":
        return {"Authorization": "SDK-HMAC-SHA256 Access=MOCKACCESSKEY0000001, SignedHeaders=host;x-sdk-date, "
                                 "Signature=00", "X-Sdk-Date": "20250101T000000Z"}
    return {}


def build_path(route: Route, values: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        return quote(values[match.group(1)], safe="")
    return re.sub(r"<(?:[^<>]*:)?(\w+)>", fill, route.rule)


# == the check ============================================================================
def send_and_check(server: MockServer, http: requests.Session, method: str, path: str, *, endpoint: str | None,
                   body: bytes | None = None, content_type: str | None = None, query: dict[str, str] | None = None,
                   credentials: str = "none") -> requests.Response:
    before = fresh(server)  # first: the previous request may have replaced every user
    headers = credential_headers(server, credentials)
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = http.request(method, server.url + path, data=body, params=query, headers=headers, timeout=TIMEOUT)
    sent_path = unquote(urlsplit(response.request.url).path)
    if endpoint in DOC_PAGES and response.status_code == 200:
        return response  # an HTML page by design
    problems = shape_problems(method, sent_path, response.status_code, response.headers, response.content)
    assert not problems, (method, path, body[:200] if body else body, problems)
    after = server.export_state()
    if is_rejection(sent_path, response.status_code, response.content):
        assert without_clock(after) == before, f"{method} {path} -> {response.status_code} " \
                                               f"{response.text[:200]} changed the store"
    # whatever was accepted can be saved: the store holds no text that UTF-8 cannot carry
    json.dumps(after, ensure_ascii=False).encode("utf-8")
    return response


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:
        session.trust_env = False
        yield session


def test_every_route_is_fuzzed(server):
    """The fuzzer reaches every API through the url_map: a route added later is included."""
    endpoints = {route.endpoint for route in routes_of(server)}
    assert {e.split(".")[0] for e in endpoints} == {"control", "wallaroo", "modelarts"}
    assert {"wallaroo.workspaces_create", "modelarts.create_workspace", "modelarts.iam_create_token",
            "control.put_state"} <= endpoints
    assert len(endpoints) >= 40


# == every route, deterministically: the classic malformed inputs ==========================
MALFORMED = [(b"{", "application/json"), (b"[]", "application/json"), (b'"text"', "application/json"),
             (b"\xff\xfe", "application/json"), (b"[" * 100_000, "application/json"),
             (b'{"a":' * 20_000, "application/json"), (b"[" * 5000 + b"]" * 5000, "application/json"),
             (b"grant_type=password&client_id=\xff", "application/x-www-form-urlencoded"),
             (b"--xyz\r\ngarbage", "multipart/form-data; boundary=xyz"), (None, None),
             # otherwise valid members holding a lone surrogate: not a character, never storable as UTF-8
             (json.dumps({"email": "x\ud800@example.com", "workspace_name": "w\ud800", "name": "ws\ud800ws",
                          "description": "\ud800", "password": "\ud800", "firstName": "\ud800",
                          "lastName": "\ud800", "id": DEV_WALLAROO_ID, "enabled": True, "isAdmin": True,
                          "scenarios": [{"name": "\ud800"}]}).encode(), "application/json")]


def test_every_route_refuses_malformed_bodies_cleanly(server, http):
    for route in routes_of(server):
        if route.endpoint in WRITES_FILES:
            continue
        path = build_path(route, {name: {"project_id": PROJECT}.get(name, "0") for name in route.arguments})
        for method in route.methods:
            for kind in ("wallaroo-admin", "modelarts-primary"):
                for body, content_type in MALFORMED:
                    send_and_check(server, http, method, path, endpoint=route.endpoint, body=body,
                                   content_type=content_type, credentials=kind)


# == every route, randomly ===================================================================
@fuzz(400)
@given(data=st.data())
def test_any_request_to_any_route(server, http, data):
    route = data.draw(st.sampled_from(routes_of(server)), label="route")
    method = data.draw(st.sampled_from(route.methods) | st.sampled_from(ODD_METHODS), label="method")
    path = build_path(route, {name: data.draw(segments, label=name) for name in route.arguments})
    body = data.draw(bodies, label="body")
    if route.endpoint in WRITES_FILES and body is not None:
        body = b'{"path": 1}'  # never a usable file name
    send_and_check(server, http, method, path, endpoint=route.endpoint, body=body,
                   content_type=data.draw(st.sampled_from(CONTENT_TYPES), label="content type"),
                   query=data.draw(queries, label="query"),
                   credentials=data.draw(st.sampled_from(CREDENTIALS), label="credentials"))


@fuzz(150)
@given(path=st.lists(any_text.filter(lambda s: s not in ("", ".", "..")), min_size=0, max_size=5).map(
    lambda parts: "/" + "/".join(quote(p.encode("utf-8", "surrogatepass"), safe="") for p in parts)),
    prefix=st.sampled_from(["", "/v1/api", "/v1", f"/v1/{PROJECT}", f"/v1/{PROJECT}/workspaces", "/v3", "/auth",
                            "/auth/admin/realms/master", "/__mock", "/static"]),
    method=st.sampled_from(ODD_METHODS))
def test_any_path_gets_an_answer_of_its_owner(server, http, path, prefix, method):
    send_and_check(server, http, method, prefix + path, endpoint=None, credentials="wallaroo-admin")


# == GraphQL: well-formed and ill-formed operations ============================================
ADMIN_WALLAROO_ID = "1bc88c6d-b476-4e4d-aa1a-a5a3554591d3"
user_ids = st.sampled_from([DEV_WALLAROO_ID, ADMIN_WALLAROO_ID, "00000000-0000-4000-8000-000000000000"]) | any_text
workspace_names = st.sampled_from(["developer@example.com - Default Workspace", "gql-a", "gql-b", "", " "]) | any_text
member_inserts = st.fixed_dictionaries({}, optional={
    "user_id": user_ids | st.none(), "user_type": st.sampled_from(["OWNER", "collaborator", "BOSS", None]),
    "workspace_id": st.sampled_from([1, 2, 0, -1, "1", 2**63]) | st.none()})
workspace_inserts = st.fixed_dictionaries({}, optional={
    "name": workspace_names | st.none(), "created_by": any_text | st.none(), "archived": json_scalars,
    "owner_id": any_text,
    "users": st.fixed_dictionaries({"data": st.lists(member_inserts, max_size=3)}, optional={
        "on_conflict": st.fixed_dictionaries({"constraint": st.sampled_from(
            ["workspace_users_workspace_id_user_id_key", "nope"]), "update_columns": st.sampled_from([[], ["user_type"]])})}),
    "user_default_workspaces": st.fixed_dictionaries({"data": st.lists(
        st.fixed_dictionaries({"user_id": user_ids | st.none()}), max_size=2)})})
conflicts = st.none() | st.fixed_dictionaries({
    "constraint": st.sampled_from(["workspace_name_key", "workspace_pkey"]),
    "update_columns": st.sampled_from([[], ["archived"], ["created_by", "archived"]])})
where_members = st.one_of(
    st.fixed_dictionaries({}, optional={"workspace_id": st.fixed_dictionaries({"_eq": json_scalars}),
                                        "user_id": st.fixed_dictionaries({"_eq": json_scalars})}),
    json_values)
GRAPHQL_OPERATIONS = [
    ("query($id: bigint!) { workspace_by_pk(id: $id) { id name users { user_id user_type } } }",
     st.fixed_dictionaries({"id": json_scalars})),
    ("query($w: workspace_bool_exp, $l: Int, $o: Int) { workspace(where: $w, limit: $l, offset: $o) { id name } }",
     st.fixed_dictionaries({}, optional={"w": json_values, "l": json_scalars, "o": json_scalars})),
    ("mutation($o: workspace_insert_input!, $c: workspace_on_conflict) "
     "{ insert_workspace_one(object: $o, on_conflict: $c) { id name created_by users { user_id user_type } } }",
     st.fixed_dictionaries({"o": workspace_inserts}, optional={"c": conflicts})),
    ("mutation($o: workspace_users_insert_input!) { insert_workspace_users_one(object: $o) { id user_type } }",
     st.fixed_dictionaries({"o": member_inserts})),
    ("mutation($w: workspace_users_bool_exp!) { delete_workspace_users(where: $w) { affected_rows } }",
     st.fixed_dictionaries({"w": where_members})),
    # two root fields: one transaction, so a failing second insert must undo the first
    ("mutation($a: workspace_insert_input!, $b: workspace_insert_input!) "
     "{ a: insert_workspace_one(object: $a) { id } b: insert_workspace_one(object: $b) { id } }",
     st.fixed_dictionaries({"a": st.fixed_dictionaries({"name": st.sampled_from(["gql-a", "gql-b"])}),
                            "b": workspace_inserts})),
]
graphql_requests = st.one_of(
    st.sampled_from(GRAPHQL_OPERATIONS).flatmap(lambda op: op[1].map(lambda v, q=op[0]: {"query": q, "variables": v})),
    st.fixed_dictionaries({"query": st.one_of(any_text, st.sampled_from([
        "{", "{ workspace { id ", "{" * 60 + "}" * 60, "subscription { workspace { id } }", "query { __schema { types { name } } }",
        "query A { workspace { id } } query B { workspace { name } }", "mutation { delete_workspace_users(where: {}) "
        "{ affected_rows } }", "{ workspace(limit: -1) { id } }"]))},
        optional={"variables": json_values, "operationName": any_text | st.sampled_from(["A", "B"])}),
    json_values)
graphql_bodies = st.one_of(graphql_requests, st.lists(graphql_requests, min_size=1, max_size=3)).map(
    lambda body: json.dumps(body).encode())


@fuzz(250)
@given(body=graphql_bodies, credentials=st.sampled_from(["wallaroo-admin", "wallaroo-admin", "wallaroo-plain", "none",
                                                          "garbage"]))
def test_any_graphql_operation(server, http, body, credentials):
    """Queries and mutations with random arguments: one Hasura answer each (data, or one error
    that changed nothing), in a batch too; a failed mutation undoes its other root fields."""
    send_and_check(server, http, "POST", "/v1/graphql", endpoint="wallaroo.graphql", body=body,
                   content_type="application/json", credentials=credentials)


def test_a_graphql_mutation_that_fails_halfway_changes_nothing(server, http):
    """The first root field succeeds, the second breaks a constraint: the answer is the error
    and the first insert is gone too (Hasura runs a mutation as one transaction)."""
    query = ("mutation { a: insert_workspace_one(object: {name: \"halfway\"}) { id } "
             "b: insert_workspace_one(object: {name: \"developer@example.com - Default Workspace\"}) { id } }")
    response = send_and_check(server, http, "POST", "/v1/graphql", endpoint="wallaroo.graphql",
                              body=json.dumps({"query": query}).encode(), content_type="application/json",
                              credentials="wallaroo-admin")
    assert response.json()["errors"][0]["extensions"]["code"] == "constraint-violation"
    assert "halfway" not in {w["name"] for w in server.export_state()["wallaroo"]["workspaces"]}
