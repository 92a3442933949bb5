"""Errors of the model, pipeline, deployment and inference endpoints.

MLOps endpoints answer ``{"msg", "code"}`` (the classes below extend the API's own);
the inference endpoint answers the engine's ``{"code", "status", "error", "source"}``.
Recorded messages are used where a recording exists (docs/wallaroo.md says which).
"""

from __future__ import annotations

from typing import Any

from ...errors import ApiError
from ..exceptions import BadRequest, InternalError, WallarooError


class FileRequired(BadRequest):
    """Recorded wording for an upload without an acceptable file."""

    description = "Bad request: The provided file needs to be a .zip, .pt, .onnx, .h5, or .pkl file."


class InvalidMultipart(BadRequest):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Bad request: {reason}")


class UnknownFramework(BadRequest):
    def __init__(self, framework: str, allowed: tuple[str, ...]) -> None:
        super().__init__(f"Bad request: unknown framework '{framework}'; expected one of: {', '.join(allowed)}.")


class InvalidModelName(BadRequest):
    def __init__(self, name: str) -> None:
        super().__init__(f"Bad request: model name '{name}' is invalid: it must be DNS-compatible (ASCII letters, "
                         "digits and dashes), start with a letter, not end with a dash, and be shorter than 64 "
                         "characters.")


class InvalidPipelineName(BadRequest):
    def __init__(self, name: str) -> None:
        super().__init__(f"Bad request: pipeline name '{name}' is invalid: it must be lowercase letters, digits "
                         "and dashes, start and end with a letter or digit, and be shorter than 64 characters.")


class ModelNotFound(BadRequest):
    """A not-found is a 400 in this API (recorded wording)."""

    description = "The provided model id was not found."


class ModelVersionNotFound(BadRequest):
    def __init__(self, version_id: int) -> None:
        super().__init__(f"Bad request: model version {version_id} was not found.")


class ModelConfigNotFound(BadRequest):
    def __init__(self, config_id: int) -> None:
        super().__init__(f"Bad request: model config {config_id} was not found.")


class WorkspaceNotFoundError(BadRequest):
    """As the workspace endpoints say it."""

    def __init__(self, workspace_id: int) -> None:
        super().__init__(f"Bad request: workspace {workspace_id} was not found.")


class WorkspaceNameNotFound(BadRequest):
    def __init__(self, name: str) -> None:
        super().__init__(f"Bad request: workspace '{name}' was not found.")


class InvalidDeployRequest(BadRequest):
    description = "Bad request: either pipeline_version_pk_id or pipeline_id is required."


class InvalidUndeployRequest(BadRequest):
    description = "Bad request: either deployment_id or pipeline_id is required."


class PipelineNotDeployed(BadRequest):
    def __init__(self, name: str) -> None:
        super().__init__(f"Bad request: pipeline {name} is not deployed.")


class PipelineNotFound(BadRequest):
    def __init__(self, what: str) -> None:
        super().__init__(f"Bad request: pipeline {what} was not found.")


class PipelineVersionNotFound(BadRequest):
    def __init__(self, what: str) -> None:
        super().__init__(f"Bad request: pipeline version {what} was not found.")


class DeploymentNotFound(BadRequest):
    def __init__(self, deployment_id: int) -> None:
        super().__init__(f"Bad request: deployment {deployment_id} was not found.")


class DeployIdMismatch(BadRequest):
    """The docs: ``deploy_id`` "must match the name of the pipeline being deployed"."""

    def __init__(self, deploy_id: str, name: str) -> None:
        super().__init__(f"Bad request: deploy_id '{deploy_id}' must match the name of the pipeline being deployed "
                         f"('{name}').")


class StepModelNotFound(BadRequest):
    def __init__(self, name: str, version: str) -> None:
        super().__init__(f"Bad request: the pipeline step names model '{name}' version '{version}', which does not "
                         "exist in this workspace.")


class InvalidStep(BadRequest):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Bad request: invalid pipeline definition: {reason}")


class UnknownWorkspace(InternalError):
    """Recorded: an upload to a workspace id that does not exist is a database 500."""

    def __init__(self, table: str) -> None:
        super().__init__(
            "Internal Server Error: GraphQL Returned error: <query>:0:0: Foreign key violation. insert or update on "
            f"table \"{table}\" violates foreign key constraint \"{table}_workspace_id_fkey\"")


class PipelineNotFoundByName(WallarooError):
    """``get_pipeline_by_name``: the generated client knows a 404 here (the SDK reads its text)."""

    status = 404

    def __init__(self, name: str) -> None:
        super().__init__(f"Pipeline {name} not found in this workspace.")


class DeploymentStatusNotFound(WallarooError):
    """``status/get_deployment`` of a deployment that is not running: 404 ends the SDK's
    undeploy wait."""

    status = 404

    def __init__(self, name: str) -> None:
        super().__init__(f"Deployment {name} not found.")


# -- inference (the engine's shape) ----------------------------------------------------
class InferenceError(ApiError):
    """``{"code", "status": "error", "error", "source"}`` (the SDK's inference template)."""

    source = "engine"

    def body(self, request_id: str) -> dict[str, Any]:
        return {"code": self.status, "status": "error", "error": self.description, "source": self.source}


class InferenceDeploymentNotFound(InferenceError):
    status = 404
    source = "platform"
    description = "Deployment not found"


class InferenceNotReady(InferenceError):
    """Documented for an engine that is not up (the SDK retries a 503 ten times)."""

    status = 503
    description = ("The resources required to run this request are not available. Please check the inference "
                   "endpoint status and try again")


class InferenceBadInput(InferenceError):
    status = 400

    def __init__(self, reason: str) -> None:
        super().__init__(reason)


class InferenceMissingInputs(InferenceError):
    """A model with named inputs got rows without some of them (the wording is ours)."""

    status = 400

    def __init__(self, model: str, inputs: list[str], missing: list[str], given: list[str]) -> None:
        def quoted(names: list[str]) -> str:
            return ", ".join(f"'{name}'" for name in names)

        super().__init__(f"model '{model}' needs the input columns {quoted(inputs)}; missing: {quoted(missing)} "
                         f"(given: {quoted(given)})")


class InferenceInputType(InferenceError):
    """A number input got a value that is not a number (the wording is ours)."""

    status = 400

    def __init__(self, model: str, input_name: str, value: str) -> None:
        super().__init__(f"model '{model}' expects numbers for its input '{input_name}', got '{value}'")


class InferenceUnauthorized(InferenceError):
    status = 401
    source = "platform"

    def __init__(self, reason: str = "Jwt is missing") -> None:
        super().__init__(reason)


class InferenceFailed(InferenceError):
    status = 500
    description = "Internal processing error"

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason or self.description)
