"""Inference without an engine: decoding the three body formats, deterministic outputs,
and answers in the recorded shapes.

Formats (what the SDK sends): pandas-records JSON (``application/json;
format=pandas-records``), an Arrow IPC *file* (``application/vnd.apache.arrow.file``) and
Wallaroo's own JSON (``application/json; format=wallaroo``). Answers carry ``time`` (epoch
ms), ``in.<column>``, ``out.<output>`` and ``anomaly.count`` per row, flattened with the
``dataset.separator`` the SDK sends, or nested (``in``/``out`` objects, ``check_failures``,
``metadata``) without it.

Outputs (docs/wallaroo.md, "Inference outputs"): a pipeline's steps run in order, each
model step first checking the row against the model's inputs (names and number types,
``model_inputs``), then turning it into one value per model output, by the first of
1. the pipeline's registered rule (no model runs, nothing is checked), 2. the model's
registered rule, 3. the default rule: output *i* echoes model input *i* (the last input
when there are fewer) when its number of elements fits the output's declared shape and
its values the output's type, else zeros of the declared shape (one zero when the shape is
unknown). Values are flat lists of the output's type (``float`` outputs as floats, integer
outputs as ints). pyarrow is imported for Arrow bodies only.
"""

from __future__ import annotations

import io
import json
import math
import struct
from dataclasses import dataclass
from typing import Any, Callable

from ...validation import parse_json
from . import exceptions as errors
from .onnx_io import FALLBACK_INPUTS
from .records import InferenceRule, Tensor, thaw

#: a registered function: one input row (column -> value) -> {output name: value}
RowFunction = Callable[[dict[str, Any]], dict[str, Any]]
_INTEGER_TYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
#: the Arrow element type of each model output type (float16 is written as float: the
#: engine's recorded float outputs are float32, and Python floats do not convert to half)
_ARROW_TYPES = {"float": "float32", "float16": "float32", "bfloat16": "float32", "double": "float64",
                "bool": "bool_", "string": "string", **{name: name for name in _INTEGER_TYPES}}
#: the model input types that hold numbers
_NUMBER_TYPES = frozenset(_ARROW_TYPES) - {"string"}
#: the most rows one request may carry (the body cap bounds the bytes; this the work)
MAX_ROWS = 100_000


@dataclass(frozen=True)
class StepModel:
    """One model step as inference needs it."""

    name: str
    sha: str
    inputs: tuple[Tensor, ...]
    outputs: tuple[Tensor, ...]
    rule: InferenceRule | None


@dataclass
class Batch:
    rows: list[dict[str, Any]]
    #: the Arrow table the rows came from (its columns are answered back as they came)
    table: Any = None


# == decoding =============================================================================
def _check_rows(rows: Any) -> list[dict[str, Any]]:
    if not isinstance(rows, list) or not rows:
        raise errors.InferenceBadInput("expected a non-empty list of records, one object per row")
    if len(rows) > MAX_ROWS:
        raise errors.InferenceBadInput(f"too many rows: at most {MAX_ROWS} per request")
    columns = None
    for index, row in enumerate(rows):
        if not isinstance(row, dict) or not row:
            raise errors.InferenceBadInput(f"row {index} is not an object of input columns")
        if columns is None:
            columns = list(row)
        elif list(row) != columns:
            raise errors.InferenceBadInput(f"row {index} has the columns {sorted(row)}, row 0 has {sorted(columns)}: "
                                           "every row needs the same input columns")
        for column, value in row.items():
            _check_value(column, value)
    return rows


def _check_value(column: str, value: Any) -> None:
    if value is None:
        raise errors.InferenceBadInput("tensor values may not be null")
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif item is None:
            raise errors.InferenceBadInput("tensor values may not be null")
        elif isinstance(item, bool) or not isinstance(item, (int, float, str)):
            raise errors.InferenceBadInput(f"input column '{column}' holds a value that is not a number, a string "
                                           "or a list of them")


