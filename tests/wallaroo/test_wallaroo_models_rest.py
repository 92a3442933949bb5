"""Model, pipeline and deployment endpoints through the vendor's generated client
(``wallaroo.wallaroo_ml_ops_api_client``) and plain HTTP: each answer parses into the
client's models, each error is the API's ``{"msg", "code"}`` (400/401 parsed by the client
where it knows them, the 404s the SDK relies on), and a refused request changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid

import pytest
import requests
from onnx import TensorProto, helper
from wallaroo.wallaroo_ml_ops_api_client.api.misc import status_get_deployment
from wallaroo.wallaroo_ml_ops_api_client.api.model import (
    get_model_version_by_id,
    insert_model_config,
    list_models,
    models_get,
    models_list_versions,
    models_upload,
    v1_model_get_config,
)
from wallaroo.wallaroo_ml_ops_api_client.api.pipelines import (
    get_pipeline_by_name,
    list_pipelines,
    pipelines_create,
    pipelines_deploy,
    pipelines_undeploy,
)
from wallaroo.wallaroo_ml_ops_api_client.models import (
    Conversion,
    Framework,
    GetModelByIdRequest,
    GetPipelineByNameRequest,
    InsertModelConfigRequest,
    ListModelsRequest,
    ListPipelinesRequest,
    ModelsGetBody,
    ModelsGetResponse200,
    ModelsGetResponse400,
    ModelsListVersionsBody,
    PipelinesCreateBody,
    PipelinesCreateResponse401,
    PipelinesDeployBody,
    PipelinesUndeployBody,
    StatusGetDeploymentBody,
    StatusGetDeploymentResponse400,
    UploadPayloadDoc,
    UploadRequest,
    V1ModelGetConfigBody,
)
from wallaroo.wallaroo_ml_ops_api_client.types import File

WORKSPACE = 1  # developer@example.com's default workspace in the default scenario


def onnx_bytes(output: str = "dense_1", width: int = 3) -> bytes:
    graph = helper.make_graph([helper.make_node("Identity", ["tensor"], [output])], "g",
                              [helper.make_tensor_value_info("tensor", TensorProto.FLOAT, [None, width])],
                              [helper.make_tensor_value_info(output, TensorProto.FLOAT, [None, width])])
    return helper.make_model(graph).SerializeToString()


def upload(caller, name: str = "ccfraud", content: bytes | None = None, workspace_id: int = WORKSPACE):
    body = UploadPayloadDoc(
        file=File(payload=io.BytesIO(content or onnx_bytes()), file_name="ccfraud.onnx",
                  mime_type="application/octet-stream"),
        metadata=UploadRequest(conversion=Conversion(framework=Framework.ONNX, requirements=[]), name=name,
                               visibility="private", workspace_id=workspace_id))
    return models_upload.sync_detailed(client=caller.client, body=body)


def version_id(caller, **kwargs) -> int:
    response = upload(caller, **kwargs)
    assert response.status_code == 200, response.content
    return response.parsed.insert_models.returning[0].models[0].id


def store(server) -> dict:
    return server.export_state()["wallaroo"]


# == models =========================================================================================
def test_an_upload_stores_the_file_with_its_sha_size_and_onnx_signature(mockserver, wallaroo_caller):
    dev = wallaroo_caller("developer@example.com")
    content = onnx_bytes()
    new_id = version_id(dev, content=content)
    detail = get_model_version_by_id.sync_detailed(client=dev.client, body=GetModelByIdRequest(model_version_id=new_id))
    assert detail.status_code == 200
    raw = json.loads(detail.content)["model_version"]
    version, config = raw["model_version"], raw["config"]
    assert list(version) == ["name", "visibility", "workspace_id", "conversion", "id", "image_path", "status",
                             "task_id", "file_info", "created_on_version", "created_by", "created_at", "deployed",
                             "error_summary"]
    assert version["file_info"]["sha"] == hashlib.sha256(content).hexdigest()
    assert version["file_info"]["size"] == len(content) and version["file_info"]["file_name"] == "ccfraud.onnx"
    assert uuid.UUID(version["file_info"]["version"]).version == 4
    assert (version["status"], version["created_by"], version["deployed"]) == ("ready", "developer@example.com", False)
    assert config["runtime"] == "onnx" and config["model_version_id"] == new_id and len(config) == 13
    (model,) = store(mockserver)["models"]
    assert model["versions"][0]["inputs"] == [{"name": "tensor", "dtype": "float", "shape": [None, 3]}]
    assert model["versions"][0]["outputs"] == [{"name": "dense_1", "dtype": "float", "shape": [None, 3]}]
    assert mockserver.wallaroo.catalog.data.model_versions[new_id].data == content  # kept in memory


def test_same_name_adds_a_version_and_lists_are_newest_first(mockserver, wallaroo_caller):
    dev = wallaroo_caller("developer@example.com")
    first = version_id(dev)
    second = version_id(dev, content=onnx_bytes(output="other"))
    listed = list_models.sync_detailed(client=dev.client, body=ListModelsRequest(workspace_id=WORKSPACE))
    assert listed.status_code == 200
    (item,) = listed.parsed.models
    assert [v.model_version.id for v in item.model_versions] == [second, first]
    got = models_get.sync_detailed(client=dev.client, body=ModelsGetBody(id=item.model.id))
    assert isinstance(got.parsed, ModelsGetResponse200)
    assert [v.id for v in got.parsed.models] == [second, first]
    assert got.parsed.owner_id == '""' and got.parsed.workspace.id == WORKSPACE
    versions = models_list_versions.sync_detailed(client=dev.client, body=ModelsListVersionsBody(model_id="ccfraud"))
    assert [v.id for v in versions.parsed] == [second, first]
    workspaces = dev.ok("workspaces/list", {})["workspaces"]
    assert [w["models"] for w in workspaces if w["id"] == WORKSPACE] == [[item.model.id]]


def test_model_configs(mockserver, wallaroo_caller):
    dev = wallaroo_caller("developer@example.com")
    new_id = version_id(dev)
    first = v1_model_get_config.sync_detailed(client=dev.client, body=V1ModelGetConfigBody(model_id=new_id))
    assert first.status_code == 200 and json.loads(first.content)["model_config"]["tensor_fields"] is None
    inserted = insert_model_config.sync_detailed(client=dev.client, body=InsertModelConfigRequest(
        model_version_id=new_id, tensor_fields=["tensor"]))
    assert inserted.status_code == 200
    assert inserted.parsed.model_config.id != json.loads(first.content)["model_config"]["id"]
    now = json.loads(v1_model_get_config.sync_detailed(client=dev.client, body=V1ModelGetConfigBody(
        model_id=new_id)).content)["model_config"]
    assert now == {"id": inserted.parsed.model_config.id, "runtime": "onnx", "tensor_fields": ["tensor"],
                   "filter_threshold": None}


def test_model_errors(mockserver, wallaroo_caller):
    dev = wallaroo_caller("developer@example.com")
    mockserver.wallaroo.add_user(username="carol@example.com", email="carol@example.com")
    carol = wallaroo_caller("carol@example.com")
    before = store(mockserver)
    missing = models_get.sync_detailed(client=dev.client, body=ModelsGetBody(id=7))
    assert isinstance(missing.parsed, ModelsGetResponse400)
    assert missing.parsed.msg == "The provided model id was not found."
    refused = upload(carol)
    assert refused.status_code == 401
    assert json.loads(refused.content) == {"msg": "A permissions error occurred: you are not a member of workspace "
                                                  f"{WORKSPACE}.", "code": 401}
    unknown_ws = upload(dev, workspace_id=99)
    assert unknown_ws.status_code == 500 and "models_workspace_id_fkey" in json.loads(unknown_ws.content)["msg"]
    bad_name = upload(dev, name="no_underscores")
    assert bad_name.status_code == 400 and "model name 'no_underscores' is invalid" in json.loads(bad_name.content)["msg"]
    no_file = dev.post("models/upload", raw="{}")
    assert no_file.status_code == 400 and no_file.json()["code"] == 400
    assert dev.post("models/get_version_by_id", {"model_version_id": "x"}).status_code == 400
    assert store(mockserver) == before  # nothing of a refused request stays


# == pipelines and deployments ======================================================================
def steps_for(dev, new_id: int) -> dict:
    version = dev.ok("models/get_version_by_id", {"model_version_id": new_id})["model_version"]["model_version"]
    model = {"name": version["name"], "version": version["file_info"]["version"], "sha": version["file_info"]["sha"]}
    return {"id": "ccfraudpipeline", "steps": [{"ModelInference": {"models": [model]}}]}


def test_create_adds_a_version_each_time_and_deploy_undeploy_walk_the_status(mockserver, wallaroo_caller):
    dev = wallaroo_caller("developer@example.com")
    definition = steps_for(dev, version_id(dev))
    created = pipelines_create.sync_detailed(client=dev.client, body=PipelinesCreateBody(
        pipeline_id="ccfraudpipeline", workspace_id=WORKSPACE))
    again = pipelines_create.sync_detailed(client=dev.client, body=PipelinesCreateBody.from_dict(
        {"pipeline_id": "ccfraudpipeline", "workspace_id": WORKSPACE, "definition": definition}))
    assert again.parsed.pipeline_pk_id == created.parsed.pipeline_pk_id  # recorded: same pipeline, new version
    assert again.parsed.pipeline_variant_pk_id == created.parsed.pipeline_variant_pk_id + 1
    by_name = get_pipeline_by_name.sync_detailed(client=dev.client, body=GetPipelineByNameRequest(
        pipeline_name="ccfraudpipeline", workspace_id=WORKSPACE))
    assert by_name.status_code == 200 and by_name.parsed.plateau_topic == "pipeline-ccfraudpipeline-inference"

    mockserver.wallaroo.catalog.configure(deployment_starting_seconds=10)
    mockserver.clock.freeze()
    deployed = pipelines_deploy.sync_detailed(client=dev.client, body=PipelinesDeployBody.from_dict({
        "deploy_id": "ccfraudpipeline", "pipeline_version_pk_id": again.parsed.pipeline_variant_pk_id,
        "engine_config": {"engine": {"replicas": 2, "cpu": 0.5}}}))
    assert deployed.status_code == 200
    name = f"ccfraudpipeline-{deployed.parsed.id}"
    # the recorded status answer has flat pods (what the SDK reads with raw httpx); the generated
    # client's model wants the spec's info-wrapped pods, so it is read as plain JSON here
    assert dev.ok("status/get_deployment", {"name": name})["status"] == "Starting"
    mockserver.clock.advance(10)
    body = dev.ok("status/get_deployment", {"name": name})
    assert body["status"] == "Running" and body["engines"][0]["model_statuses"]["models"][0]["name"] == "ccfraud"
    listed = list_pipelines.sync_detailed(client=dev.client, body=ListPipelinesRequest())
    (item,) = json.loads(listed.content)["pipelines"]
    assert item["deployment"] == {"maximum_replicas": 2, "prewarmed_replicas": 2}  # the engine config reflected
    assert dev.ok("models/get_version_by_id", {"model_version_id": 1})["model_version"]["model_version"]["deployed"]

    undeployed = pipelines_undeploy.sync_detailed(client=dev.client, body=PipelinesUndeployBody(
        deployment_id=deployed.parsed.id))
    assert undeployed.status_code == 200 and json.loads(undeployed.content) == {}
    gone = status_get_deployment.sync_detailed(client=dev.client, body=StatusGetDeploymentBody(name=name))
    assert gone.status_code == 404 and json.loads(gone.content) == {"msg": f"Deployment {name} not found.",
                                                                     "code": 404}
    redeployed = dev.ok("pipelines/deploy", {"deploy_id": "ccfraudpipeline", "pipeline_id": created.parsed.pipeline_pk_id})
    assert redeployed == {"id": deployed.parsed.id}  # one deployment row per pipeline


def test_pipeline_errors(mockserver, wallaroo_caller):
    dev = wallaroo_caller("developer@example.com")
    mockserver.wallaroo.add_user(username="carol@example.com", email="carol@example.com")
    carol = wallaroo_caller("carol@example.com")
    before = store(mockserver)
    refused = pipelines_create.sync_detailed(client=carol.client, body=PipelinesCreateBody(
        pipeline_id="p", workspace_id=WORKSPACE))
    assert isinstance(refused.parsed, PipelinesCreateResponse401)
    assert dev.post("pipelines/create", {"pipeline_id": "Upper", "workspace_id": WORKSPACE}).status_code == 400
    assert dev.post("pipelines/create", {"pipeline_id": "p", "workspace_id": WORKSPACE,
                                         "definition": {"steps": "nope"}}).json()["code"] == 400
    missing = get_pipeline_by_name.sync_detailed(client=dev.client, body=GetPipelineByNameRequest(
        pipeline_name="nope", workspace_id=WORKSPACE))
    assert missing.status_code == 404 and b"Pipeline nope not found in this workspace." in missing.content
    bad_status = status_get_deployment.sync_detailed(client=dev.client, body=StatusGetDeploymentBody(name=5))
    assert isinstance(bad_status.parsed, StatusGetDeploymentResponse400)
    assert store(mockserver) == before
    # a step naming a model version that does not exist: refused at deploy, nothing deployed
    created = dev.ok("pipelines/create", {"pipeline_id": "p", "workspace_id": WORKSPACE, "definition": {"steps": [
        {"ModelInference": {"models": [{"name": "ghost", "version": str(uuid.uuid4()), "sha": "0" * 64}]}}]}})
    ghost = dev.post("pipelines/deploy", {"deploy_id": "p", "pipeline_version_pk_id": created["pipeline_variant_pk_id"]})
    assert ghost.status_code == 400 and "model 'ghost'" in ghost.json()["msg"]
    wrong_name = dev.post("pipelines/deploy", {"deploy_id": "q", "pipeline_version_pk_id": 1})
    assert wrong_name.status_code == 400 and "must match the name" in wrong_name.json()["msg"]
    assert store(mockserver)["pipelines"][0].get("deployment") is None


@pytest.mark.parametrize("action, body", [
    ("models/list", {}), ("models/get", {"id": 1}), ("models/get_version_by_id", {"model_version_id": 1}),
    ("models/get_config_by_id", {"model_id": 1}), ("models/list_versions", {}),
    ("models/insert_model_config", {"model_version_id": 1}), ("pipelines/create", {"pipeline_id": "p"}),
    ("pipelines/list_pipelines", {}), ("pipelines/get_pipeline_by_name", {"pipeline_name": "p"}),
    ("pipelines/deploy", {"deploy_id": "p"}), ("pipelines/undeploy", {}), ("status/get_deployment", {"name": "p-1"}),
])
def test_every_endpoint_wants_a_token(mockserver, action, body):
    import requests

    answer = requests.post(f"{mockserver.url}/v1/api/{action}", json=body)
    assert answer.status_code == 401 and answer.json() == {"msg": "Jwt is missing", "code": 401}


@pytest.mark.parametrize("metadata, reason", [
    ('{"name": "m", "workspace_id": 1, "conversion": {"requirements": [NaN]}}', "NaN is not valid JSON"),
    ('{"name": "m", "workspace_id": 1, "conversion": {"arch": "\\ud800"}}', "surrogate"),
    ('{"name": "m", "name": "n", "workspace_id": 1}', "name"),
    ('{"name": "m", "workspace_id": 1, "conversion": ' + '{"a": ' * 5000 + "1" + "}" * 5001, "nested more than"),
    ('["m"]', "expected an object"),
])
def test_upload_metadata_is_strict_json(mockserver, metadata, reason):
    """A NaN or a lone surrogate was stored, and then the state export would not load back
    and the save on shutdown failed; deep nesting was a 500."""
    token = mockserver.wallaroo.issue_token("developer@example.com")
    answer = requests.post(f"{mockserver.url}/v1/api/models/upload", headers={"Authorization": f"Bearer {token}"},
                           files={"metadata": (None, metadata, "application/json"),
                                  "file": ("m.onnx", b"\x08\x07", "application/octet-stream")})
    assert answer.status_code == 400, answer.text
    message = answer.json()["msg"]
    assert "the multipart part 'metadata' must be a JSON object: " in message and reason in message, message
    assert mockserver.journal.count(path="/v1/api/models/upload") == 1
    exported = requests.get(f"{mockserver.url}/__mock/state")
    assert exported.status_code == 200 and "NaN" not in exported.text
