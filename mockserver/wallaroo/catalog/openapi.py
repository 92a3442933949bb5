"""The OpenAPI description of the model, pipeline, deployment and inference routes
(merged into the Wallaroo section of ``/__mock/openapi.json``)."""

from __future__ import annotations

from typing import Any

from ...openapi.schema import ANY, answer, array, body, boolean, enum, integer, mapping, nullable, obj, operation, \
    path_param, query, ref, string

TAG_MODELS = "Wallaroo: models"
TAG_PIPELINES = "Wallaroo: pipelines, deployments, inference"
TAGS = [
    {"name": TAG_MODELS, "description": "Model uploads (multipart), versions and configs (`POST "
     "/v1/api/models/*`). Errors are `{\"msg\", \"code\"}`; a not-found is a 400, as recorded."},
    {"name": TAG_PIPELINES, "description": "Pipelines (`pipelines/create` adds a version each time), deployments "
     "(`Starting` for the scenario's `deployment_starting_seconds`, then `Running`; 404 from "
     "`status/get_deployment` once undeployed) and inference at `/v1/api/pipelines/infer/<deploy_id>-<id>/<name>`."},
]
BEARER: list[dict[str, list[str]]] = [{"wallarooBearer": []}]
_ID = integer(minimum=0)
_STAMP = string("ISO 8601 with offset.", format="date-time")

SCHEMAS: dict[str, Any] = {
    "WallarooModelVersion": obj({
        "name": string("The model's name."), "visibility": enum(["private", "public"]), "workspace_id": _ID,
        "conversion": mapping(ANY, "As uploaded: `arch`, `accel` (when given), `python_version`, `requirements`, "
                                   "`framework`, `framework_config`."),
        "id": integer("The version id.", minimum=0), "image_path": nullable(string()),
        "status": enum(["uploading", "pending_load_native", "attempting_load_native", "pending_load_container",
                        "attempting_load_container", "ready", "error"]),
        "task_id": nullable(string()),
        "file_info": obj({"version": string("A UUID."), "sha": string("SHA-256 of the file, hex."),
                          "file_name": string(), "size": integer(minimum=0)}),
        "created_on_version": string(), "created_by": string("The uploader's email."), "created_at": _STAMP,
        "deployed": boolean(), "error_summary": nullable(string()),
    }, "A model version, key for key as recorded."),
    "WallarooModelConfig": obj({
        "id": _ID, "model_version_id": _ID, "runtime": enum(["onnx", "tensorflow", "mlflow", "flight"]),
        **{name: nullable(ANY) for name in ("filter_threshold", "tensor_fields", "input_schema", "output_schema",
                                            "batch_config", "dynamic_batching_config", "continuous_batching_config",
                                            "queue_depth", "sidekick_uri", "openai")},
    }, "A model config (13 keys, as recorded)."),
    "WallarooVersionWithConfig": obj({"model_version": ref("WallarooModelVersion"),
                                      "config": ref("WallarooModelConfig")}),
    "WallarooPipelineItem": obj({
        "pipeline": obj({"created_at": _STAMP, "id": _ID, "name": string(), "updated_at": _STAMP}),
        "plateau_topic": string(),
        "workspace": obj({"id": _ID, "name": string(), "created_by": string(), "archived": boolean(),
                          "created_at": _STAMP, "group_id": nullable(string())}),
        "deployment": obj({"maximum_replicas": integer(), "prewarmed_replicas": integer()}),
        "pipeline_version": obj({"id": _ID, "version": string(), "created_at": _STAMP}),
    }, "A `list_pipelines` / `get_pipeline_by_name` item.", optional=("deployment", "pipeline_version")),
    "WallarooInferenceError": obj({
        "code": integer(), "status": enum(["error"]), "error": string(),
        "source": enum(["engine", "platform"]),
    }, "The engine's error shape."),
}


