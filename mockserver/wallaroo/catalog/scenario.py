"""The catalog in scenario files and state documents (the ``wallaroo`` section's
``models`` and ``pipelines``, and the catalog's ``settings``).

One format for both: a saved state loads as a scenario. Model files travel as base64
(``file_base64``), so scenarios should hold small ones; a version may instead give only
``sha`` and ``size`` (then it has no file and answers inference by its rule).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import hashlib
from typing import TYPE_CHECKING, Any, Callable

from ...validation import ConflictError, FieldError, Fields, document_differences
from . import onnx_io
from .backend import FRAMEWORKS, runtime_of, stable_uuid
from .records import (CONFIG_OPTIONS, FAMILY_OWNER_ID, MODEL_STATUSES, READY, CatalogData, CatalogSettings,
                      Deployment, InferenceRule, ModelConfig, ModelFamily, ModelVersion, Pipeline, PipelineVersion,
                      Tensor, freeze, list_in_workspace)

if TYPE_CHECKING:
    from ..records import WallarooData

SETTINGS_FIELDS = CatalogSettings.FIELDS
MODEL_FIELDS = ("id", "name", "workspace", "created_at", "updated_at", "owner_id", "versions")
VERSION_FIELDS = ("id", "version", "file_name", "file_base64", "sha", "size", "framework", "visibility", "status",
                  "created_by", "owner_id", "created_at", "updated_at", "conversion", "inputs", "outputs", "config",
                  "image_path", "task_id", "error_summary", "created_on_version")
PIPELINE_FIELDS = ("id", "name", "workspace", "created_at", "updated_at", "owner_id", "visibility", "versions",
                   "deployment")
RULE_FIELDS = ("model", "pipeline", "rule", "outputs")
PIPELINE_VERSION_FIELDS = ("id", "version", "definition", "created_at", "updated_at", "created_on_version")
DEPLOYMENT_FIELDS = ("id", "deployed", "engine_config", "pipeline_version", "model_configs", "created_at",
                     "updated_at")


def _default_stamp() -> str:
    from ..records import SCENARIO_EPOCH_MS, iso_timestamp

    return iso_timestamp(SCENARIO_EPOCH_MS / 1000)


def merge_settings(catalog: CatalogData, settings: Fields) -> None:
    """Replaces the settings object (never edits it): the store restores the catalog's fields
    on a reset, so live settings changes are undone too."""
    s = catalog.settings
    seconds = {}
    for name in ("deployment_starting_seconds", "conversion_step_seconds"):
        seconds[name] = float(settings.number(name, default=getattr(s, name)))
        if not 0 <= seconds[name] < 10 ** 9:
            raise FieldError(settings.at(name), "expected a number of seconds from 0 to 10^9")
    arch = settings.str("default_arch", default=s.default_arch)
    if arch not in ("x86", "arm", "power10"):
        raise FieldError(settings.at("default_arch"), f"expected x86, arm or power10, got '{arch}'")
    catalog.settings = CatalogSettings(deployment_starting_seconds=seconds["deployment_starting_seconds"],
                                       conversion_step_seconds=seconds["conversion_step_seconds"], default_arch=arch)


def _workspace_id(data: WallarooData, item: Fields) -> int:
    ref = item.value.get("workspace")
    if isinstance(ref, bool) or not isinstance(ref, (int, str)):
        raise FieldError(item.at("workspace"), "expected a workspace id or name")
    found = data.workspaces.get(ref) if isinstance(ref, int) else data.workspaces.get(data.workspace_names.get(ref, -1))
    if found is None:
        raise FieldError(item.at("workspace"), f"no workspace with the id or name {ref!r}")
    return found.id  # type: ignore[no-any-return]


def _tensors(item: Fields, name: str) -> tuple[Tensor, ...] | None:
    if item.value.get(name) is None:
        return None
    tensors = []
    for spec in item.objects(name, known=("name", "dtype", "shape")):
        shape = spec.list("shape", default=[None, None])
        for index, dim in enumerate(shape):
            if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int) or dim < 1):
                raise FieldError(f"{spec.at('shape')}[{index}]", "expected a positive integer or null")
        tensors.append(Tensor(spec.str("name", required=True, nullable=False), spec.str("dtype", default="float"),
                              tuple(shape)))
    return tuple(tensors)


def _merge_rule(catalog: CatalogData, spec: Fields) -> None:
    """``{"model" | "pipeline": name, "outputs": {...}}`` or ``{..., "rule": "echo"}``."""
    model, pipeline = spec.str("model"), spec.str("pipeline")
    if (model is None) == (pipeline is None):
        raise FieldError(spec.path, "name exactly one of 'model' or 'pipeline'")
    outputs = spec.obj("outputs")
    rule = spec.str("rule")
    if outputs is not None and rule is not None:
        raise FieldError(spec.path, "give 'outputs' or 'rule', not both")
    if rule is not None and rule not in InferenceRule.KINDS:
        raise FieldError(spec.at("rule"), f"expected one of {', '.join(InferenceRule.KINDS)}, got '{rule}'")
    key = ("model", model) if model is not None else ("pipeline", pipeline)
    if outputs is not None:
        catalog.inference_rules[key] = InferenceRule("outputs", outputs=freeze(outputs.value))  # type: ignore[index]
    elif rule not in (None, "default"):
        catalog.inference_rules[key] = InferenceRule(rule)  # type: ignore[index, arg-type]
    else:
        catalog.inference_rules.pop(key, None)  # type: ignore[arg-type]


def _stamp(item: Fields, name: str, default: str) -> str:
    from datetime import datetime

    text = item.str(name, default=default)
    try:
        ok = datetime.fromisoformat(text).utcoffset() is not None and "T" in text
    except ValueError:
        ok = False
    if not ok:
        raise FieldError(item.at(name), f"'{text}' is not an ISO 8601 timestamp with an offset")
    return text  # type: ignore[no-any-return]


def merge(data: WallarooData, section: Fields) -> None:
    """Add the section's ``models`` and ``pipelines`` to ``data.catalog``, each listed in its workspace.

    A model or pipeline giving the id of one already loaded repeats it (the same scenario
    twice, a saved state on its scenario): one record when it is the same, else a conflict
    saying what differs.
    """
    epoch = _default_stamp()
    for item in section.objects("models", known=MODEL_FIELDS):
        family_id = item.int("id", minimum=1)
        if family_id is not None and family_id in data.catalog.models:
            _check_repeated(data, item, "models", family_id, functools.partial(_merge_model, item=item, epoch=epoch))
        else:
            _merge_model(data, item, epoch)
    for item in section.objects("pipelines", known=PIPELINE_FIELDS):
        pipeline_id = item.int("id", minimum=1)
        if pipeline_id is not None and pipeline_id in data.catalog.pipelines:
            _check_repeated(data, item, "pipelines", pipeline_id,
                            functools.partial(_merge_pipeline_into, item=item, epoch=epoch))
        else:
            _merge_pipeline(data.catalog, data, item, epoch)
    for item in section.objects("inference", known=RULE_FIELDS):
        _merge_rule(data.catalog, item)


def _check_repeated(data: WallarooData, item: Fields, kind: str, record_id: int,
                    merge_into: Callable[[WallarooData], None]) -> None:
    """Merge ``item`` into a copy of ``data`` without the loaded record of its id, and compare
    the two records as exported: equal, nothing changes; else a ConflictError saying what differs.
    The copy shares what the merge only reads; it costs a copy of the catalog's indexes."""
    from ...state import shallow_copy
    from ..records import clone_workspace

    workspace_id = _workspace_id(data, item)
    scratch = shallow_copy(data)
    scratch.__dict__.pop("changes", None)  # a copy: its changes are nobody's to undo
    scratch.catalog = data.catalog.clone()
    # the merge lists the record in its workspace: a copy of that one, the live one must not change
    scratch.workspaces = {**data.workspaces, workspace_id: clone_workspace(data.workspaces[workspace_id])}
    _forget(scratch.catalog, kind, record_id)
    merge_into(scratch)
    before, here = _exported(data.catalog, kind, record_id), _exported(scratch.catalog, kind, record_id)
    if before != here:
        raise ConflictError(item.at("id"), f"{kind[:-1]} id {record_id} ('{before['name']}') is already defined{{by}} "
                            f"with other values: {document_differences(before, here)}", str(record_id))


