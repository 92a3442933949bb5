"""AK/SK authentication: the server recomputes the SDK-HMAC-SHA256 signature exactly as the SDK signs.

The canonicalisation is checked against the SDK's own signer (``huaweicloudsdkcore``), then
the live server is driven with SDK-signed requests (spaces, slashes and non-ASCII in the
query, JSON bodies) and with requests whose signature, key, date or headers are wrong.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from huaweicloudsdkmodelarts.v1 import (CreateWorkspaceReq, CreateWorkspaceRequest, ListWorkspaceRequest,
                                        ModelArtsClient, ShowWorkspaceRequest)

from mockserver.modelarts import signing

from conftest import PROJECT, modelarts_sdk

AK = "MOCKACCESSKEY0000001"
SK = "mock-secret-key-0000000000000000000000001"


def sdk_client(server, ak: str = AK, sk: str = SK, project_id: str = PROJECT) -> ModelArtsClient:
    return modelarts_sdk(server, ak, sk, project_id)


def sdk_signed(method: str, path: str, query: list, headers: dict, body: bytes = b"") -> tuple[SdkRequest, str]:
    """Sign with the SDK's own signer; returns the request and the Authorization it produced."""
    request = SdkRequest(method=method, schema="http", host="127.0.0.1:8080", resource_path=path,
                         query_params=query, header_params=dict(headers), body=body)
    signed = Signer(BasicCredentials(AK, SK, PROJECT)).sign(request)
    return signed, signed.header_params["Authorization"]


def as_received(signed: SdkRequest, path: str) -> signing.SignedRequest:
    """What the server gets: the decoded path, the raw query of the URL the SDK sends, the headers."""
    query = signed.uri.partition("?")[2]
    headers = {name.lower(): value.encode("iso-8859-1").decode("utf-8") for name, value in signed.header_params.items()}
    return signing.SignedRequest(method=signed.method, path=path, query_string=query, headers=headers,
                                 body=signed.body or b"")


CASES = [
    ("GET", "/v1/p/workspaces", "/v1/p/workspaces", [("limit", 2), ("name", "def a/ü"), ("filter_accessible", True)], b""),
    ("GET", "/v1/p/workspaces", "/v1/p/workspaces", [("name", "a+b&c=d~*'()!"), ("order", "asc")], b""),
    ("GET", "/v1/p/workspaces/%C3%BC%20x", "/v1/p/workspaces/ü x", [], b""),
    ("POST", "/v1/p/workspaces", "/v1/p/workspaces", [], '{"name": "ws-ü", "grants": []}'.encode()),
    ("PUT", "/v1/p/workspaces/abc/quotas/", "/v1/p/workspaces/abc/quotas/", [], b'{"quotas": []}'),
    ("DELETE", "/v1/p/workspaces/abc", "/v1/p/workspaces/abc", [("b", "2"), ("a", "1"), ("a", "0")], b""),
]


@pytest.mark.parametrize("method, resource_path, decoded_path, query, body", CASES)
def test_canonical_request_matches_the_sdk_signer(method, resource_path, decoded_path, query, body):
    headers = {"Content-Type": "application/json;charset=utf-8", "User-Agent": "huaweicloud-usdk-python/3.0",
               "X-Project-Id": PROJECT, "X-Sdk-Date": "20250101T000000Z"}
    signed, authorization = sdk_signed(method, resource_path, query, headers, body)
    parsed = signing.parse_authorization(authorization)
    received = as_received(signed, decoded_path)
    assert signing.expected_signature(received, parsed, SK) == parsed.signature
    # and verify() accepts it at the signing time, rejecting a different secret
    now = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc).timestamp()
    signing.verify(received, parsed, SK, now=now, max_skew_seconds=900)
    with pytest.raises(signing.SignatureError):
        signing.verify(received, parsed, SK + "x", now=now, max_skew_seconds=900)


@settings(max_examples=150, deadline=None)
@given(segment=st.text(min_size=1, max_size=12),
       query=st.lists(st.tuples(st.text(min_size=1, max_size=8), st.text(max_size=12)), max_size=4),
       body=st.binary(max_size=64))
def test_any_text_in_path_query_and_body_verifies_like_the_sdk_signs_it(segment, query, body):
    headers = {"Content-Type": "application/json", "X-Sdk-Date": "20250101T000000Z", "Host": "h:1"}
    resource_path = "/v1/p/workspaces/" + quote(segment, safe="")  # how the SDK fills path parameters
    signed, authorization = sdk_signed("PUT", resource_path, query, headers, body)
    parsed = signing.parse_authorization(authorization)
    received = as_received(signed, "/v1/p/workspaces/" + segment)
    assert signing.expected_signature(received, parsed, SK) == parsed.signature


