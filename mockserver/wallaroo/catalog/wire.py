"""The JSON forms of models, pipelines and deployments, key for key as recorded.

Plain functions of records (no store access): the backend passes in what they need.
"""

from __future__ import annotations

from typing import Any

from .records import (FAMILY_OWNER_ID, Deployment, ModelConfig, ModelFamily, ModelVersion, Pipeline,
                      PipelineVersion)


def config(item: ModelConfig) -> dict[str, Any]:
    """The 13-key model config (``get_version_by_id``, ``models/list``, ``insert_model_config``)."""
    options = item.options_dict()
    body: dict[str, Any] = {"id": item.id, "model_version_id": item.model_version_id, "runtime": item.runtime}
    for name in ("filter_threshold", "tensor_fields", "input_schema", "output_schema", "batch_config",
                 "dynamic_batching_config", "continuous_batching_config", "queue_depth", "sidekick_uri", "openai"):
        body[name] = options.get(name)
    return body


def config_short(item: ModelConfig) -> dict[str, Any]:
    """``get_config_by_id``'s four keys (recorded)."""
    return {"id": item.id, "runtime": item.runtime, "tensor_fields": item.option("tensor_fields"),
            "filter_threshold": item.option("filter_threshold")}


def model_version(version: ModelVersion, *, status: str, deployed: bool) -> dict[str, Any]:
    return {
        "name": version.name,
        "visibility": version.visibility,
        "workspace_id": version.workspace_id,
        "conversion": version.conversion_dict(),
        "id": version.id,
        "image_path": version.image_path,
        "status": status,
        "task_id": version.task_id,
        "file_info": {"version": version.version, "sha": version.sha, "file_name": version.file_name,
                      "size": version.size},
        "created_on_version": version.created_on_version,
        "created_by": version.created_by,
        "created_at": version.created_at,
        "deployed": deployed,
        "error_summary": version.error_summary,
    }


def family(item: ModelFamily) -> dict[str, Any]:
    return {"id": item.id, "name": item.name, "owner_id": item.owner_id, "created_at": item.created_at,
            "updated_at": item.updated_at, "workspace_id": item.workspace_id}


def version_stub(version: ModelVersion) -> dict[str, Any]:
    """A version as ``models/get`` lists it."""
    return {"sha": version.sha, "models_pk_id": version.family_id, "model_version": version.version,
            "owner_id": FAMILY_OWNER_ID, "model_id": version.name, "id": version.id, "file_name": version.file_name,
            "image_path": version.image_path}


def version_listed(version: ModelVersion, *, status: str) -> dict[str, Any]:
    """A version as ``models/list_versions`` lists it (here ``owner_id`` is the uploader's id)."""
    return {"sha": version.sha, "models_pk_id": version.family_id, "model_version": version.version,
            "owner_id": version.owner_id, "model_id": version.name, "id": version.id,
            "file_name": version.file_name, "image_path": version.image_path, "status": status}


def workspace_brief(workspace: Any) -> dict[str, Any]:
    return {"id": workspace.id, "name": workspace.name, "created_by": workspace.created_by,
            "archived": workspace.archived, "created_at": workspace.created_at, "group_id": None}


def plateau_topic(pipeline: Pipeline) -> str:
    return f"pipeline-{pipeline.name}-inference"


def pipeline_item(pipeline: Pipeline, workspace: Any, deployment: Deployment | None,
                  latest: PipelineVersion | None) -> dict[str, Any]:
    """A ``list_pipelines`` / ``get_pipeline_by_name`` item."""
    body: dict[str, Any] = {
        "pipeline": {"created_at": pipeline.created_at, "id": pipeline.id, "name": pipeline.name,
                     "updated_at": pipeline.updated_at},
        "plateau_topic": plateau_topic(pipeline),
        "workspace": workspace_brief(workspace),
    }
    if deployment is not None and deployment.deployed:
        engine_config = deployment.engine_config_value()
        engine = engine_config.get("engine") if isinstance(engine_config, dict) else None
        replicas = engine.get("replicas", 1) if isinstance(engine, dict) else 1
        body["deployment"] = {"maximum_replicas": replicas, "prewarmed_replicas": replicas}
    if latest is not None:
        body["pipeline_version"] = {"id": latest.id, "version": latest.version, "created_at": latest.created_at}
    return body


def deployment_status(deployment: Deployment, pipeline: Pipeline, version: PipelineVersion,
                      models: list[tuple[ModelVersion, str]], status: str) -> dict[str, Any]:
    """``status/get_deployment``: the recorded flat pods (what the SDK reads)."""
    engine_name = f"engine-{deployment.id:08x}-mock"
    return {
        "status": status,
        "details": [],
        "engines": [{
            "ip": f"10.4.{deployment.id // 256 % 256}.{deployment.id % 256}",
            "name": engine_name,
            "status": "Running" if status == "Running" else "Pending",
            "reason": None,
            "details": [],
            "pipeline_statuses": {"pipelines": [{"id": pipeline.name, "status": status,
                                                 "version": version.version}]},
            "model_statuses": {"models": [{"model_version_id": item.id, "name": item.name, "sha": item.sha,
                                           "status": model_status, "version": item.version}
                                          for item, model_status in models]},
        }],
        "engine_lbs": [{"ip": f"10.4.0.{deployment.id % 256}", "name": f"engine-lb-{deployment.id:08x}-mock",
                        "status": "Running" if status == "Running" else "Pending", "reason": None, "details": []}],
        "sidekicks": [],
    }
