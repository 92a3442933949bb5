"""The high-level ``wallaroo.Client`` end to end on workspaces and users: its REST calls,
its Keycloak admin lookups and its GraphQL operations (schema fetch first), unmocked.

Every test logs in with ``auth_type="user_password"`` and a fresh ``XDG_CACHE_HOME``
(the SDK caches its token on disk and would reuse another test's).
"""

from __future__ import annotations


import pytest
import requests
from gql.transport.exceptions import TransportQueryError
from wallaroo.user import User

from conftest import DEVELOPER_ID, GRAPHQL, graphql_operations, password_login


@pytest.fixture
def connect(wallaroo_login):
    """``connect(login, password)``: a logged-in ``wallaroo.Client`` with its own token cache."""
    return wallaroo_login


def rest_workspaces(server, login: str = "developer@example.com") -> dict[int, dict]:
    headers = {"Authorization": f"Bearer {server.wallaroo.issue_token(login)}"}
    listed = requests.post(f"{server.url}/v1/api/workspaces/list", json={}, headers=headers).json()
    return {item["id"]: item for item in listed["workspaces"]}


def rest_members(server, workspace_id: int, login: str = "developer@example.com") -> list[tuple[str, str]]:
    headers = {"Authorization": f"Bearer {server.wallaroo.issue_token(login)}"}
    listed = requests.post(f"{server.url}/v1/api/workspaces/list_users", json={"workspace_id": workspace_id},
                           headers=headers).json()
    return [(member["user_id"], member["user_type"]) for member in listed["users"]]


def emails(users: list) -> list[str]:
    return [user.email() if isinstance(user, User) else user for user in users]


# == reading workspaces ==========================================================================
def test_listed_workspaces_read_their_details_through_graphql(mockserver, connect):
    mockserver.wallaroo.add_user(username="carol@example.com", email="carol@example.com")
    mockserver.wallaroo.add_workspace(name="shared", members=[{"user": "developer@example.com", "user_type": "OWNER"},
                                                              {"user": "carol@example.com"}])
    wl = connect()
    rest = rest_workspaces(mockserver)
    listed = wl.list_workspaces()
    assert [ws.id() for ws in listed] == sorted(rest) == [1, 2, 3]
    for ws in listed:
        item = rest[ws.id()]
        assert (ws.name(), ws.created_at(), ws.created_by(), ws.archived()) == (
            item["name"], item["created_at"], item["created_by"], item["archived"])
        members = [user_id for user_id, _ in rest_members(mockserver, ws.id())]
        assert [user.id() for user in ws.users()] == members  # WorkspaceById, then Keycloak per member
        text = repr(ws)
        assert f"'name': '{item['name']}'" in text and f"'id': {ws.id()}" in text
        assert (ws.models(), ws.pipelines()) == ([], [])
    assert emails(listed[2].users()) == ["developer@example.com", "carol@example.com"]
    assert graphql_operations(mockserver)[0] == "IntrospectionQuery"  # the gql client's schema fetch, once
    assert graphql_operations(mockserver).count("IntrospectionQuery") == 1
    assert set(graphql_operations(mockserver)[1:]) == {"WorkspaceById"}


def test_a_workspace_lists_the_ids_of_its_models_and_pipelines(mockserver, connect):
    """Only ids are modelled: the counts agree with REST, the objects have nothing else."""
    mockserver.wallaroo.add_workspace(name="with-models", models=[3, 5], pipelines=[8],
                                      members=[{"user": "developer@example.com", "user_type": "OWNER"}])
    wl = connect()
    (ws,) = [ws for ws in wl.list_workspaces() if ws.name() == "with-models"]
    assert [model.id() for model in ws.models()] == [3, 5]
    assert [pipeline.id() for pipeline in ws.pipelines()] == [8]
    assert rest_workspaces(mockserver)[ws.id()]["models"] == [3, 5]