def test_non_ascii_signature_is_a_mismatch_not_a_crash():
    request = signing.SignedRequest("GET", "/v1/p/w", "", {"x-sdk-date": "20250101T000000Z", "host": "h"}, b"")
    parsed = signing.Authorization(signing.ALGORITHM, AK, ("host", "x-sdk-date"), "ü" * 64)
    now = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc).timestamp()
    with pytest.raises(signing.SignatureError):
        signing.verify(request, parsed, SK, now=now, max_skew_seconds=900)


def test_unsigned_payload_header_is_used_for_non_json_bodies():
    headers = {"Content-Type": "application/octet-stream", "X-Sdk-Date": "20250101T000000Z"}
    signed, authorization = sdk_signed("POST", "/v1/p/upload", [], headers, b"\x00\x01binary")
    assert signed.header_params["X-Sdk-Content-Sha256"] == "UNSIGNED-PAYLOAD"
    parsed = signing.parse_authorization(authorization)
    assert signing.expected_signature(as_received(signed, "/v1/p/upload"), parsed, SK) == parsed.signature


def test_sign_request_helper_produces_a_verifiable_signature():
    request = signing.SignedRequest("GET", "/v1/p/workspaces", "name=%C3%BC", {"host": "h:1"}, b"")
    headers = signing.sign_request(request, AK, SK, now=1_735_689_600)
    received = signing.SignedRequest("GET", "/v1/p/workspaces", "name=%C3%BC",
                                     {"host": "h:1", "x-sdk-date": headers["X-Sdk-Date"]}, b"")
    parsed = signing.parse_authorization(headers["Authorization"])
    assert parsed.signed_headers == ("host", "x-sdk-date")
    signing.verify(received, parsed, SK, now=1_735_689_600, max_skew_seconds=900)


@pytest.mark.parametrize("value", ["SDK-HMAC-SHA256 Access=AK, SignedHeaders=host", "SDK-HMAC-SHA256 garbage",
                                   "SDK-HMAC-SM3 Access=AK, SignedHeaders=host, Signature=00"])
def test_incomplete_or_foreign_authorization_headers_are_rejected(value):
    with pytest.raises(signing.SignatureError):
        signing.parse_authorization(value)


# -- against the live server -------------------------------------------------------------
def test_sdk_signed_requests_with_spaces_slashes_and_non_ascii_are_accepted(mockserver):
    client = sdk_client(mockserver)
    mockserver.modelarts.add_workspace(PROJECT, name="def-a", description="x")
    for name in ("def a/ü", "日本語 名前", "a+b&c=d", "DEF-A", "~*'()"):
        body = client.list_workspace(ListWorkspaceRequest(name=name, filter_accessible=True, limit=3, offset=0))
        assert body.total_count == (1 if name == "DEF-A" else 0), name
    created = client.create_workspace(CreateWorkspaceRequest(body=CreateWorkspaceReq(
        name="signed-body", description="Beschreibung mit Umlauten: äöü ß – 中文")))
    shown = client.show_workspace(ShowWorkspaceRequest(workspace_id=created.id))
    assert shown.description == "Beschreibung mit Umlauten: äöü ß – 中文"


def gateway_error(call) -> ClientRequestException:
    with pytest.raises(ClientRequestException) as info:
        call()
    error = info.value
    assert error.status_code == 401
    assert error.error_code == "APIG.0301"
    return error


def test_wrong_secret_key_is_a_signature_failure(mockserver):
    client = sdk_client(mockserver, sk="not-the-secret")
    error = gateway_error(lambda: client.list_workspace(ListWorkspaceRequest()))
    assert error.error_msg == "Incorrect IAM authentication information: verify aksk signature fail"
    assert error.request_id == mockserver.journal.last().response["request_id"]


def test_unknown_access_key(mockserver):
    client = sdk_client(mockserver, ak="UNKNOWNACCESSKEY0000")
    error = gateway_error(lambda: client.list_workspace(ListWorkspaceRequest()))
    assert error.error_msg == ("Incorrect IAM authentication information: Get secretKey failed,"
                               "ak:UNKNOWNACCESSKEY0000,err:ak not exist")


