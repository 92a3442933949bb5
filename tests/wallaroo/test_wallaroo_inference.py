"""Inference at a deployment's URL over plain HTTP: the three body formats, the answer
shapes (flattened with the SDK's query string, nested without it), the documented default
rule, outputs registered through the Python API, a scenario file and the control API,
and the errors where the engine answers them.
"""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pytest
import requests
from onnx import TensorProto, helper

WORKSPACE = 1
SDK_QUERY = {"dataset[]": "*", "dataset.exclude[]": "metadata", "dataset.separator": "."}
RECORDS = "application/json; format=pandas-records"


def onnx_bytes(outputs=(("dense_1", 3),), op: str = "Identity") -> bytes:
    graph = helper.make_graph([helper.make_node(op, ["tensor"], [name]) for name, _ in outputs], "g",
                              [helper.make_tensor_value_info("tensor", TensorProto.FLOAT, [None, 3])],
                              [helper.make_tensor_value_info(name, TensorProto.FLOAT, [None, width])
                               for name, width in outputs])
    return helper.make_model(graph).SerializeToString()


class Deployed:
    """A model uploaded and deployed in a one-step pipeline, over plain HTTP."""

    def __init__(self, server, *, model: str = "ccfraud", pipeline: str = "ccfraudpipeline",
                 content: bytes | None = None, login: str = "developer@example.com") -> None:
        self.server = server
        self.headers = {"Authorization": f"Bearer {server.wallaroo.issue_token(login)}"}
        metadata = {"name": model, "visibility": "private", "workspace_id": WORKSPACE,
                    "conversion": {"framework": "onnx"}}
        uploaded = requests.post(f"{server.url}/v1/api/models/upload", headers=self.headers, files={
            "metadata": (None, json.dumps(metadata), "application/json"),
            "file": (f"{model}.onnx", content or onnx_bytes(), "application/octet-stream")})
        assert uploaded.status_code == 200, uploaded.text
        version_id = uploaded.json()["insert_models"]["returning"][0]["models"][0]["id"]
        version = self.post("models/get_version_by_id", {"model_version_id": version_id})["model_version"]
        info = version["model_version"]["file_info"]
        created = self.post("pipelines/create", {"pipeline_id": pipeline, "workspace_id": WORKSPACE, "definition": {
            "id": pipeline, "steps": [{"ModelInference": {"models": [
                {"name": model, "version": info["version"], "sha": info["sha"]}]}}]}})
        self.deployment_id = self.post("pipelines/deploy", {"deploy_id": pipeline, "pipeline_version_pk_id":
                                                            created["pipeline_variant_pk_id"]})["id"]
        self.url = f"{server.url}/v1/api/pipelines/infer/{pipeline}-{self.deployment_id}/{pipeline}"

    def post(self, action: str, body: dict) -> dict:
        answer = requests.post(f"{self.server.url}/v1/api/{action}", json=body, headers=self.headers)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def infer(self, body, *, content_type: str = RECORDS, params=SDK_QUERY) -> requests.Response:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return requests.post(self.url, data=data, params=params,
                             headers={**self.headers, "Content-Type": content_type})


