"""Issue 8, item 9: look-alike names (docs/wallaroo.md and docs/modelarts.md, "Look-alike names").

Names and emails are compared after Unicode NFC normalization (and, as Keycloak does,
case-insensitively for logins); zero-width, bidirectional-control and control characters
are refused wherever a name or an email enters the store: the REST API, GraphQL,
Keycloak's admin API and scenario files.
"""

from __future__ import annotations

import re

import pytest
import requests
from conftest import password_login

from mockserver import MockServer, ScenarioError

LOOK_ALIKES = ["admin\u200b@example.com", "ad\u202emin@example.com", "\u2066admin\u2069@example.com",
               "admin\u00ad@example.com", "admin\ufeff@example.com", "ad\x07min@example.com"]


@pytest.fixture(autouse=True)
def _fresh(server):
    server.reset()


def invite(server, email: str) -> requests.Response:
    return requests.post(f"{server.url}/v1/api/users/invite", json={"email": email, "password": "pw"},
                         headers=server.wallaroo_headers())


def login(server, username: str) -> requests.Response:
    return password_login(server.url, username, "pw")


@pytest.mark.parametrize("email", LOOK_ALIKES)
def test_invisible_and_reordering_characters_are_refused_in_emails(server, email):
    before = server.export_state()
    answer = invite(server, email)
    assert answer.status_code == 400
    assert answer.json()["msg"] == f"Bad request: '{email}' is not a valid email address."
    assert server.export_state()["wallaroo"] == before["wallaroo"]


def test_emails_are_compared_after_nfc(server):
    decomposed, composed = "zoe\u0308@example.com", "zo\u00eb@example.com"
    assert invite(server, decomposed).status_code == 200
    again = invite(server, composed)
    assert again.status_code == 400 and "already exists" in again.json()["msg"]
    for username in (composed, decomposed, composed.upper()):
        assert login(server, username).status_code == 200, username
    (user,) = [user for user in server.wallaroo.users() if user.email and user.email.startswith("zo")]
    assert user.email == composed  # stored in NFC


def test_graphql_refuses_a_look_alike_workspace_name(server):
    query = ("mutation($name: String!) { insert_workspace_one(object: {name: $name}) { id } }")
    for name in ("team\u200bspace", "team\u202espace"):
        answer = requests.post(f"{server.url}/v1/graphql", json={"query": query, "variables": {"name": name}},
                               headers=server.wallaroo_headers())
        assert answer.status_code == 200
        assert answer.json()["errors"][0]["extensions"]["code"] == "constraint-violation"
    names = [w["name"] for w in server.export_state()["wallaroo"]["workspaces"]]
    assert not any("team" in name for name in names)


def test_keycloak_admin_refuses_a_look_alike_email(server):
    user = server.wallaroo.users()[0]
    answer = requests.put(f"{server.url}/auth/admin/realms/master/users/{user.id}",
                          json={"email": "admin\u200b@example.com"}, headers=server.wallaroo_headers())
    assert answer.status_code == 400


@pytest.mark.parametrize("section, fragment", [
    ({"wallaroo": {"users": [{"username": "ad\u200bmin2", "email": "x@example.com"}]}}, "U+200B"),
    ({"wallaroo": {"users": [{"email": "a\u202e@example.com"}]}}, "U+202E"),
    ({"wallaroo": {"workspaces": [{"name": "ws\u2066x", "members": []}]}}, "U+2066"),
    ({"modelarts": {"users": [{"name": "dev\u200d", "account": "mock-account"}]}}, "U+200D"),
    ({"modelarts": {"accounts": [{"name": "acc\x1bount"}]}}, "U+001B"),
])
def test_scenarios_refuse_look_alike_names(section, fragment):
    with pytest.raises(ScenarioError, match=re.escape(fragment)):
        MockServer(["default", section])


def test_iam_names_are_compared_after_nfc():
    server = MockServer(["default", {"modelarts": {"users": [
        {"name": "jos\u00e9", "password": "pw", "account": "mock-account"}]}}])
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "jose\u0301", "password": "pw", "domain": {"name": "mock-account"}}}}}}
    answer = server.test_client().post("/v3/auth/tokens", json=body)
    assert answer.status_code == 201, answer.get_data()
