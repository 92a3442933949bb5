"""Reading model, pipeline, deployment and inference requests into plain values, with the
API's own 400s (``{"msg", "code"}``; the inference endpoint: the engine's shape)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import request

from ...validation import FieldError, Fields, parse_json
from .. import parsing as wallaroo_parsing
from . import exceptions as errors
from .backend import DeployRequest, Upload
from .inference import Shape
from .records import CONFIG_OPTIONS, Tensor

body_fields = wallaroo_parsing.body_fields
_read = wallaroo_parsing._read


# -- models ---------------------------------------------------------------------------------
def _schema(text: Any, at: str) -> tuple[Tensor, ...] | None:
    """An ``input_schema``/``output_schema``: base64 of a serialized Arrow schema."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise errors.InvalidMultipart(f"metadata.{at} must be a base64 string of an Arrow schema")
    try:
        import pyarrow as pa

        schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(text, validate=True)))
    except (binascii.Error, ValueError, OSError, ImportError):
        raise errors.InvalidMultipart(f"metadata.{at} is not a base64-encoded Arrow schema") from None
    return tuple(_tensor_of(field) for field in schema)


def _tensor_of(field: Any) -> Tensor:
    import pyarrow as pa

    kind, dims = field.type, [None]
    while pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        dims.append(kind.list_size if pa.types.is_fixed_size_list(kind) else None)
        kind = kind.value_type
    name = {"float": "float", "double": "double", "halffloat": "float16", "string": "string",
            "bool": "bool"}.get(str(kind), str(kind))
    return Tensor(field.name, name, tuple(dims))


def upload(*, convert: bool) -> Upload:
    """``models/upload`` / ``upload_and_convert``: multipart ``metadata`` (JSON) and ``file``."""
    if not (request.mimetype or "").startswith("multipart/"):
        raise errors.InvalidMultipart("expected a multipart/form-data body with the parts 'metadata' and 'file'")
    metadata_text = request.form.get("metadata")
    if metadata_text is None and "metadata" in request.files:
        metadata_text = request.files["metadata"].read().decode("utf-8", "replace")
    if metadata_text is None:
        raise errors.InvalidMultipart("the multipart part 'metadata' is missing")
    try:  # strict, as every JSON body: what is stored here is exported and saved later
        metadata = Fields(parse_json(metadata_text.encode("utf-8", "surrogatepass")), "metadata")
    except ValueError as error:
        reason = error.message if isinstance(error, FieldError) else str(error)
        raise errors.InvalidMultipart(f"the multipart part 'metadata' must be a JSON object: {reason}") from None
    stored = request.files.get("file")
    if stored is None or not stored.filename:
        raise errors.FileRequired()

    def read() -> Upload:
        conversion = metadata.obj("conversion")
        conversion_body = dict(conversion.value) if conversion is not None else {}
        framework = conversion.str("framework", default="onnx") if conversion is not None else "onnx"
        visibility = metadata.str("visibility", default="private")
        if visibility not in ("private", "public"):
            raise FieldError(metadata.at("visibility"), f"expected 'private' or 'public', got '{visibility}'")
        return Upload(name=metadata.str("name", required=True, nullable=False),
                      workspace_id=metadata.int("workspace_id", required=True, nullable=False, minimum=0),
                      visibility=visibility, framework=framework, conversion=_conversion(conversion_body, framework),
                      file_name=(stored.filename or "").rsplit("/", 1)[-1], data=stored.read(), convert=convert,
                      input_schema=_schema(metadata.value.get("input_schema"), "input_schema"),
                      output_schema=_schema(metadata.value.get("output_schema"), "output_schema"))
    try:
        return read()
    except FieldError as error:
        raise errors.InvalidMultipart(f"{error.path}: {error.message}") from None


def _conversion(given: dict[str, Any], framework: str) -> dict[str, Any]:
    """The stored ``conversion`` in the recorded key order (``framework_config`` null for ONNX)."""
    body: dict[str, Any] = {}
    for name in ("arch", "accel"):
        if given.get(name) is not None:
            body[name] = given[name]
    body["python_version"] = given.get("python_version", "3.8")
    body["requirements"] = given.get("requirements", [])
    body["framework"] = framework
    body["framework_config"] = given.get("framework_config")
    return body


def model_version_id(fields: Fields, name: str = "model_version_id") -> int:
    return _read(lambda: fields.int(name, required=True, nullable=False, minimum=0))