def _forget(catalog: CatalogData, kind: str, record_id: int) -> None:
    """Remove a model (its versions and their configs) or a pipeline (its versions and deployment)."""
    if kind == "models":
        family = catalog.models.pop(record_id)
        catalog.model_names.pop((family.workspace_id, family.name), None)
        for version_id in family.versions:
            catalog.model_versions.pop(version_id, None)
            catalog.model_configs.pop(catalog.version_configs.pop(version_id, -1), None)
    else:
        pipeline = catalog.pipelines.pop(record_id)
        catalog.pipeline_names.pop((pipeline.workspace_id, pipeline.name), None)
        for version_id in pipeline.versions:
            catalog.pipeline_versions.pop(version_id, None)
        if pipeline.deployment_id is not None:
            catalog.deployments.pop(pipeline.deployment_id, None)


def _exported(catalog: CatalogData, kind: str, record_id: int) -> dict[str, Any]:
    """One model or pipeline as :func:`export` writes it (from a view of the catalog holding only it)."""
    view = CatalogData(model_versions=catalog.model_versions, model_configs=catalog.model_configs,
                       version_configs=catalog.version_configs, pipeline_versions=catalog.pipeline_versions,
                       deployments=catalog.deployments)
    setattr(view, kind, {record_id: getattr(catalog, kind)[record_id]})
    exported: dict[str, Any] = export(view, 0.0)[kind][0]
    return exported


