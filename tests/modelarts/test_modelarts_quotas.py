"""Workspace quotas: the resource catalogue, -1 for unlimited (``used_quota`` null), updates within
``[min_quota, max_quota]``, and the errors, through the SDK and plain HTTP.
"""

from __future__ import annotations

import pytest
import requests
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkmodelarts.v1 import (ModelArtsClient, ShowWorkspaceQuotasRequest, UpdateWorkspaceQuotasReq,
                                        UpdateWorkspaceQuotasReqQuotas, UpdateWorkspaceQuotasRequest)

from mockserver.modelarts.quotas import CATALOGUE

from conftest import PROJECT, modelarts_sdk

GPU = "exemlProject.gpu_duration"
QUOTA_FIELDS = ["name_en", "name_cn", "resource", "quota", "min_quota", "max_quota", "unit_en", "unit_cn",
                "update_time", "used_quota"]


@pytest.fixture
def client(mockserver) -> ModelArtsClient:
    return modelarts_sdk(mockserver)


def quotas_url(mockserver, workspace_id: str) -> str:
    return f"{mockserver.url}/v1/{PROJECT}/workspaces/{workspace_id}/quotas"


def headers(mockserver) -> dict[str, str]:
    return {"X-Auth-Token": mockserver.modelarts.issue_token()}


def test_every_workspace_has_the_whole_catalogue_unlimited(mockserver):
    workspace = mockserver.modelarts.add_workspace(PROJECT, name="fresh", create_time=1_700_000_000_000)
    response = requests.get(quotas_url(mockserver, workspace["id"]), headers=headers(mockserver))
    assert response.status_code == 200
    quotas = response.json()["quotas"]
    assert [q["resource"] for q in quotas] == [entry.resource for entry in CATALOGUE]
    for quota in quotas:
        assert list(quota) == QUOTA_FIELDS
        assert quota["quota"] == -1 and quota["used_quota"] is None
        assert quota["update_time"] == 1_700_000_000_000  # never modified: the workspace's create time
    gpu = quotas[0]
    assert (gpu["min_quota"], gpu["max_quota"], gpu["unit_en"]) == (-1, 60000, "minute")


def test_update_through_the_sdk(mockserver, client):
    mockserver.clock.freeze()
    now_ms = mockserver.clock.now_ms()
    answer = client.update_workspace_quotas(UpdateWorkspaceQuotasRequest(
        workspace_id="0", body=UpdateWorkspaceQuotasReq(quotas=[
            UpdateWorkspaceQuotasReqQuotas(resource=GPU, quota=10),
            UpdateWorkspaceQuotasReqQuotas(resource="trainJob.cpu_duration", quota=-1)])))
    assert [(q.resource, q.quota, q.update_time) for q in answer.quotas] == [
        (GPU, 10, now_ms), ("trainJob.cpu_duration", -1, now_ms)]
    shown = client.show_workspace_quotas(ShowWorkspaceQuotasRequest(workspace_id="0"))
    gpu = next(q for q in shown.quotas if q.resource == GPU)
    assert (gpu.quota, gpu.used_quota) == (10, 0)


def test_update_response_has_no_used_quota(mockserver):
    response = requests.put(quotas_url(mockserver, "0"), headers=headers(mockserver), json={
        "quotas": [{"workspace_id": "0", "resource": GPU, "quota": 60000}]})  # the doc's extra member is ignored
    assert response.status_code == 200
    (item,) = response.json()["quotas"]
    assert list(item) == QUOTA_FIELDS[:-1]
    assert item["quota"] == 60000