def test_stale_sdk_date_is_rejected_beyond_fifteen_minutes(mockserver):
    client = sdk_client(mockserver)
    mockserver.clock.advance(14 * 60)
    assert client.list_workspace(ListWorkspaceRequest()).total_count == 1
    mockserver.clock.advance(2 * 60)
    error = gateway_error(lambda: client.list_workspace(ListWorkspaceRequest()))
    assert error.error_msg.startswith("Incorrect IAM authentication information: verify aksk signature fail, "
                                      "x-sdk-date ")
    mockserver.clock.advance(-32 * 60)  # a client clock 16 minutes ahead is stale too
    gateway_error(lambda: client.list_workspace(ListWorkspaceRequest()))


def test_skew_is_a_setting(mockserver):
    mockserver.load({"modelarts": {"settings": {"signature_max_skew_seconds": 60}}})
    mockserver.clock.advance(120)
    gateway_error(lambda: sdk_client(mockserver).list_workspace(ListWorkspaceRequest()))


def signed_headers_for(mockserver, method: str, path: str, query: str = "", body: bytes = b"",
                       extra: dict | None = None) -> dict[str, str]:
    host = mockserver.url.split("//", 1)[1]
    headers = {"host": host, "content-type": "application/json", **(extra or {})}
    request = signing.SignedRequest(method, path, query, headers, body)
    signature = signing.sign_request(request, AK, SK, now=mockserver.clock.now())
    return {"Content-Type": "application/json", **(extra or {}), **signature}


def test_plain_http_request_signed_without_the_sdk(mockserver):
    path = f"/v1/{PROJECT}/workspaces"
    headers = signed_headers_for(mockserver, "GET", path, "name=def%20a")
    response = requests.get(f"{mockserver.url}{path}?name=def%20a", headers=headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("tamper", ["query", "body", "missing-date", "missing-signed-header", "bad-date"])
def test_tampered_requests_are_rejected(mockserver, tamper):
    path = f"/v1/{PROJECT}/workspaces"
    body = b'{"name": "tampered"}'
    headers = signed_headers_for(mockserver, "POST", path, "a=1", body, extra={"X-Project-Id": PROJECT})
    url = f"{mockserver.url}{path}?a=1"
    if tamper == "query":
        url = f"{mockserver.url}{path}?a=2"
    elif tamper == "body":
        body = b'{"name": "tampered2"}'
    elif tamper == "missing-date":
        del headers["X-Sdk-Date"]
    elif tamper == "missing-signed-header":
        del headers["X-Project-Id"]
    elif tamper == "bad-date":
        headers["X-Sdk-Date"] = "2025-01-01 00:00:00"
    response = requests.post(url, data=body, headers=headers)
    assert response.status_code == 401
    payload = response.json()
    assert payload["error_code"] == "APIG.0301"
    assert payload["error_msg"].startswith("Incorrect IAM authentication information: verify aksk signature fail")
    assert payload["request_id"] == response.headers["X-Request-Id"]
    assert [w["name"] for w in mockserver.modelarts.workspaces(PROJECT)] == ["default"]


def test_no_credentials_at_all(mockserver):
    response = requests.get(f"{mockserver.url}/v1/{PROJECT}/workspaces")
    assert response.status_code == 401
    assert response.json()["error_msg"] == "Incorrect IAM authentication information: x-auth-token not found"


def test_key_of_another_account_gets_project_mismatch(mockserver):
    mockserver.load("modelarts-sample")
    client = sdk_client(mockserver, ak="SAMPLEACCESSKEY00001", sk="sample-secret-key-000000000000000000000001")
    with pytest.raises(ClientRequestException) as info:
        client.list_workspace(ListWorkspaceRequest())
    assert (info.value.status_code, info.value.error_code) == (403, "ModelArts.0210")
    assert info.value.error_msg == "The project id in the request URL does not match the token."


def test_x_project_id_must_match_the_url(mockserver):
    path = f"/v1/{PROJECT}/workspaces"
    other = "f" * 32
    headers = signed_headers_for(mockserver, "GET", path, extra={"X-Project-Id": other})
    response = requests.get(f"{mockserver.url}{path}", headers=headers)
    assert response.status_code == 403
    assert response.json()["error_code"] == "ModelArts.0210"


def test_sdk_without_project_id_hits_the_literal_placeholder(mockserver):
    client = (ModelArtsClient.new_builder().with_credentials(BasicCredentials(AK, SK))
              .with_endpoints([mockserver.url]).build())
    with pytest.raises(ClientRequestException) as info:
        client.list_workspace(ListWorkspaceRequest())
    assert info.value.error_code == "ModelArts.0210"
    assert mockserver.journal.last().path == "/v1/{project_id}/workspaces"
