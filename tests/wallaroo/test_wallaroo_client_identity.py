"""One identity per client: the high-level ``wallaroo.Client`` and its token cache.

The SDK caches its login in ``$XDG_CACHE_HOME/wallaroo_sdk/auth/keycloak.json`` and sends
that token for whichever user and server come next. These tests drive the real SDK:
``mockserver.wallaroo_client(user)`` logs each client in itself with a cache of its own,
the plugin keeps the session's cache private and empties it before each test, and a stale
cached token from another server is refused so the SDK logs in again.
"""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path

import requests
import wallaroo
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from conftest import TOKEN_PATH, password_login

pytest_plugins = ["pytester"]


def logins(server, username: str) -> list:
    return server.journal.find("POST", TOKEN_PATH, form={"grant_type": "password", "username": username})


def test_two_users_two_logins_two_identities(mockserver):
    for name in ("ana", "bob"):
        mockserver.add_wallaroo_user(username=f"{name}@example.com", email=f"{name}@example.com", password=f"{name}-pw")
        mockserver.add_wallaroo_workspace(name=f"{name}-team", members=[{"user": f"{name}@example.com",
                                                                        "user_type": "OWNER"}])

    ana = mockserver.wallaroo_client("ana@example.com")      # passwords from the store
    bob = mockserver.wallaroo_client("bob@example.com")
    developer = mockserver.wallaroo_client()

    assert [client.auth.user_email() for client in (ana, bob, developer)] == [
        "ana@example.com", "bob@example.com", "developer@example.com"]
    assert ana.auth._bearer_token_str() != bob.auth._bearer_token_str()
    for login in ("ana@example.com", "bob@example.com", "developer@example.com"):
        assert len(logins(mockserver, login)) == 1, login
    assert "ana-team" in [ws.name() for ws in ana.list_workspaces()]
    assert "ana-team" not in [ws.name() for ws in bob.list_workspaces()]


def test_a_wrong_password_is_the_sdks_own_error(mockserver):
    import pytest
    from wallaroo.auth import TokenFetchError

    with pytest.raises(TokenFetchError):
        mockserver.wallaroo_client(password="not-the-password")


def test_the_session_cache_is_private(mockserver, mockserver_sdk_cache):
    assert os.environ["XDG_CACHE_HOME"] == str(mockserver_sdk_cache)
    assert not (mockserver_sdk_cache / "wallaroo_sdk").exists(), "emptied before each test"


def test_tests_never_inherit_another_tests_login(pytester):
    """A plain ``wallaroo.Client`` per test, as users write it: the second test, another user,
    must log in itself, whatever ran before it."""
    pytester.makepyfile(test_inner_identities="""
        import wallaroo

        TOKEN_PATH = "/auth/realms/master/protocol/openid-connect/token"

        def client(mockserver, monkeypatch, login, password):
            monkeypatch.setenv("WALLAROO_USER", login)
            monkeypatch.setenv("WALLAROO_PASSWORD", password)
            return wallaroo.Client(api_endpoint=mockserver.url, auth_type="user_password")

        def test_developer(mockserver, monkeypatch):
            assert client(mockserver, monkeypatch, "developer@example.com", "developer").auth.user_email() \\
                == "developer@example.com"

        def test_ana(mockserver, monkeypatch):
            mockserver.add_wallaroo_user(username="ana@example.com", email="ana@example.com", password="pw")
            assert client(mockserver, monkeypatch, "ana@example.com", "pw").auth.user_email() == "ana@example.com"
            mockserver.journal.assert_called_once("POST", TOKEN_PATH, form={"username": "ana@example.com"})
    """)
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q").assert_outcomes(passed=2)


