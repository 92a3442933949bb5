"""The plugin's fixtures used directly: helpers for credentials, clients, per-test data and in-process mode."""

from __future__ import annotations

import threading

import httpx
import jwt
import pytest
import requests

LIST = "/v1/api/workspaces/list"


def modelarts_workspaces_path(server) -> str:
    return f"/v1/{server.modelarts_project_id}/workspaces"


# -- the listening server --------------------------------------------------------------------
def test_listens_on_loopback_and_a_free_port(mockserver, mockserver_session):
    assert mockserver is mockserver_session
    assert mockserver.url.startswith("http://127.0.0.1:") and mockserver.port > 0
    assert requests.get(f"{mockserver.url}/__mock/health").json()["status"] == "ok"


def test_starts_from_the_default_scenario(mockserver):
    assert mockserver.state.scenarios == ["default"]
    assert len(mockserver.journal) == 0 and mockserver.faults.rules() == []


def test_wallaroo_token_and_headers(mockserver):
    claims = jwt.decode(mockserver.wallaroo_token(), options={"verify_signature": False})
    assert claims["email"] == "developer@example.com"
    assert claims["iss"] == f"{mockserver.url}/auth/realms/master"
    admin = jwt.decode(mockserver.wallaroo_token("admin"), options={"verify_signature": False})
    assert admin["preferred_username"] == "admin"
    headers = mockserver.wallaroo_headers("developer@example.com")
    response = requests.post(f"{mockserver.url}{LIST}", json={}, headers=headers)
    assert response.status_code == 200


def test_unknown_users_are_a_clear_error(mockserver):
    with pytest.raises(KeyError, match="nobody@example.com"):
        mockserver.wallaroo_token("nobody@example.com")
    with pytest.raises(KeyError, match="nobody"):
        mockserver.modelarts_token("nobody")
    with pytest.raises(ValueError, match="unknown api 's3'"):
        mockserver.session("s3")


def test_modelarts_project_credentials_and_token(mockserver):
    credentials = mockserver.modelarts_credentials()
    assert set(credentials) == {"user_name", "password", "account", "project_id", "region", "access_key",
                                "secret_key"}
    assert credentials["user_name"] == "modelarts-dev"
    assert credentials["project_id"] == mockserver.modelarts_project_id
    response = requests.get(f"{mockserver.url}{modelarts_workspaces_path(mockserver)}",
                            headers=mockserver.modelarts_headers())
    assert response.status_code == 200 and response.json()["total_count"] >= 1
    assert mockserver.modelarts_token() != mockserver.modelarts_token("modelarts-viewer")


def test_session_has_base_url_and_auth(mockserver):
    wallaroo = mockserver.session("wallaroo")
    assert wallaroo.post(LIST, json={}).status_code == 200
    assert wallaroo.headers["Authorization"].startswith("Bearer ")
    modelarts = mockserver.session("modelarts", "modelarts-viewer")
    assert modelarts.get(modelarts_workspaces_path(mockserver)).status_code == 200
    anonymous = mockserver.session(None)
    assert anonymous.post(LIST, json={}).status_code == 401
    mockserver.journal.assert_called("POST", LIST, times=2)


def test_httpx_client(mockserver):
    with mockserver.httpx_client("wallaroo") as client:
        assert client.post(LIST, json={}).status_code == 200


def test_the_client_builders_take_a_url_for_a_standalone_server(mockserver):
    """docs/testing.md promises mockserver.clients has the server's builders taking a URL,
    httpx_client among them."""
    from mockserver import clients

    headers = mockserver.wallaroo_headers()
    with clients.httpx_client(mockserver.url, headers) as client:
        assert client.post("/v1/api/workspaces/list", json={}).status_code == 200
    with clients.httpx_client("http://mock", headers, app=mockserver.app) as client:  # in-process
        assert client.post("/v1/api/workspaces/list", json={}).status_code == 200
    assert clients.requests_session(mockserver.url, headers).post("/v1/api/workspaces/list", json={}).ok