def _strict_json(body: bytes) -> Any:
    # the strict parser every API uses: a NaN, 1e400, a duplicate key or a lone surrogate
    # would be echoed back in an answer that is not JSON; deep nesting would be a RecursionError
    try:
        return parse_json(body)
    except ValueError as error:
        raise errors.InferenceBadInput(f"the body is not JSON: {error}") from None


def decode_records(body: bytes) -> Batch:
    """pandas-records: ``[{"column": value, ...}, ...]``."""
    return Batch(_check_rows(_strict_json(body)))


def decode_wallaroo_json(body: bytes) -> Batch:
    """Wallaroo JSON: a list of records, or one object of columns (each a list of row values)."""
    value = _strict_json(body)
    if isinstance(value, dict):
        lengths = {len(column) if isinstance(column, list) else -1 for column in value.values()}
        if not value or -1 in lengths or len(lengths) != 1:
            raise errors.InferenceBadInput("expected an object of input columns, each a list with one value per row")
        count = lengths.pop()
        value = [{name: column[index] for name, column in value.items()} for index in range(count)]
    return Batch(_check_rows(value))


def decode_arrow(body: bytes) -> Batch:
    """An Arrow IPC file (the format the SDK writes); an Arrow stream is accepted too.

    The body is untrusted: what it will decode to is bounded from its messages' headers
    before anything is decoded (a compressed body of a few kilobytes can announce
    gigabytes), and the decoded table is validated in full before it is read (pyarrow
    aborts the whole process on list offsets that point past their values).
    """
    import pyarrow as pa

    stream = body[8:] if body[:6] == b"ARROW1" else body  # a file is a stream behind a magic
    _check_arrow_size(pa, stream)
    try:
        table = pa.ipc.open_file(pa.py_buffer(body)).read_all()
    except (pa.ArrowInvalid, pa.ArrowException, OSError):
        try:
            table = pa.ipc.open_stream(pa.py_buffer(body)).read_all()
        except (pa.ArrowInvalid, pa.ArrowException, OSError):
            raise errors.InferenceBadInput("the body is not an Arrow IPC file") from None
    if table.num_rows > MAX_ROWS:
        raise errors.InferenceBadInput(f"too many rows: at most {MAX_ROWS} per request")
    try:
        table.validate(full=True)
        rows = table.to_pylist()
    except (pa.ArrowException, ValueError, TypeError, OverflowError) as error:
        raise errors.InferenceBadInput(f"the Arrow body is not valid: {str(error)[:200]}") from None
    return Batch(_check_rows(rows), table=table)


#: the most output values one inference answers (rows x the declared output elements)
MAX_OUTPUT_VALUES = 1_000_000
#: the most values (every column's and list's elements) an Arrow body may decode to: about
#: what the body cap lets a JSON body carry, so memory follows the bytes that came
MAX_ARROW_VALUES = 1_000_000
#: the most bytes an Arrow body's buffers may decompress to
MAX_ARROW_BYTES = 16 * 1024 * 1024


def _check_arrow_size(pa: Any, stream: bytes) -> None:
    """Refuse an Arrow body whose record batches announce more than the limits, from the
    batches' headers alone (element counts, and each compressed buffer's stated length)."""
    values = decoded = 0
    try:
        reader = pa.ipc.MessageReader.open_stream(pa.py_buffer(stream))
        for message in reader:
            if message.type not in ("record batch", "dictionary"):
                continue
            nodes, buffers, compressed = _batch_header(message.metadata.to_pybytes(),
                                                      dictionary=message.type == "dictionary")
            values += sum(length for length, _ in nodes)
            data = memoryview(message.body) if message.body is not None else memoryview(b"")  # no copy
            for offset, length in buffers:
                if compressed and length >= 8:
                    stated = struct.unpack_from("<q", data, offset)[0]
                    decoded += length - 8 if stated == -1 else stated
                else:
                    decoded += length
            if values > MAX_ARROW_VALUES or decoded > MAX_ARROW_BYTES or values < 0 or decoded < 0:
                raise errors.InferenceBadInput(
                    f"the Arrow body decodes to more than the mock serves in one request (at most "
                    f"{MAX_ARROW_VALUES} values and {MAX_ARROW_BYTES // (1024 * 1024)} MiB)")
    except (pa.ArrowException, OSError, struct.error, IndexError):
        raise errors.InferenceBadInput("the body is not an Arrow IPC file") from None