def _errors(*statuses: int) -> dict[str, Any]:
    texts = {400: "A member is missing or of the wrong type, the body is not JSON, or a rule is broken (unknown "
                  "model, version, pipeline or deployment; invalid name or definition).",
             401: "No or a bad token, or the caller is not a member of the workspace.",
             404: "Not found (this endpoint answers 404, as the SDK expects).",
             500: "An unknown workspace id (recorded as a foreign-key violation)."}
    return {str(s): answer(texts[s], ref("WallarooError")) for s in statuses}


def _op(operation_id: str, summary: str, tag: str, request: dict[str, Any] | None, ok: Any,
        statuses: tuple[int, ...], description: str | None = None, status: str = "200") -> dict[str, Any]:
    return {"post": operation(operation_id, summary, tag, {status: answer("Success.", ok), **_errors(*statuses)},
                              description=description, request_body=request, security=BEARER)}


def _json(properties: dict[str, Any], example: Any, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return body(obj(properties, optional=optional), example=example)


_UPLOAD_BODY = {"required": True, "content": {"multipart/form-data": {"schema": obj({
    "metadata": string("JSON: `name`, `workspace_id`, `visibility`, `conversion` {`framework`, `arch`, `accel`, "
                       "...}; for non-native frameworks also `input_schema`/`output_schema` (base64 Arrow schemas)."),
    "file": string("The model file.", format="binary"),
})}}}
_UPLOADED = obj({"insert_models": obj({"returning": array(obj({"models": array(obj({"id": _ID}))}))})})
_VERSION_ID = _json({"model_version_id": _ID}, {"model_version_id": 1})
_WORKSPACE_FILTER = body(obj({"workspace_id": nullable(_ID), "workspace_name": nullable(string())},
                             optional=("workspace_id", "workspace_name")), example={"workspace_id": 1}, required=False)
_VERSION_STUB = obj({"sha": string(), "models_pk_id": _ID, "model_version": string(), "owner_id": string(),
                     "model_id": string("The model's name."), "id": _ID, "file_name": string(),
                     "image_path": nullable(string())})
_STATUS = obj({"status": enum(["Starting", "Running", "Error"]), "details": array(ANY),
               "engines": array(mapping(ANY)), "engine_lbs": array(mapping(ANY)), "sidekicks": array(ANY)},
              "The recorded flat pod layout.")

PATHS: dict[str, Any] = {
    "/v1/api/models/upload": _op(
        "models.upload", "Upload a model (ONNX, TensorFlow)", TAG_MODELS, _UPLOAD_BODY, _UPLOADED, (400, 401, 500),
        "A new version (a new model when the name is new in the workspace), `ready` at once. ONNX inputs and "
        "outputs are read from the file. The body cap (1 MiB by default) bounds the file."),
    "/v1/api/models/upload_and_convert": _op(
        "models.upload_and_convert", "Upload a model for conversion", TAG_MODELS, _UPLOAD_BODY, _UPLOADED,
        (400, 401, 500), "202. The version walks pending -> attempting -> ready, each step lasting the scenario's "
        "`conversion_step_seconds` of the mock clock (0: ready at once).", status="202"),
    "/v1/api/models/get_version_by_id": _op(
        "models.get_version_by_id", "A model version and its config", TAG_MODELS, _VERSION_ID,
        obj({"model_version": ref("WallarooVersionWithConfig")}), (400, 401)),
    "/v1/api/models/get_model_version_by_id": _op(
        "models.get_model_version_by_id", "A model version and its config (same answer)", TAG_MODELS, _VERSION_ID,
        obj({"model_version": ref("WallarooVersionWithConfig")}), (400, 401)),
    "/v1/api/models/insert_model_config": _op(
        "models.insert_model_config", "Configure a model version", TAG_MODELS,
        _json({"model_version_id": _ID, "tensor_fields": nullable(array(string())),
               "filter_threshold": nullable(ANY), "input_schema": nullable(string()),
               "output_schema": nullable(string()), "batch_config": nullable(string()),
               "dynamic_batching_config": nullable(ANY), "continuous_batching_config": nullable(ANY),
               "openai_config": nullable(ANY)}, {"model_version_id": 1, "tensor_fields": ["tensor"]},
              optional=("tensor_fields", "filter_threshold", "input_schema", "output_schema", "batch_config",
                        "dynamic_batching_config", "continuous_batching_config", "openai_config")),
        obj({"model_config": ref("WallarooModelConfig")}), (400, 401), "A new config, now the version's."),
    "/v1/api/models/get_config_by_id": _op(
        "models.get_config_by_id", "A model version's config", TAG_MODELS,
        _json({"model_id": integer("A model VERSION id (the SDK's naming).", minimum=0)}, {"model_id": 1}),
        obj({"model_config": nullable(obj({"id": _ID, "runtime": string(), "tensor_fields": nullable(ANY),
                                           "filter_threshold": nullable(ANY)}))}), (400, 401)),
    "/v1/api/models/list": _op(
        "models.list", "List models", TAG_MODELS, _WORKSPACE_FILTER,
        obj({"models": array(obj({
            "model": obj({"id": _ID, "name": string(), "owner_id": string(), "created_at": _STAMP,
                          "updated_at": _STAMP, "workspace_id": _ID}),
            "model_versions": array(ref("WallarooVersionWithConfig"), "Newest first."),
            "workspace": obj({"id": _ID, "name": string(), "created_by": string(), "archived": boolean(),
                              "created_at": _STAMP, "group_id": nullable(string())})}))}),
        (400, 401), "Every readable workspace's models unless one is named; most recently updated first."),
    "/v1/api/models/get": _op(
        "models.get", "A model and its versions", TAG_MODELS, _json({"id": _ID}, {"id": 1}),
        obj({"id": _ID, "name": string(), "owner_id": string(), "created_at": _STAMP, "updated_at": _STAMP,
             "models": array(_VERSION_STUB, "Newest first (the SDK's get_model takes the first)."),
             "workspace": obj({"id": _ID, "name": string()})}), (400, 401)),
    "/v1/api/models/list_versions": _op(
        "models.list_versions", "List model versions", TAG_MODELS,
        _json({"model_id": nullable(string("A model name.")), "models_pk_id": nullable(_ID)},
              {"model_id": "ccfraud"}, optional=("model_id", "models_pk_id")),
        array(obj({**_VERSION_STUB["properties"], "status": string()})), (400, 401),
        "A bare list, newest first, of readable versions with that name (and model id)."),
    "/v1/api/pipelines/create": _op(
        "pipelines.create", "Create a pipeline (or a new version of it)", TAG_PIPELINES,
        _json({"pipeline_id": string("The name: lowercase letters, digits, dashes."), "workspace_id": _ID,
               "definition": nullable(mapping(ANY, "`{\"id\", \"steps\": [...]}`; steps name models by "
                                                   "`name`, `version` (UUID) and `sha`."))},
              {"pipeline_id": "ccfraudpipeline", "workspace_id": 1, "definition": {}}, optional=("definition",)),
        obj({"pipeline_pk_id": _ID, "pipeline_variant_pk_id": _ID, "pipeline_variant_version": string()}),
        (400, 401), "An existing name in the workspace gets a new version (recorded)."),
    "/v1/api/pipelines/list_pipelines": _op(
        "pipelines.list_pipelines", "List pipelines", TAG_PIPELINES, _WORKSPACE_FILTER,
        obj({"pipelines": array(ref("WallarooPipelineItem"))}), (400, 401),
        "Every readable workspace's pipelines unless one is named; most recently updated first."),
    "/v1/api/pipelines/get_pipeline_by_name": _op(
        "pipelines.get_pipeline_by_name", "A pipeline by name", TAG_PIPELINES,
        _json({"pipeline_name": string(), "workspace_id": _ID}, {"pipeline_name": "ccfraudpipeline",
                                                                 "workspace_id": 1}),
        ref("WallarooPipelineItem"), (400, 401, 404)),
    "/v1/api/pipelines/deploy": _op(
        "pipelines.deploy", "Deploy a pipeline version", TAG_PIPELINES,
        _json({"deploy_id": string("Must be the pipeline's name."), "engine_config": nullable(mapping(ANY)),
               "pipeline_version_pk_id": nullable(_ID), "pipeline_id": nullable(_ID),
               "pipeline_version": nullable(string()), "model_configs": nullable(array(_ID)),
               "model_ids": nullable(array(_ID)), "models": nullable(array(mapping(ANY)))},
              {"deploy_id": "ccfraudpipeline", "pipeline_version_pk_id": 1, "engine_config": {}},
              optional=("engine_config", "pipeline_version_pk_id", "pipeline_id", "pipeline_version",
                        "model_configs", "model_ids", "models")),
        obj({"id": _ID}), (400, 401), "One deployment per pipeline: a redeploy answers the same id."),
    "/v1/api/pipelines/undeploy": _op(
        "pipelines.undeploy", "Undeploy", TAG_PIPELINES,
        _json({"deployment_id": nullable(_ID), "pipeline_id": nullable(_ID)}, {"deployment_id": 1},
              optional=("deployment_id", "pipeline_id")), obj({}), (400, 401), "`{}` (the 2026 recording)."),
    "/v1/api/status/get_deployment": _op(
        "status.get_deployment", "A deployment's status", TAG_PIPELINES,
        _json({"name": string("`<deploy_id>-<deployment id>`.")}, {"name": "ccfraudpipeline-1"}), _STATUS,
        (400, 401, 404), "404 once undeployed (what the SDK's undeploy waits for)."),
    "/v1/api/pipelines/infer/{name}/{pipeline_name}": {
        "parameters": [path_param("name", "`<deploy_id>-<deployment id>`."),
                       path_param("pipeline_name", "The pipeline's name.")],
        "post": operation(
            "pipelines.infer", "Inference", TAG_PIPELINES,
            {"200": {"description": "One record per row (`time`, `in.*`, `out.*`, `anomaly.count`), as JSON or as "
                                    "an Arrow IPC file (for an Arrow request).",
                     "content": {"application/json": {"schema": array(mapping(ANY))},
                                 "application/vnd.apache.arrow.file": {"schema": string(format="binary")}}},
             "400": answer("Bad input (not JSON or Arrow, no rows, different columns, nulls).",
                           ref("WallarooInferenceError")),
             "401": answer("No or a bad token (the MLOps shape).", ref("WallarooError")),
             "404": answer("No running deployment by that name.", ref("WallarooInferenceError")),
             "500": answer("A registered inference function failed.", ref("WallarooInferenceError")),
             "503": answer("The deployment is still Starting.", ref("WallarooInferenceError"))},
            description="Bodies: pandas-records JSON (`application/json; format=pandas-records`), an Arrow IPC "
                        "file (`application/vnd.apache.arrow.file`) or Wallaroo JSON (`format=wallaroo`). "
                        "Outputs follow docs/wallaroo.md (default rule, or registered outputs/functions).",
            parameters=[query("dataset[]", string(), "Parts to include (default `*`)."),
                        query("dataset.exclude[]", string(), "Parts to leave out (e.g. `metadata`)."),
                        query("dataset.separator", string(), "Flatten with this separator (e.g. `.`)."),
                        query("dataset.flatten", boolean(), "Flatten with `.`.")],
            request_body={"required": True, "content": {
                "application/json": {"schema": ANY, "example": [{"tensor": [1.0, 2.0, 3.0]}]},
                "application/vnd.apache.arrow.file": {"schema": string(format="binary")}}},
            security=BEARER)},
}