def _merge_model(data: WallarooData, item: Fields, epoch: str) -> None:
    catalog: CatalogData = data.catalog
    workspace_id = _workspace_id(data, item)
    name = item.str("name", required=True, nullable=False)
    family_id = item.int("id", minimum=1) or catalog.next_model_id
    if (workspace_id, name) in catalog.model_names:
        raise ConflictError(item.at("name"), f"workspace {workspace_id} already has a model named '{name}'{{by}}", name)
    created_at = _stamp(item, "created_at", epoch)
    family = ModelFamily(id=family_id, name=name, workspace_id=workspace_id,
                         owner_id=item.str("owner_id", default=FAMILY_OWNER_ID), created_at=created_at,
                         updated_at=_stamp(item, "updated_at", created_at))
    catalog.models[family_id] = family
    catalog.model_names[(workspace_id, name)] = family_id
    catalog.next_model_id = max(catalog.next_model_id, family_id + 1)
    list_in_workspace(data.changes, data.workspaces[workspace_id], "models", family_id)
    for version_item in item.objects("versions", known=VERSION_FIELDS):
        _merge_version(catalog, family_id, version_item, created_at)


def _merge_version(catalog: CatalogData, family_id: int, item: Fields, default_stamp: str) -> None:
    family = catalog.models[family_id]
    version_id = item.int("id", minimum=1) or catalog.next_model_version_id
    if version_id in catalog.model_versions:
        raise ConflictError(item.at("id"), f"model version id {version_id} is already defined{{by}}", str(version_id))
    encoded = item.str("file_base64")
    try:
        content = base64.b64decode(encoded, validate=True) if encoded is not None else b""
    except (binascii.Error, ValueError):
        raise FieldError(item.at("file_base64"), "not valid base64") from None
    framework = item.str("framework", default="onnx")
    if framework not in FRAMEWORKS:
        raise FieldError(item.at("framework"), f"unknown framework '{framework}'")
    sha = item.str("sha", default=hashlib.sha256(content).hexdigest())
    if content and sha != hashlib.sha256(content).hexdigest():
        raise FieldError(item.at("sha"), "does not match the SHA-256 of file_base64")
    status = item.str("status", default=READY)
    if status not in MODEL_STATUSES:
        raise FieldError(item.at("status"), f"expected one of {', '.join(MODEL_STATUSES)}, got '{status}'")
    read_inputs, read_outputs = (onnx_io.read_signature(content) if content and framework == "onnx"
                                 else (onnx_io.FALLBACK_INPUTS, onnx_io.FALLBACK_OUTPUTS))
    created_at = _stamp(item, "created_at", default_stamp)
    conversion = item.obj("conversion")
    version = ModelVersion(
        id=version_id, family_id=family_id, name=family.name, workspace_id=family.workspace_id,
        version=item.str("version", default=stable_uuid("model-version", version_id)),
        file_name=item.str("file_name", default=f"{family.name}.{framework}"), sha=sha,
        size=item.int("size", minimum=0, default=len(content)), framework=framework,
        visibility=item.str("visibility", default="private"), created_by=item.str("created_by", default=""),
        owner_id=item.str("owner_id", default=""), created_at=created_at,
        updated_at=_stamp(item, "updated_at", created_at), uploaded_at=0.0,
        conversion=freeze(conversion.value if conversion is not None else
                          {"python_version": "3.8", "requirements": [], "framework": framework,
                           "framework_config": None}),
        walk=(status,), task_id=item.str("task_id"), image_path=item.str("image_path"),
        error_summary=item.str("error_summary"),
        created_on_version=item.str("created_on_version", default=ModelVersion.created_on_version),
        inputs=_tensors(item, "inputs") or read_inputs, outputs=_tensors(item, "outputs") or read_outputs,
        data=content)
    config_item = item.obj("config", known=("id", "runtime") + CONFIG_OPTIONS)
    config_id = (config_item.int("id", minimum=1) if config_item is not None else None) or catalog.next_model_config_id
    if config_id in catalog.model_configs:
        raise ConflictError(config_item.at("id") if config_item is not None else item.at("config"),
                            f"model config id {config_id} is already defined{{by}}", str(config_id))
    options = {name: config_item.value[name] for name in CONFIG_OPTIONS
               if config_item is not None and config_item.value.get(name) is not None}
    runtime = config_item.str("runtime", default=runtime_of(framework)) if config_item else runtime_of(framework)
    catalog.model_versions[version_id] = version
    catalog.model_configs[config_id] = ModelConfig(config_id, version_id, runtime, freeze(options))
    catalog.version_configs[version_id] = config_id
    catalog.models[family_id] = dataclasses.replace(family, versions=family.versions + (version_id,))
    catalog.next_model_version_id = max(catalog.next_model_version_id, version_id + 1)
    catalog.next_model_config_id = max(catalog.next_model_config_id, config_id + 1)