def _batch_header(meta: bytes, *, dictionary: bool) -> tuple[list[tuple[int, int]], list[tuple[int, int]], bool]:
    """``(nodes, buffers, compressed)`` of a record or dictionary batch message: the
    flatbuffer fields of Arrow's Message.fbs that pyarrow does not expose."""

    def field(table: int, index: int) -> int | None:
        vtable = table - struct.unpack_from("<i", meta, table)[0]
        size = struct.unpack_from("<H", meta, vtable)[0]
        if 4 + 2 * index >= size:
            return None
        offset = struct.unpack_from("<H", meta, vtable + 4 + 2 * index)[0]
        return table + offset if offset else None

    def table_at(position: int | None) -> int:
        if position is None:
            raise IndexError("a required field is missing")
        return position + struct.unpack_from("<I", meta, position)[0]

    def pairs(position: int | None) -> list[tuple[int, int]]:  # a vector of two-long structs
        if position is None:
            return []
        start = table_at(position)
        count = struct.unpack_from("<I", meta, start)[0]
        if count > len(meta) // 16:
            raise IndexError("a vector longer than its message")
        return [struct.unpack_from("<qq", meta, start + 4 + 16 * i) for i in range(count)]

    message = table_at(0)
    batch = table_at(field(message, 2))  # Message.header
    if dictionary:
        batch = table_at(field(batch, 1))  # DictionaryBatch.data
    return pairs(field(batch, 1)), pairs(field(batch, 2)), field(batch, 3) is not None


# == outputs ================================================================================
def _flat(value: Any) -> list[Any]:
    if not isinstance(value, list):
        return [value]
    flat: list[Any] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        else:
            flat.append(item)
    return flat


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def model_inputs(row: dict[str, Any], step: StepModel) -> dict[str, Any]:
    """What the model is fed from one row, by input name, in the model's order: the engine's
    check of input names and types. A model with one input takes a lone column whatever its
    name (the tutorials send ``tensor`` to ccfraud's ``dense_input``); otherwise each input
    needs a column of its name, and other columns are not fed (they are answered back under
    ``in.*``). A model whose signature is unknown (the fallback) is fed the row as sent."""
    if step.inputs == FALLBACK_INPUTS:
        return dict(row)
    if len(step.inputs) == 1 and len(row) == 1:
        fed = {step.inputs[0].name: next(iter(row.values()))}
    else:
        missing = [tensor.name for tensor in step.inputs if tensor.name not in row]
        if missing:
            raise errors.InferenceMissingInputs(step.name, [tensor.name for tensor in step.inputs], missing, list(row))
        fed = {tensor.name: row[tensor.name] for tensor in step.inputs}
    for tensor in step.inputs:
        if tensor.dtype in _NUMBER_TYPES:
            for item in _flat(fed[tensor.name]):
                if isinstance(item, str) and not _is_number(item):
                    raise errors.InferenceInputType(step.name, tensor.name, item)
    return fed


def _typed(values: list[Any], tensor: Tensor) -> list[Any] | None:
    """``values`` as the output's element type; None when one is not a number a number
    output can hold (the echo does not fit then)."""
    if tensor.dtype == "string":
        return [str(v) for v in values]
    typed: list[Any] = []
    for v in values:
        if isinstance(v, str):
            if not _is_number(v):
                return None
            v = float(v)
        if isinstance(v, float) and not math.isfinite(v):
            v = 0.0
        if tensor.dtype == "bool":
            typed.append(bool(v))
        elif tensor.dtype in _INTEGER_TYPES:
            typed.append(int(v))
        else:
            typed.append(float(v))
    return typed


