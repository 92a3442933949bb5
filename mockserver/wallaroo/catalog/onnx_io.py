"""The inputs and outputs of an uploaded ONNX model, read with the ``onnx`` package.

Inference names its ``out.<name>`` columns after the model's outputs (a real engine does),
so the upload reads them from the file. ``onnx`` is imported on the first ONNX upload only.
A file that is not a readable ONNX model is still stored (a real instance would fail the
conversion later; the mock keeps the upload simple) and gets one input ``input`` and one
output ``output`` of any size.
"""

from __future__ import annotations

from typing import Any

from .records import Tensor

#: what a model answers with when its file says nothing (not ONNX, or no graph)
FALLBACK_INPUTS = (Tensor("input", "float", (None, None)),)
FALLBACK_OUTPUTS = (Tensor("output", "float", (None, None)),)


def _dtype_name(onnx: Any, elem_type: int) -> str:
    try:
        name = onnx.TensorProto.DataType.Name(elem_type)
    except ValueError:
        return "float"
    return {"FLOAT": "float", "DOUBLE": "double", "FLOAT16": "float16", "INT64": "int64", "INT32": "int32",
            "INT16": "int16", "INT8": "int8", "UINT8": "uint8", "UINT16": "uint16", "UINT32": "uint32",
            "UINT64": "uint64", "BOOL": "bool", "STRING": "string"}.get(name, name.lower())


def _tensor(onnx: Any, value_info: Any) -> Tensor:
    tensor_type = value_info.type.tensor_type
    dims: list[int | None] = []
    for dim in tensor_type.shape.dim:
        dims.append(dim.dim_value if dim.HasField("dim_value") and dim.dim_value > 0 else None)
    return Tensor(value_info.name, _dtype_name(onnx, tensor_type.elem_type), tuple(dims))


def read_signature(data: bytes) -> tuple[tuple[Tensor, ...], tuple[Tensor, ...]]:
    """(inputs, outputs) of an ONNX file; the fallback pair when it cannot be read."""
    try:
        import onnx
        from google.protobuf.message import DecodeError
    except Exception:  # noqa: BLE001 - not installed, or broken (numpy reloaded under it): a file stays a file
        return FALLBACK_INPUTS, FALLBACK_OUTPUTS
    try:
        model = onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError, TypeError):
        return FALLBACK_INPUTS, FALLBACK_OUTPUTS
    graph = model.graph
    # Old IR versions list initializers (weights) among the inputs; they are not fed.
    weights = {initializer.name for initializer in graph.initializer}
    inputs = tuple(_tensor(onnx, item) for item in graph.input if item.name not in weights)
    outputs = tuple(_tensor(onnx, item) for item in graph.output)
    if not inputs or not outputs:
        return FALLBACK_INPUTS, FALLBACK_OUTPUTS
    return inputs, outputs
