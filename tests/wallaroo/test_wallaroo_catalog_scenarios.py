"""Models, pipelines and deployments in scenario files and saved state: the
``wallaroo-tutorial`` scenario's workspace holds what it lists, a saved state loads back
with its model files, and a wrong scenario is refused with the JSON path of the mistake.
"""

from __future__ import annotations

import base64
import hashlib
import json

import pandas as pd
import pytest
import requests

from mockserver import MockServer
from mockserver.state import ScenarioError

HUMMEL = ("john.hummel@wallaroo.ai", "hummel-password")


def post(server, action: str, body: dict, login: str = "john.hummel@wallaroo.ai") -> requests.Response:
    return requests.post(f"{server.url}/v1/api/{action}", json=body,
                         headers={"Authorization": f"Bearer {server.wallaroo.issue_token(login)}"})


@pytest.mark.mockserver_scenario("wallaroo-tutorial")
def test_the_tutorial_workspace_holds_its_model_and_pipeline_for_the_sdk(mockserver, wallaroo_login):
    """The issue's report: repr() of the tutorial workspace raised, listing models and
    pipelines raised; now they show the scenario's model and deployed pipeline."""
    wl = wallaroo_login(*HUMMEL)
    ws = wl.get_workspace("ccfraudworkspace")
    text = repr(ws)
    assert "'models': [{'name': 'ccfraudmodel', 'versions': 1" in text
    assert "'pipelines': [{'name': 'ccfraudpipeline'" in text
    assert [m.name() for m in wl.list_models(workspace_id=14)] == ["ccfraudmodel"]
    (pipeline,) = wl.list_pipelines()
    assert pipeline.name() == "ccfraudpipeline"
    model = wl.get_workspace("ccfraudworkspace").models()[0].versions()[0]
    assert (model.version(), model.file_name()) == ("1fa3c8c4-0d37-49cd-ae78-3fd9cc12eb51", "ccfraud.onnx")
    result = pipeline.infer(pd.DataFrame({"tensor": [[0.1] * 29]}))
    assert result["out.dense_1"].tolist() == [[0.0014974177]]  # the scenario's recorded value


@pytest.mark.mockserver_scenario("wallaroo-tutorial")
def test_a_saved_state_loads_back_with_files_pipelines_and_deployments(mockserver, tmp_path):
    post(mockserver, "pipelines/create", {"pipeline_id": "second", "workspace_id": 14})
    document = mockserver.export_state()
    section = document["wallaroo"]
    version = section["models"][0]["versions"][0]
    assert hashlib.sha256(base64.b64decode(version["file_base64"])).hexdigest() == version["sha"]
    path = tmp_path / "state.json"
    path.write_text(json.dumps(document))
    other = MockServer(scenarios=[])
    other.start()
    try:
        other.load_state_file(path)
        assert other.export_state()["wallaroo"] == section
        listed = post(other, "pipelines/list_pipelines", {}).json()["pipelines"]
        assert sorted(item["pipeline"]["name"] for item in listed) == ["ccfraudpipeline", "second"]
        status = post(other, "status/get_deployment", {"name": "ccfraudpipeline-1"})
        assert status.status_code == 200 and status.json()["status"] == "Running"
        workspaces = {w["id"]: w for w in post(other, "workspaces/list", {}).json()["workspaces"]}
        assert (workspaces[14]["models"], workspaces[14]["pipelines"]) == ([1], [1, 2])
    finally:
        other.stop()


@pytest.mark.parametrize("section, path, message", [
    ({"models": [{"name": "m", "workspace": 99}]}, "wallaroo.models[0].workspace", "no workspace"),
    ({"models": [{"name": "m", "workspace": "ws", "versions": [{"file_base64": "!!"}]}]},
     "wallaroo.models[0].versions[0].file_base64", "not valid base64"),
    ({"models": [{"name": "m", "workspace": "ws", "versions": [{"file_base64": "AAAA", "sha": "0" * 64}]}]},
     "wallaroo.models[0].versions[0].sha", "does not match"),
    ({"models": [{"name": "m", "workspace": "ws", "versions": [{"status": "napping"}]}]},
     "wallaroo.models[0].versions[0].status", "expected one of"),
    ({"models": [{"name": "m", "workspace": "ws"}, {"name": "m", "workspace": "ws"}]},
     "wallaroo.models[1].name", "already has a model named 'm'"),
    ({"pipelines": [{"name": "p", "workspace": "ws", "deployment": {}}]},
     "wallaroo.pipelines[0].deployment", "needs at least one version"),
    ({"pipelines": [{"name": "p", "workspace": "ws", "versions": [{"definition": {"steps": [
        {"ModelInference": {"models": [{"name": "ghost", "version": "v"}]}}]}}], "deployment": {}}]},
     "wallaroo.pipelines[0].deployment", "model 'ghost'"),
    ({"inference": [{"model": "m", "pipeline": "p"}]}, "wallaroo.inference[0]", "exactly one"),
    ({"settings": {"deployment_starting_seconds": -1}}, "wallaroo.settings.deployment_starting_seconds",
     "seconds"),
    ({"settings": {"default_arch": "sparc"}}, "wallaroo.settings.default_arch", "x86, arm or power10"),
])
def test_a_wrong_catalog_section_is_refused_with_its_path(section, path, message):
    server = MockServer(scenarios=[])
    document = {"name": "bad", "wallaroo": {"users": [{"username": "u@example.com", "email": "u@example.com"}],
                                            "workspaces": [{"name": "ws", "members": [{"user": "u@example.com"}]}],
                                            **section}}
    before = server.export_state()["wallaroo"]
    with pytest.raises(ScenarioError) as refused:
        server.load_scenarios([document])
    assert refused.value.path == path and message in refused.value.message
    assert server.export_state()["wallaroo"] == before


def test_the_default_arch_setting_is_what_the_config_says(mockserver):
    mockserver.load({"wallaroo": {"settings": {"default_arch": "arm"}}})
    assert requests.get(f"{mockserver.url}/v1/api/config").json() == {"default_arch": "arm"}
