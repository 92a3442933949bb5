"""IAM as Keystone v3, driven by keystoneauth1, openstacksdk and huaweicloudsdkiam.

Version documents at ``/`` and ``/v3`` (so version discovery finds them and logs no warning),
token validation (GET/HEAD) and revocation (DELETE) with ``X-Subject-Token``, re-scoping with the
``token`` method, ``/v3/auth/{projects,domains,catalog}``, ``/v3/projects/{id}``, and the domain
lookup of ``GlobalCredentials``. Errors in Keystone's ``{"error": {"code", "message", "title"}}``.
"""

from __future__ import annotations

import logging

import pytest
import requests
from conftest import PROJECT
from huaweicloudsdkcore.auth.credentials import GlobalCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.region.region import Region
from huaweicloudsdkiam.v3 import (
    IamClient,
    KeystoneListAuthDomainsRequest,
    KeystoneListAuthProjectsRequest,
    KeystoneListProjectsRequest,
    KeystoneShowProjectRequest,
    KeystoneShowVersionRequest,
    KeystoneValidateTokenRequest,
)
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

# nothing of ours may warn; openstacksdk's own deprecation notices about itself are not ours
# warnings are errors here (a too-short signing key warns in PyJWT), except the garbage of other
# tests collected during these (an unclosed socket of a server another test left behind)
pytestmark = [pytest.mark.filterwarnings("error"), pytest.mark.filterwarnings("ignore::Warning:openstack"),
              pytest.mark.filterwarnings("ignore::ResourceWarning"),
              pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")]

ACCOUNT_ID = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
USER_ID = "d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f"


def password_auth(server, **scope: str) -> v3.Password:
    return v3.Password(auth_url=f"{server.url}/v3", username="modelarts-dev", password="modelarts-dev",
                       user_domain_name="mock-account", **scope)


def token_of(server, **scope: str) -> str:
    return ks_session.Session(auth=password_auth(server, **scope)).get_token()


def keystone_error(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == status and error["title"] and error["message"]
    return error


# -- version documents ----------------------------------------------------------------------------
def test_version_documents(mockserver):
    v3_doc = requests.get(f"{mockserver.url}/v3").json()["version"]
    assert v3_doc["id"] == "v3.0" and v3_doc["status"] == "stable"
    assert v3_doc["links"] == [{"rel": "self", "href": f"{mockserver.url}/v3/"}]
    root = requests.get(f"{mockserver.url}/")
    assert root.status_code == 300 and root.json()["versions"]["values"] == [v3_doc]


# -- keystoneauth1 --------------------------------------------------------------------------------
def test_keystoneauth_discovers_the_identity_api_without_a_warning(mockserver, caplog):
    caplog.set_level(logging.DEBUG, logger="keystoneauth")
    session = ks_session.Session(auth=password_auth(mockserver, project_id=PROJECT))
    assert session.get_project_id() == PROJECT
    response = session.get("/auth/projects", endpoint_filter={"service_type": "identity", "interface": "public"})
    assert [p["id"] for p in response.json()["projects"]] == [PROJECT]
    data = session.get_endpoint_data(service_type="identity", interface="public")
    assert data.api_version == (3, 0)
    assert mockserver.journal.last("GET", "/v3").status == 200  # discovered from the version document
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("keystoneauth")]
    assert not warnings, [r.getMessage() for r in warnings]
    assert not any("discovery" in r.getMessage().lower() and "fail" in r.getMessage().lower()
                   for r in caplog.records)


def test_generic_password_plugin_discovers_v3(mockserver, caplog):
    from keystoneauth1.identity import generic

    caplog.set_level(logging.DEBUG, logger="keystoneauth")
    auth = generic.Password(auth_url=mockserver.url, username="modelarts-dev", password="modelarts-dev",
                            user_domain_name="mock-account", project_name="eu-de", project_domain_name="mock-account")
    session = ks_session.Session(auth=auth)
    assert session.get_project_id() == PROJECT
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("keystoneauth")]


def test_validate_head_and_revoke_a_token(mockserver):
    subject = token_of(mockserver, project_id=PROJECT)
    caller = token_of(mockserver, project_id=PROJECT)
    url = f"{mockserver.url}/v3/auth/tokens"
    headers = {"X-Auth-Token": caller, "X-Subject-Token": subject}
    validated = requests.get(url, headers=headers)
    assert validated.status_code == 200 and validated.headers["X-Subject-Token"] == subject
    body = validated.json()["token"]
    assert body["project"]["id"] == PROJECT and body["user"]["id"] == USER_ID
    assert requests.head(url, headers=headers).status_code == 200
    assert requests.get(f"{mockserver.url}/v1/{PROJECT}/workspaces", headers={"X-Auth-Token": subject}).ok

    revoked = requests.delete(url, headers=headers)
    assert revoked.status_code == 204 and revoked.content == b""
    error = keystone_error(requests.get(url, headers=headers), 404)
    assert error["title"] == "Not Found"
    assert requests.head(url, headers=headers).status_code == 404
    refused = requests.get(f"{mockserver.url}/v1/{PROJECT}/workspaces", headers={"X-Auth-Token": subject})
    assert refused.status_code == 401
    mockserver.reset()  # a reset does not bring a revoked token back
    assert requests.get(url, headers=headers).status_code == 404