def model_config_options(fields: Fields) -> dict[str, Any]:
    """The options ``insert_model_config`` was given (``openai_config`` is stored as ``openai``)."""
    def read() -> dict[str, Any]:
        options: dict[str, Any] = {}
        for name in CONFIG_OPTIONS:
            source = "openai_config" if name == "openai" else name
            if fields.value.get(source) is not None:
                options[name] = fields.value[source]
        if "filter_threshold" in options:
            fields.number("filter_threshold")
        if "tensor_fields" in options:
            fields.str_list("tensor_fields")
        return options
    return _read(read)


def workspace_filter(fields: Fields) -> tuple[int | None, str | None]:
    return _read(lambda: (fields.int("workspace_id", minimum=0), fields.str("workspace_name")))


def model_id(fields: Fields) -> int:
    return _read(lambda: fields.int("id", required=True, nullable=False, minimum=0))


def list_versions(fields: Fields) -> tuple[str | None, int | None]:
    return _read(lambda: (fields.str("model_id"), fields.int("models_pk_id", minimum=0)))


# -- pipelines and deployments ------------------------------------------------------------------
def pipeline_create(fields: Fields) -> tuple[str, int, Any]:
    def read() -> tuple[str, int, Any]:
        definition = fields.value.get("definition")
        if definition is not None and not isinstance(definition, dict):
            raise FieldError("definition", "expected an object")
        return (fields.str("pipeline_id", required=True, nullable=False),
                fields.int("workspace_id", required=True, nullable=False, minimum=0), definition)
    return _read(read)


def pipeline_by_name(fields: Fields) -> tuple[str, int]:
    return _read(lambda: (fields.str("pipeline_name", required=True, nullable=False),
                          fields.int("workspace_id", required=True, nullable=False, minimum=0)))


def deploy(fields: Fields) -> DeployRequest:
    def read() -> DeployRequest:
        engine_config = fields.value.get("engine_config")
        if engine_config is not None and not isinstance(engine_config, dict):
            raise FieldError("engine_config", "expected an object")
        models = None
        if fields.value.get("models") is not None:
            models = [(item.str("name", required=True, nullable=False), item.str("version", required=True,
                                                                                 nullable=False), item.str("sha"))
                      for item in fields.objects("models")]
        return DeployRequest(
            deploy_id=fields.str("deploy_id", required=True, nullable=False), engine_config=engine_config,
            pipeline_version_pk_id=fields.int("pipeline_version_pk_id", minimum=0),
            pipeline_id=fields.int("pipeline_id", minimum=0), pipeline_version=fields.str("pipeline_version"),
            model_config_ids=fields.int_list("model_configs"), model_version_ids=fields.int_list("model_ids"),
            models=models)
    return _read(read)


def undeploy(fields: Fields) -> tuple[int | None, int | None]:
    return _read(lambda: (fields.int("pipeline_id", minimum=0), fields.int("deployment_id", minimum=0)))


def deployment_name(fields: Fields) -> str:
    return _read(lambda: fields.str("name", required=True, nullable=False))


# -- inference ------------------------------------------------------------------------------
ARROW_TYPES = ("application/vnd.apache.arrow.file", "application/vnd.apache.arrow.stream")


def inference_format() -> str:
    """``arrow``, ``pandas-records`` or ``wallaroo`` (Wallaroo's JSON), from the content type."""
    mimetype = request.mimetype or ""
    if mimetype in ARROW_TYPES or request.headers.get("format") == "arrow":
        return "arrow"
    if mimetype != "application/json":
        raise errors.InferenceBadInput(f"unsupported content type '{request.content_type or ''}': send "
                                       "application/json; format=pandas-records, application/json; format=wallaroo "
                                       "or application/vnd.apache.arrow.file")
    data_format = request.mimetype_params.get("format", "wallaroo")
    if data_format not in ("pandas-records", "wallaroo", "custom-json"):
        raise errors.InferenceBadInput(f"unsupported format '{data_format}': expected pandas-records or wallaroo")
    return "pandas-records" if data_format == "pandas-records" else "wallaroo"


def inference_shape() -> Shape:
    args = request.args
    include = tuple(args.getlist("dataset[]") or args.getlist("dataset")) or ("*",)
    exclude = tuple(args.getlist("dataset.exclude[]") or args.getlist("dataset.exclude"))
    separator = args.get("dataset.separator")
    if separator is None and args.get("dataset.flatten", "").lower() == "true":
        separator = "."
    return Shape(include=include, exclude=exclude, separator=separator)
