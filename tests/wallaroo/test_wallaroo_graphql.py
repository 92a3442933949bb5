"""``POST /v1/graphql`` over plain HTTP: the schema the SDK validates against, Hasura's
query and mutation semantics on the shared store, and Hasura's error answers.

Every answer is HTTP 200 and either ``{"data"}`` or exactly one error
``{"extensions": {"path", "code"}, "message"}`` (docs/wallaroo.md, "GraphQL"). A refused
request leaves the store as it was. The SDK's own operations are read from the installed
``wallaroo`` package (as a client would send them), never copied into the project.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import graphql
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ADMIN_ID, DEVELOPER_ID, password_login

GRAPHQL = "/v1/graphql"
ZERO_ROWS = 'cannot proceed to insert array relations since insert to table "workspace" affects zero rows'
SDK_QUERIES = Path(importlib.util.find_spec("wallaroo").submodule_search_locations[0]) / "graphql"
#: the SDK's workspace and user operations the mock answers (docs/wallaroo.md, "GraphQL")
SERVED_SDK_OPERATIONS = [
    "WorkspaceById", "UserDefaultWorkspace", "CreateDefaultUserWorkspace", "DeleteWorkspaceUser",
    "InsertWorkspaceUser", "WorkspaceNameById", "WorkspaceByName", "ListWorkspaces", "CreateWorkspace",
    "CreateWorkspaceBare", "Workspaces/ListWorkspaceUsers", "Workspaces/GetUserWorkspacePermission",
    "Workspaces/DeleteUsersFromWorkspace", "Workspaces/ListWorkspacesByUser",
]


def sdk_operation(name: str) -> str:
    return (SDK_QUERIES / f"{name}.graphql").read_text()


def bearer(server, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.wallaroo.issue_token(user)}"}


def post(server, payload: Any, headers: dict[str, str] | None = None, *, raw: bytes | None = None) -> Any:
    """One GraphQL request; asserts Hasura's transport contract (200, JSON) and returns the body."""
    if raw is None:
        response = requests.post(server.url + GRAPHQL, json=payload, headers=headers or {})
    else:
        response = requests.post(server.url + GRAPHQL, data=raw,
                                 headers={**(headers or {}), "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()


def run(server, query: str, variables: dict[str, Any] | None = None, *, user: str = "developer@example.com") -> Any:
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    return post(server, payload, bearer(server, user))


def data(body: Any) -> Any:
    assert list(body) == ["data"], body
    return body["data"]


def error(body: Any) -> tuple[str, str, str]:
    """``(code, path, message)`` of an answer that must be exactly one Hasura error."""
    assert list(body) == ["errors"] and len(body["errors"]) == 1, body
    (entry,) = body["errors"]
    assert list(entry) == ["extensions", "message"] and list(entry["extensions"]) == ["path", "code"], entry
    return entry["extensions"]["code"], entry["extensions"]["path"], entry["message"]


def store(server) -> dict[str, Any]:
    return server.export_state()["wallaroo"]


@pytest.fixture
def carol(mockserver):
    """A regular user (no admin role) with her default workspace (id 2)."""
    mockserver.wallaroo.add_user(username="carol@example.com", email="carol@example.com", password="carol-pw")
    return mockserver.wallaroo.find_user("carol@example.com")


# == the schema ==================================================================================
def test_introspection_gives_a_schema_every_served_sdk_operation_validates_against(mockserver):
    body = post(mockserver, {"query": graphql.get_introspection_query(descriptions=True)},
                bearer(mockserver, "developer@example.com"))
    schema = graphql.build_client_schema(data(body))
    for name in SERVED_SDK_OPERATIONS:
        problems = graphql.validate(schema, graphql.parse(sdk_operation(name)))
        assert problems == [], (name, problems)
    # Hasura's conventions the SDK's documents rely on
    assert isinstance(schema.type_map["bigint"], graphql.GraphQLScalarType)
    assert set(schema.type_map["order_by"].values) >= {"asc", "desc", "desc_nulls_last"}
    assert set(schema.type_map["workspace_constraint"].values) == {"workspace_name_key", "workspace_pkey"}
    assert "affected_rows" in schema.type_map["workspace_users_mutation_response"].fields
    assert "_eq" in schema.type_map["String_comparison_exp"].fields
    assert schema.query_type.name == "query_root" and schema.mutation_type.name == "mutation_root"
    # models, pipelines and deployments are tables too: the SDK's queries of them validate
    assert not graphql.validate(schema, graphql.parse(sdk_operation("GetModelById")))
    assert not graphql.validate(schema, graphql.parse(sdk_operation("PipelineVariantById")))
    # what the store does not hold is not in the schema (assays, connections...)
    assert graphql.validate(schema, graphql.parse(sdk_operation("ListConnections")))


def test_introspection_is_answered_the_same_to_everyone(mockserver, carol):
    query = {"query": graphql.get_introspection_query()}
    assert post(mockserver, query, bearer(mockserver, "carol@example.com")) == \
        post(mockserver, query, bearer(mockserver, "developer@example.com"))


# == reading =======================================================================================
def test_workspace_by_pk_reads_the_store_and_is_null_for_an_unknown_id(mockserver):
    found = data(run(mockserver, sdk_operation("WorkspaceById"), {"id": 1}))["workspace_by_pk"]
    assert found == {"archived": False, "created_at": "2025-01-01T00:00:01+00:00",
                     "created_by": "developer@example.com", "id": 1,
                     "name": "developer@example.com - Default Workspace",
                     "users": [{"user_id": DEVELOPER_ID}], "models": [], "pipelines": []}
    assert data(run(mockserver, sdk_operation("WorkspaceById"), {"id": 99})) == {"workspace_by_pk": None}
    assert data(run(mockserver, sdk_operation("WorkspaceById"), {"id": "1"}))["workspace_by_pk"]["id"] == 1


def test_regular_users_read_only_their_workspaces_and_their_own_default(mockserver, carol):
    assert data(run(mockserver, "{ workspace { id } }", user="carol@example.com")) == {"workspace": [{"id": 2}]}
    assert data(run(mockserver, "{ workspace_by_pk(id: 1) { id } }", user="carol@example.com")) == \
        {"workspace_by_pk": None}
    default = sdk_operation("UserDefaultWorkspace")
    mine = data(run(mockserver, default, {"user_id": carol.id}, user="carol@example.com"))
    assert [row["workspace"]["name"] for row in mine["user_default_workspace"]] == \
        ["carol@example.com - Default Workspace"]
    assert data(run(mockserver, default, {"user_id": DEVELOPER_ID}, user="carol@example.com")) == \
        {"user_default_workspace": []}
    assert data(run(mockserver, default, {}, user="carol@example.com")) == {"user_default_workspace": []}
    # the admin reads everything, everyone's default included
    everyone = data(run(mockserver, "{ user_default_workspace(order_by: {workspace_id: asc}) "
                                    "{ user_id workspace_id } }"))
    assert everyone == {"user_default_workspace": [{"user_id": DEVELOPER_ID, "workspace_id": 1},
                                                   {"user_id": carol.id, "workspace_id": 2}]}


def test_where_order_by_limit_and_offset(mockserver, carol):
    backend = mockserver.wallaroo
    backend.add_workspace(name="alpha", created_at="2024-01-01T00:00:00+00:00",
                          members=[{"user": "developer@example.com", "user_type": "OWNER"}])
    backend.add_workspace(name="beta", created_at="2024-06-01T00:00:00+00:00", models=[4, 2], pipelines=[7],
                          members=[{"user": "carol@example.com", "user_type": "OWNER"},
                                   {"user": "developer@example.com", "user_type": "COLLABORATOR"}])

    def names(where: str, extra: str = "") -> list[str]:
        body = run(mockserver, f"{{ workspace(where: {where}{extra}) {{ name }} }}")
        return [row["name"] for row in data(body)["workspace"]]

    assert names('{name: {_in: ["beta", "alpha", "nope"]}}') == ["alpha", "beta"]
    assert names('{name: {_ilike: "%DEFAULT%"}}') == ["developer@example.com - Default Workspace",
                                                     "carol@example.com - Default Workspace"]
    assert names('{name: {_like: "_eta"}}') == ["beta"]
    assert names('{_or: [{id: {_eq: 3}}, {id: {_gte: 4}}]}') == ["alpha", "beta"]
    assert names('{_not: {name: {_nlike: "%a"}}, id: {_neq: 3}}') == ["beta"]
    assert names('{created_at: {_gt: "2024-03-01T00:00:00Z", _lt: "2024-12-31T00:00:00+00:00"}}') == ["beta"]
    assert names('{users: {user_id: {_eq: "%s"}, user_type: {_eq: "OWNER"}}}' % carol.id) == \
        ["carol@example.com - Default Workspace", "beta"]
    assert names('{_and: [], archived: {_eq: false}, created_by: {_is_null: false}}', ", limit: 1, offset: 1") == \
        ["carol@example.com - Default Workspace"]
    assert names("{_or: []}") == []
    assert names("{}", ', order_by: [{created_at: desc}, {name: asc}], limit: 2') == \
        ["developer@example.com - Default Workspace", "carol@example.com - Default Workspace"]

    beta = data(run(mockserver, "{ workspace(where: {name: {_eq: \"beta\"}}) { models(order_by: {updated_at: desc}) "
                                "{ id models { id } } pipelines { id } users(where: {user_type: {_eq: \"OWNER\"}}) "
                                "{ user_id workspace { name } } } }"))["workspace"]
    assert beta == [{"models": [{"id": 4, "models": []}, {"id": 2, "models": []}], "pipelines": [{"id": 7}],
                     "users": [{"user_id": carol.id, "workspace": {"name": "beta"}}]}]
    members = data(run(mockserver, "{ workspace_users(where: {workspace: {name: {_eq: \"beta\"}}}, "
                                   "order_by: {user_type: desc}) { user_type } }"))
    assert members == {"workspace_users": [{"user_type": "OWNER"}, {"user_type": "COLLABORATOR"}]}


@pytest.mark.parametrize("query, path, message", [
    ("{ workspace(where: {id: {_eq: null}}) { id } }", "$.selectionSet.workspace.args.where",
     'unexpected null value for type "bigint"'),
    ("{ workspace(where: null) { id } }", "$.selectionSet.workspace.args.where",
     'unexpected null value for type "workspace_bool_exp"'),
    ("{ workspace(limit: -1) { id } }", "$.selectionSet.workspace.args.limit",
     'expecting a non-negative integer for "limit"'),
    ("{ workspace_by_pk(id: 1) { users(where: {_and: null}) { id } } }",
     "$.selectionSet.workspace_by_pk.selectionSet.users.args.where",
     'unexpected null value for type "workspace_users_bool_exp"'),
])
def test_nulls_and_negative_limits_are_refused(mockserver, query, path, message):
    assert error(run(mockserver, query)) == ("validation-failed", path, message)


# == GraphQL and REST share one store ============================================================
def test_what_rest_creates_graphql_reads_and_what_graphql_changes_rest_sees(mockserver, carol):
    dev = bearer(mockserver, "developer@example.com")
    created = requests.post(f"{mockserver.url}/v1/api/workspaces/create", json={"workspace_name": "via-rest"},
                            headers=dev).json()["workspace_id"]
    assert data(run(mockserver, "query($id: bigint!) { workspace_by_pk(id: $id) { name created_by users "
                                "{ user_id user_type } } }", {"id": created})) == {"workspace_by_pk": {
        "name": "via-rest", "created_by": DEVELOPER_ID, "users": [{"user_id": DEVELOPER_ID, "user_type": "OWNER"}]}}

    inserted = data(run(mockserver, sdk_operation("InsertWorkspaceUser"),
                        {"user_id": carol.id, "user_type": "COLLABORATOR", "workspace_id": created}))
    assert isinstance(inserted["insert_workspace_users_one"]["id"], int)
    listed = requests.post(f"{mockserver.url}/v1/api/workspaces/list_users", json={"workspace_id": created},
                           headers=dev).json()
    assert listed == {"users": [{"user_id": DEVELOPER_ID, "user_type": "OWNER"},
                                {"user_id": carol.id, "user_type": "COLLABORATOR"}]}

    made = data(run(mockserver, sdk_operation("CreateWorkspace"),
                    {"user_id": DEVELOPER_ID, "workspace_name": "Via GraphQL!", "user_type": "OWNER"}))
    new_id = made["insert_workspace_one"]["id"]
    rest = requests.post(f"{mockserver.url}/v1/api/workspaces/list", json={}, headers=dev).json()["workspaces"]
    (item,) = [w for w in rest if w["id"] == new_id]
    assert (item["name"], item["created_by"], item["archived"]) == ("Via GraphQL!", DEVELOPER_ID, False)

    removed = requests.post(f"{mockserver.url}/v1/api/workspaces/remove_user",
                            json={"workspace_id": created, "user_id": carol.id}, headers=dev).json()
    assert removed == {"affected_rows": 1}
    assert data(run(mockserver, sdk_operation("Workspaces/ListWorkspaceUsers"), {"workspace_id": created})) == {
        "workspace_users": [{"user_id": DEVELOPER_ID, "user_type": "OWNER"}]}


# == mutations =======================================================================================
def test_create_default_user_workspace_makes_the_default_workspace_the_sdk_then_finds(mockserver):
    mockserver.wallaroo.add_user(username="dan@example.com", email="dan@example.com", default_workspace=False)
    dan = mockserver.wallaroo.find_user("dan@example.com")
    default = sdk_operation("UserDefaultWorkspace")
    assert data(run(mockserver, default, {"user_id": dan.id}, user="dan@example.com")) == \
        {"user_default_workspace": []}
    made = data(run(mockserver, sdk_operation("CreateDefaultUserWorkspace"), {
        "user_id": dan.id, "workspace_name": "dan@example.com - Default Workspace", "user_type": "OWNER"},
        user="dan@example.com"))
    assert made == {"insert_workspace_one": {"id": 2}}
    (row,) = data(run(mockserver, default, {"user_id": dan.id}, user="dan@example.com"))["user_default_workspace"]
    workspace = row["workspace"]
    assert (workspace["id"], workspace["name"], workspace["created_by"], workspace["users"]) == (
        2, "dan@example.com - Default Workspace", "dan@example.com", [{"user_id": dan.id}])
    # a second try hits workspace_name_key with update_columns [] and nested inserts: Hasura's error
    before = store(mockserver)
    again = run(mockserver, sdk_operation("CreateDefaultUserWorkspace"), {
        "user_id": dan.id, "workspace_name": "dan@example.com - Default Workspace", "user_type": "OWNER"},
        user="dan@example.com")
    assert error(again) == ("not-supported", "$.selectionSet.insert_workspace_one.args.object[0]", ZERO_ROWS)
    assert store(mockserver) == before


def test_a_user_without_email_gets_the_error_the_seed_records(mockserver):
    """REC seed 002, troubleshooting: a user registered without an email, on first use."""
    before = store(mockserver)
    body = run(mockserver, sdk_operation("CreateDefaultUserWorkspace"), {
        "user_id": ADMIN_ID, "workspace_name": "admin@keycloak - Default Workspace", "user_type": "OWNER"},
        user="admin")
    assert body == {"errors": [{"extensions": {"path": "$.selectionSet.insert_workspace_one.args.object[0]",
                                               "code": "not-supported"}, "message": ZERO_ROWS}]}
    assert store(mockserver) == before


def test_insert_workspace_one_on_conflict(mockserver, carol):
    insert = ("mutation($name: String!, $conflict: workspace_on_conflict, $archived: Boolean) { "
              "insert_workspace_one(object: {name: $name, archived: $archived}, on_conflict: $conflict) "
              "{ id archived } }")
    taken = "carol@example.com - Default Workspace"
    mockserver.wallaroo.add_user(username="erin@example.com", email="erin@example.com", default_workspace=False)
    before = store(mockserver)
    assert error(run(mockserver, insert, {"name": taken})) == (
        "constraint-violation", "$.selectionSet.insert_workspace_one.args.object[0]",
        'Uniqueness violation. duplicate key value violates unique constraint "workspace_name_key"')
    assert error(run(mockserver, insert, {"name": taken, "conflict": {"constraint": "workspace_pkey"}}))[0] == \
        "constraint-violation"  # the conflict is on another constraint than the one named
    ignored = {"constraint": "workspace_name_key", "update_columns": []}
    assert data(run(mockserver, insert, {"name": taken, "conflict": ignored})) == {"insert_workspace_one": None}
    update = {"constraint": "workspace_name_key", "update_columns": ["archived"]}
    assert data(run(mockserver, insert, {"name": taken, "conflict": update, "archived": True})) == \
        {"insert_workspace_one": {"id": 2, "archived": True}}
    rest = requests.post(f"{mockserver.url}/v1/api/workspaces/list", json={},
                         headers=bearer(mockserver, "carol@example.com")).json()
    assert [(w["id"], w["archived"]) for w in rest["workspaces"]] == [(2, True)]
    # a user who may not change the existing row: the upsert affects no row
    assert data(run(mockserver, insert, {"name": taken, "conflict": update, "archived": False},
                    user="erin@example.com")) == {"insert_workspace_one": None}
    where = {**update, "where": {"archived": {"_eq": False}}}
    assert data(run(mockserver, insert, {"name": taken, "conflict": where, "archived": False})) == \
        {"insert_workspace_one": None}  # the row does not match where: left alone
    expected = json.loads(json.dumps(before["workspaces"]))
    (workspace,) = [w for w in expected if w["id"] == 2]
    workspace["archived"] = True  # the one change of all these calls
    assert store(mockserver)["workspaces"] == expected


@pytest.mark.parametrize("variables, code, message", [
    ({"workspace_id": 99, "user_id": "carol", "user_type": "COLLABORATOR"}, "constraint-violation",
     'Foreign key violation. insert or update on table "workspace_users" violates foreign key constraint '
     '"workspace_users_workspace_id_fkey"'),
    ({"workspace_id": 1, "user_id": "no-such-user", "user_type": "COLLABORATOR"}, "constraint-violation",
     'Foreign key violation. insert or update on table "workspace_users" violates foreign key constraint '
     '"workspace_users_user_id_fkey"'),
    ({"workspace_id": 1, "user_id": "carol", "user_type": "SUPERUSER"}, "constraint-violation",
     'Check constraint violation. new row for relation "workspace_users" violates check constraint '
     '"workspace_users_user_type_check"'),
    ({"workspace_id": 1, "user_id": "developer", "user_type": "OWNER", "plain": True}, "constraint-violation",
     'Uniqueness violation. duplicate key value violates unique constraint "workspace_users_workspace_id_user_id_key"'),
    ({"workspace_id": 2, "user_id": "developer", "user_type": "OWNER", "as": "erin"}, "permission-error",
     "check constraint of an insert permission has failed"),
])
def test_insert_workspace_users_one_refusals(mockserver, carol, variables, code, message):
    mockserver.wallaroo.add_user(username="erin@example.com", email="erin@example.com")
    ids = {"carol": carol.id, "developer": DEVELOPER_ID}
    user_id = ids.get(variables["user_id"], variables["user_id"])
    # erin is a COLLABORATOR of carol's workspace: a member, but with no right to change members
    added = requests.post(f"{mockserver.url}/v1/api/workspaces/add_user",
                          json={"workspace_id": 2, "email": "erin@example.com"},
                          headers=bearer(mockserver, "carol@example.com"))
    assert added.status_code == 200
    query = sdk_operation("InsertWorkspaceUser")
    if variables.get("plain"):
        query = ("mutation($user_id: String!, $user_type: String!, $workspace_id: bigint) { insert_workspace_users_one("
                 "object: {user_id: $user_id, user_type: $user_type, workspace_id: $workspace_id}) { id } }")
    before = store(mockserver)
    body = run(mockserver, query, {"workspace_id": variables["workspace_id"], "user_id": user_id,
                                   "user_type": variables["user_type"]},
               user="erin@example.com" if variables.get("as") == "erin" else "developer@example.com")
    assert error(body) == (code, "$.selectionSet.insert_workspace_users_one.args.object[0]", message)
    assert store(mockserver) == before


def test_insert_workspace_users_one_upserts_the_user_type(mockserver, carol):
    add = sdk_operation("InsertWorkspaceUser")
    first = data(run(mockserver, add, {"user_id": carol.id, "user_type": "collaborator", "workspace_id": 1}))
    again = data(run(mockserver, add, {"user_id": carol.id, "user_type": "OWNER", "workspace_id": 1}))
    assert first == again  # the same row
    assert data(run(mockserver, sdk_operation("Workspaces/GetUserWorkspacePermission"),
                    {"workspace_id": 1, "user_id": carol.id})) == {"workspace_users": [{"user_type": "OWNER"}]}
    ignore = ("mutation($u: String!) { insert_workspace_users_one(object: {user_id: $u, user_type: \"COLLABORATOR\", "
              "workspace_id: 1}, on_conflict: {constraint: workspace_users_workspace_id_user_id_key, "
              "update_columns: []}) { id } }")
    assert data(run(mockserver, ignore, {"u": carol.id})) == {"insert_workspace_users_one": None}
    assert error(run(mockserver, "mutation { insert_workspace_users_one(object: {user_id: \"%s\", workspace_id: 1, "
                                 "user_type: null}) { id } }" % carol.id)) == (
        "constraint-violation", "$.selectionSet.insert_workspace_users_one.args.object[0]",
        'Not-NULL violation. null value in column "user_type" of relation "workspace_users" violates not-null '
        "constraint")


def test_delete_workspace_users_as_the_sdk_sends_it(mockserver, carol):
    mockserver.wallaroo.add_workspace(name="shared", members=[{"user": "carol@example.com", "user_type": "OWNER"},
                                                              {"user": "developer@example.com"}])
    delete = sdk_operation("DeleteWorkspaceUser")
    # carol owns "shared" (id 3) but not the developer's default workspace (id 1)
    assert data(run(mockserver, delete, {"user_id": DEVELOPER_ID, "workspace_id": 1}, user="carol@example.com")) == \
        {"delete_workspace_users": {"affected_rows": 0}}
    assert data(run(mockserver, delete, {"user_id": DEVELOPER_ID, "workspace_id": 3}, user="carol@example.com")) == \
        {"delete_workspace_users": {"affected_rows": 1}}
    assert data(run(mockserver, delete, {"user_id": DEVELOPER_ID, "workspace_id": 3}, user="carol@example.com")) == \
        {"delete_workspace_users": {"affected_rows": 0}}
    assert mockserver.wallaroo.data.workspaces[3].members == {carol.id: "OWNER"}
    everywhere = data(run(mockserver, "mutation($u: String!) { delete_workspace_users(where: {user_id: {_eq: $u}}) "
                                      "{ affected_rows returning { workspace_id user_type workspace { name } } } }",
                          {"u": carol.id}))
    assert everywhere == {"delete_workspace_users": {"affected_rows": 2, "returning": [
        {"workspace_id": 2, "user_type": "OWNER", "workspace": {"name": "carol@example.com - Default Workspace"}},
        {"workspace_id": 3, "user_type": "OWNER", "workspace": {"name": "shared"}}]}}


def test_the_root_fields_of_a_mutation_are_one_transaction(mockserver, carol):
    before = store(mockserver)
    body = run(mockserver, "mutation($c: String!) { a: insert_workspace_one(object: {name: \"fresh\"}) { id } "
                           "b: delete_workspace_users(where: {user_id: {_eq: $c}}) { affected_rows } "
                           "c: insert_workspace_one(object: {name: \"fresh\"}) { id } }", {"c": carol.id})
    assert error(body)[:2] == ("constraint-violation", "$.selectionSet.c.args.object[0]")
    assert store(mockserver) == before
    assert data(run(mockserver, "{ workspace(where: {name: {_eq: \"fresh\"}}) { id } }")) == {"workspace": []}


def test_a_mutation_failing_while_reading_its_result_changes_nothing(mockserver):
    before = store(mockserver)
    body = run(mockserver, "mutation { insert_workspace_one(object: {name: \"fresh\"}) "
                           "{ id users(where: {user_id: {_eq: null}}) { id } } }")
    assert error(body)[:2] == ("validation-failed", "$.selectionSet.insert_workspace_one.selectionSet.users.args.where")
    assert store(mockserver) == before


def test_a_default_workspace_link_must_be_the_users_default_name(mockserver, carol):
    before = store(mockserver)
    body = run(mockserver, "mutation($u: String!) { insert_workspace_one(object: {name: \"other\", "
                           "user_default_workspaces: {data: {user_id: $u}}}) { id } }", {"u": carol.id})
    code, path, message = error(body)
    assert (code, path) == ("not-supported", "$.selectionSet.insert_workspace_one.args.object[0]")
    assert "carol@example.com - Default Workspace" in message
    assert store(mockserver) == before


# == authentication: Hasura's answers, still 200 =====================================================
def _expired(server) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {server.wallaroo.issue_token('developer@example.com', lifetime=1)}"}
    server.clock.advance(2)
    return headers


def _disabled(server) -> dict[str, str]:
    server.wallaroo.add_user(username="gone@example.com", email="gone@example.com", enabled=True)
    headers = bearer(server, "gone@example.com")
    server.wallaroo.find_user("gone@example.com").enabled = False
    return headers


def _refresh_token(server) -> dict[str, str]:
    tokens = password_login(server.url, "admin", "admin").json()
    return {"Authorization": f"Bearer {tokens['refresh_token']}"}


@pytest.mark.parametrize("headers, code, message", [
    (lambda s: {}, "invalid-headers", "Missing 'Authorization' or 'Cookie' header in JWT authentication mode"),
    (lambda s: {"Authorization": "Basic YWRtaW46YWRtaW4="}, "invalid-headers", "Malformed Authorization header"),
    (lambda s: {"Authorization": "Bearer not.a.jwt"}, "invalid-jwt",
     "Could not verify JWT: JWSError JWSInvalidSignature"),
    (_refresh_token, "invalid-jwt", "Could not verify JWT: JWSError JWSInvalidSignature"),
    (_expired, "invalid-jwt", "Could not verify JWT: JWTExpired"),
    (_disabled, "invalid-jwt", "Could not verify JWT: the user account is disabled"),
])
def test_token_problems_are_hasura_errors_with_status_200(mockserver, headers, code, message):
    sent = headers(mockserver)
    before = store(mockserver)
    body = post(mockserver, {"query": "mutation { insert_workspace_one(object: {name: \"x\"}) { id } }"}, sent)
    assert error(body) == (code, "$", message)
    assert store(mockserver) == before


# == malformed requests ==================================================================================
@pytest.mark.parametrize("payload, raw, code, path, message", [
    (None, b"{", "invalid-json", "$",
     "Error in $: Expecting property name enclosed in double quotes at line 1 column 2"),
    (None, b"", "invalid-json", "$", "Error in $: the request body is empty; a JSON object is required"),
    (7, None, "parse-failed", "$", "Error in $: expected a GraphQL request object, but encountered Number"),
    ({}, None, "parse-failed", "$", 'Error in $: key "query" not found'),
    ({"query": 1}, None, "parse-failed", "$.query", "Error in $.query: expected String, but encountered Number"),
    ({"query": "{ workspace { id } }", "variables": [1]}, None, "parse-failed", "$.variables",
     "Error in $.variables: expected Object, but encountered Array"),
    ({"query": "{ workspace { id } }", "operationName": 3}, None, "parse-failed", "$.operationName",
     "Error in $.operationName: expected String, but encountered Number"),
    ({"query": "{ workspace { id }"}, None, "validation-failed", "$.query", "not a valid graphql query"),
    ({"query": "{" * 60 + "}" * 60}, None, "validation-failed", "$.query", "not a valid graphql query"),
    ({"query": "{ workspace { " + "users { workspace { " * 30 + "id" + " } }" * 30 + " } }"}, None,
     "validation-failed", "$.query", "not a valid graphql query"),
    ({"query": "{ nope }"}, None, "validation-failed", "$.selectionSet.nope",
     "field 'nope' not found in type: 'query_root'"),
    ({"query": "{ w: workspace_by_pk(id: 1) { nope } }"}, None, "validation-failed",
     "$.selectionSet.w.selectionSet.nope", "field 'nope' not found in type: 'workspace'"),
    ({"query": "{ workspace_by_pk(id: 1, x: 2) { id } }"}, None, "validation-failed",
     "$.selectionSet.workspace_by_pk.args.x", "'workspace_by_pk' has no argument named 'x'"),
    ({"query": "{ workspace_by_pk { id } }"}, None, "validation-failed", "$.selectionSet.workspace_by_pk",
     "missing required field 'id'"),
    ({"query": "query($id: bigint!) { workspace_by_pk(id: $id) { id } }"}, None, "validation-failed", "$",
     'expecting a value for non-nullable variable: "id"'),
    ({"query": "query($id: bigint!) { workspace_by_pk(id: $id) { id } }", "variables": {"id": "abc"}}, None,
     "validation-failed", "$.variableValues",
     "Variable '$id' got invalid value 'abc'; invalid input syntax for type bigint: 'abc'"),
    ({"query": "query($id: bigint!) { workspace_by_pk(id: $id) { id } }", "variables": {"id": 2 ** 63}}, None,
     "validation-failed", "$.variableValues",
     f"Variable '$id' got invalid value {2 ** 63}; value {2 ** 63} is out of range for type bigint"),
    ({"query": "query A { workspace { id } } query B { workspace { id } }"}, None, "validation-failed", "$",
     "exactly one operation has to be present in the document when operationName is not specified"),
    ({"query": "query A { workspace { id } }", "operationName": "C"}, None, "validation-failed", "$",
     'no such operation found in the document: "C"'),
    ({"query": "subscription { workspace { id } }"}, None, "validation-failed", "$",
     "subscriptions are not supported"),
])
def test_malformed_requests(mockserver, payload, raw, code, path, message):
    before = store(mockserver)
    body = post(mockserver, payload, bearer(mockserver, "developer@example.com"), raw=raw)
    assert error(body) == (code, path, message)
    assert store(mockserver) == before


def test_a_batch_is_answered_request_by_request(mockserver):
    body = post(mockserver, [{"query": "{ workspace { id } }"}, "x", {"query": "{ nope }"}],
                bearer(mockserver, "developer@example.com"))
    assert body[0] == {"data": {"workspace": [{"id": 1}]}}
    assert error(body[1]) == ("parse-failed", "$[1]",
                              "Error in $[1]: expected a GraphQL request object, but encountered String")
    assert error(body[2])[0] == "validation-failed"
    assert post(mockserver, [], bearer(mockserver, "developer@example.com")) == []


@pytest.mark.parametrize("method, path, status, code", [
    ("GET", GRAPHQL, 405, "method-not-allowed"),
    ("PUT", GRAPHQL, 405, "method-not-allowed"),
    ("POST", GRAPHQL + "/v2", 404, "not-found"),
])
def test_the_router_answers_in_the_graphql_shape(mockserver, method, path, status, code):
    response = requests.request(method, mockserver.url + path, json={"query": "{ workspace { id } }"})
    assert response.status_code == status
    assert error(response.json())[:2] == (code, "$")
    if status == 405:
        assert response.headers["Allow"] == "POST"


def test_an_oversized_body_is_a_413_in_the_graphql_shape(mockserver):
    query = "{ workspace { id } }" + " " * (1024 * 1024)
    response = requests.post(mockserver.url + GRAPHQL, json={"query": query},
                             headers=bearer(mockserver, "developer@example.com"))
    assert response.status_code == 413
    assert error(response.json())[:2] == ("request-too-large", "$")


# == fuzz: whatever comes, one of the two answers, and a refused request changes nothing ==================
_WHERE = st.sampled_from(["{}", "{id: {_eq: 1}}", "{id: {_in: [1, 2]}}", '{name: {_ilike: "%DEF%"}}', "{_or: []}",
                          "{id: {_eq: null}}", '{users: {user_id: {_eq: $u}}}', "{_not: {archived: {_eq: true}}}",
                          '{created_at: {_gt: "2024-01-01"}}', '{created_at: {_gt: "yesterday"}}', "null"])
_MEMBER_WHERE = st.sampled_from(["{}", "{user_id: {_eq: $u}}", "{workspace_id: {_eq: $id}}",
                                 '{_and: {workspace_id: {_eq: 1}}, user_type: {_eq: "OWNER"}}',
                                 "{workspace: {name: {_like: $u}}}", "{id: {_gt: 0}}"])
_FIELDS = st.lists(st.sampled_from(["id", "name", "created_at", "created_by", "archived", "users { user_id }",
                                    "models { id }", "pipelines { id }", "__typename", "nope"]),
                   min_size=1, max_size=4).map(" ".join)
_OBJECT = st.sampled_from(['{name: "fuzz"}', '{name: "developer@example.com - Default Workspace"}',
                           "{name: $u, users: {data: {user_id: $u, user_type: \"OWNER\"}}}", "{archived: null}",
                           '{name: "w", users: {data: [{user_id: $u}, {user_id: $u}]}}', "{}"])
_CONFLICT = st.sampled_from(["", ", on_conflict: {constraint: workspace_name_key}",
                             ", on_conflict: {constraint: workspace_name_key, update_columns: [archived]}"])
def _operation(kind: str, body: str) -> str:
    """``kind`` with the variables ``body`` uses declared (an unused one is a validation error)."""
    declared = [text for name, text in (("$id", "$id: bigint"), ("$u", "$u: String")) if name in body]
    return f"{kind}({', '.join(declared)}) {{ {body} }}" if declared else f"{kind} {{ {body} }}"


_ROOTS = st.one_of(
    st.builds("workspace(where: {}, limit: {}) {{ {} }}".format, _WHERE,
              st.sampled_from(["1", "0", "-1", "null", "$id"]), _FIELDS).map(lambda b: _operation("query", b)),
    st.builds("workspace_by_pk(id: $id) {{ {} }}".format, _FIELDS).map(lambda b: _operation("query", b)),
    st.builds("user_default_workspace(where: {{user_id: {{_eq: $u}}}}) {{ workspace {{ {} }} }}".format,
              _FIELDS).map(lambda b: _operation("query", b)),
    st.builds("insert_workspace_one(object: {}{}) {{ {} }}".format, _OBJECT, _CONFLICT, _FIELDS).map(
        lambda b: _operation("mutation", b)),
    st.builds("insert_workspace_users_one(object: {{user_id: $u, workspace_id: $id, user_type: \"OWNER\"}}{}) "
              "{{ id }}".format,
              st.sampled_from(["", ", on_conflict: {constraint: workspace_users_workspace_id_user_id_key, "
                                   "update_columns: user_type}"])).map(lambda b: _operation("mutation", b)),
    st.builds("delete_workspace_users(where: {}) {{ affected_rows }}".format, _MEMBER_WHERE).map(
        lambda b: _operation("mutation", b)),
)


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=_ROOTS, cut=st.one_of(st.none(), st.none(), st.none(), st.integers(0, 200)),
       variables=st.fixed_dictionaries({}, optional={
           "id": st.sampled_from([1, 2, 99, "1", "x", None, -1]),
           "u": st.sampled_from([DEVELOPER_ID, ADMIN_ID, "nobody", "%", None, 5])}),
       user=st.sampled_from(["developer@example.com", "admin", "carol@example.com"]))
def test_fuzzed_operations_get_data_or_one_error_and_refusals_change_nothing(mockserver, query, cut, variables,
                                                                            user):
    mockserver.reset()
    mockserver.wallaroo.add_user(username="carol@example.com", email="carol@example.com")
    if cut is not None:  # a damaged document
        query = query[:cut] + query[cut + 1:]
    before = store(mockserver)
    body = post(mockserver, {"query": query, "variables": variables}, bearer(mockserver, user))
    if "errors" in body:
        code, path, message = error(body)
        assert code and path.startswith("$") and message
        assert store(mockserver) == before
    else:
        assert list(body) == ["data"] and isinstance(body["data"], dict)