def test_wallaroo_sdk_client(mockserver):
    from wallaroo.wallaroo_ml_ops_api_client.api.workspace import workspaces_create, workspaces_list
    from wallaroo.wallaroo_ml_ops_api_client.models.workspaces_create_body import WorkspacesCreateBody
    from wallaroo.wallaroo_ml_ops_api_client.models.workspaces_list_body import WorkspacesListBody

    client = mockserver.wallaroo_sdk_client()
    created = workspaces_create.sync(client=client, body=WorkspacesCreateBody(workspace_name="sdk-ws"))
    listed = workspaces_list.sync(client=client, body=WorkspacesListBody())
    assert created.workspace_id in [w.id for w in listed.workspaces]
    mockserver.journal.assert_called_once("POST", "/v1/api/workspaces/create", json={"workspace_name": "sdk-ws"})


def test_modelarts_sdk_client(mockserver):
    from huaweicloudsdkmodelarts.v1 import CreateWorkspaceReq, CreateWorkspaceRequest, ListWorkspaceRequest

    client = mockserver.modelarts_sdk_client()
    created = client.create_workspace(CreateWorkspaceRequest(body=CreateWorkspaceReq(name="sdk-workspace")))
    names = [w.name for w in client.list_workspace(ListWorkspaceRequest()).workspaces]
    assert "sdk-workspace" in names and created.id
    entry = mockserver.journal.assert_called_once("POST", "/v1/*/workspaces", json={"name": "sdk-workspace"})
    assert entry.header("Authorization").startswith("SDK-HMAC-SHA256 Access=")


# -- per-test data ------------------------------------------------------------------------------
def test_add_wallaroo_user_and_workspace(mockserver):
    user = mockserver.add_wallaroo_user(username="ana@example.com", email="ana@example.com", password="pw")
    workspace = mockserver.add_wallaroo_workspace(name="ana-team", members=[{"user": "ana@example.com",
                                                                             "user_type": "OWNER"}])
    listed = mockserver.session("wallaroo", "ana@example.com").post(LIST, json={}).json()["workspaces"]
    assert {"ana-team", "ana@example.com - Default Workspace"} <= {w["name"] for w in listed}
    assert workspace.members == {user.id: "OWNER"}


def test_add_modelarts_data(mockserver):
    mockserver.add_modelarts_workspace(name="added-ws", description="for one test")
    names = [w["name"] for w in mockserver.session("modelarts").get(modelarts_workspaces_path(mockserver)).json()
             ["workspaces"]]
    assert "added-ws" in names
    project = mockserver.add_modelarts_project(id="fedcba9876543210fedcba9876543210", name="eu-nl",
                                               account="mock-account")
    assert project["id"] == "fedcba9876543210fedcba9876543210"
    user = mockserver.add_modelarts_user(name="extra-iam", password="pw", account="mock-account")
    assert user["name"] == "extra-iam"
    assert mockserver.modelarts_token("extra-iam", project["id"])


def test_load_a_scenario_dict_for_one_test(mockserver):
    mockserver.load({"wallaroo": {"users": [{"username": "tmp@example.com", "email": "tmp@example.com"}]}})
    assert mockserver.wallaroo.find_user("tmp@example.com") is not None
    mockserver.reset()
    assert mockserver.wallaroo.find_user("tmp@example.com") is None


@pytest.mark.mockserver_scenario("wallaroo-tutorial")
def test_marked_scenario(mockserver):
    assert mockserver.state.scenarios == ["wallaroo-tutorial"]
    assert mockserver.wallaroo.find_user("developer@example.com") is None
    token = mockserver.wallaroo_token("john.hummel@wallaroo.ai")
    assert requests.post(f"{mockserver.url}{LIST}", json={}, headers={"Authorization": f"Bearer {token}"}).ok


@pytest.mark.mockserver_scenario("empty", {"name": "inline", "wallaroo": {"users": [{"username": "solo"}]}})
def test_marked_scenario_with_an_inline_document(mockserver):
    assert mockserver.state.scenarios == ["empty", "inline"]
    assert [u.username for u in mockserver.wallaroo.users()] == ["solo"]
    assert mockserver.modelarts_project_id is None


@pytest.mark.mockserver_scenario("modelarts-sample")
def test_modelarts_sample_scenario(mockserver):
    assert mockserver.state.scenarios == ["modelarts-sample"]
    assert mockserver.modelarts_project_id