def test_validation_errors_in_keystone_shape(mockserver):
    url = f"{mockserver.url}/v3/auth/tokens"
    keystone_error(requests.get(url, headers={"X-Subject-Token": "x"}), 401)
    caller = token_of(mockserver)
    keystone_error(requests.get(url, headers={"X-Auth-Token": caller}), 400)
    keystone_error(requests.get(url, headers={"X-Auth-Token": caller, "X-Subject-Token": "MIIforged.x"}), 404)


def test_rescoping_with_the_token_method(mockserver):
    unscoped = ks_session.Session(auth=password_auth(mockserver))
    unscoped_token = unscoped.get_token()
    rescoped = ks_session.Session(auth=v3.Token(auth_url=f"{mockserver.url}/v3", token=unscoped_token,
                                                project_id=PROJECT))
    assert rescoped.get_project_id() == PROJECT
    token = rescoped.get_token()
    assert token != unscoped_token
    workspaces = requests.get(f"{mockserver.url}/v1/{PROJECT}/workspaces", headers={"X-Auth-Token": token})
    assert workspaces.status_code == 200
    login = mockserver.journal.last("POST", "/v3/auth/tokens")
    assert login.json["auth"]["identity"]["methods"] == ["token"]


def test_rescoping_keeps_the_original_expiry_and_refuses_bad_tokens(mockserver):
    mockserver.clock.freeze(1_750_000_000)
    first = requests.post(f"{mockserver.url}/v3/auth/tokens", json={"auth": {"identity": {
        "methods": ["password"], "password": {"user": {"name": "modelarts-dev", "password": "modelarts-dev",
                                                       "domain": {"name": "mock-account"}}}}}})
    mockserver.clock.advance(600)
    body = {"auth": {"identity": {"methods": ["token"], "token": {"id": first.headers["X-Subject-Token"]}},
                     "scope": {"project": {"name": "eu-de"}}}}
    rescoped = requests.post(f"{mockserver.url}/v3/auth/tokens", json=body)
    assert rescoped.status_code == 201
    token = rescoped.json()["token"]
    assert token["expires_at"] == first.json()["token"]["expires_at"]
    assert token["methods"] == ["token", "password"] and token["project"]["id"] == PROJECT
    body["auth"]["identity"]["token"]["id"] = "MIIforged.x"
    keystone_error(requests.post(f"{mockserver.url}/v3/auth/tokens", json=body), 401)


def test_auth_domains_catalog_and_project(mockserver):
    token = token_of(mockserver, project_id=PROJECT)
    headers = {"X-Auth-Token": token}
    domains = requests.get(f"{mockserver.url}/v3/auth/domains", headers=headers).json()["domains"]
    assert [(d["id"], d["name"], d["enabled"]) for d in domains] == [(ACCOUNT_ID, "mock-account", True)]
    catalog = requests.get(f"{mockserver.url}/v3/auth/catalog", headers=headers).json()["catalog"]
    assert {service["type"] for service in catalog} == {"identity", "modelarts"}
    project = requests.get(f"{mockserver.url}/v3/projects/{PROJECT}", headers=headers).json()["project"]
    assert project["name"] == "eu-de" and project["domain_id"] == ACCOUNT_ID
    error = keystone_error(requests.get(f"{mockserver.url}/v3/projects/nope", headers=headers), 404)
    assert error["message"] == "Could not find project: nope."
    unscoped = {"X-Auth-Token": token_of(mockserver)}
    keystone_error(requests.get(f"{mockserver.url}/v3/auth/catalog", headers=unscoped), 403)


# -- openstacksdk ---------------------------------------------------------------------------------
def test_openstacksdk_connects_and_reads_projects_without_a_discovery_warning(mockserver, caplog):
    import openstack

    caplog.set_level(logging.DEBUG)
    conn = openstack.connect(auth_url=f"{mockserver.url}/v3", username="modelarts-dev", password="modelarts-dev",
                             user_domain_name="mock-account", project_id=PROJECT, load_yaml_config=False,
                             load_envvars=False)
    try:
        assert conn.identity.get_project(PROJECT).name == "eu-de"
        assert [p.id for p in conn.identity.projects()] == [PROJECT]
        assert conn.current_project_id == PROJECT
    finally:
        conn.close()
    # version discovery's warnings (others, e.g. a retry on a loaded machine, are not the point here)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING
                and r.name.startswith(("openstack", "keystoneauth")) and "discover" in r.getMessage().lower()]
    assert not warnings, warnings