def test_created_workspace_is_read_back_through_graphql(mockserver, connect):
    wl = connect()
    ws = wl.create_workspace("sdk-made")
    assert ws.id() == 2
    item = rest_workspaces(mockserver)[2]
    assert (ws.name(), ws.created_by(), ws.created_at(), ws.archived()) == (
        "sdk-made", DEVELOPER_ID, item["created_at"], False)
    assert emails(ws.users()) == ["developer@example.com"]
    assert repr(ws).startswith("{'name': 'sdk-made', 'id': 2, 'archived': False")


def test_get_workspace_by_name_and_create_if_not_exist(mockserver, connect):
    wl = connect()
    assert wl.get_workspace(name="developer@example.com - Default Workspace").id() == 1
    with pytest.raises(Exception, match="Workspace with name missing-one does not exist"):
        wl.get_workspace(name="missing-one")
    made = wl.get_workspace(name="missing-one", create_if_not_exist=True)
    assert (made.id(), made.name()) == (2, "missing-one")
    assert wl.get_workspace(name="missing-one", create_if_not_exist=True).id() == 2  # found, not made again
    assert [item["name"] for item in rest_workspaces(mockserver).values()] == [
        "developer@example.com - Default Workspace", "missing-one"]


# == the current workspace ========================================================================
def test_current_workspace_is_the_users_default_and_can_be_set(mockserver, connect):
    wl = connect()
    current = wl.get_current_workspace()
    assert (current.id(), current.name(), current.created_by()) == (
        1, "developer@example.com - Default Workspace", "developer@example.com")
    assert "CreateDefaultUserWorkspace" not in graphql_operations(mockserver)
    other = wl.create_workspace("elsewhere")
    assert wl.set_current_workspace(other) is other
    assert wl.get_current_workspace().name() == "elsewhere"


@pytest.mark.mockserver_scenario("wallaroo-tutorial")
def test_a_user_without_a_default_workspace_gets_one_on_first_use(mockserver, connect):
    """john.hansarick has none in the tutorial instance: the SDK creates it through GraphQL."""
    wl = connect("john.hansarick@wallaroo.ai", "hansarick-password")
    user_id = wl.auth.user_id()
    current = wl.get_current_workspace()
    assert graphql_operations(mockserver)[1:] == ["UserDefaultWorkspace", "CreateDefaultUserWorkspace"]
    assert (current.id(), current.name(), current.created_by()) == (
        15, "john.hansarick@wallaroo.ai - Default Workspace", "john.hansarick@wallaroo.ai")
    assert emails(current.users()) == ["john.hansarick@wallaroo.ai"]
    assert rest_members(mockserver, 15, "john.hansarick@wallaroo.ai") == [(user_id, "OWNER")]
    assert rest_workspaces(mockserver, "john.hansarick@wallaroo.ai")[15]["created_by"] == "john.hansarick@wallaroo.ai"

    again = connect("john.hansarick@wallaroo.ai", "hansarick-password").get_current_workspace()
    assert again.id() == 15
    assert graphql_operations(mockserver).count("CreateDefaultUserWorkspace") == 1


def test_the_keycloak_admin_without_email_gets_the_recorded_error(mockserver, connect):
    """REC seed 002 (troubleshooting): a user registered without an email address."""
    wl = connect("admin", "admin")
    before = mockserver.export_state()["wallaroo"]
    with pytest.raises(TransportQueryError) as raised:
        wl.get_current_workspace()
    assert raised.value.errors == [{"extensions": {"path": "$.selectionSet.insert_workspace_one.args.object[0]",
                                                   "code": "not-supported"},
                                    "message": 'cannot proceed to insert array relations since insert to table '
                                               '"workspace" affects zero rows'}]
    assert mockserver.export_state()["wallaroo"] == before