# -- threads ------------------------------------------------------------------------------------
def test_threads_share_the_server_safely(mockserver):
    session = mockserver.session("wallaroo")
    errors: list[BaseException] = []

    def create(index: int) -> None:
        try:
            response = requests.post(f"{mockserver.url}/v1/api/workspaces/create",
                                     json={"workspace_name": f"thread-{index}"}, headers=session.headers)
            assert response.status_code == 200, response.text
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=create, args=(index,)) for index in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ids = [e.response["workspace_id"] for e in mockserver.journal.assert_called("POST", "/v1/api/workspaces/create",
                                                                               times=16)]
    assert sorted(ids) == list(range(2, 18)), "every create got its own id"


# -- in-process ---------------------------------------------------------------------------------
def test_inprocess_server_has_no_socket(mockserver_inprocess):
    assert not mockserver_inprocess.running
    with pytest.raises(RuntimeError, match="not running"):
        _ = mockserver_inprocess.url
    assert mockserver_inprocess.base_url == "http://mockserver.local"
    assert repr(mockserver_inprocess) == "<MockServer in-process scenarios=['default']>"


def test_inprocess_clients(mockserver_inprocess):
    server = mockserver_inprocess
    assert server.session("wallaroo").post(LIST, json={}).status_code == 200
    assert server.test_client().get("/__mock/health").json["status"] == "ok"
    with httpx.Client(transport=server.httpx_transport(), base_url="http://mock") as client:
        assert client.post(LIST, json={}, headers=server.wallaroo_headers()).status_code == 200
    with server.httpx_client("modelarts") as client:
        assert client.get(modelarts_workspaces_path(server)).status_code == 200
    assert server.inprocess_session("wallaroo").post(LIST, json={}).status_code == 200
    server.journal.assert_called("POST", LIST, times=3)


def test_inprocess_sdk_clients(mockserver_inprocess):
    from huaweicloudsdkmodelarts.v1 import ListWorkspaceRequest
    from wallaroo.wallaroo_ml_ops_api_client.api.workspace import workspaces_list
    from wallaroo.wallaroo_ml_ops_api_client.models.workspaces_list_body import WorkspacesListBody

    listed = workspaces_list.sync(client=mockserver_inprocess.wallaroo_sdk_client(), body=WorkspacesListBody())
    assert [w.name for w in listed.workspaces] == ["developer@example.com - Default Workspace"]
    client = mockserver_inprocess.modelarts_sdk_client()
    assert client.list_workspace(ListWorkspaceRequest()).total_count >= 1
    mockserver_inprocess.journal.assert_called_once("GET", "/v1/*/workspaces")


def test_the_listening_server_can_also_be_used_in_process(mockserver):
    session = mockserver.session("wallaroo", inprocess=True)
    assert session.base_url == "http://mockserver.local/"
    assert session.post(LIST, json={}).status_code == 200
    mockserver.journal.assert_called_once("POST", LIST)


# -- factory ----------------------------------------------------------------------------------
def test_factory_makes_independent_servers(mockserver, mockserver_factory):
    other = mockserver_factory(["empty"])
    assert other.url != mockserver.url and other.wallaroo.users() == []
    quiet = mockserver_factory(start=False)
    assert not quiet.running


# -- baselines ------------------------------------------------------------------------------
def test_use_scenarios_rebuilds_only_when_the_baseline_changed(mockserver_factory):
    server = mockserver_factory(start=False)
    server.use_scenarios(["default"])
    generation = server.state.baseline_generation
    server.load({"wallaroo": {"users": [{"username": "for-this-test-only"}]}})
    server.use_scenarios(["default"])
    assert server.state.baseline_generation == generation, "same scenarios: just a reset, no rebuild"
    assert server.wallaroo.find_user("for-this-test-only") is None, "the reset still ran"
    server.state.load([("sneaky", {"wallaroo": {"users": [{"username": "sneaky"}]}})], as_baseline=True)
    assert server.state.baseline_generation != generation
    server.use_scenarios(["default"])
    assert server.wallaroo.find_user("sneaky") is None, "a baseline changed behind its back is rebuilt"
    server.use_scenarios(["empty"])
    assert server.wallaroo.users() == []