def arrow_file(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


# == formats and shapes ==============================================================================
def test_pandas_records_answer_flattened_records_with_the_models_output_names(mockserver):
    mockserver.clock.freeze("2026-01-06T16:34:30Z")
    answer = Deployed(mockserver).infer([{"tensor": [1, 2, 3]}, {"tensor": [4, 5, 6]}])
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    assert answer.json() == [
        {"time": 1767717270000, "in.tensor": [1, 2, 3], "out.dense_1": [1.0, 2.0, 3.0], "anomaly.count": 0},
        {"time": 1767717270000, "in.tensor": [4, 5, 6], "out.dense_1": [4.0, 5.0, 6.0], "anomaly.count": 0}]


def test_without_the_query_string_the_answer_is_nested_with_metadata(mockserver):
    deployed = Deployed(mockserver)
    (record,) = deployed.infer([{"tensor": [1, 2, 3]}], params=None).json()
    assert list(record) == ["time", "in", "out", "check_failures", "metadata"]
    assert record["out"] == {"dense_1": [1.0, 2.0, 3.0]} and record["check_failures"] == []
    last_model = json.loads(record["metadata"]["last_model"])  # a JSON string, as recorded
    assert last_model["model_name"] == "ccfraud" and len(last_model["model_sha"]) == 64


def test_arrow_files_answer_arrow_files_with_the_recorded_types(mockserver):
    table = pa.table({"tensor": pa.array([[1.0, 2.0, 3.0]], type=pa.list_(pa.float32()))})
    answer = Deployed(mockserver).infer(arrow_file(table), content_type="application/vnd.apache.arrow.file")
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/vnd.apache.arrow.file"
    result = pa.ipc.open_file(answer.content).read_all()
    assert result.column_names == ["time", "in.tensor", "out.dense_1", "anomaly.count"]
    assert str(result.schema.field("out.dense_1").type) == "list<inner: float not null>"
    assert result.schema.field("in.tensor").type == pa.list_(pa.float32())  # as it came
    assert str(result.schema.field("anomaly.count").type) == "uint32"
    assert not result.schema.field("anomaly.count").nullable and not result.schema.field("out.dense_1").nullable
    assert result.column("out.dense_1").to_pylist() == [[1.0, 2.0, 3.0]]


def test_wallaroo_json_takes_records_or_columns(mockserver):
    deployed = Deployed(mockserver)
    wallaroo_json = "application/json; format=wallaroo"
    by_columns = deployed.infer({"tensor": [[1, 2, 3], [4, 5, 6]]}, content_type=wallaroo_json, params=None)
    by_records = deployed.infer([{"tensor": [1, 2, 3]}, {"tensor": [4, 5, 6]}], content_type=wallaroo_json,
                                params=None)
    assert by_columns.status_code == by_records.status_code == 200
    assert [r["out"] for r in by_columns.json()] == [r["out"] for r in by_records.json()] == [
        {"dense_1": [1.0, 2.0, 3.0]}, {"dense_1": [4.0, 5.0, 6.0]}]


# == outputs ==========================================================================================
def test_the_default_rule_answers_zeros_when_the_input_does_not_fit_the_output(mockserver):
    deployed = Deployed(mockserver, content=onnx_bytes(outputs=(("score", 1), ("probabilities", 2)), op="ReduceSum"))
    (record,) = deployed.infer([{"tensor": [1, 2, 3]}]).json()
    assert record["out.score"] == [0.0] and record["out.probabilities"] == [0.0, 0.0]


def test_a_file_that_is_not_onnx_answers_under_the_fallback_output_name(mockserver):
    (record,) = Deployed(mockserver, content=b"not a model").infer([{"tensor": [1, 2]}]).json()
    assert record["out.output"] == [1.0, 2.0]


def test_a_model_of_unknown_signature_names_the_column_it_cannot_echo(mockserver):
    answer = Deployed(mockserver, content=b"not a model").infer([{"tensor": ["1.5", "foo"]}])
    assert answer.status_code == 400 and answer.json()["error"] == (
        "model 'ccfraud' expects numbers for its input 'tensor', got 'foo'")


def test_a_one_input_model_takes_a_lone_column_of_any_name_else_its_inputs_name(mockserver):
    deployed = Deployed(mockserver)  # its input is 'tensor'
    assert deployed.infer([{"dense_input": [1, 2, 3]}]).json()[0]["out.dense_1"] == [1.0, 2.0, 3.0]
    (record,) = deployed.infer([{"note": "n", "tensor": [1, 2, 3]}]).json()
    assert record["out.dense_1"] == [1.0, 2.0, 3.0] and record["in.note"] == "n"  # extras: answered, not fed
    answer = deployed.infer([{"x": [1, 2, 3], "y": [1]}])
    assert answer.status_code == 400 and answer.json() == {
        "code": 400, "status": "error", "source": "engine",
        "error": "model 'ccfraud' needs the input columns 'tensor'; missing: 'tensor' (given: 'x', 'y')"}


def test_registered_outputs_and_functions_through_the_python_api(mockserver):
    deployed = Deployed(mockserver)
    catalog = mockserver.wallaroo.catalog
    catalog.set_inference(model="ccfraud", outputs={"dense_1": [0.0014974177]})
    assert deployed.infer([{"tensor": [1, 2, 3]}]).json()[0]["out.dense_1"] == [0.0014974177]
    catalog.set_inference(pipeline="ccfraudpipeline", function=lambda row: {"total": sum(row["tensor"])})
    assert deployed.infer([{"tensor": [1, 2, 3]}]).json()[0]["out.total"] == 6  # the pipeline's rule first
    catalog.set_inference(pipeline="ccfraudpipeline")  # back to the model's rule
    catalog.set_inference(model="ccfraud", rule="zeros")
    assert deployed.infer([{"tensor": [1, 2, 3]}]).json()[0]["out.dense_1"] == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError):
        catalog.set_inference(model="ccfraud", rule="magic")