# == members ==========================================================================================
def test_add_and_remove_a_user(mockserver, connect):
    mockserver.wallaroo.add_user(username="carol@example.com", email="carol@example.com")
    carol_id = mockserver.wallaroo.find_user("carol@example.com").id
    wl = connect()
    ws = wl.create_workspace("team")
    assert ws.add_user("carol@example.com") is ws
    assert emails(ws.users()) == ["developer@example.com", "carol@example.com"]
    assert rest_members(mockserver, ws.id()) == [(DEVELOPER_ID, "OWNER"), (carol_id, "COLLABORATOR")]
    with pytest.raises(Exception, match="already exists in workspace team"):
        ws.add_user("carol@example.com")
    ws.add_owner("carol@example.com")  # REST add_user again, as an upsert of the type
    assert rest_members(mockserver, ws.id()) == [(DEVELOPER_ID, "OWNER"), (carol_id, "OWNER")]

    ws.remove_user("carol@example.com")  # GraphQL DeleteWorkspaceUser, then WorkspaceById
    assert emails(ws.users()) == ["developer@example.com"]
    assert rest_members(mockserver, ws.id()) == [(DEVELOPER_ID, "OWNER")]
    assert "DeleteWorkspaceUser" in graphql_operations(mockserver)
    with pytest.raises(Exception, match="Last user of a workspace cannot be removed"):
        ws.remove_user("developer@example.com")
    with pytest.raises(Exception, match="cannot be removed from their default workspace"):
        wl.get_current_workspace().remove_user("developer@example.com")


def test_a_collaborator_sees_the_members_but_cannot_remove_them(mockserver, connect):
    mockserver.wallaroo.add_user(username="carol@example.com", email="carol@example.com", password="carol-pw")
    mockserver.wallaroo.add_user(username="dan@example.com", email="dan@example.com")
    team = connect().create_workspace("team")
    team.add_user("carol@example.com")
    team.add_user("dan@example.com")
    everyone = ["developer@example.com", "carol@example.com", "dan@example.com"]

    carol = connect("carol@example.com", "carol-pw")
    (seen,) = [ws for ws in carol.list_workspaces() if ws.name() == "team"]
    assert emails(seen.users()) == everyone
    seen.remove_user("dan@example.com")  # no error: Hasura deletes no row the caller may not delete
    assert emails(seen.users()) == everyone
    assert len(rest_members(mockserver, team.id())) == 3


# == users: unchanged by GraphQL ======================================================================
def test_user_management_alongside_graphql(mockserver, connect):
    wl = connect()
    assert sorted(user.email() for user in wl.list_users()) == ["admin@keycloak", "developer@example.com"]
    invited = wl.invite_user("ivy@example.com", "ivy-password")
    ivy = connect("ivy@example.com", "ivy-password")
    assert ivy.auth.user_id() == invited["id"]
    current = ivy.get_current_workspace()  # made by the invite (docs/wallaroo.md, "Default workspace")
    assert (current.name(), emails(current.users())) == ("ivy@example.com - Default Workspace", ["ivy@example.com"])
    assert "CreateDefaultUserWorkspace" not in graphql_operations(mockserver)

    wl.deactivate_user("ivy@example.com")
    refused = requests.post(f"{mockserver.url}{GRAPHQL}", json={"query": "{ workspace { id } }"},
                            headers=ivy.auth.auth_header())
    assert refused.json()["errors"][0]["message"] == "Could not verify JWT: the user account is disabled"
    login = password_login(mockserver.url, "ivy@example.com", "ivy-password")
    assert login.status_code == 400
    wl.activate_user("ivy@example.com")
    assert [ws.name() for ws in ivy.list_workspaces()] == ["ivy@example.com - Default Workspace"]


def test_a_refused_token_fails_the_schema_fetch(mockserver, connect):
    """The gql client's first GraphQL call is the IntrospectionQuery: Hasura's error fails it."""
    mockserver.wallaroo.add_user(username="carol@example.com", email="carol@example.com", password="carol-pw")
    carol = connect("carol@example.com", "carol-pw")
    mockserver.wallaroo.find_user("carol@example.com").enabled = False
    with pytest.raises(TransportQueryError, match="Error while fetching schema") as raised:
        carol.get_current_workspace()
    assert raised.value.errors == [{"extensions": {"path": "$", "code": "invalid-jwt"},
                                    "message": "Could not verify JWT: the user account is disabled"}]