def _zeros(tensor: Tensor) -> list[Any]:
    return _typed([0] * (tensor.per_row() or 1), tensor) or []


def default_outputs(fed: dict[str, Any], step: StepModel) -> dict[str, Any]:
    """The documented default rule: output *i* echoes input *i* when the shape and type
    allow, else zeros. A model of unknown signature has one float input (the fallback), so a
    string it cannot echo is a type error there, named by its column."""
    names = list(fed)
    answer = {}
    for index, tensor in enumerate(step.outputs):
        expected = tensor.per_row()
        column = names[min(index, len(names) - 1)] if names else None
        source = _flat(fed[column]) if column is not None else []
        fits = bool(source) and (expected is None or len(source) == expected)
        echoed = _typed(source, tensor) if fits else None
        if fits and echoed is None and step.inputs == FALLBACK_INPUTS:
            value = next(v for v in source if isinstance(v, str) and not _is_number(v))
            raise errors.InferenceInputType(step.name, str(column), value)
        answer[tensor.name] = echoed if echoed is not None else _zeros(tensor)
    return answer


def zero_outputs(outputs: tuple[Tensor, ...]) -> dict[str, Any]:
    return {tensor.name: _zeros(tensor) for tensor in outputs}


def _apply(rule: InferenceRule | None, row: dict[str, Any], outputs: tuple[Tensor, ...]) -> dict[str, Any] | None:
    """A registered rule's answer for one row; None: no rule (fall through)."""
    if rule is not None and rule.function is not None:
        try:
            answer = rule.function(dict(row))
        except Exception as error:  # a test's own function failed: the engine's 500, with why
            raise errors.InferenceFailed(f"Internal processing error: the registered inference function raised "
                                         f"{type(error).__name__}: {error}") from None
        if not isinstance(answer, dict):
            raise errors.InferenceFailed("Internal processing error: the registered inference function must return "
                                         "a dict of output name -> value")
        return answer
    if rule is None or rule.kind == "default":
        return None
    if rule.kind == "outputs":
        return thaw(rule.outputs)  # type: ignore[no-any-return]
    if rule.kind == "zeros":
        return zero_outputs(outputs)
    if rule.kind == "echo":
        return {f"{name}": value for name, value in row.items()}
    raise errors.InferenceFailed(f"Internal processing error: the inference rule '{rule.kind}' is not available")


def run(batch: Batch, steps: list[StepModel], pipeline_rule: InferenceRule | None) -> list[dict[str, Any]]:
    """One output object per row: the last step's outputs (a pipeline without model steps
    echoes its input)."""
    for step in steps:  # an uploaded model's declared shapes must not size the answer unbounded
        per_row = sum(tensor.per_row() or 0 for tensor in step.outputs)
        if per_row * len(batch.rows) > MAX_OUTPUT_VALUES:
            raise errors.InferenceBadInput(
                f"model '{step.name}' declares {per_row} output values per row; the mock answers at most "
                f"{MAX_OUTPUT_VALUES} output values per request ({len(batch.rows)} rows sent)")
    results = []
    for row in batch.rows:
        pipeline_answer = _apply(pipeline_rule, row, steps[-1].outputs if steps else ())
        if pipeline_answer is not None:
            results.append(pipeline_answer)
            continue
        current: dict[str, Any] = dict(row)
        for step in steps:
            fed = model_inputs(current, step)  # checked before a registered rule too: the engine checks first
            answer = _apply(step.rule, current, step.outputs)
            current = answer if answer is not None else default_outputs(fed, step)
        results.append(current)
    return results


# == answers ===================================================================================
@dataclass(frozen=True)
class Shape:
    """What the query string asks for: ``dataset[]``, ``dataset.exclude[]``, ``dataset.separator``
    (flattened when given or when ``dataset.flatten`` is true)."""

    include: tuple[str, ...] = ("*",)
    exclude: tuple[str, ...] = ()
    separator: str | None = None

    def wants(self, part: str) -> bool:
        if part in self.exclude:
            return False
        return "*" in self.include or part in self.include