def test_registered_outputs_through_a_scenario_and_the_control_api(mockserver):
    mockserver.load({"wallaroo": {"inference": [{"model": "ccfraud", "outputs": {"dense_1": [0.5]}}]}})
    deployed = Deployed(mockserver)
    assert deployed.infer([{"tensor": [1, 2, 3]}]).json()[0]["out.dense_1"] == [0.5]
    loaded = requests.post(f"{mockserver.url}/__mock/scenarios/load", json={"as_baseline": False, "scenarios": [
        {"name": "fixed-output", "wallaroo": {"inference": [{"pipeline": "ccfraudpipeline", "rule": "echo"}]}}]})
    assert loaded.status_code == 200, loaded.text
    assert deployed.infer([{"tensor": [1, 2, 3]}]).json()[0]["out.tensor"] == [1, 2, 3]
    refused = requests.post(f"{mockserver.url}/__mock/scenarios/load", json={"as_baseline": False, "scenarios": [
        {"wallaroo": {"inference": [{"model": "ccfraud", "rule": "magic"}]}}]})
    assert refused.status_code == 422 and "wallaroo.inference[0].rule" in refused.text


def test_a_reset_forgets_registered_rules(mockserver):
    mockserver.wallaroo.catalog.set_inference(model="ccfraud", outputs={"dense_1": [9.0]})
    mockserver.reset()
    assert Deployed(mockserver).infer([{"tensor": [1, 2, 3]}]).json()[0]["out.dense_1"] == [1.0, 2.0, 3.0]


# == errors ============================================================================================
def test_inference_errors_in_the_engines_shape(mockserver):
    deployed = Deployed(mockserver)
    cases = [
        ([{"tensor": None}], RECORDS, 400, "tensor values may not be null"),
        ([], RECORDS, 400, "expected a non-empty list of records, one object per row"),
        ([{"tensor": [1]}, {"other": [1]}], RECORDS, 400, "every row needs the same input columns"),
        (b"not arrow", "application/vnd.apache.arrow.file", 400, "the body is not an Arrow IPC file"),
        ([{"tensor": [1]}], "text/plain", 400, "unsupported content type"),
    ]
    for body, content_type, status, message in cases:
        answer = deployed.infer(body, content_type=content_type)
        assert answer.status_code == status, answer.text
        error = answer.json()
        assert set(error) == {"code", "status", "error", "source"} and error["code"] == status
        assert message in error["error"]
    wrong = requests.post(deployed.url.replace(f"-{deployed.deployment_id}/", "-99/"), json=[{"tensor": [1]}],
                          headers=deployed.headers)
    assert wrong.status_code == 404 and wrong.json() == {"code": 404, "status": "error",
                                                         "error": "Deployment not found", "source": "platform"}
    deployed.post("pipelines/undeploy", {"deployment_id": deployed.deployment_id})
    assert deployed.infer([{"tensor": [1]}]).status_code == 404
    assert requests.post(deployed.url, json=[{"tensor": [1]}]).json() == {"msg": "Jwt is missing", "code": 401}