def _merge_pipeline_into(data: WallarooData, item: Fields, epoch: str) -> None:
    _merge_pipeline(data.catalog, data, item, epoch)


def _merge_pipeline(catalog: CatalogData, data: WallarooData, item: Fields, epoch: str) -> None:
    workspace_id = _workspace_id(data, item)
    name = item.str("name", required=True, nullable=False)
    pipeline_id = item.int("id", minimum=1) or catalog.next_pipeline_id
    if pipeline_id in catalog.pipelines:
        raise ConflictError(item.at("id"), f"pipeline id {pipeline_id} is already defined{{by}}", str(pipeline_id))
    if (workspace_id, name) in catalog.pipeline_names:
        raise ConflictError(item.at("name"), f"workspace {workspace_id} already has a pipeline named '{name}'{{by}}", name)
    created_at = _stamp(item, "created_at", epoch)
    versions: list[int] = []
    for version_item in item.objects("versions", known=PIPELINE_VERSION_FIELDS):
        version_id = version_item.int("id", minimum=1) or catalog.next_pipeline_version_id
        if version_id in catalog.pipeline_versions:
            raise ConflictError(version_item.at("id"), f"pipeline version id {version_id} is already defined{{by}}", str(version_id))
        definition = version_item.value.get("definition")
        if definition is not None and not isinstance(definition, dict):
            raise FieldError(version_item.at("definition"), "expected an object")
        stamp = _stamp(version_item, "created_at", created_at)
        catalog.pipeline_versions[version_id] = PipelineVersion(
            id=version_id, pipeline_id=pipeline_id,
            version=version_item.str("version", default=stable_uuid("pipeline-version", version_id)),
            created_at=stamp, updated_at=_stamp(version_item, "updated_at", stamp), definition=freeze(definition),
            created_on_version=version_item.str("created_on_version", default=PipelineVersion.created_on_version))
        catalog.next_pipeline_version_id = max(catalog.next_pipeline_version_id, version_id + 1)
        versions.append(version_id)
    pipeline = Pipeline(id=pipeline_id, name=name, workspace_id=workspace_id, owner_id=item.str("owner_id", default=""),
                        created_at=created_at, updated_at=_stamp(item, "updated_at", created_at),
                        visibility=item.str("visibility", default="private"), versions=tuple(versions))
    deployment_item = item.obj("deployment", known=DEPLOYMENT_FIELDS)
    if deployment_item is not None:
        if not versions:
            raise FieldError(item.at("deployment"), "a deployed pipeline needs at least one version")
        deployment_id = deployment_item.int("id", minimum=1) or catalog.next_deployment_id
        if deployment_id in catalog.deployments:
            raise ConflictError(deployment_item.at("id"), f"deployment id {deployment_id} is already defined{{by}}", str(deployment_id))
        version_id = deployment_item.int("pipeline_version", default=versions[-1])
        if version_id not in versions:
            raise FieldError(deployment_item.at("pipeline_version"), f"not a version of pipeline {name}")
        configs = deployment_item.int_list("model_configs")
        if configs is None:
            configs = []
            for step in catalog.pipeline_versions[version_id].steps():
                for model in (body.get("models") or [] for body in step.values() if isinstance(body, dict)):
                    for ref in model:
                        found = next((v for v in catalog.model_versions.values() if v.workspace_id == workspace_id
                                      and v.name == ref.get("name") and v.version == ref.get("version")), None)
                        if found is None:
                            raise FieldError(deployment_item.path, f"a step names model '{ref.get('name')}' version "
                                             f"'{ref.get('version')}', which is not in the workspace")
                        configs.append(catalog.version_configs[found.id])
        for index, config_id in enumerate(configs):
            if config_id not in catalog.model_configs:
                raise FieldError(f"{deployment_item.at('model_configs')}[{index}]", f"no model config {config_id}")
        engine_config = deployment_item.value.get("engine_config") or {}
        stamp = _stamp(deployment_item, "created_at", created_at)
        catalog.deployments[deployment_id] = Deployment(
            id=deployment_id, pipeline_id=pipeline_id, deploy_id=name,
            deployed=deployment_item.bool("deployed", default=True), pipeline_version_id=version_id,
            model_config_ids=tuple(configs), engine_config=freeze(engine_config), created_at=stamp,
            updated_at=_stamp(deployment_item, "updated_at", stamp))
        catalog.next_deployment_id = max(catalog.next_deployment_id, deployment_id + 1)
        pipeline = dataclasses.replace(pipeline, deployment_id=deployment_id)
    catalog.pipelines[pipeline_id] = pipeline
    catalog.pipeline_names[(workspace_id, name)] = pipeline_id
    catalog.next_pipeline_id = max(catalog.next_pipeline_id, pipeline_id + 1)
    list_in_workspace(data.changes, data.workspaces[workspace_id], "pipelines", pipeline_id)