def records(batch: Batch, outputs: list[dict[str, Any]], *, time_ms: int, shape: Shape,
            metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """The JSON answer: one record per row."""
    answer = []
    for row, out in zip(batch.rows, outputs):
        record: dict[str, Any] = {}
        if shape.wants("time"):
            record["time"] = time_ms
        nested: list[tuple[str, Any]] = []
        if shape.wants("in"):
            nested.append(("in", row))
        if shape.wants("out"):
            nested.append(("out", out))
        if shape.separator is None:
            record.update(nested)
            if shape.wants("check_failures"):
                record["check_failures"] = []
            if shape.wants("metadata"):
                record["metadata"] = metadata
        else:
            sep = shape.separator
            for prefix, values in nested:
                for name, value in values.items():
                    record[f"{prefix}{sep}{name}"] = value
            if shape.wants("anomaly"):
                record[f"anomaly{sep}count"] = 0
            if shape.wants("metadata"):
                for name, value in metadata.items():
                    record[f"metadata{sep}{name}"] = value
        answer.append(record)
    return answer


def arrow_file(batch: Batch, outputs: list[dict[str, Any]], *, time_ms: int, shape: Shape,
               metadata: dict[str, Any], tensors: tuple[Tensor, ...] = ()) -> bytes:
    """The Arrow answer: ``time`` int64 ms, the input columns as they came, ``out.*`` lists of
    the outputs' types (``tensors``: the last model's outputs), items and lists not null,
    ``anomaly.count`` uint32 (the recorded types)."""
    import pyarrow as pa

    dtypes = {tensor.name: tensor.dtype for tensor in tensors}
    sep = shape.separator if shape.separator is not None else "."
    columns: dict[str, Any] = {}
    required: set[str] = set()  # the recorded not-null columns
    if shape.wants("time"):
        columns["time"] = pa.array([time_ms] * len(batch.rows), type=pa.int64())
    if shape.wants("in") and batch.table is not None:
        for name in batch.table.column_names:
            columns[f"in{sep}{name}"] = batch.table.column(name)
    if shape.wants("out") and outputs:
        for name in outputs[0]:
            values = [out.get(name) for out in outputs]
            try:
                columns[f"out{sep}{name}"] = _out_array(pa, values, dtypes.get(name))
                required.add(f"out{sep}{name}")
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as error:
                raise errors.InferenceFailed(f"Internal processing error: output '{name}' cannot be written as "
                                             f"Arrow: {error}") from None
    if shape.wants("anomaly"):
        columns[f"anomaly{sep}count"] = pa.array([0] * len(batch.rows), type=pa.uint32())
        required.add(f"anomaly{sep}count")
    if shape.wants("metadata"):
        for name, value in metadata.items():
            columns[f"metadata{sep}{name}"] = pa.array([json.dumps(value) if not isinstance(value, str) else value]
                                                       * len(batch.rows), type=pa.string())
    schema = pa.schema([pa.field(name, column.type, nullable=name not in required or column.null_count > 0)
                        for name, column in columns.items()])
    table = pa.Table.from_arrays(list(columns.values()), schema=schema)
    sink = io.BytesIO()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _out_array(pa: Any, values: list[Any], dtype: str | None) -> Any:
    """Recorded: every output is ``list<inner: T not null>``; T is the model output's type,
    or what the values hold when a registered rule answered under another name."""
    if not all(isinstance(v, list) for v in values):
        return pa.array(values)  # a registered rule's scalars: written as they are
    rows = [_flat(v) for v in values]
    if dtype in _ARROW_TYPES:
        item_type = getattr(pa, _ARROW_TYPES[dtype])()
    else:
        item_type = pa.array([item for row in rows for item in row]).type
        if pa.types.is_null(item_type):  # only empty lists: the recorded float
            item_type = pa.float32()
    return pa.array(rows, type=pa.list_(pa.field("inner", item_type, nullable=False)))