def test_used_quota_from_a_scenario_and_back_to_unlimited(mockserver):
    workspace = mockserver.modelarts.add_workspace(PROJECT, name="busy", quotas=[
        {"resource": GPU, "quota": 10, "used_quota": 5}])
    url = quotas_url(mockserver, workspace["id"])
    gpu = requests.get(url, headers=headers(mockserver)).json()["quotas"][0]
    assert (gpu["quota"], gpu["used_quota"]) == (10, 5)
    requests.put(url, headers=headers(mockserver), json={"quotas": [{"resource": GPU, "quota": -1}]})
    gpu = requests.get(url, headers=headers(mockserver)).json()["quotas"][0]
    assert (gpu["quota"], gpu["used_quota"]) == (-1, None)


@pytest.mark.parametrize("quotas, code, message", [
    ([{"resource": GPU, "quota": 60001}], "ModelArts.0104",
     f"Invalid quota 60001 for the resource {GPU}. The quota must be -1 (unlimited) or a positive integer from 1 "
     "to 60000."),
    ([{"resource": GPU, "quota": 0}], "ModelArts.0104", None),
    ([{"resource": GPU, "quota": -2}], "ModelArts.0104", None),
    ([{"resource": "gpu.hours", "quota": 1}], "ModelArts.0104", "Invalid quota resource: gpu.hours."),
    ([{"resource": GPU, "quota": 1}, {"resource": GPU, "quota": 2}], "ModelArts.0104",
     f"Invalid quotas: the resource {GPU} appears more than once."),
    ([{"resource": GPU}], "ModelArts.0104", "Parameter error. quotas[0].quota is mandatory."),
    ([{"quota": 5}], "ModelArts.0104", "Parameter error. quotas[0].resource is mandatory."),
    ([{"resource": GPU, "quota": "10"}], "ModelArts.0101", None),
    ([{"resource": GPU, "quota": 1.5}], "ModelArts.0101", None),
    ([{"resource": GPU, "quota": True}], "ModelArts.0101", None),
    ({"resource": GPU}, "ModelArts.0101", None),
])
def test_invalid_updates_change_nothing(mockserver, quotas, code, message):
    url = quotas_url(mockserver, "0")
    if isinstance(quotas, list):  # a valid change before the bad one is not applied either
        quotas = [{"resource": "notebook.gpu_duration", "quota": 5}] + quotas
        message = message and message.replace("quotas[0]", "quotas[1]")
    response = requests.put(url, headers=headers(mockserver), json={"quotas": quotas})
    assert response.status_code == 400
    assert response.json()["error_code"] == code
    if message:
        assert response.json()["error_msg"] == message
    current = requests.get(url, headers=headers(mockserver)).json()["quotas"]
    assert all(q["quota"] == -1 for q in current)


def test_missing_quotas_member(mockserver):
    response = requests.put(quotas_url(mockserver, "0"), headers=headers(mockserver), json={})
    assert (response.status_code, response.json()["error_msg"]) == (400, "Parameter error. quotas is mandatory.")


def test_quota_errors_through_the_sdk(mockserver, client):
    with pytest.raises(ClientRequestException) as info:
        client.update_workspace_quotas(UpdateWorkspaceQuotasRequest(workspace_id="0", body=UpdateWorkspaceQuotasReq(
            quotas=[UpdateWorkspaceQuotasReqQuotas(resource=GPU, quota=10**6)])))
    assert (info.value.status_code, info.value.error_code) == (400, "ModelArts.0104")
    with pytest.raises(ClientRequestException) as info:
        client.show_workspace_quotas(ShowWorkspaceQuotasRequest(workspace_id="missing"))
    assert info.value.error_msg == "workspace: missing not exist."
    assert info.value.request_id == mockserver.journal.last().response["request_id"]


def test_set_used_quota_helper(mockserver):
    requests.put(quotas_url(mockserver, "0"), headers=headers(mockserver),
                 json={"quotas": [{"resource": GPU, "quota": 100}]})
    mockserver.modelarts.set_used_quota(PROJECT, "0", GPU, 42)
    gpu = requests.get(quotas_url(mockserver, "0"), headers=headers(mockserver)).json()["quotas"][0]
    assert gpu["used_quota"] == 42
