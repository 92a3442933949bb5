"""Issue 8, item 5 (AK/SK): any change to a signed request is a 401.

Requests are signed by ``huaweicloudsdkcore``'s own signer and sent over HTTP as the SDK
sends them (its canonical query in the URL); each is first shown to be accepted as
signed, then replayed with one thing changed. The replays that used to pass: another body
under the original ``X-Sdk-Content-Sha256``, a query re-encoded (``a%2Bb`` as ``a+b``,
which the server reads as ``a b``), and the values of a repeated key reordered.
"""

from __future__ import annotations

import hashlib
import json

import pytest
import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer


def signed(server, method: str, path: str, query: list | None = None, body: bytes = b"",
           headers: dict | None = None) -> tuple[str, dict[str, str], bytes]:
    """``(url, headers, body)`` as the SDK signs and sends them."""
    credentials = server.modelarts_credentials()
    host = server.url.split("//", 1)[1]
    request = SdkRequest(method=method, schema="http", host=host, resource_path=path, query_params=query or [],
                         header_params={"Content-Type": "application/json", **(headers or {})}, body=body)
    Signer(BasicCredentials(credentials["access_key"], credentials["secret_key"],
                            credentials["project_id"])).sign(request)
    return server.url + request.uri, dict(request.header_params), body


def send(method: str, url: str, headers: dict[str, str], body: bytes) -> requests.Response:
    return requests.request(method, url, headers=headers, data=body)


def assert_refused(answer: requests.Response) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.json()["error_code"] == "APIG.0301"


@pytest.fixture
def workspaces(mockserver):
    return f"/v1/{mockserver.modelarts_project_id}/workspaces"


def test_another_body_under_the_original_content_hash_is_refused(mockserver, workspaces):
    body = json.dumps({"name": "signed-one"}).encode()
    url, headers, body = signed(mockserver, "POST", workspaces, body=body,
                                headers={"X-Sdk-Content-Sha256": hashlib.sha256(body).hexdigest()})
    replay = json.dumps({"name": "replayed"}).encode()
    assert_refused(send("POST", url, headers, replay))
    assert "replayed" not in [w["name"] for w in mockserver.modelarts.workspaces(mockserver.modelarts_project_id)]
    assert send("POST", url, headers, body).status_code == 200  # as signed, it is accepted


def test_unsigned_payload_does_not_leave_a_body_uncovered(mockserver, workspaces):
    body = json.dumps({"name": "unsigned"}).encode()
    url, headers, body = signed(mockserver, "POST", workspaces, body=body,
                                headers={"X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD"})
    answer = send("POST", url, headers, body)
    assert_refused(answer)
    assert "UNSIGNED-PAYLOAD" in answer.json()["error_msg"]


def test_a_plus_re_encoded_as_a_space_is_refused(mockserver, workspaces):
    mockserver.modelarts.add_workspace(mockserver.modelarts_project_id, name="a+b")
    url, headers, body = signed(mockserver, "GET", workspaces, query=[("name", "a+b")])
    assert url.endswith("?name=a%2Bb")
    assert send("GET", url, headers, body).json()["total_count"] == 1
    assert_refused(send("GET", url.replace("a%2Bb", "a+b"), headers, body))


def test_reordered_values_of_a_repeated_key_are_refused(mockserver, workspaces):
    url, headers, body = signed(mockserver, "GET", workspaces, query=[("name", "x"), ("name", "default")])
    assert url.endswith("?name=default&name=x")  # the SDK sends them sorted
    assert send("GET", url, headers, body).status_code == 200
    assert_refused(send("GET", url.replace("name=default&name=x", "name=x&name=default"), headers, body))


def test_reordering_different_keys_keeps_the_meaning_and_verifies(mockserver, workspaces):
    url, headers, body = signed(mockserver, "GET", workspaces, query=[("limit", 1), ("offset", 0)])
    base, _, query = url.partition("?")
    assert query == "limit=1&offset=0"
    assert send("GET", f"{base}?offset=0&limit=1", headers, body).status_code == 200


@pytest.mark.parametrize("change", ["method", "path", "query", "signed header", "body", "date"])
def test_any_change_to_a_signed_request_is_refused(mockserver, workspaces, change):
    body = json.dumps({"name": "original"}).encode()
    url, headers, body = signed(mockserver, "PUT", workspaces + "/0", query=[("q", "1")], body=body,
                                headers={"X-Project-Id": mockserver.modelarts_project_id})
    method = "PUT"
    if change == "method":
        method = "DELETE"
    elif change == "path":
        url = url.replace("/workspaces/0", "/workspaces/1")
    elif change == "query":
        url = url.replace("q=1", "q=2")
    elif change == "signed header":
        headers["X-Project-Id"] = "f" * 32
    elif change == "body":
        body = json.dumps({"name": "changed"}).encode()
    elif change == "date":
        headers["X-Sdk-Date"] = headers["X-Sdk-Date"][:-3] + "00Z" if not headers["X-Sdk-Date"].endswith("00Z") \
            else headers["X-Sdk-Date"][:-3] + "01Z"
    assert_refused(send(method, url, headers, body))