def test_inference_is_refused_to_non_members_and_while_starting(mockserver):
    deployed = Deployed(mockserver)
    mockserver.wallaroo.add_user(username="carol@example.com", email="carol@example.com")
    token = mockserver.wallaroo.issue_token("carol@example.com")
    refused = requests.post(deployed.url, json=[{"tensor": [1]}], headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    mockserver.wallaroo.catalog.configure(deployment_starting_seconds=30)
    mockserver.clock.freeze()
    deployed.post("pipelines/deploy", {"deploy_id": "ccfraudpipeline", "pipeline_id": 1})
    starting = deployed.infer([{"tensor": [1, 2, 3]}])
    assert starting.status_code == 503 and starting.json()["source"] == "engine"
    mockserver.clock.advance(30)
    assert deployed.infer([{"tensor": [1, 2, 3]}]).status_code == 200


def test_the_sdks_graphql_deploy_and_undeploy_mutations(mockserver):
    """``Deployment.deploy()`` and the SDK's ``Undeploy`` document set ``deployed`` by id."""
    from pathlib import Path

    import wallaroo

    deployed = Deployed(mockserver)
    undeploy = (Path(wallaroo.__file__).parent / "graphql" / "Undeploy.graphql").read_text()
    deploy = undeploy.replace("Undeploy", "Deploy").replace("deployed: false", "deployed: true")

    def run(query: str, login: str = "developer@example.com") -> dict:
        token = mockserver.wallaroo.issue_token(login)
        answer = requests.post(f"{mockserver.url}/v1/graphql", json={"query": query, "variables": {
            "id": deployed.deployment_id}}, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200
        return answer.json()

    assert run(undeploy) == {"data": {"update_deployment_by_pk": {
        "id": deployed.deployment_id, "deploy_id": "ccfraudpipeline", "deployed": False}}}
    assert deployed.infer([{"tensor": [1, 2, 3]}]).status_code == 404
    mockserver.wallaroo.add_user(username="carol@example.com", email="carol@example.com")
    assert run(deploy, "carol@example.com") == {"data": {"update_deployment_by_pk": None}}  # not hers: no row
    assert run(deploy)["data"]["update_deployment_by_pk"]["deployed"] is True
    assert deployed.infer([{"tensor": [1, 2, 3]}]).status_code == 200


def test_a_reset_undoes_everything_the_catalog_changed(mockserver):
    """Models, configs, pipelines, deployments, registered rules, settings and the workspaces'
    id lists all come back to the baseline, and the ids start again."""
    before = mockserver.export_state()["wallaroo"]
    deployed = Deployed(mockserver)
    deployed.post("models/insert_model_config", {"model_version_id": 1, "tensor_fields": ["tensor"]})
    deployed.post("pipelines/undeploy", {"deployment_id": deployed.deployment_id})
    mockserver.wallaroo.catalog.set_inference(model="ccfraud", outputs={"dense_1": [1.0]})
    mockserver.wallaroo.catalog.configure(deployment_starting_seconds=5, default_arch="arm")
    assert mockserver.export_state()["wallaroo"] != before
    mockserver.reset()
    assert mockserver.export_state()["wallaroo"] == before
    assert requests.get(f"{mockserver.url}/v1/api/config").json() == {"default_arch": "x86"}
    again = Deployed(mockserver)
    assert again.deployment_id == deployed.deployment_id == 1  # the same ids after every reset
    assert again.infer([{"tensor": [1, 2, 3]}]).json()[0]["out.dense_1"] == [1.0, 2.0, 3.0]


# == hostile bodies: refused in the engine's shape, the server unharmed ====================================
def _engine_error(answer: requests.Response, status: int = 400) -> str:
    assert answer.status_code == status, answer.text
    error = answer.json()
    assert set(error) == {"code", "status", "error", "source"} and error["code"] == status
    return error["error"]


@pytest.mark.parametrize("body, reason", [
    (b'[{"tensor": [NaN]}]', "NaN is not valid JSON"),
    (b'[{"tensor": [1e400]}]', "out of range"),
    (b'[{"tensor": [1], "tensor": [2]}]', "tensor"),
    (b'[{"tensor": ["\\ud800"]}]', "surrogate"),
    (b"[" * 100_000, "nested more than"),
    (b'[{"tensor": ' + b"[" * 5000 + b"1" + b"]" * 5000 + b"}]", "nested more than"),
])
@pytest.mark.parametrize("content_type", [RECORDS, "application/json; format=wallaroo"])
def test_json_bodies_are_parsed_strictly(mockserver, body, reason, content_type):
    """A NaN or 1e400 would be echoed back in an answer that is not JSON; deep nesting was a 500."""
    deployed = Deployed(mockserver)
    message = _engine_error(deployed.infer(body, content_type=content_type))
    assert message.startswith("the body is not JSON") and reason in message, message


def _arrow_with_bad_offsets() -> bytes:
    """A valid Arrow file with one list offset moved past the values: pyarrow aborted the
    whole process reading it."""
    import struct

    table = pa.table({"tensor": pa.array([[1.0] * 29] * 3, type=pa.list_(pa.float32()))})
    data = bytearray(arrow_file(table))
    offsets = struct.pack("<4i", 0, 29, 58, 87)
    at = data.find(offsets)
    data[at:at + 16] = struct.pack("<4i", 0, 29, 22842, 87)
    return bytes(data)


def _compressed(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_file(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="zstd")) as writer:
        writer.write_table(table)
    return sink.getvalue()


def test_a_corrupt_arrow_body_is_refused_and_the_server_lives_on(mockserver):
    deployed = Deployed(mockserver)
    message = _engine_error(deployed.infer(_arrow_with_bad_offsets(), content_type="application/vnd.apache.arrow.file"))
    assert "the Arrow body is not valid" in message and "out of bounds" in message
    assert deployed.infer([{"tensor": [1, 2, 3]}]).status_code == 200


@pytest.mark.parametrize("table", [
    pa.table({"tensor": pa.array([[0.0] * 2_000_000], type=pa.list_(pa.float64()))}),  # 2 M zeros, ~1 KB zstd
    pa.table({"tensor": pa.array(["x" * 20_000_000])}),  # 20 MB of one string, a few KB zstd
    pa.table({"tensor": pa.nulls(5_000_000)}),  # no buffers at all: five million Nones to build
])
def test_arrow_bodies_that_announce_more_than_they_carry_are_refused_before_decoding(mockserver, table):
    deployed = Deployed(mockserver)
    body = _compressed(table)
    assert len(body) < 100_000
    message = _engine_error(deployed.infer(body, content_type="application/vnd.apache.arrow.file"))
    assert "decodes to more than the mock serves in one request" in message


def test_compressed_and_dictionary_encoded_arrow_bodies_are_still_served(mockserver):
    deployed = Deployed(mockserver)
    table = pa.table({"tensor": pa.array([[1.0, 2.0, 3.0]], type=pa.list_(pa.float32())),
                      "label": pa.array(["a"]).dictionary_encode()})
    answer = deployed.infer(_compressed(table), content_type="application/vnd.apache.arrow.file")
    assert answer.status_code == 200, answer.text
    assert pa.ipc.open_file(answer.content).read_all().column("out.dense_1").to_pylist() == [[1.0, 2.0, 3.0]]


@pytest.mark.parametrize("width", [3000 * 3000, 4611686018427387904])
def test_a_models_declared_output_shape_does_not_size_the_answer_unbounded(mockserver, width):
    """A 74-byte ONNX file declaring a [1, 3000, 3000] output made a 36 MB answer from a
    100-byte request; a shape past 2**63 was an OverflowError 500."""
    deployed = Deployed(mockserver, model="wide", pipeline="widepipeline", content=onnx_bytes((("dense_1", width),)))
    message = _engine_error(deployed.infer([{"tensor": [1, 2, 3]}]))
    assert message == (f"model 'wide' declares {width} output values per row; the mock answers at most 1000000 "
                       "output values per request (1 rows sent)")


@pytest.mark.parametrize("number", ["²", "١", "1" * 5000])
def test_deployment_names_need_ascii_digits(mockserver, number):
    deployed = Deployed(mockserver)
    url = deployed.url.replace(f"-{deployed.deployment_id}/", f"-{number}/")
    answer = requests.post(url, json=[{"tensor": [1]}], headers=deployed.headers)
    assert answer.status_code == 404 and answer.json()["error"] == "Deployment not found"
    status = requests.post(f"{mockserver.url}/v1/api/status/get_deployment", headers=deployed.headers,
                           json={"name": f"ccfraudpipeline-{number}"})
    assert status.status_code == 404, status.text


def test_a_pipeline_deploys_only_its_own_workspaces_models_by_id(mockserver):
    """Another workspace's model, named by id, was deployed and then shown (name, sha) to a
    user who may not read it."""
    Deployed(mockserver)  # model config 1 / version 1, in workspace 1
    wallaroo = mockserver.wallaroo
    wallaroo.add_user(username="eve@example.com", email="eve@example.com")
    eve = {"Authorization": f"Bearer {wallaroo.issue_token('eve@example.com')}"}

    def post(action, body):
        return requests.post(f"{mockserver.url}/v1/api/{action}", json=body, headers=eve)

    workspace = post("workspaces/create", {"workspace_name": "eves"}).json()["workspace_id"]
    created = post("pipelines/create", {"pipeline_id": "evepipe", "workspace_id": workspace,
                                        "definition": {"id": "evepipe", "steps": []}}).json()
    for field in ("model_configs", "model_ids"):
        answer = post("pipelines/deploy", {"deploy_id": "evepipe", "pipeline_version_pk_id":
                                           created["pipeline_variant_pk_id"], field: [1]})
        assert answer.status_code == 400, answer.text
        assert "was not found" in answer.json()["msg"]
    assert post("status/get_deployment", {"name": "evepipe-1"}).status_code == 404