# -- huaweicloudsdkiam ----------------------------------------------------------------------------
def iam_client(server, credentials: GlobalCredentials) -> IamClient:
    """With a region, as users build it: then GlobalCredentials without a domain id looks it up."""
    return (IamClient.new_builder().with_http_config(HttpConfig.get_default_config())
            .with_credentials(credentials.with_iam_endpoint(server.url)).with_region(Region("eu-de", server.url))
            .build())


def test_huaweicloudsdkiam_keystone_calls(mockserver):
    # a fresh key: the SDK caches the domain id of each AK for the process
    key = mockserver.modelarts.add_access_key("modelarts-dev")
    credentials = GlobalCredentials(key["access_key"], key["secret_key"])
    client = iam_client(mockserver, credentials)
    assert credentials.domain_id == ACCOUNT_ID  # GlobalCredentials found its domain by itself
    assert mockserver.journal.last("GET", "/v3/auth/domains").status == 200
    assert client.keystone_show_version(KeystoneShowVersionRequest()).version.id == "v3.0"
    domains = client.keystone_list_auth_domains(KeystoneListAuthDomainsRequest()).domains
    assert [d.id for d in domains] == [ACCOUNT_ID]
    projects = client.keystone_list_auth_projects(KeystoneListAuthProjectsRequest()).projects
    assert [p.id for p in projects] == [PROJECT]
    assert client.keystone_show_project(KeystoneShowProjectRequest(project_id=PROJECT)).project.name == "eu-de"
    subject = token_of(mockserver, project_id=PROJECT)
    validated = client.keystone_validate_token(KeystoneValidateTokenRequest(x_subject_token=subject))
    assert validated.token.project.id == PROJECT and validated.token.user.id == USER_ID
    with pytest.raises(ClientRequestException) as missing:
        client.keystone_show_project(KeystoneShowProjectRequest(project_id="nope"))
    assert missing.value.status_code == 404


def test_huaweicloudsdkiam_list_projects_filters_and_pages(mockserver):
    """IAM's KeystoneListProjects: ``parent_id`` of a region project is the account, ``is_domain``
    lists domains acting as projects (none), ``page``/``per_page`` page the list."""
    second = mockserver.modelarts.add_project(name="eu-nl", account="mock-account")["id"]
    key = mockserver.modelarts.add_access_key("modelarts-dev")
    client = iam_client(mockserver, GlobalCredentials(key["access_key"], key["secret_key"]))

    def ids(**query) -> list[str]:
        return [p.id for p in client.keystone_list_projects(KeystoneListProjectsRequest(**query)).projects]

    assert ids() == [PROJECT, second]
    assert ids(is_domain=True) == []
    assert ids(is_domain=False) == [PROJECT, second]
    assert ids(parent_id="nope") == []
    assert ids(parent_id=ACCOUNT_ID) == [PROJECT, second]
    assert ids(page=1, per_page=1) == [PROJECT]
    assert ids(page=2, per_page=1) == [second]
    assert ids(page=3, per_page=1) == []
    assert ids(page=1, per_page=5000, name="eu-nl") == [second]


@pytest.mark.parametrize("query", [{"page": "1", "per_page": "0"}, {"page": "-1", "per_page": "1"},
                                   {"page": "1", "per_page": "5001"}, {"page": "x", "per_page": "1"},
                                   {"page": "1", "per_page": "1.5"}, {"page": "1"}, {"per_page": "10"}])
def test_list_projects_refuses_bad_paging_in_keystone_shape(mockserver, query):
    token = mockserver.modelarts.issue_token()
    error = keystone_error(requests.get(f"{mockserver.url}/v3/projects", params=query,
                                        headers={"X-Auth-Token": token}), 400)
    assert error["title"] == "Bad Request" and error["message"].startswith("Invalid input for field '")


def test_huaweicloudsdkiam_raises_on_bad_paging(mockserver):
    key = mockserver.modelarts.add_access_key("modelarts-dev")
    client = iam_client(mockserver, GlobalCredentials(key["access_key"], key["secret_key"]))
    with pytest.raises(ClientRequestException) as refused:
        client.keystone_list_projects(KeystoneListProjectsRequest(page=0, per_page=1))
    assert refused.value.status_code == 400
