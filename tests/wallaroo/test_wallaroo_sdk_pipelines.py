"""The tutorial flow through the real high-level ``wallaroo.Client``: upload an ONNX model
made here, build a pipeline, deploy, infer with a DataFrame and an Arrow table, list,
fetch, undeploy, and the ``repr`` of workspace, model and pipeline.

No test sleeps: deployments are ``Running`` at once unless a test sets a ``Starting``
time, and the conversion walk is driven by the mock clock (the SDK's own 5 s wait is
replaced by a clock advance).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from pathlib import Path

import onnx
import pandas as pd
import pyarrow as pa
import pytest
import requests
import wallaroo
from conftest import graphql_operations
from graphql.error import GraphQLError
from onnx import TensorProto, helper
from wallaroo.exceptions import InferenceError, ModelUploadError
from wallaroo.framework import Framework
from wallaroo.object import EntityNotFoundError


def onnx_model(path, *, inputs=(("tensor", 3),), outputs=(("dense_1", 3),), op: str = "Identity") -> str:
    """A small ONNX model file: ``op`` from the first input to each output."""
    nodes = [helper.make_node(op, [inputs[0][0]], [name]) for name, _ in outputs]
    graph = helper.make_graph(
        nodes, "mock-test",
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, [None, width]) for name, width in inputs],
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, [None, width]) for name, width in outputs])
    onnx.save(helper.make_model(graph), str(path))
    return str(path)


@pytest.fixture
def connect(wallaroo_login):
    """``connect(login, password)``: a logged-in ``wallaroo.Client`` (tests/conftest.py)."""
    return wallaroo_login


@pytest.fixture
def workspace(connect):
    """A client whose current workspace is a new one, ``ccfraud-ws``."""
    wl = connect()
    ws = wl.create_workspace("ccfraud-ws")
    wl.set_current_workspace(ws)
    return wl, ws


FRAME = pd.DataFrame({"tensor": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]})


def test_the_tutorial_flow_end_to_end(mockserver, workspace, tmp_path):
    wl, ws = workspace
    path = onnx_model(tmp_path / "ccfraud.onnx")
    model = wl.upload_model("ccfraud", path, framework=Framework.ONNX)
    content = open(path, "rb").read()
    assert (model.name(), model.file_name(), model.sha(), model.status()) == (
        "ccfraud", "ccfraud.onnx", hashlib.sha256(content).hexdigest(), "ready")
    assert uuid.UUID(model.version()).version == 4
    text = repr(model)
    assert "'name': 'ccfraud'" in text and f"'version': '{model.version()}'" in text
    assert "'file_name': 'ccfraud.onnx'" in text and "'arch': 'x86'" in text and "'accel': 'none'" in text

    pipeline = wl.build_pipeline("ccfraudpipeline")
    assert repr(pipeline).startswith("{'name': 'ccfraudpipeline', 'create_time': datetime.datetime(")
    pipeline.add_model_step(model)
    assert f"'sha': '{model.sha()}'" in repr(pipeline)
    pipeline.deploy()
    status = pipeline.status()
    assert status["status"] == "Running"
    (engine,) = status["engines"]
    assert engine["model_statuses"]["models"][0]["name"] == "ccfraud"
    assert engine["pipeline_statuses"]["pipelines"][0]["id"] == "ccfraudpipeline"

    frame = pipeline.infer(FRAME)
    assert list(frame.columns) == ["time", "in.tensor", "out.dense_1", "anomaly.count"]
    assert frame["out.dense_1"].tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]  # Identity: echoed
    assert frame["anomaly.count"].tolist() == [0, 0]
    assert str(frame["time"].dtype) == "datetime64[ns]"

    table = pipeline.infer(pa.Table.from_pandas(FRAME))
    assert table.column_names == ["time", "in.tensor", "out.dense_1", "anomaly.count"]
    assert str(table.schema.field("time").type) == "timestamp[ms]"
    assert str(table.schema.field("out.dense_1").type) == "list<inner: float not null>"
    assert str(table.schema.field("anomaly.count").type) == "uint32"
    assert table.column("out.dense_1").to_pylist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]

    assert [m.name() for m in wl.list_models()] == ["ccfraud"]
    listed = wl.list_pipelines()
    assert [p.name() for p in listed] == ["ccfraudpipeline"]
    # the notebook displays: PipelineModels (distinct_on), PipelineVariantById, ModelById...
    html = listed._repr_html_()
    assert "ccfraudpipeline" in html and "ccfraud" in html and "x86" in html
    assert "ccfraud.onnx" in model._repr_html_() and "ccfraud-ws" in model._repr_html_()
    assert [(d.name(), d.deployed()) for d in wl.list_deployments()] == [("ccfraudpipeline", True)]
    text = repr(ws)
    assert "'models': [{'name': 'ccfraud', 'versions': 1, 'owner_id': '\"\"'" in text
    assert "'pipelines': [{'name': 'ccfraudpipeline'" in text

    pipeline.undeploy()
    with pytest.raises(EntityNotFoundError):
        pipeline.status()
    with pytest.raises(InferenceError, match=r"\[404\] Deployment not found"):
        pipeline.infer(FRAME)
    assert [(d.name(), d.deployed()) for d in wl.list_deployments()] == [("ccfraudpipeline", False)]
    # every GraphQL operation the flow sent validated against the served schema and answered
    assert {"ModelById", "PipelineById", "DeploymentById", "WorkspaceById", "ListDeployments"} <= set(
        graphql_operations(mockserver))


def test_versions_are_listed_newest_first_and_get_model_takes_the_newest(workspace, tmp_path):
    wl, _ = workspace
    first = wl.upload_model("ccfraud", onnx_model(tmp_path / "a.onnx"), framework=Framework.ONNX)
    second = wl.upload_model("ccfraud", onnx_model(tmp_path / "b.onnx", outputs=(("dense_1", 3), ("extra", 3))),
                             framework=Framework.ONNX)
    assert first.version() != second.version() and first.sha() != second.sha()
    newest = wl.get_model("ccfraud")
    assert newest.version() == second.version()
    assert wl.get_model("ccfraud", version=first.version()).id() == first.id()
    (model,) = wl.list_models()
    assert [v.version() for v in model.versions()] == [second.version(), first.version()]
    assert "'versions': 2" in repr(model)
    with pytest.raises(Exception, match="A model with the name missing does not exist"):
        wl.get_model("missing")


def test_a_model_with_an_output_shape_the_input_does_not_fit_answers_zeros(workspace, tmp_path):
    wl, _ = workspace
    model = wl.upload_model("scorer", onnx_model(tmp_path / "s.onnx", outputs=(("score", 1),), op="ReduceSum"),
                            framework=Framework.ONNX)
    pipeline = wl.build_pipeline("scorer-pipeline").add_model_step(model)
    pipeline.deploy()
    assert pipeline.infer(FRAME)["out.score"].tolist() == [[0.0], [0.0]]


def test_a_registered_function_answers_for_its_model(mockserver, workspace, tmp_path):
    wl, _ = workspace
    mockserver.wallaroo.catalog.set_inference(model="ccfraud", function=lambda row: {"dense_1": [sum(row["tensor"])]})
    model = wl.upload_model("ccfraud", onnx_model(tmp_path / "c.onnx"), framework=Framework.ONNX)
    pipeline = wl.build_pipeline("ccfraudpipeline").add_model_step(model)
    pipeline.deploy()
    assert pipeline.infer(FRAME)["out.dense_1"].tolist() == [[6.0], [15.0]]
    mockserver.wallaroo.catalog.set_inference(pipeline="ccfraudpipeline", outputs={"dense_1": [0.25]})
    assert pipeline.infer(FRAME)["out.dense_1"].tolist() == [[0.25], [0.25]]


def test_get_pipeline_and_redeploy_reuse_the_deployment(mockserver, workspace, tmp_path):
    wl, _ = workspace
    model = wl.upload_model("ccfraud", onnx_model(tmp_path / "c.onnx"), framework=Framework.ONNX)
    built = wl.build_pipeline("ccfraudpipeline").add_model_step(model)
    built.deploy()
    deployment_url = built.url()
    built.undeploy()
    fetched = wl.get_pipeline("ccfraudpipeline")
    assert fetched.id() == built.id()
    fetched.deploy()  # steps copied from the newest version (ModelByName), a new version again
    assert fetched.url() == deployment_url  # one deployment row per pipeline
    assert re.search(r"/v1/api/pipelines/infer/ccfraudpipeline-\d+/ccfraudpipeline$", deployment_url)
    assert len(fetched.versions()) == 3  # build, deploy, redeploy: each posts pipelines/create
    assert fetched.infer(FRAME)["out.dense_1"].tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    with pytest.raises(Exception, match="Pipeline missing not found in this workspace"):
        wl.get_pipeline("missing")


def test_deploy_waits_while_the_deployment_is_starting(mockserver, workspace, tmp_path, monkeypatch):
    """``Starting`` lasts the configured mock-clock time; the SDK polls until ``Running``."""
    wl, _ = workspace
    mockserver.load({"wallaroo": {"settings": {"deployment_starting_seconds": 30}}})  # this test only
    mockserver.clock.freeze()
    model = wl.upload_model("ccfraud", onnx_model(tmp_path / "c.onnx"), framework=Framework.ONNX)
    pipeline = wl.build_pipeline("ccfraudpipeline").add_model_step(model)
    pipeline.deploy(wait_for_status=False)
    assert pipeline.status()["status"] == "Starting"
    # the SDK retries a 503 ten times, with a random exponential backoff of up to ~100 s in
    # all: here without the sleeps (the count of attempts is the behaviour under test)
    from httpx_retries import Retry

    monkeypatch.setattr(Retry, "sleep", lambda self, response: None)
    with pytest.raises(InferenceError, match=r"\[503\]"):
        pipeline.infer(FRAME, timeout=1)
    attempts = mockserver.journal.find("POST", "/v1/api/pipelines/infer/**")
    assert [entry.status for entry in attempts] == [503] * 11
    mockserver.clock.advance(30)
    assert pipeline.status()["status"] == "Running"


def test_upload_and_convert_walks_through_the_conversion_statuses(mockserver, workspace, tmp_path, monkeypatch,
                                                                   capsys):
    """A non-native framework goes through ``upload_and_convert``; the SDK polls every 5 s,
    here each poll advances the frozen mock clock instead of sleeping."""
    wl, _ = workspace
    mockserver.load({"wallaroo": {"settings": {"conversion_step_seconds": 5}}})
    mockserver.clock.freeze()
    import wallaroo.client as sdk_client

    monkeypatch.setattr(sdk_client.time, "sleep", lambda seconds: mockserver.clock.advance(seconds))
    path = tmp_path / "model.pt"
    path.write_bytes(b"not really torch")
    schema = pa.schema([pa.field("tensor", pa.list_(pa.float32()))])
    model = wl.upload_model("torchy", str(path), framework=Framework.PYTORCH, input_schema=schema,
                            output_schema=pa.schema([pa.field("output", pa.list_(pa.float32()))]))
    assert model.status() == "ready"
    printed = capsys.readouterr().out
    assert "Model is pending loading to a container runtime" in printed
    assert "Model is attempting loading to a container runtime" in printed and "Ready" in printed
    (upload,) = mockserver.journal.find("POST", "/v1/api/models/upload_and_convert")
    assert upload.status == 202


def test_uploads_are_refused_in_the_sdk_s_own_error(mockserver, connect, tmp_path):
    mockserver.wallaroo.add_user(username="carol@example.com", email="carol@example.com", password="carol")
    carol = connect("carol@example.com", "carol")
    path = onnx_model(tmp_path / "c.onnx")
    carol.set_current_workspace(wallaroo.workspace.Workspace(carol, {"id": 1, "name": "other"}))
    with pytest.raises(ModelUploadError, match=r"Model failed to upload: \[401\] A permissions error occurred"):
        carol.upload_model("ccfraud", path, framework=Framework.ONNX)
    headers = {"Authorization": f"Bearer {mockserver.wallaroo.issue_token('admin')}"}
    listed = requests.post(f"{mockserver.url}/v1/api/models/list", json={}, headers=headers).json()
    assert listed == {"models": []}  # nothing stored



def test_a_file_of_another_type_is_refused_and_nothing_is_stored(connect, tmp_path):
    wl = connect()
    path = tmp_path / "notes.txt"
    path.write_text("not a model")
    with pytest.raises(ModelUploadError, match=r"Model failed to upload: \[400\] Bad request: The provided file needs "
                                               r"to be a \.zip, \.pt, \.onnx, \.h5, or \.pkl file\."):
        wl.upload_model("txtmodel", str(path), framework=Framework.ONNX)
    assert list(wl.list_models()) == []
    assert wl.upload_model("upper", onnx_model(tmp_path / "UPPER.ONNX"), framework=Framework.ONNX).status() == "ready"

# == a model with two named inputs ======================================================================
def two_input_model(path) -> str:
    """Inputs ``a`` (INT64 [None, 2]) and ``b`` (FLOAT [None]); outputs ``x`` = a, ``y`` = b."""
    graph = helper.make_graph(
        [helper.make_node("Identity", ["a"], ["x"]), helper.make_node("Identity", ["b"], ["y"])], "two-inputs",
        [helper.make_tensor_value_info("a", TensorProto.INT64, [None, 2]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, [None])],
        [helper.make_tensor_value_info("x", TensorProto.INT64, [None, 2]),
         helper.make_tensor_value_info("y", TensorProto.FLOAT, [None])])
    onnx.save(helper.make_model(graph), str(path))
    return str(path)


@pytest.fixture
def two_inputs(workspace, tmp_path):
    """A deployed pipeline ``rp`` with the two-input model ``rm``."""
    wl, _ = workspace
    model = wl.upload_model("rm", two_input_model(tmp_path / "rm.onnx"), framework=Framework.ONNX)
    pipeline = wl.build_pipeline("rp").add_model_step(model)
    pipeline.deploy()
    return pipeline


def test_inference_names_the_inputs_the_model_misses(two_inputs):
    with pytest.raises(InferenceError, match=r"\[400\] model 'rm' needs the input columns 'a', 'b'; missing: "
                                             r"'a', 'b' \(given: 'zz'\) \(source: engine"):
        two_inputs.infer(pd.DataFrame({"zz": [[1, 2]]}))
    with pytest.raises(InferenceError, match=r"missing: 'b' \(given: 'a'\)"):
        two_inputs.infer(pd.DataFrame({"a": [[1, 2]]}))


def test_extra_input_columns_are_answered_back_but_not_fed_to_the_model(two_inputs):
    frame = two_inputs.infer(pd.DataFrame({"note": ["first"], "b": [0.5], "a": [[1, 2]]}))
    assert sorted(frame.columns) == ["anomaly.count", "in.a", "in.b", "in.note", "out.x", "out.y", "time"]
    assert frame["out.x"].tolist() == [[1, 2]] and frame["out.y"].tolist() == [[0.5]]


def test_a_type_error_names_the_models_input(two_inputs):
    with pytest.raises(InferenceError, match=r"\[400\] model 'rm' expects numbers for its input 'a', got 'foo'"):
        two_inputs.infer(pd.DataFrame({"a": [["foo", "bar"]], "b": [1.0]}))



def test_arrow_outputs_are_lists_of_not_null_items_of_the_outputs_type(two_inputs):
    table = two_inputs.infer(pa.Table.from_pandas(pd.DataFrame({"a": [[1, 2]], "b": [0.5]})))
    assert str(table.schema.field("out.x").type) == "list<inner: int64 not null>"
    assert str(table.schema.field("out.y").type) == "list<inner: float not null>"
    assert not table.schema.field("out.x").nullable and not table.schema.field("out.y").nullable
    assert table.column("out.x").to_pylist() == [[1, 2]] and table.column("out.y").to_pylist() == [[0.5]]


# == what the mock does not serve (docs/wallaroo.md section 7) ===========================================
def not_served_text() -> str:
    """The "Not served" part of docs/wallaroo.md section 7."""
    text = (Path(__file__).parents[2] / "docs" / "wallaroo.md").read_text(encoding="utf-8")
    section = text.split("\n## 7. ", 1)[1].split("\n## ", 1)[0]
    return section.split("\n- Not served", 1)[1]


def test_section_7_names_as_not_served_only_paths_the_mock_does_not_serve(mockserver):
    paths = set(re.findall(r"`(/v1/api/[a-z_/]+)`", not_served_text()))
    assert paths == {"/v1/api/plateau/get_topic_name", "/v1/api/pipelines/get_version", "/v1/api/pipelines/publish"}
    headers = {"Authorization": f"Bearer {mockserver.wallaroo.issue_token('developer@example.com')}"}
    for path in paths:
        answer = requests.post(f"{mockserver.url}{path}", json={}, headers=headers)
        assert answer.status_code == 404 and answer.json()["msg"] == f"No route for POST {path}.", path


def test_sdk_calls_the_mock_does_not_serve_fail_as_section_7_says(workspace, tmp_path):
    wl, _ = workspace
    model = wl.upload_model("ccfraud", onnx_model(tmp_path / "c.onnx"), framework=Framework.ONNX)
    pipeline = wl.build_pipeline("ccfraudpipeline").add_model_step(model)
    pipeline.deploy()
    documented = not_served_text()
    calls = [("`pipeline.logs()`", pipeline.logs, KeyError, "topic_name"),
             ("`pipeline.get_pipeline_configuration()`", pipeline.get_pipeline_configuration, Exception,
              "Failed to get pipeline version"),
             ("`wl.create_tag(...)`", lambda: wl.create_tag("t"), GraphQLError,
              "Cannot query field 'insert_tag' on type 'mutation_root'"),
             ("`wl.list_tags()`", wl.list_tags, GraphQLError, "Cannot query field 'tag' on type 'query_root'"),
             ("`pipeline.publish()`", pipeline.publish, Exception, "Failed to publish pipeline")]
    for call, run, error, message in calls:
        assert call in documented
        with pytest.raises(error, match=re.escape(message)):
            run()