def export(catalog: CatalogData, now: float) -> dict[str, Any]:
    """``models`` and ``pipelines`` as :func:`merge` reads them (statuses as they are now)."""
    models = []
    for family in catalog.models.values():
        versions = []
        for version_id in family.versions:
            v = catalog.model_versions[version_id]
            config = catalog.model_configs[catalog.version_configs[version_id]]
            body: dict[str, Any] = {
                "id": v.id, "version": v.version, "file_name": v.file_name, "sha": v.sha, "size": v.size,
                "framework": v.framework, "visibility": v.visibility, "status": v.status(now),
                "created_by": v.created_by, "owner_id": v.owner_id, "created_at": v.created_at,
                "updated_at": v.updated_at, "conversion": v.conversion_dict(),
                "inputs": [t.export() for t in v.inputs], "outputs": [t.export() for t in v.outputs],
                "config": {"id": config.id, "runtime": config.runtime, **config.options_dict()},
                "image_path": v.image_path, "task_id": v.task_id, "error_summary": v.error_summary,
                "created_on_version": v.created_on_version}
            if v.data:
                body["file_base64"] = base64.b64encode(v.data).decode("ascii")
            versions.append(body)
        models.append({"id": family.id, "name": family.name, "workspace": family.workspace_id,
                       "created_at": family.created_at, "updated_at": family.updated_at,
                       "owner_id": family.owner_id, "versions": versions})
    pipelines = []
    for p in catalog.pipelines.values():
        body = {"id": p.id, "name": p.name, "workspace": p.workspace_id, "created_at": p.created_at,
                "updated_at": p.updated_at, "owner_id": p.owner_id, "visibility": p.visibility,
                "versions": [{"id": v.id, "version": v.version, "definition": v.definition_value(),
                              "created_at": v.created_at, "updated_at": v.updated_at,
                              "created_on_version": v.created_on_version}
                             for v in (catalog.pipeline_versions[i] for i in p.versions)]}
        deployment = catalog.deployments.get(p.deployment_id) if p.deployment_id else None
        if deployment is not None:
            body["deployment"] = {"id": deployment.id, "deployed": deployment.deployed,
                                  "engine_config": deployment.engine_config_value(),
                                  "pipeline_version": deployment.pipeline_version_id,
                                  "model_configs": list(deployment.model_config_ids),
                                  "created_at": deployment.created_at, "updated_at": deployment.updated_at}
        pipelines.append(body)
    # registered functions are Python objects: not part of a document
    rules = [{kind: name, **rule.export()} for (kind, name), rule in catalog.inference_rules.items()
             if rule.function is None]
    return {"models": models, "pipelines": pipelines, "inference": rules}


def export_settings(catalog: CatalogData) -> dict[str, Any]:
    return {name: getattr(catalog.settings, name) for name in SETTINGS_FIELDS}
