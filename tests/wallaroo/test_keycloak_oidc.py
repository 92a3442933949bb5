"""Wallaroo's Keycloak (realm ``master``) as an OpenID Connect provider, driven by python-keycloak.

The README flow of python-keycloak end to end: discovery, token, userinfo, refresh, certs,
public key, ``decode_token`` (which verifies the signature through the JWKS), introspection
with the confidential ``api-client`` and logout ending the session. Also PyJWT's
``PyJWKClient``, the JWKS validator services use.
"""

from __future__ import annotations

import json
import warnings

import jwt
import pytest
import requests
from jwcrypto.common import JWException
from keycloak import KeycloakAdmin, KeycloakOpenID
from keycloak.exceptions import KeycloakAuthenticationError, KeycloakGetError, KeycloakPostError

pytestmark = pytest.mark.filterwarnings("error")

API_CLIENT_SECRET = "mockserver-api-client-secret"
DEVELOPER_ID = "3c9a2e57-6a1f-4d0b-8f2e-5b7d1c4e9a01"


def openid(server, client_id: str = "sdk-client", secret: str | None = None) -> KeycloakOpenID:
    return KeycloakOpenID(server_url=f"{server.url}/auth/", realm_name="master", client_id=client_id,
                          client_secret_key=secret)


def test_readme_flow_end_to_end(mockserver):
    keycloak = openid(mockserver)
    config = keycloak.well_known()
    issuer = f"{mockserver.url}/auth/realms/master"
    assert config["issuer"] == issuer
    assert config["jwks_uri"] == f"{issuer}/protocol/openid-connect/certs"
    assert config["token_endpoint"] == f"{issuer}/protocol/openid-connect/token"
    assert "RS256" in config["id_token_signing_alg_values_supported"]

    token = keycloak.token("developer@example.com", "developer")
    assert token["token_type"] == "Bearer" and "openid" in token["scope"].split()
    assert {"access_token", "refresh_token", "id_token", "expires_in", "refresh_expires_in"} <= set(token)

    info = keycloak.userinfo(token["access_token"])
    assert info == {"sub": DEVELOPER_ID, "email": "developer@example.com", "email_verified": True,
                    "preferred_username": "developer@example.com", "name": "Dev Eloper", "given_name": "Dev",
                    "family_name": "Eloper"}

    refreshed = keycloak.refresh_token(token["refresh_token"])
    assert refreshed["access_token"] != token["access_token"]
    assert refreshed["session_state"] == token["session_state"]

    # decode_token fetches certs() and verifies the RS256 signature with the key of the `kid`
    claims = keycloak.decode_token(refreshed["access_token"])
    assert claims["sub"] == DEVELOPER_ID and claims["iss"] == issuer and claims["azp"] == "sdk-client"
    id_claims = keycloak.decode_token(token["id_token"])
    assert id_claims["aud"] == "sdk-client" and id_claims["typ"] == "ID" and id_claims["sub"] == DEVELOPER_ID

    keycloak.logout(refreshed["refresh_token"])
    with pytest.raises(KeycloakPostError) as ended:
        keycloak.refresh_token(token["refresh_token"])
    assert ended.value.response_code == 400
    assert ended.value.response_body and b'"Session not active"' in ended.value.response_body
    assert b'"invalid_grant"' in ended.value.response_body


def test_tokens_are_rs256_with_the_kid_of_the_jwks(mockserver):
    keycloak = openid(mockserver)
    token = keycloak.token("admin", "admin")
    certs = keycloak.certs()
    (key,) = certs["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    for name in ("access_token", "refresh_token", "id_token"):
        header = jwt.get_unverified_header(token[name])
        assert header["alg"] == "RS256" and header["kid"] == key["kid"], name


def test_public_key_verifies_tokens(mockserver):
    keycloak = openid(mockserver)
    pem = "-----BEGIN PUBLIC KEY-----\n" + keycloak.public_key() + "\n-----END PUBLIC KEY-----"
    token = keycloak.token("admin", "admin")["access_token"]
    claims = jwt.decode(token, pem, algorithms=["RS256"], options={"verify_aud": False})
    assert claims["preferred_username"] == "admin"


def test_pyjwkclient_verifies_through_the_jwks(mockserver):
    token = openid(mockserver).token("developer@example.com", "developer")["id_token"]
    client = jwt.PyJWKClient(f"{mockserver.url}/auth/realms/master/protocol/openid-connect/certs")
    key = client.get_signing_key_from_jwt(token)
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience="sdk-client",
                        issuer=f"{mockserver.url}/auth/realms/master")
    assert claims["email"] == "developer@example.com"


