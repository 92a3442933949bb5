"""Small builders for OpenAPI 3.0 schema objects, so the document reads like a table.

``obj(...)`` makes every listed member required unless told otherwise, which is what
most answers of the mocked APIs are: fixed shapes in a fixed order.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

def _described(schema: Schema, description: str | None) -> Schema:
    if description:
        schema["description"] = description
    return schema


#: any JSON value (``{}``); OpenAPI 3.0 has no "any" type
ANY: Schema = {"description": "Any JSON value."}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def string(description: str | None = None, **extra: Any) -> Schema:
    return _described({"type": "string", **extra}, description)


def integer(description: str | None = None, **extra: Any) -> Schema:
    return _described({"type": "integer", **extra}, description)


def number(description: str | None = None, **extra: Any) -> Schema:
    return _described({"type": "number", **extra}, description)


def boolean(description: str | None = None, **extra: Any) -> Schema:
    return _described({"type": "boolean", **extra}, description)


def array(items: Schema, description: str | None = None, **extra: Any) -> Schema:
    return _described({"type": "array", "items": items, **extra}, description)


def nullable(schema: Schema) -> Schema:
    """``schema`` or ``null`` (a ``$ref`` is wrapped, as OpenAPI 3.0 ignores its siblings)."""
    if "$ref" in schema:
        return {"allOf": [schema], "nullable": True}
    return {**schema, "nullable": True}


def enum(values: list[Any], description: str | None = None, kind: str = "string") -> Schema:
    return _described({"type": kind, "enum": list(values)}, description)


def mapping(values: Schema, description: str | None = None) -> Schema:
    """An object whose member names are data (ids, header names) and values all alike."""
    return _described({"type": "object", "additionalProperties": values}, description)


def obj(properties: dict[str, Schema], description: str | None = None, *, optional: tuple[str, ...] = (),
        required: tuple[str, ...] | None = None, additional: bool | Schema | None = None) -> Schema:
    """An object with ``properties``; all required except ``optional`` (or exactly ``required``)."""
    schema: Schema = {"type": "object", "properties": properties}
    needed = list(required) if required is not None else [name for name in properties if name not in optional]
    if needed:
        schema["required"] = needed
    if additional is not None:
        schema["additionalProperties"] = additional
    return _described(schema, description)


EMPTY_OBJECT: Schema = obj({}, "An empty object.")



# -- operations ----------------------------------------------------------------------------
def json_content(schema: Schema, example: Any = None) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": schema}
    if example is not None:
        media["example"] = example
    return {"application/json": media}


def body(schema: Schema, description: str | None = None, *, required: bool = True,
         example: Any = None) -> dict[str, Any]:
    request_body: dict[str, Any] = {"required": required, "content": json_content(schema, example)}
    if description:
        request_body["description"] = description
    return request_body


def answer(description: str, schema: Schema | None = None, *, headers: dict[str, Any] | None = None,
           example: Any = None, media_type: str = "application/json") -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if schema is not None:
        response["content"] = {media_type: {"schema": schema}}
        if example is not None:
            response["content"][media_type]["example"] = example
    if headers:
        response["headers"] = headers
    return response


def header(description: str, schema: Schema | None = None) -> dict[str, Any]:
    return {"description": description, "schema": schema or {"type": "string"}}


def query(name: str, schema: Schema, description: str, *, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def path_param(name: str, description: str, schema: Schema | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema or {"type": "string"}}


def operation(operation_id: str, summary: str, tag: str, responses: dict[str, Any], *,
              description: str | None = None, request_body: dict[str, Any] | None = None,
              parameters: list[dict[str, Any]] | None = None,
              security: list[dict[str, list[str]]] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": operation_id, "summary": summary, "tags": [tag]}
    if description:
        op["description"] = description
    if parameters:
        op["parameters"] = parameters
    if request_body:
        op["requestBody"] = request_body
    op["responses"] = responses
    if security is not None:
        op["security"] = security
    return op