def test_a_stale_token_from_another_server_is_refused_and_the_sdk_logs_in_again(
        mockserver, mockserver_factory, mockserver_sdk_cache, monkeypatch):
    other = mockserver_factory(["default"])
    stale = password_login(other.url, "developer@example.com", "developer").json()
    cache = mockserver_sdk_cache / "wallaroo_sdk" / "auth" / "keycloak.json"
    cache.parent.mkdir(parents=True)
    an_hour_ago = (datetime.datetime.now() - datetime.timedelta(hours=1)).timestamp()
    cache.write_text(json.dumps({  # what the SDK wrote for the other server, now expired
        "access_token": stale["access_token"], "expiry": an_hour_ago,
        "refresh_token": stale["refresh_token"], "refresh_token_expiry": an_hour_ago + 86400,
        "user_id": "3c9a2e57-6a1f-4d0b-8f2e-5b7d1c4e9a01", "user_email": "developer@example.com"}))
    monkeypatch.setenv("WALLAROO_USER", "developer@example.com")
    monkeypatch.setenv("WALLAROO_PASSWORD", "developer")

    client = wallaroo.Client(api_endpoint=mockserver.url, auth_type="user_password")

    refreshed = mockserver.journal.assert_called_once("POST", TOKEN_PATH, form={"grant_type": "refresh_token"})
    assert refreshed.status == 400 and refreshed.response["error"] == "invalid_grant"
    login = mockserver.journal.assert_called_once("POST", TOKEN_PATH, form={"grant_type": "password"})
    assert login.status == 200 and login.seq > refreshed.seq
    assert client.auth._bearer_token_str() == f"Bearer {login.response['access_token']}"
    assert [ws.name() for ws in client.list_workspaces()] == ["developer@example.com - Default Workspace"]
    assert json.loads(Path(cache).read_text())["access_token"] == login.response["access_token"]


def test_an_unexpired_token_signed_with_another_key_is_sent_until_the_cache_is_cleared(
        mockserver, mockserver_factory, mockserver_sdk_cache, monkeypatch):
    """What README says about restarting the CLI without ``--signing-key-file``: the SDK refreshes
    only 10 s before its token expires, so until then it sends the cached token of the earlier
    process, which this one refuses; clearing the SDK's cache (``wallaroo.auth.logout()``) helps."""
    other = mockserver_factory(["default"])  # the earlier process: a key of its own
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other.load({"wallaroo": {"settings": {"signing_key": key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()}}})
    stale = password_login(other.url, "developer@example.com", "developer").json()
    cache = mockserver_sdk_cache / "wallaroo_sdk" / "auth" / "keycloak.json"
    cache.parent.mkdir(parents=True)
    in_an_hour = (datetime.datetime.now() + datetime.timedelta(hours=1)).timestamp()
    cache.write_text(json.dumps({
        "access_token": stale["access_token"], "expiry": in_an_hour,
        "refresh_token": stale["refresh_token"], "refresh_token_expiry": in_an_hour,
        "user_id": "3c9a2e57-6a1f-4d0b-8f2e-5b7d1c4e9a01", "user_email": "developer@example.com"}))
    monkeypatch.setenv("WALLAROO_USER", "developer@example.com")
    monkeypatch.setenv("WALLAROO_PASSWORD", "developer")

    client = wallaroo.Client(api_endpoint=mockserver.url, auth_type="user_password")
    assert mockserver.journal.find("POST", TOKEN_PATH) == []  # no refresh, no login: the cached token is used
    response = requests.post(f"{mockserver.url}/v1/api/workspaces/list", json={}, headers=client.auth.auth_header())
    assert response.status_code == 401 and response.json()["msg"].startswith("Jwt verification fails")

    wallaroo.auth.logout()  # empties $XDG_CACHE_HOME/wallaroo_sdk/auth
    client = wallaroo.Client(api_endpoint=mockserver.url, auth_type="user_password")
    mockserver.journal.assert_called_once("POST", TOKEN_PATH, form={"grant_type": "password"})
    assert [ws.name() for ws in client.list_workspaces()] == ["developer@example.com - Default Workspace"]
