"""The server starts on the default scenario and answers both a mocked API and the control API."""

import requests


def test_health_lists_both_apis(mockserver):
    body = requests.get(f"{mockserver.url}/__mock/health").json()
    assert body["status"] == "ok"
    assert body["apis"] == ["wallaroo", "modelarts"]
    assert body["scenarios"] == ["default"]


def test_default_admin_can_list_workspaces(mockserver):
    token = mockserver.wallaroo.issue_token("developer@example.com")
    response = requests.post(f"{mockserver.url}/v1/api/workspaces/list", json={},
                             headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert [w["name"] for w in response.json()["workspaces"]] == ["developer@example.com - Default Workspace"]
