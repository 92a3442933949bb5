"""What a workspace holds besides its members: models, pipelines, deployments.

Plain records, no HTTP and no locking (the backend does that). Every record is frozen and
replaced, never changed in place (``dataclasses.replace``), so a copy of the store may
share them and a change is one assignment into a dict. JSON values a client sent (a
definition, an engine config, conversion settings) are kept as JSON text, so a record
holds nothing mutable.

Naming follows Wallaroo's database (what its GraphQL shows): a *model* is a family
(table ``models``: id, name, workspace), a *model version* one uploaded file (table
``model``: ``model_id`` is the family's *name*, ``models_pk_id`` the family id,
``model_version`` a UUID), a *model config* the runtime settings of a version; a
*pipeline* has *pipeline versions* (``pipeline_id`` is the pipeline's name, ``version`` a
UUID, ``definition`` the steps) and at most one *deployment* (``deploy_id`` is the
pipeline's name again).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

# Model statuses (the SDK's ModelStatus enum).
UPLOADING = "uploading"
PENDING_LOAD_NATIVE = "pending_load_native"
ATTEMPTING_LOAD_NATIVE = "attempting_load_native"
PENDING_LOAD_CONTAINER = "pending_load_container"
ATTEMPTING_LOAD_CONTAINER = "attempting_load_container"
READY = "ready"
ERROR = "error"
MODEL_STATUSES = (UPLOADING, PENDING_LOAD_NATIVE, ATTEMPTING_LOAD_NATIVE, PENDING_LOAD_CONTAINER,
                  ATTEMPTING_LOAD_CONTAINER, READY, ERROR)
#: frameworks served by an engine's own runtime (``models/upload``, no conversion)
NATIVE_FRAMEWORKS = ("onnx", "tensorflow")
#: the conversion walk of ``upload_and_convert`` (the most frequent recorded path)
CONVERSION_WALK = (PENDING_LOAD_CONTAINER, ATTEMPTING_LOAD_CONTAINER, READY)
#: what ``created_on_version`` says for rows the mock creates (a release the SDK accepts)
PLATFORM_VERSION = "2025.2.1"
#: the recorded ``owner_id`` of every model family: two double quotes
FAMILY_OWNER_ID = '""'
CONFIG_OPTIONS = ("filter_threshold", "tensor_fields", "input_schema", "output_schema", "batch_config",
                  "dynamic_batching_config", "continuous_batching_config", "queue_depth", "sidekick_uri", "openai")



def freeze(value: Any) -> str:
    """A JSON value as text (kept in frozen records)."""
    return json.dumps(value, separators=(",", ":"))


def thaw(text: str) -> Any:
    return json.loads(text)


# Deployment statuses (top level of status/get_deployment).
STARTING = "Starting"
RUNNING = "Running"
DEPLOYMENT_ERROR = "Error"


@dataclass(frozen=True)
class Tensor:
    """One input or output of a model: its name, element type and shape (None: any size)."""

    name: str
    dtype: str = "float"
    shape: tuple[int | None, ...] = ()

    def per_row(self) -> int | None:
        """Elements per inference row: the shape without its first (batch) dimension."""
        dims = self.shape[1:] if len(self.shape) > 1 else ()
        count = 1
        for dim in dims:
            if dim is None:
                return None
            count *= dim
        return count

    def export(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "shape": list(self.shape)}


@dataclass(frozen=True)
class InferenceRule:
    """How a model or pipeline (by name) answers inference: a named rule (``default``:
    echo or zeros; ``echo``; ``zeros``), fixed ``outputs`` (JSON text of name -> value, the
    same for every row) or a Python ``function`` of one row (not saved in state files)."""

    kind: str = "default"
    outputs: str = "{}"
    function: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    KINDS = ("default", "echo", "zeros")

    def export(self) -> dict[str, Any]:
        if self.kind == "outputs":
            return {"outputs": thaw(self.outputs)}
        return {"rule": self.kind}


@dataclass(frozen=True)
class ModelFamily:
    id: int
    name: str
    workspace_id: int
    owner_id: str
    created_at: str
    updated_at: str
    #: version ids, oldest first
    versions: tuple[int, ...] = ()


@dataclass(frozen=True)
class ModelVersion:
    id: int
    family_id: int
    name: str
    workspace_id: int
    version: str
    file_name: str
    sha: str
    size: int
    framework: str
    visibility: str
    created_by: str
    owner_id: str
    created_at: str
    updated_at: str
    #: epoch seconds of the upload: the conversion walk is timed from it
    uploaded_at: float
    #: JSON text of the conversion settings as stored (``arch``, ``accel``, ``framework``...)
    conversion: str = "{}"
    #: the statuses after upload, each lasting ``step_seconds``; the last one stays
    walk: tuple[str, ...] = (READY,)
    step_seconds: float = 0.0
    task_id: str | None = None
    image_path: str | None = None
    error_summary: str | None = None
    created_on_version: str = PLATFORM_VERSION
    inputs: tuple[Tensor, ...] = ()
    outputs: tuple[Tensor, ...] = ()
    data: bytes = field(default=b"", repr=False)

    def status(self, now: float) -> str:
        if self.step_seconds <= 0:
            return self.walk[-1]
        index = int(max(0.0, now - self.uploaded_at) // self.step_seconds)
        return self.walk[min(index, len(self.walk) - 1)]

    def conversion_dict(self) -> dict[str, Any]:
        return thaw(self.conversion)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class ModelConfig:
    id: int
    model_version_id: int
    runtime: str
    #: JSON text of the options set (``tensor_fields``, ``filter_threshold``...)
    options: str = "{}"

    def options_dict(self) -> dict[str, Any]:
        return thaw(self.options)  # type: ignore[no-any-return]

    def option(self, name: str) -> Any:
        return self.options_dict().get(name)


@dataclass(frozen=True)
class Pipeline:
    id: int
    name: str
    workspace_id: int
    owner_id: str
    created_at: str
    updated_at: str
    visibility: str = "private"
    #: version ids, oldest first
    versions: tuple[int, ...] = ()
    deployment_id: int | None = None


@dataclass(frozen=True)
class PipelineVersion:
    id: int
    pipeline_id: int
    version: str
    created_at: str
    updated_at: str
    #: JSON text of the definition as sent (``{"id", "steps"}``, ``{}`` or null)
    definition: str = "null"
    created_on_version: str = PLATFORM_VERSION

    def definition_value(self) -> Any:
        return thaw(self.definition)

    def steps(self) -> list[Any]:
        value = self.definition_value()
        if isinstance(value, dict) and isinstance(value.get("steps"), list):
            return value["steps"]  # type: ignore[no-any-return]
        return []


@dataclass(frozen=True)
class Deployment:
    """One row per pipeline (the real table's unique ``pipeline_id``): a redeploy reuses it."""

    id: int
    pipeline_id: int
    deploy_id: str
    deployed: bool
    pipeline_version_id: int
    model_config_ids: tuple[int, ...]
    #: JSON text of the engine config as sent
    engine_config: str
    created_at: str
    updated_at: str
    #: epoch seconds of the last deploy; ``Starting`` lasts ``starting_seconds`` from it
    deployed_at: float = 0.0
    starting_seconds: float = 0.0

    def status(self, now: float) -> str:
        return STARTING if now - self.deployed_at < self.starting_seconds else RUNNING

    def engine_config_value(self) -> Any:
        return thaw(self.engine_config)


class _Unrecorded:
    """Stands in for the store's change log (``state.Changes``) where the data has none."""

    def item(self, container: dict[Any, Any], key: Any) -> None:
        pass

    def attr(self, obj: Any, name: str) -> None:
        pass


UNRECORDED = _Unrecorded()


def put(changes: Any, container: dict[Any, Any], key: Any, value: Any) -> None:
    """Set a dict item, reporting it to the store's change log first (a reset undoes it)."""
    changes.item(container, key)
    container[key] = value


def drop(changes: Any, container: dict[Any, Any], key: Any) -> None:
    if key in container:
        changes.item(container, key)
        del container[key]


def list_in_workspace(changes: Any, workspace: Any, kind: str, item_id: int) -> None:
    """List a model or pipeline id in its workspace (``models`` / ``pipelines``) once, so
    ``workspaces/list``'s id lists (and GraphQL's) stay in step with the catalog; the change
    is reported to ``changes`` first (live data: the store's log; data being built: nothing)."""
    if item_id not in getattr(workspace, kind):
        changes.attr(workspace, kind)
        setattr(workspace, kind, getattr(workspace, kind) + (item_id,))  # a new tuple: copies share the old


@dataclass
class CatalogSettings:
    #: how long a deployment answers ``Starting`` before ``Running`` (mock clock seconds)
    deployment_starting_seconds: float = 0.0
    #: how long each status of an ``upload_and_convert`` walk lasts (mock clock seconds)
    conversion_step_seconds: float = 0.0
    #: the body of ``GET /v1/api/config``'s ``default_arch``
    default_arch: str = "x86"

    FIELDS = ("deployment_starting_seconds", "conversion_step_seconds", "default_arch")


@dataclass
class CatalogData:
    models: dict[int, ModelFamily] = field(default_factory=dict)
    model_versions: dict[int, ModelVersion] = field(default_factory=dict)
    model_configs: dict[int, ModelConfig] = field(default_factory=dict)
    #: model version id -> its current config id
    version_configs: dict[int, int] = field(default_factory=dict)
    pipelines: dict[int, Pipeline] = field(default_factory=dict)
    pipeline_versions: dict[int, PipelineVersion] = field(default_factory=dict)
    deployments: dict[int, Deployment] = field(default_factory=dict)
    #: (workspace id, name) -> id: names are unique per workspace
    model_names: dict[tuple[int, str], int] = field(default_factory=dict)
    pipeline_names: dict[tuple[int, str], int] = field(default_factory=dict)
    #: ("model" | "pipeline", name) -> how it answers inference (every workspace)
    inference_rules: dict[tuple[str, str], InferenceRule] = field(default_factory=dict)
    next_model_id: int = 1
    next_model_version_id: int = 1
    next_model_config_id: int = 1
    next_pipeline_id: int = 1
    next_pipeline_version_id: int = 1
    next_deployment_id: int = 1
    settings: CatalogSettings = field(default_factory=CatalogSettings)

    SEQUENCES = ("next_model_id", "next_model_version_id", "next_model_config_id", "next_pipeline_id",
                 "next_pipeline_version_id", "next_deployment_id")

    def clone(self) -> CatalogData:
        """An independent copy: the dicts copied, the (frozen) records shared."""
        copied = CatalogData(**{name: getattr(self, name) for name in self.SEQUENCES})
        for name in ("models", "model_versions", "model_configs", "version_configs", "pipelines",
                     "pipeline_versions", "deployments", "model_names", "pipeline_names", "inference_rules"):
            setattr(copied, name, getattr(self, name).copy())
        copied.settings = CatalogSettings(**{name: getattr(self.settings, name) for name in CatalogSettings.FIELDS})
        return copied