def test_a_forged_token_fails_decode_token_and_the_api(mockserver):
    from cryptography.hazmat.primitives.asymmetric import rsa

    keycloak = openid(mockserver)
    real = keycloak.decode_token(keycloak.token("admin", "admin")["access_token"])
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = keycloak.certs()["keys"][0]["kid"]
    forged = jwt.encode(real, other_key, algorithm="RS256", headers={"kid": kid})
    with pytest.raises(JWException):
        keycloak.decode_token(forged)
    response = requests.post(f"{mockserver.url}/v1/api/workspaces/list", json={},
                             headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401 and response.json()["code"] == 401


def test_no_id_token_without_the_openid_scope(mockserver):
    token = openid(mockserver).token("admin", "admin", scope="profile")
    assert "id_token" not in token and token["scope"] == "profile email"


def test_userinfo_needs_a_live_session_and_the_openid_scope(mockserver):
    keycloak = openid(mockserver)
    without_openid = keycloak.token("admin", "admin", scope="profile")
    with pytest.raises(KeycloakGetError) as scope:
        keycloak.userinfo(without_openid["access_token"])
    assert scope.value.response_code == 403 and b"insufficient_scope" in scope.value.response_body
    token = keycloak.token("admin", "admin")
    keycloak.logout(token["refresh_token"])
    with pytest.raises(KeycloakAuthenticationError) as ended:
        keycloak.userinfo(token["access_token"])
    assert ended.value.response_code == 401 and b"invalid_token" in ended.value.response_body
    with pytest.raises(KeycloakAuthenticationError):
        keycloak.userinfo("not-a-token")


def test_a_disabled_users_refresh_and_userinfo_say_user_disabled(mockserver):
    """Keycloak's TokenManager (refresh) and UserInfoEndpoint both answer "User disabled"."""
    keycloak = openid(mockserver)
    token = keycloak.token("developer@example.com", "developer")
    admin = KeycloakAdmin(server_url=f"{mockserver.url}/auth/", username="admin", password="admin",
                          realm_name="master")
    admin.update_user(DEVELOPER_ID, {"enabled": False})
    with pytest.raises(KeycloakPostError) as refresh:
        keycloak.refresh_token(token["refresh_token"])
    assert refresh.value.response_code == 400
    assert json.loads(refresh.value.response_body) == {"error": "invalid_grant", "error_description": "User disabled"}
    with pytest.raises(KeycloakAuthenticationError) as info:
        keycloak.userinfo(token["access_token"])
    assert info.value.response_code == 401
    assert json.loads(info.value.response_body) == {"error": "invalid_token", "error_description": "User disabled"}
    admin.update_user(DEVELOPER_ID, {"enabled": True})
    assert keycloak.userinfo(keycloak.refresh_token(token["refresh_token"])["access_token"])["sub"] == DEVELOPER_ID


def test_introspection_for_the_confidential_client(mockserver):
    user_token = openid(mockserver).token("developer@example.com", "developer")
    confidential = openid(mockserver, "api-client", API_CLIENT_SECRET)
    active = confidential.introspect(user_token["access_token"])
    assert active["active"] is True and active["sub"] == DEVELOPER_ID
    assert active["username"] == "developer@example.com" and active["client_id"] == "sdk-client"
    assert confidential.introspect("garbage") == {"active": False}
    openid(mockserver).logout(user_token["refresh_token"])
    assert confidential.introspect(user_token["access_token"]) == {"active": False}


def test_introspection_refuses_public_clients_and_wrong_secrets(mockserver):
    token = openid(mockserver).token("admin", "admin")["access_token"]
    with pytest.raises(KeycloakPostError) as public:
        openid(mockserver).introspect(token)
    assert public.value.response_code == 403
    assert b'"Client not allowed."' in public.value.response_body
    with pytest.raises(KeycloakAuthenticationError) as wrong:
        openid(mockserver, "api-client", "wrong-secret").introspect(token)
    assert wrong.value.response_code == 401 and b"invalid_client" in wrong.value.response_body


def test_client_credentials_for_api_client(mockserver):
    token = openid(mockserver, "api-client", API_CLIENT_SECRET).token(grant_type="client_credentials")
    assert "refresh_token" not in token and token["access_token"]
    claims = openid(mockserver).decode_token(token["access_token"])
    assert claims["azp"] == "api-client" and claims["preferred_username"] == "service-account-api-client"
    # the service account may call the MLOps API (as an admin)
    response = requests.post(f"{mockserver.url}/v1/api/workspaces/list", json={},
                             headers={"Authorization": f"Bearer {token['access_token']}"})
    assert response.status_code == 200, response.text


def test_client_credentials_with_http_basic(mockserver):
    response = requests.post(f"{mockserver.url}/auth/realms/master/protocol/openid-connect/token",
                             data={"grant_type": "client_credentials"},
                             auth=("api-client", API_CLIENT_SECRET))
    assert response.status_code == 200, response.text
    bad = requests.post(f"{mockserver.url}/auth/realms/master/protocol/openid-connect/token",
                        data={"grant_type": "client_credentials"}, auth=("api-client", "nope"))
    assert bad.status_code == 401
    assert bad.json() == {"error": "invalid_client", "error_description": "Invalid client or Invalid client credentials"}


def test_client_credentials_refused_to_public_clients(mockserver):
    with pytest.raises(KeycloakPostError) as refused:
        openid(mockserver).token(grant_type="client_credentials")
    assert refused.value.response_code == 400
    assert b"unauthorized_client" in refused.value.response_body


def test_logout_errors_in_keycloak_shape(mockserver):
    url = f"{mockserver.url}/auth/realms/master/protocol/openid-connect/logout"
    missing = requests.post(url, data={"client_id": "sdk-client"})
    assert missing.status_code == 400
    assert missing.json() == {"error": "invalid_request", "error_description": "Missing form parameter: refresh_token"}
    bad = requests.post(url, data={"client_id": "sdk-client", "refresh_token": "x.y.z"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"


def test_realm_document(mockserver):
    body = requests.get(f"{mockserver.url}/auth/realms/master").json()
    assert body["realm"] == "master" and body["public_key"]
    assert body["token-service"] == f"{mockserver.url}/auth/realms/master/protocol/openid-connect"


def test_wallaroo_sdk_login_still_works_unchanged(mockserver):
    """The SDK's own form (no scope): the answer it has always had, now RS256."""
    response = requests.post(f"{mockserver.url}/auth/realms/master/protocol/openid-connect/token",
                             data={"client_id": "sdk-client", "grant_type": "password",
                                   "username": "admin", "password": "admin"})
    body = response.json()
    assert response.status_code == 200 and body["scope"] == "profile email" and "id_token" not in body
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["typ"] == "Bearer" and claims["preferred_username"] == "admin"
