"""Model, pipeline, deployment and inference routes: thin views over ``backend.catalog``.

Registered inside the Wallaroo blueprint (``wallaroo/routes.py``), so they share its error
shapes and path ownership.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from ...responses import app_json
from ...context import current
from . import inference
from . import parsing
from .backend import Catalog

blueprint = Blueprint("wallaroo_catalog", __name__)


def catalog() -> Catalog:
    return current().state["wallaroo"].catalog  # type: ignore[attr-defined, no-any-return]


def caller() -> Any:
    return current().state["wallaroo"].authenticate(  # type: ignore[attr-defined]
        request.headers.get("Authorization"))


def ok(body: Any, status: int = 200) -> Response:
    return app_json(body, status)


# -- models -------------------------------------------------------------------------------------
@blueprint.post("/v1/api/models/upload")
def models_upload() -> Response:
    user = caller()
    version_id = catalog().upload_model(user, parsing.upload(convert=False))
    return ok({"insert_models": {"returning": [{"models": [{"id": version_id}]}]}})


@blueprint.post("/v1/api/models/upload_and_convert")
def models_upload_and_convert() -> Response:
    """202, as recorded: the conversion goes on after the answer."""
    user = caller()
    version_id = catalog().upload_model(user, parsing.upload(convert=True))
    return ok({"insert_models": {"returning": [{"models": [{"id": version_id}]}]}}, 202)


@blueprint.post("/v1/api/models/get_version_by_id")
@blueprint.post("/v1/api/models/get_model_version_by_id")
def models_get_version_by_id() -> Response:
    user = caller()
    return ok(catalog().version_detail(user, parsing.model_version_id(parsing.body_fields())))


@blueprint.post("/v1/api/models/insert_model_config")
def models_insert_model_config() -> Response:
    user = caller()
    fields = parsing.body_fields()
    return ok(catalog().insert_model_config(user, parsing.model_version_id(fields),
                                            parsing.model_config_options(fields)))


@blueprint.post("/v1/api/models/get_config_by_id")
def models_get_config_by_id() -> Response:
    user = caller()
    return ok(catalog().model_config(user, parsing.model_version_id(parsing.body_fields(), "model_id")))


@blueprint.post("/v1/api/models/list")
def models_list() -> Response:
    user = caller()
    workspace_id, workspace_name = parsing.workspace_filter(parsing.body_fields(optional=True))
    return ok({"models": catalog().list_models(user, workspace_id, workspace_name)})


@blueprint.post("/v1/api/models/get")
def models_get() -> Response:
    user = caller()
    return ok(catalog().get_model(user, parsing.model_id(parsing.body_fields())))


@blueprint.post("/v1/api/models/list_versions")
def models_list_versions() -> Response:
    user = caller()
    name, model_pk_id = parsing.list_versions(parsing.body_fields())
    return ok(catalog().list_versions(user, name, model_pk_id))


# -- pipelines ------------------------------------------------------------------------------------
@blueprint.post("/v1/api/pipelines/create")
def pipelines_create() -> Response:
    user = caller()
    name, workspace_id, definition = parsing.pipeline_create(parsing.body_fields())
    return ok(catalog().create_pipeline(user, name, workspace_id, definition))


@blueprint.post("/v1/api/pipelines/list_pipelines")
def pipelines_list() -> Response:
    user = caller()
    workspace_id, workspace_name = parsing.workspace_filter(parsing.body_fields(optional=True))
    return ok({"pipelines": catalog().list_pipelines(user, workspace_id, workspace_name)})


@blueprint.post("/v1/api/pipelines/get_pipeline_by_name")
def pipelines_get_by_name() -> Response:
    user = caller()
    name, workspace_id = parsing.pipeline_by_name(parsing.body_fields())
    return ok(catalog().pipeline_by_name(user, name, workspace_id))


@blueprint.post("/v1/api/pipelines/deploy")
def pipelines_deploy() -> Response:
    user = caller()
    return ok({"id": catalog().deploy(user, parsing.deploy(parsing.body_fields()))})


@blueprint.post("/v1/api/pipelines/undeploy")
def pipelines_undeploy() -> Response:
    """Answers ``{}`` (the 2026 recording; 2023's was ``null``)."""
    user = caller()
    pipeline_id, deployment_id = parsing.undeploy(parsing.body_fields())
    catalog().undeploy(user, pipeline_id, deployment_id)
    return ok({})


@blueprint.post("/v1/api/status/get_deployment")
def status_get_deployment() -> Response:
    user = caller()
    return ok(catalog().deployment_status(user, parsing.deployment_name(parsing.body_fields())))


# -- inference ----------------------------------------------------------------------------------
@blueprint.post("/v1/api/pipelines/infer/<name>/<pipeline_name>")
def pipelines_infer(name: str, pipeline_name: str) -> Response:
    user = caller()
    data_format = parsing.inference_format()
    shape = parsing.inference_shape() if data_format != "wallaroo" else inference.Shape()
    body = request.get_data(cache=True)

    def run(steps: list[inference.StepModel], rule: Any, time_ms: int, metadata: dict[str, Any]) -> Response:
        if data_format == "arrow":
            batch = inference.decode_arrow(body)
        elif data_format == "pandas-records":
            batch = inference.decode_records(body)
        else:
            batch = inference.decode_wallaroo_json(body)
        outputs = inference.run(batch, steps, rule)
        if data_format == "arrow":
            tensors = steps[-1].outputs if steps else ()
            return Response(inference.arrow_file(batch, outputs, time_ms=time_ms, shape=shape, metadata=metadata,
                                                 tensors=tensors), status=200,
                            content_type="application/vnd.apache.arrow.file")
        return ok(inference.records(batch, outputs, time_ms=time_ms, shape=shape, metadata=metadata))

    return catalog().infer(user, name, pipeline_name, run)  # type: ignore[no-any-return]
