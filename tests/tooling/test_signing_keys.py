"""Credentials only this server issued: signing keys are random per process (RSA-2048 for the
Keycloak realm's RS256, a 256-bit secret for IAM) unless the user gives one (``--signing-key-file``,
``MOCKSERVER_SIGNING_KEY_FILE``, or the scenario), and the RSA key is drawn on first use."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import jwt
import pytest
import requests
from conftest import PROJECT, password_login
from test_cli import Cli, run_cli

from mockserver import MockServer
from mockserver.keys import MIN_SECRET_BYTES, generate_rsa
from mockserver.state import ScenarioError

pytestmark = pytest.mark.filterwarnings("error")


def wallaroo_token(url: str) -> str:
    response = password_login(url, "admin", "admin")
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def iam_token(url: str) -> str:
    response = requests.post(f"{url}/v3/auth/tokens", json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "modelarts-dev", "password": "modelarts-dev", "domain": {"name": "mock-account"}}}},
        "scope": {"project": {"id": PROJECT}}}})
    assert response.status_code == 201, response.text
    return response.headers["X-Subject-Token"]


def accepted(url: str, wallaroo: str, iam: str) -> tuple[int, int]:
    w = requests.post(f"{url}/v1/api/workspaces/list", json={}, headers={"Authorization": f"Bearer {wallaroo}"})
    m = requests.get(f"{url}/v1/{PROJECT}/workspaces", headers={"X-Auth-Token": iam})
    return w.status_code, m.status_code


def test_tokens_of_another_process_are_refused(mockserver, tmp_path):
    with Cli(tmp_path, "--port", "0", "--quiet") as other:
        tokens = wallaroo_token(other.url), iam_token(other.url)
        assert accepted(other.url, *tokens) == (200, 200)
        other_kid = requests.get(f"{other.url}/auth/realms/master/protocol/openid-connect/certs").json()
        other.stop()
    assert accepted(mockserver.url, *tokens) == (401, 401)
    ours = requests.get(f"{mockserver.url}/auth/realms/master/protocol/openid-connect/certs").json()
    assert ours["keys"][0]["kid"] != other_kid["keys"][0]["kid"]


def test_a_key_file_keeps_tokens_valid_across_restarts(tmp_path):
    key_file = tmp_path / "realm-key.pem"
    with Cli(tmp_path, "--port", "0", "--quiet", "--signing-key-file", str(key_file)) as first:
        tokens = wallaroo_token(first.url), iam_token(first.url)
        first.stop()
    assert "PRIVATE KEY" in key_file.read_text()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with Cli(tmp_path, "--port", "0", "--quiet", env={"MOCKSERVER_SIGNING_KEY_FILE": str(key_file)}) as second:
        assert accepted(second.url, *tokens) == (200, 200)
        second.stop()


def test_an_unusable_key_file_is_a_one_line_error(tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    result = run_cli("--signing-key-file", str(bad), "--check")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "--signing-key-file" in result.stderr
    assert "PEM" in result.stderr


def test_the_rsa_key_is_drawn_on_first_use_not_at_start():
    code = (
        "import requests\n"
        "from mockserver import MockServer\n"
        "from mockserver.keys import PROCESS_KEYS\n"
        "server = MockServer(['default']).start()\n"
        "requests.get(server.url + '/v1/api/config')\n"
        "drawn_at_start = PROCESS_KEYS._rsa is not None\n"
        "requests.get(server.url + '/auth/realms/master/protocol/openid-connect/certs')\n"
        "print(drawn_at_start, PROCESS_KEYS._rsa is not None)\n"
        "server.stop()\n"
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MOCKSERVER_")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=environ)
    assert result.stdout.split() == ["False", "True"], result.stderr


def test_a_scenario_can_name_the_keys():
    key = generate_rsa()
    server = MockServer(["default", {"wallaroo": {"settings": {"signing_key": key.pem}},
                                     "modelarts": {"settings": {"token_signing_key": "k" * MIN_SECRET_BYTES}}}])
    token = server.wallaroo.issue_token("admin")
    assert jwt.get_unverified_header(token)["kid"] == key.kid
    assert jwt.decode(token, key.public_key, algorithms=["RS256"], options={"verify_aud": False})["sub"]
    state = server.export_state()
    assert state["wallaroo"]["settings"]["signing_key"] == key.pem
    assert state["modelarts"]["settings"]["token_signing_key"] == "k" * MIN_SECRET_BYTES


def test_the_process_keys_never_leave_the_process(mockserver):
    state = mockserver.export_state()
    assert "signing_key" not in state["wallaroo"]["settings"]
    assert "token_signing_key" not in state["modelarts"]["settings"]


@pytest.mark.parametrize("section, message", [
    ({"wallaroo": {"settings": {"signing_key": "secret"}}}, "PEM"),
    ({"wallaroo": {"settings": {"signing_key": "-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----"}}},
     "PEM"),
    ({"modelarts": {"settings": {"token_signing_key": "short"}}}, "at least 32"),
])
def test_weak_or_unreadable_keys_are_refused(section, message):
    with pytest.raises(ScenarioError) as refused:
        MockServer(["default", section])
    assert message in str(refused.value)


def test_a_small_rsa_key_is_refused():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    with pytest.raises(ScenarioError) as refused:
        MockServer(["default", {"wallaroo": {"settings": {"signing_key": small}}}])
    assert "1024 bits" in str(refused.value)


def test_hmac_confusion_with_the_public_key_is_refused(mockserver):
    """An HS256 token "signed" with the published public key must not pass as RS256."""
    realm = requests.get(f"{mockserver.url}/auth/realms/master").json()
    claims = jwt.decode(wallaroo_token(mockserver.url), options={"verify_signature": False})
    import base64
    import hashlib
    import hmac
    import json

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps(claims).encode())
    mac = hmac.new(realm["public_key"].encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    forged = f"{header}.{payload}.{b64(mac)}"
    response = requests.post(f"{mockserver.url}/v1/api/workspaces/list", json={},
                             headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
