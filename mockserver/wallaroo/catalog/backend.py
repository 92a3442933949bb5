"""Models, pipelines, deployments and inference: the operations, under the store's lock.

:class:`Catalog` is a collaborator of the Wallaroo backend (``backend.catalog``): it keeps
its records in ``backend.data.catalog`` and reads users and workspaces from the same data.
No HTTP here. Each operation checks everything before it changes anything; records are
replaced, never edited in place.

Who may do what follows the workspace API (docs/wallaroo.md): admins anything; other users
what lives in workspaces they are members of; anything else is the API's 401.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import uuid
from typing import TYPE_CHECKING, Any, Callable

from ...validation import decimal_int
from ..exceptions import NotWorkspaceMember
from . import exceptions as errors
from . import inference, onnx_io, wire
from .records import (ATTEMPTING_LOAD_CONTAINER, ATTEMPTING_LOAD_NATIVE, FAMILY_OWNER_ID, NATIVE_FRAMEWORKS,
                      PENDING_LOAD_CONTAINER, PENDING_LOAD_NATIVE, READY, CatalogData, Deployment,
                      InferenceRule, ModelConfig, ModelFamily, ModelVersion, Pipeline, PipelineVersion, Tensor,
                      UNRECORDED, drop, freeze, list_in_workspace, put)

if TYPE_CHECKING:
    from ..backend import WallarooBackend
    from ..records import User, Workspace

FRAMEWORKS = ("onnx", "tensorflow", "python", "keras", "sklearn", "pytorch", "xgboost", "hugging-face",
              "hugging-face-automatic-speech-recognition", "hugging-face-feature-extraction",
              "hugging-face-image-classification", "hugging-face-image-segmentation",
              "hugging-face-image-to-text", "hugging-face-object-detection",
              "hugging-face-question-answering", "hugging-face-stable-diffusion-text-2-img",
              "hugging-face-summarization", "hugging-face-text-classification", "hugging-face-translation",
              "hugging-face-zero-shot-classification", "hugging-face-zero-shot-image-classification",
              "hugging-face-zero-shot-object-detection", "hugging-face-sentiment-analysis",
              "hugging-face-text-generation", "custom", "mlflow", "vllm", "llamacpp", "openvino")
_PIPELINE_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
#: the file types the recorded upload error lists (that the name's extension is what is
#: checked is inferred; upper case is accepted)
UPLOAD_EXTENSIONS = (".zip", ".pt", ".onnx", ".h5", ".pkl")


def stable_uuid(kind: str, number: int) -> str:
    """A UUID v4-shaped id derived from a row id: the same after every reset."""
    digest = hashlib.sha256(f"wallaroo-{kind}:{number}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def runtime_of(framework: str) -> str:
    return {"onnx": "onnx", "tensorflow": "tensorflow", "mlflow": "mlflow"}.get(framework, "flight")


@dataclasses.dataclass
class Upload:
    """A model upload as the views read it."""

    name: str
    workspace_id: int
    visibility: str
    framework: str
    conversion: dict[str, Any]
    file_name: str
    data: bytes
    convert: bool
    input_schema: tuple[Tensor, ...] | None = None
    output_schema: tuple[Tensor, ...] | None = None


@dataclasses.dataclass
class DeployRequest:
    deploy_id: str
    engine_config: Any = None
    pipeline_version_pk_id: int | None = None
    pipeline_id: int | None = None
    pipeline_version: str | None = None
    model_config_ids: list[int] | None = None
    model_version_ids: list[int] | None = None
    models: list[tuple[str, str, str | None]] | None = None


class Catalog:
    """What workspaces hold: models, pipelines, deployments; and inference against them."""

    def __init__(self, face: WallarooBackend) -> None:
        self.face = face

    # -- shorthands ----------------------------------------------------------------------
    @property
    def data(self) -> CatalogData:
        return self.face.data.catalog  # type: ignore[no-any-return]

    @property
    def changes(self) -> Any:
        """The store's change log of the live data: every change is reported to it first,
        so a reset (and a failed GraphQL transaction) undoes exactly what changed."""
        return getattr(self.face.data, "changes", UNRECORDED)

    @property
    def lock(self) -> Any:
        return self.face.state.lock

    def _now(self) -> float:
        return self.face.state.clock.now()

    def _stamp(self) -> str:
        from ..records import iso_timestamp

        return iso_timestamp(self._now())

    def _workspace(self, workspace_id: int) -> Workspace | None:
        return self.face.data.workspaces.get(workspace_id)  # type: ignore[no-any-return]

    @staticmethod
    def may_read(caller: User, workspace: Workspace | None) -> bool:
        return workspace is not None and (caller.admin or caller.id in workspace.members)

    def _require_member(self, caller: User, workspace_id: int) -> Workspace:
        workspace = self._workspace(workspace_id)
        if workspace is None or not self.may_read(caller, workspace):
            raise NotWorkspaceMember(workspace_id)
        return workspace

    # == models ==============================================================================
    def upload_model(self, caller: User, upload: Upload) -> int:
        """``models/upload`` and ``upload_and_convert``: a new version (and a new model when
        the name is new in the workspace); returns the version id."""
        with self.lock:
            data = self.data
            workspace = self._workspace(upload.workspace_id)
            if workspace is None:
                raise errors.UnknownWorkspace("models")
            self._require_member(caller, workspace.id)
            if not _DNS_NAME.fullmatch(upload.name) or upload.name.endswith("-") or len(upload.name) >= 64:
                raise errors.InvalidModelName(upload.name)
            if upload.framework not in FRAMEWORKS:
                raise errors.UnknownFramework(upload.framework, FRAMEWORKS)
            if not upload.data or not upload.file_name.lower().endswith(UPLOAD_EXTENSIONS):
                raise errors.FileRequired()
            if upload.framework == "onnx":
                inputs, outputs = onnx_io.read_signature(upload.data)
            else:
                inputs = upload.input_schema or onnx_io.FALLBACK_INPUTS
                outputs = upload.output_schema or onnx_io.FALLBACK_OUTPUTS
            now, stamp = self._now(), self._stamp()
            family_id = data.model_names.get((workspace.id, upload.name))
            version_id = data.next_model_version_id
            walk: tuple[str, ...]
            if upload.convert:
                walk = ((PENDING_LOAD_NATIVE, ATTEMPTING_LOAD_NATIVE, READY) if upload.framework in NATIVE_FRAMEWORKS
                        else (PENDING_LOAD_CONTAINER, ATTEMPTING_LOAD_CONTAINER, READY))
                step = data.settings.conversion_step_seconds
            else:
                walk, step = (READY,), 0.0
            version = ModelVersion(
                id=version_id, family_id=family_id or data.next_model_id, name=upload.name,
                workspace_id=workspace.id, version=stable_uuid("model-version", version_id),
                file_name=upload.file_name, sha=hashlib.sha256(upload.data).hexdigest(), size=len(upload.data),
                framework=upload.framework, visibility=upload.visibility, created_by=caller.email or caller.username,
                owner_id=caller.id, created_at=stamp, updated_at=stamp, uploaded_at=now,
                conversion=freeze(upload.conversion), walk=walk, step_seconds=step,
                task_id=stable_uuid("task", version_id) if upload.convert else None,
                inputs=inputs, outputs=outputs, data=upload.data)
            self._add_version(data, version, stamp)
            return version_id

    def _add_version(self, data: CatalogData, version: ModelVersion, stamp: str) -> None:
        """Store a version, its model (new or updated) and its first config."""
        family = data.models.get(version.family_id)
        if family is None:
            family = ModelFamily(id=version.family_id, name=version.name, workspace_id=version.workspace_id,
                                 owner_id=FAMILY_OWNER_ID, created_at=stamp, updated_at=stamp)
            put(self.changes, data.model_names, (version.workspace_id, version.name), family.id)
            self._list_in_workspace(version.workspace_id, "models", family.id)
        put(self.changes, data.models, family.id, dataclasses.replace(family, updated_at=stamp,
                                                                      versions=family.versions + (version.id,)))
        put(self.changes, data.model_versions, version.id, version)
        config = ModelConfig(id=data.next_model_config_id, model_version_id=version.id,
                             runtime=runtime_of(version.framework))
        put(self.changes, data.model_configs, config.id, config)
        put(self.changes, data.version_configs, version.id, config.id)
        data.next_model_id = max(data.next_model_id, family.id + 1)
        data.next_model_version_id = max(data.next_model_version_id, version.id + 1)
        data.next_model_config_id = max(data.next_model_config_id, config.id + 1)

    def _list_in_workspace(self, workspace_id: int, kind: str, item_id: int) -> None:
        """Keep ``workspaces/list``'s id lists (and GraphQL's) in step with the catalog."""
        workspace = self._workspace(workspace_id)
        if workspace is not None:
            list_in_workspace(self.changes, workspace, kind, item_id)

    def _version(self, caller: User, version_id: int) -> ModelVersion:
        version = self.data.model_versions.get(version_id)
        if version is None:
            raise errors.ModelVersionNotFound(version_id)
        self._require_member(caller, version.workspace_id)
        return version

    def _deployed_versions(self) -> set[int]:
        deployed: set[int] = set()
        for deployment in self.data.deployments.values():
            if deployment.deployed:
                for config_id in deployment.model_config_ids:
                    config = self.data.model_configs.get(config_id)
                    if config is not None:
                        deployed.add(config.model_version_id)
        return deployed

    def _version_entry(self, version: ModelVersion, deployed: set[int]) -> dict[str, Any]:
        config = self.data.model_configs[self.data.version_configs[version.id]]
        return {"model_version": wire.model_version(version, status=version.status(self._now()),
                                                    deployed=version.id in deployed),
                "config": wire.config(config)}

    def version_detail(self, caller: User, version_id: int) -> dict[str, Any]:
        """``get_version_by_id``: ``{"model_version": {"model_version", "config"}}``."""
        with self.lock:
            version = self._version(caller, version_id)
            return {"model_version": self._version_entry(version, self._deployed_versions())}

    def insert_model_config(self, caller: User, version_id: int, options: dict[str, Any]) -> dict[str, Any]:
        """A new config for a version (it becomes the version's config); the options not given stay null."""
        with self.lock:
            version = self._version(caller, version_id)
            data = self.data
            config = ModelConfig(id=data.next_model_config_id, model_version_id=version.id,
                                 runtime=runtime_of(version.framework), options=freeze(options))
            put(self.changes, data.model_configs, config.id, config)
            put(self.changes, data.version_configs, version.id, config.id)
            data.next_model_config_id += 1
            return {"model_config": wire.config(config)}

    def model_config(self, caller: User, version_id: int) -> dict[str, Any]:
        """``get_config_by_id`` (its ``model_id`` is a version id): the version's config."""
        with self.lock:
            version = self._version(caller, version_id)
            config_id = self.data.version_configs.get(version.id)
            if config_id is None:
                return {"model_config": None}
            return {"model_config": wire.config_short(self.data.model_configs[config_id])}

    def _readable_workspaces(self, caller: User, workspace_id: int | None,
                             workspace_name: str | None) -> list[Workspace]:
        data = self.face.data
        if workspace_id is not None:
            workspace = data.workspaces.get(workspace_id)
            if workspace is None:
                raise errors.WorkspaceNotFoundError(workspace_id)
            self._require_member(caller, workspace_id)
            return [workspace]
        if workspace_name is not None:
            found = data.workspace_names.get(workspace_name)
            if found is None:
                raise errors.WorkspaceNameNotFound(workspace_name)
            self._require_member(caller, found)
            return [data.workspaces[found]]
        return [w for w in data.workspaces.values() if self.may_read(caller, w)]

    def list_models(self, caller: User, workspace_id: int | None, workspace_name: str | None) -> list[dict[str, Any]]:
        """``models/list``: each model with its versions (newest first) and its workspace;
        the most recently updated model first."""
        with self.lock:
            workspaces = {w.id: w for w in self._readable_workspaces(caller, workspace_id, workspace_name)}
            deployed = self._deployed_versions()
            families = [f for f in self.data.models.values() if f.workspace_id in workspaces]
            families.sort(key=lambda f: (f.updated_at, f.id), reverse=True)
            return [{"model": wire.family(f),
                     "model_versions": [self._version_entry(self.data.model_versions[v], deployed)
                                        for v in reversed(f.versions)],
                     "workspace": wire.workspace_brief(workspaces[f.workspace_id])} for f in families]

    def get_model(self, caller: User, model_id: int) -> dict[str, Any]:
        """``models/get``: a model with its versions, newest first (the SDK takes the first)."""
        with self.lock:
            family = self.data.models.get(model_id)
            if family is None:
                raise errors.ModelNotFound()
            workspace = self._require_member(caller, family.workspace_id)
            body = wire.family(family)
            del body["workspace_id"]
            body["models"] = [wire.version_stub(self.data.model_versions[v]) for v in reversed(family.versions)]
            body["workspace"] = {"id": workspace.id, "name": workspace.name}
            return body

    def list_versions(self, caller: User, name: str | None, model_pk_id: int | None) -> list[dict[str, Any]]:
        """``models/list_versions``: the versions of the models with that name the caller may
        read (recorded: matched by name across models), or of one model by id."""
        with self.lock:
            now = self._now()
            versions = [v for v in self.data.model_versions.values()
                        if (name is None or v.name == name) and (model_pk_id is None or v.family_id == model_pk_id)
                        and self.may_read(caller, self._workspace(v.workspace_id))]
            return [wire.version_listed(v, status=v.status(now)) for v in sorted(versions, key=lambda v: -v.id)]

    # == pipelines ===========================================================================
    def create_pipeline(self, caller: User, name: str, workspace_id: int, definition: Any) -> dict[str, Any]:
        """``pipelines/create``: a new pipeline, or (same name, same workspace: recorded) a new
        version of it."""
        with self.lock:
            data = self.data
            workspace = self._workspace(workspace_id)
            if workspace is None:
                raise errors.WorkspaceNotFoundError(workspace_id)
            self._require_member(caller, workspace_id)
            if not _PIPELINE_NAME.fullmatch(name) or len(name) >= 64:
                raise errors.InvalidPipelineName(name)
            _check_definition(definition)
            stamp = self._stamp()
            pipeline_id = data.pipeline_names.get((workspace_id, name))
            pipeline = data.pipelines.get(pipeline_id) if pipeline_id is not None else None
            if pipeline is None:
                pipeline = Pipeline(id=data.next_pipeline_id, name=name, workspace_id=workspace_id,
                                    owner_id=caller.id, created_at=stamp, updated_at=stamp)
                put(self.changes, data.pipeline_names, (workspace_id, name), pipeline.id)
                data.next_pipeline_id = max(data.next_pipeline_id, pipeline.id + 1)
                self._list_in_workspace(workspace_id, "pipelines", pipeline.id)
            version = PipelineVersion(id=data.next_pipeline_version_id, pipeline_id=pipeline.id,
                                      version=stable_uuid("pipeline-version", data.next_pipeline_version_id),
                                      created_at=stamp, updated_at=stamp, definition=freeze(definition))
            put(self.changes, data.pipeline_versions, version.id, version)
            data.next_pipeline_version_id += 1
            put(self.changes, data.pipelines, pipeline.id, dataclasses.replace(
                pipeline, updated_at=stamp, versions=pipeline.versions + (version.id,)))
            return {"pipeline_pk_id": pipeline.id, "pipeline_variant_pk_id": version.id,
                    "pipeline_variant_version": version.version}

    def _pipeline_item(self, pipeline: Pipeline) -> dict[str, Any]:
        deployment = self.data.deployments.get(pipeline.deployment_id) if pipeline.deployment_id else None
        latest = self.data.pipeline_versions.get(pipeline.versions[-1]) if pipeline.versions else None
        return wire.pipeline_item(pipeline, self._workspace(pipeline.workspace_id), deployment, latest)

    def list_pipelines(self, caller: User, workspace_id: int | None,
                       workspace_name: str | None) -> list[dict[str, Any]]:
        """``list_pipelines``: every pipeline the caller may read (one workspace when given),
        the most recently updated first."""
        with self.lock:
            workspaces = {w.id for w in self._readable_workspaces(caller, workspace_id, workspace_name)}
            pipelines = [p for p in self.data.pipelines.values() if p.workspace_id in workspaces]
            pipelines.sort(key=lambda p: (p.updated_at, p.id), reverse=True)
            return [self._pipeline_item(p) for p in pipelines]

    def pipeline_by_name(self, caller: User, name: str, workspace_id: int) -> dict[str, Any]:
        with self.lock:
            self._require_member(caller, workspace_id)
            pipeline_id = self.data.pipeline_names.get((workspace_id, name))
            if pipeline_id is None:
                raise errors.PipelineNotFoundByName(name)
            return self._pipeline_item(self.data.pipelines[pipeline_id])

    # == deployments =========================================================================
    def _deploy_target(self, caller: User, request: DeployRequest) -> tuple[Pipeline, PipelineVersion]:
        data = self.data
        if request.pipeline_version_pk_id is not None:
            version = data.pipeline_versions.get(request.pipeline_version_pk_id)
            if version is None:
                raise errors.PipelineVersionNotFound(str(request.pipeline_version_pk_id))
            pipeline = data.pipelines[version.pipeline_id]
            if request.pipeline_id is not None and request.pipeline_id != pipeline.id:
                raise errors.PipelineVersionNotFound(f"{request.pipeline_version_pk_id} of pipeline "
                                                     f"{request.pipeline_id}")
        elif request.pipeline_id is not None:
            found = data.pipelines.get(request.pipeline_id)
            if found is None:
                raise errors.PipelineNotFound(str(request.pipeline_id))
            pipeline = found
            versions = [data.pipeline_versions[v] for v in pipeline.versions]
            if request.pipeline_version is not None:
                versions = [v for v in versions if v.version == request.pipeline_version]
                if not versions:
                    raise errors.PipelineVersionNotFound(request.pipeline_version)
            version = versions[-1]
        else:
            raise errors.InvalidDeployRequest()
        self._require_member(caller, pipeline.workspace_id)
        if request.deploy_id != pipeline.name:
            raise errors.DeployIdMismatch(request.deploy_id, pipeline.name)
        return pipeline, version

    def _step_configs(self, pipeline: Pipeline, version: PipelineVersion) -> list[int]:
        """The config ids of the model versions a pipeline version's steps name."""
        configs = []
        for step in version.steps():
            for name, version_uuid, sha in _step_models(step):
                found = next((v for v in self.data.model_versions.values()
                              if v.workspace_id == pipeline.workspace_id and v.name == name
                              and v.version == version_uuid and (sha is None or v.sha == sha)), None)
                if found is None:
                    raise errors.StepModelNotFound(name, version_uuid)
                configs.append(self.data.version_configs[found.id])
        return configs

    def deploy(self, caller: User, request: DeployRequest) -> int:
        """``pipelines/deploy``: the deployment id (one row per pipeline: a redeploy reuses it)."""
        with self.lock:
            data = self.data
            pipeline, version = self._deploy_target(caller, request)
            configs = self._step_configs(pipeline, version)
            # by id as by name, only the pipeline's own workspace's models: another workspace's
            # would be deployed and then shown (name, sha) to someone who may not read it
            for config_id in request.model_config_ids or []:
                config = data.model_configs.get(config_id)
                if config is None or data.model_versions[config.model_version_id].workspace_id != pipeline.workspace_id:
                    raise errors.ModelConfigNotFound(config_id)
                configs.append(config_id)
            for version_id in request.model_version_ids or []:
                model_version = data.model_versions.get(version_id)
                if model_version is None or model_version.workspace_id != pipeline.workspace_id:
                    raise errors.ModelVersionNotFound(version_id)
                configs.append(data.version_configs[version_id])
            for name, version_uuid, sha in request.models or []:
                configs.extend(self._step_configs(pipeline, dataclasses.replace(
                    version, definition=freeze({"steps": [{"ModelInference": {"models": [
                        {"name": name, "version": version_uuid, "sha": sha}]}}]}))))
            stamp = self._stamp()
            engine_config = request.engine_config if request.engine_config is not None else {}
            existing = data.deployments.get(pipeline.deployment_id) if pipeline.deployment_id else None
            deployment = Deployment(
                id=existing.id if existing else data.next_deployment_id, pipeline_id=pipeline.id,
                deploy_id=request.deploy_id, deployed=True, pipeline_version_id=version.id,
                model_config_ids=tuple(dict.fromkeys(configs)), engine_config=freeze(engine_config),
                created_at=existing.created_at if existing else stamp, updated_at=stamp, deployed_at=self._now(),
                starting_seconds=data.settings.deployment_starting_seconds)
            put(self.changes, data.deployments, deployment.id, deployment)
            data.next_deployment_id = max(data.next_deployment_id, deployment.id + 1)
            put(self.changes, data.pipelines, pipeline.id, dataclasses.replace(pipeline, deployment_id=deployment.id,
                                                                               updated_at=stamp))
            return deployment.id

    def undeploy(self, caller: User, pipeline_id: int | None, deployment_id: int | None) -> None:
        with self.lock:
            data = self.data
            if deployment_id is None and pipeline_id is not None:
                pipeline = data.pipelines.get(pipeline_id)
                if pipeline is None:
                    raise errors.PipelineNotFound(str(pipeline_id))
                deployment_id = pipeline.deployment_id
                if deployment_id is None:
                    raise errors.PipelineNotDeployed(pipeline.name)
            if deployment_id is None:
                raise errors.InvalidUndeployRequest()
            deployment = data.deployments.get(deployment_id)
            if deployment is None or (pipeline_id is not None and deployment.pipeline_id != pipeline_id):
                raise errors.DeploymentNotFound(deployment_id)
            self._require_member(caller, data.pipelines[deployment.pipeline_id].workspace_id)
            put(self.changes, data.deployments, deployment.id, dataclasses.replace(deployment, deployed=False,
                                                                                   updated_at=self._stamp()))

    def set_deployed(self, caller: User, deployment_id: int, deployed: bool | None) -> bool:
        """GraphQL's ``update_deployment_by_pk``: False when the caller sees no such row;
        deploying again restarts the ``Starting`` time."""
        with self.lock:
            deployment = self.data.deployments.get(deployment_id)
            if deployment is None or not self.may_read(
                    caller, self._workspace(self.data.pipelines[deployment.pipeline_id].workspace_id)):
                return False
            if deployed is None or deployed == deployment.deployed:
                return True
            changed = dataclasses.replace(deployment, deployed=deployed, updated_at=self._stamp())
            if deployed:
                changed = dataclasses.replace(changed, deployed_at=self._now(),
                                              starting_seconds=self.data.settings.deployment_starting_seconds)
            put(self.changes, self.data.deployments, deployment.id, changed)
            return True

    def _running(self, name: str) -> Deployment | None:
        """The deployed deployment called ``<deploy_id>-<id>`` (None: none such)."""
        deploy_id, _, number = name.rpartition("-")
        deployment_id = decimal_int(number)  # ASCII digits only: "²" and "١" pass isdigit()
        if deployment_id is None:
            return None
        deployment = self.data.deployments.get(deployment_id)
        if deployment is None or deployment.deploy_id != deploy_id or not deployment.deployed:
            return None
        return deployment

    def deployment_status(self, caller: User, name: str) -> dict[str, Any]:
        """``status/get_deployment``: 404 unless deployed (the SDK's undeploy waits for it)."""
        with self.lock:
            deployment = self._running(name)
            if deployment is None:
                raise errors.DeploymentStatusNotFound(name)
            pipeline = self.data.pipelines[deployment.pipeline_id]
            self._require_member(caller, pipeline.workspace_id)
            now = self._now()
            status = deployment.status(now)
            models = [(self.data.model_versions[self.data.model_configs[c].model_version_id], status)
                      for c in deployment.model_config_ids]
            return wire.deployment_status(deployment, pipeline,
                                          self.data.pipeline_versions[deployment.pipeline_version_id], models, status)

    # == inference ===========================================================================
    def infer(self, caller: User, name: str, pipeline_name: str,
              run: Callable[[list[inference.StepModel], InferenceRule | None, int, dict[str, Any]], Any]) -> Any:
        """Find the running deployment and its models, then ``run(steps, pipeline rule,
        time ms, metadata)`` (the view decodes and encodes)."""
        with self.lock:
            deployment = self._running(name)
            if deployment is None:
                raise errors.InferenceDeploymentNotFound()
            pipeline = self.data.pipelines[deployment.pipeline_id]
            if pipeline.name != pipeline_name:
                raise errors.InferenceDeploymentNotFound()
            self._require_member(caller, pipeline.workspace_id)
            now = self._now()
            if deployment.status(now) != "Running":
                raise errors.InferenceNotReady()
            rules = self.data.inference_rules
            steps = []
            for config_id in deployment.model_config_ids:
                version = self.data.model_versions[self.data.model_configs[config_id].model_version_id]
                steps.append(inference.StepModel(name=version.name, sha=version.sha, inputs=version.inputs,
                                                 outputs=version.outputs, rule=rules.get(("model", version.name))))
            metadata = {"last_model": _last_model(steps), "pipeline_version":
                        self.data.pipeline_versions[deployment.pipeline_version_id].version,
                        "elapsed": [0, 0], "dropped": [], "partition": f"engine-{deployment.id:08x}-mock"}
            pipeline_rule = rules.get(("pipeline", pipeline.name))
            time_ms = int(now * 1000)
        # decoding, the rule and encoding run outside the lock: they touch no store data
        return run(steps, pipeline_rule, time_ms, metadata)

    # == test helpers (Python API) ===========================================================
    def set_inference(self, *, model: str | None = None, pipeline: str | None = None,
                      function: inference.RowFunction | None = None, outputs: dict[str, Any] | None = None,
                      rule: str | None = None) -> None:
        """Register how a model or a pipeline (by name, in every workspace, also one uploaded
        later) answers inference: a ``function`` of one input row (column -> value) returning
        {output name: value}, fixed ``outputs``, or a named ``rule`` (default, echo, zeros).
        Nothing given: back to the default rule. A reset forgets it (it is test data)."""
        if (model is None) == (pipeline is None):
            raise ValueError("name exactly one of model= or pipeline=")
        if sum(given is not None for given in (function, outputs, rule)) > 1:
            raise ValueError("give at most one of function=, outputs=, rule=")
        if rule is not None and rule not in InferenceRule.KINDS:
            raise ValueError(f"unknown rule {rule!r}; expected one of {', '.join(InferenceRule.KINDS)}")
        key = ("model", model) if model is not None else ("pipeline", pipeline)
        if function is not None:
            new = InferenceRule("function", function=function)
        elif outputs is not None:
            new = InferenceRule("outputs", outputs=freeze(outputs))
        else:
            new = InferenceRule(rule or "default")
        with self.lock:
            if new.kind == "default":
                drop(self.changes, self.data.inference_rules, key)
            else:
                put(self.changes, self.data.inference_rules, key, new)

    def configure(self, *, deployment_starting_seconds: float | None = None,
                  conversion_step_seconds: float | None = None, default_arch: str | None = None) -> None:
        """Python helper: the catalog's settings (as a scenario's ``settings`` sets them)."""
        settings = {name: value for name, value in (("deployment_starting_seconds", deployment_starting_seconds),
                                                    ("conversion_step_seconds", conversion_step_seconds),
                                                    ("default_arch", default_arch)) if value is not None}
        with self.lock:
            self.face.merge(self.face.data, {"settings": settings}, "wallaroo")


def _last_model(steps: list[inference.StepModel]) -> str:
    import json

    if not steps:
        return "{}"
    return json.dumps({"model_name": steps[-1].name, "model_sha": steps[-1].sha}, separators=(",", ":"))


def _step_models(step: Any) -> list[tuple[str, str, str | None]]:
    """The (name, version, sha) of each model a step names (``ModelInference`` and the
    multi-model steps), already checked by :func:`_check_definition`."""
    found = []
    for kind, body in step.items():
        if isinstance(body, dict) and isinstance(body.get("models"), list) and kind != "Nth":
            for model in body["models"]:
                found.append((model["name"], model["version"], model.get("sha")))
    return found


def _check_definition(definition: Any) -> None:
    if definition is None:
        return
    if not isinstance(definition, dict):
        raise errors.InvalidStep("the definition must be an object")
    steps = definition.get("steps", [])
    if not isinstance(steps, list):
        raise errors.InvalidStep("'steps' must be a list")
    for index, step in enumerate(steps):
        if not isinstance(step, dict) or len(step) != 1:
            raise errors.InvalidStep(f"step {index} must be an object with one member (the step kind)")
        for kind, body in step.items():
            if not isinstance(body, dict):
                raise errors.InvalidStep(f"step {index} ({kind}) must be an object")
            models = body.get("models")
            if models is None:
                continue
            if not isinstance(models, list):
                raise errors.InvalidStep(f"step {index} ({kind}): 'models' must be a list")
            for model in models:
                if not (isinstance(model, dict) and isinstance(model.get("name"), str)
                        and isinstance(model.get("version"), str)
                        and isinstance(model.get("sha"), (str, type(None)))):
                    raise errors.InvalidStep(f"step {index} ({kind}): each model needs a 'name' and a 'version' "
                                             "(strings) and may have a 'sha'")
