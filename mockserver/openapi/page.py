"""A human-readable page rendered from the OpenAPI document: one self-contained HTML file.

No scripts, fonts or styles from elsewhere (test machines are often offline): operations
fold with ``<details>``, schemas are rendered as nested member lists, and ``$ref``s link
to the schema section at the end.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

_METHODS = ("get", "post", "put", "patch", "delete")

_STYLE = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:24px 32px}header h1{margin:0 0 4px;font-size:24px}
header .meta{opacity:.75;font-size:13px}main{max-width:1100px;margin:0 auto;padding:16px 32px 64px}
h2{margin:32px 0 8px;border-bottom:2px solid #d5d9e0;padding-bottom:4px}h3{margin:16px 0 6px;font-size:15px}
code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code{background:#eceef2;padding:1px 4px;border-radius:3px}pre{background:#1d2330;color:#e8eaf0;padding:10px 12px;
border-radius:6px;overflow-x:auto}pre code{background:none;padding:0}
nav ul{list-style:none;padding-left:0;columns:2}nav li{margin:2px 0;break-inside:avoid}
details.op{background:#fff;border:1px solid #d5d9e0;border-radius:6px;margin:8px 0}
details.op>summary{cursor:pointer;padding:8px 12px;list-style:none;display:flex;gap:10px;align-items:baseline}
details.op>summary::-webkit-details-marker{display:none}details.op[open]>summary{border-bottom:1px solid #d5d9e0}
.op-body{padding:4px 16px 12px}.path{font-family:ui-monospace,Menlo,Consolas,monospace;font-weight:600}
.summary{color:#4a5263}.method{display:inline-block;min-width:58px;text-align:center;border-radius:4px;color:#fff;
font:700 12px/20px ui-monospace,Menlo,monospace;text-transform:uppercase}
.get{background:#2f7d32}.post{background:#1f5fbf}.put{background:#b26a00}.delete{background:#b3261e}
.patch{background:#6b3fa0}table{border-collapse:collapse;width:100%;margin:4px 0 8px}
th,td{text-align:left;vertical-align:top;border-bottom:1px solid #e3e6eb;padding:4px 8px;font-size:14px}
th{background:#eef0f4}.status{font-weight:700;font-family:ui-monospace,Menlo,monospace}
ul.schema{margin:2px 0 2px 0;padding-left:18px}ul.schema li{margin:1px 0}.name{font-family:ui-monospace,Menlo,
monospace;font-weight:600}.type{color:#6b3fa0;font-family:ui-monospace,Menlo,monospace;font-size:13px}
.req{color:#b3261e;font-size:12px}.opt{color:#6a7282;font-size:12px}.desc{color:#4a5263}
section.schema-def{background:#fff;border:1px solid #d5d9e0;border-radius:6px;padding:4px 16px 8px;margin:8px 0}
.path,.name,td code,li code,p code,a{overflow-wrap:anywhere}details.op>summary{flex-wrap:wrap}
@media (max-width:700px){header{padding:16px}main{padding:8px 12px 48px}nav ul{columns:1}
details.op>summary>.summary{flex-basis:100%}table{display:block;overflow-x:auto}pre{white-space:pre-wrap}
.op-body{padding:4px 8px 10px}section.schema-def{padding:4px 8px 8px}th,td{padding:4px;font-size:13px}
h2{font-size:20px}}
"""


def render_page(document: dict[str, Any]) -> str:
    """The whole page for ``document``."""
    info = document.get("info", {})
    operations = list(_operations(document))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(info.get('title', 'API'))} - API documentation</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<header><h1>{_e(info.get('title', 'API'))}</h1>",
        f'<div class="meta">version {_e(info.get("version", ""))} · OpenAPI {_e(document.get("openapi", ""))} · '
        f'{len(operations)} operations · <a style="color:#9cc3ff" href="openapi.json">openapi.json</a></div>'
        "</header><main>",
        _markdown(info.get("description", "")),
        _servers(document),
        _contents(document, operations),
    ]
    for tag in _tag_order(document, operations):
        parts.append(f'<h2 id="{_anchor("tag", tag["name"])}">{_e(tag["name"])}</h2>')
        if tag.get("description"):
            parts.append(_markdown(tag["description"]))
        for path, method, op in operations:
            if (op.get("tags") or ["Other"])[0] == tag["name"]:
                parts.append(_operation(document, path, method, op))
    parts.append(_security(document))
    parts.append(_schemas(document))
    parts.append("</main></body></html>")
    return "\n".join(parts)


# -- structure -----------------------------------------------------------------------------
def _operations(document: dict[str, Any]) -> Any:
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            if method in item:
                op = dict(item[method])
                op["parameters"] = list(item.get("parameters", [])) + list(op.get("parameters", []))
                yield path, method, op


def _tag_order(document: dict[str, Any], operations: list[tuple[str, str, dict[str, Any]]]) -> list[dict[str, Any]]:
    tags = list(document.get("tags", []))
    known = {tag["name"] for tag in tags}
    for _, _, op in operations:
        name = (op.get("tags") or ["Other"])[0]
        if name not in known:
            tags.append({"name": name})
            known.add(name)
    return tags


def _contents(document: dict[str, Any], operations: list[tuple[str, str, dict[str, Any]]]) -> str:
    rows = ['<nav><h2 id="contents">Contents</h2>']
    for tag in _tag_order(document, operations):
        rows.append(f'<h3><a href="#{_anchor("tag", tag["name"])}">{_e(tag["name"])}</a></h3><ul>')
        for path, method, op in operations:
            if (op.get("tags") or ["Other"])[0] == tag["name"]:
                rows.append(f'<li><a href="#{_anchor(method, path)}"><span class="method {method}">{method}</span> '
                            f'<span class="path">{_e(path)}</span></a> <span class="summary">'
                            f'{_e(op.get("summary", ""))}</span></li>')
        rows.append("</ul>")
    rows.append('<h3><a href="#schemas">Schemas</a> · <a href="#security">Authentication</a></h3></nav>')
    return "\n".join(rows)


def _servers(document: dict[str, Any]) -> str:
    servers = document.get("servers") or []
    if not servers:
        return ""
    items = "".join(f"<li><code>{_e(server.get('url', ''))}</code> {_e(server.get('description', ''))}</li>"
                    for server in servers)
    return f"<h3>Servers</h3><ul>{items}</ul>"


def _operation(document: dict[str, Any], path: str, method: str, op: dict[str, Any]) -> str:
    parts = [f'<details class="op" id="{_anchor(method, path)}"><summary>'
             f'<span class="method {method}">{method}</span><span class="path">{_e(path)}</span>'
             f'<span class="summary">{_e(op.get("summary", ""))}</span></summary><div class="op-body">']
    if op.get("description"):
        parts.append(_markdown(op["description"]))
    parts.append(f'<p class="desc">Operation id <code>{_e(op.get("operationId", ""))}</code> · '
                 f'authentication: {_security_names(document, op)}</p>')
    if op["parameters"]:
        parts.append("<h3>Parameters</h3><table><tr><th>name</th><th>in</th><th>type</th><th>description</th></tr>")
        for parameter in op["parameters"]:
            required = '<span class="req">required</span>' if parameter.get("required") else ""
            parts.append(f'<tr><td class="name">{_e(parameter["name"])} {required}</td><td>{_e(parameter["in"])}</td>'
                         f'<td class="type">{_e(_type_label(parameter.get("schema", {})))}</td>'
                         f'<td>{_markdown_inline(parameter.get("description", ""))}</td></tr>')
        parts.append("</table>")
    request_body = op.get("requestBody")
    if request_body:
        required = "required" if request_body.get("required") else "optional"
        parts.append(f"<h3>Request body ({required})</h3>")
        if request_body.get("description"):
            parts.append(_markdown(request_body["description"]))
        for media_type, media in request_body.get("content", {}).items():
            parts.append(f"<p><code>{_e(media_type)}</code></p>{_schema(media.get('schema', {}))}")
            if "example" in media:
                parts.append(_example(media["example"], media_type))
    parts.append("<h3>Responses</h3><table><tr><th>status</th><th>description</th><th>body</th></tr>")
    for status, response in op.get("responses", {}).items():
        cells = []
        for media_type, media in response.get("content", {}).items():
            cells.append(f"<p><code>{_e(media_type)}</code></p>{_schema(media.get('schema', {}))}")
        for name, response_header in response.get("headers", {}).items():
            cells.append(f'<p>header <span class="name">{_e(name)}</span>: '
                         f'{_markdown_inline(response_header.get("description", ""))}</p>')
        parts.append(f'<tr><td class="status">{_e(status)}</td><td>{_markdown_inline(response.get("description", ""))}'
                     f'</td><td>{"".join(cells) or "—"}</td></tr>')
    parts.append("</table></div></details>")
    return "\n".join(parts)


def _security_names(document: dict[str, Any], op: dict[str, Any]) -> str:
    requirements = op.get("security", document.get("security", []))
    if not requirements:
        return "none"
    names = [name for requirement in requirements for name in requirement]
    return " or ".join(f'<a href="#{_anchor("security", name)}"><code>{_e(name)}</code></a>' for name in names)


def _security(document: dict[str, Any]) -> str:
    schemes = document.get("components", {}).get("securitySchemes", {})
    parts = ['<h2 id="security">Authentication</h2>']
    for name, scheme in schemes.items():
        where = (f"HTTP {scheme.get('scheme', '')}" if scheme.get("type") == "http"
                 else f"{scheme.get('type', '')} in {scheme.get('in', '')} <code>{_e(scheme.get('name', ''))}</code>")
        parts.append(f'<section class="schema-def" id="{_anchor("security", name)}"><h3>{_e(name)}</h3>'
                     f"<p>{where}</p>{_markdown(scheme.get('description', ''))}</section>")
    return "\n".join(parts)


def _schemas(document: dict[str, Any]) -> str:
    schemas = document.get("components", {}).get("schemas", {})
    parts = ['<h2 id="schemas">Schemas</h2>']
    for name, schema in schemas.items():
        parts.append(f'<section class="schema-def" id="{_anchor("schema", name)}"><h3>{_e(name)}</h3>'
                     f"{_schema(schema)}</section>")
    return "\n".join(parts)


# -- schemas -------------------------------------------------------------------------------
def _type_label(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "allOf" in schema and len(schema["allOf"]) == 1:
        label = _type_label(schema["allOf"][0])
    elif "oneOf" in schema:
        label = " | ".join(_type_label(option) for option in schema["oneOf"])
    elif schema.get("type") == "array":
        label = f"array of {_type_label(schema.get('items', {}))}"
    elif schema.get("type") == "object" and "additionalProperties" in schema and not schema.get("properties"):
        values = schema["additionalProperties"]
        label = f"map of {_type_label(values)}" if isinstance(values, dict) else "object"
    else:
        label = schema.get("type", "any")
        if schema.get("format"):
            label += f" ({schema['format']})"
    if schema.get("enum"):
        label += " — one of " + ", ".join(json.dumps(value) for value in schema["enum"])
    if schema.get("nullable"):
        label += " | null"
    return label


def _schema(schema: dict[str, Any], *, depth: int = 0) -> str:
    """A schema as a member list: name, type, required or optional, description; nested objects inside."""
    parts = []
    if schema.get("description") and depth == 0:
        parts.append(f'<p class="desc">{_markdown_inline(schema["description"])}</p>')
    target = schema
    if "allOf" in schema and len(schema["allOf"]) == 1:
        target = schema["allOf"][0]
    if "$ref" in target:
        name = target["$ref"].rsplit("/", 1)[-1]
        nullable = " | null" if schema.get("nullable") else ""
        parts.append(f'<p><a href="#{_anchor("schema", name)}"><span class="type">{_e(name)}</span></a>'
                     f'<span class="type">{nullable}</span></p>')
        return "".join(parts)
    kind = target.get("type")
    if kind == "array":
        parts.append(f'<p class="type">{_e(_type_label(target))}</p>')
        items = target.get("items", {})
        if _has_members(items) and depth < 6:
            parts.append(_members(items, depth + 1))
        return "".join(parts)
    if kind == "object" and (target.get("properties") or isinstance(target.get("additionalProperties"), dict)):
        if target.get("properties"):
            parts.append(_members(target, depth + 1))
        else:
            parts.append(f'<p class="type">{_e(_type_label(target))}</p>')
            values = target["additionalProperties"]
            if _has_members(values) and depth < 6:
                parts.append(_members(values, depth + 1))
        return "".join(parts)
    parts.append(f'<p class="type">{_e(_type_label(target))}</p>')
    return "".join(parts)


def _has_members(schema: dict[str, Any]) -> bool:
    return bool(schema.get("properties")) or schema.get("type") == "array"


def _members(schema: dict[str, Any], depth: int) -> str:
    if schema.get("type") == "array":
        return _schema(schema, depth=depth)
    required = set(schema.get("required", []))
    rows = ['<ul class="schema">']
    for name, member in schema.get("properties", {}).items():
        flag = '<span class="req">required</span>' if name in required else '<span class="opt">optional</span>'
        description = member.get("description") or (member.get("allOf") or [{}])[0].get("description", "")
        rows.append(f'<li><span class="name">{_e(name)}</span> {_type_html(member)} {flag}'
                    f'{" — " + _markdown_inline(description) if description else ""}')
        nested = member.get("allOf", [member])[0] if "allOf" in member else member
        if nested.get("type") == "object" and nested.get("properties") and depth < 6:
            rows.append(_members(nested, depth + 1))
        elif nested.get("type") == "array" and nested.get("items", {}).get("properties") and depth < 6:
            rows.append(_members(nested["items"], depth + 1))
        rows.append("</li>")
    rows.append("</ul>")
    return "".join(rows)


def _type_html(schema: dict[str, Any]) -> str:
    target = schema["allOf"][0] if "allOf" in schema and len(schema["allOf"]) == 1 else schema
    label = _e(_type_label(schema))
    ref = target.get("$ref") or (target.get("items", {}) or {}).get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        label = label.replace(_e(name), f'<a href="#{_anchor("schema", name)}">{_e(name)}</a>', 1)
    return f'<span class="type">{label}</span>'


def _example(value: Any, media_type: str) -> str:
    if media_type == "application/x-www-form-urlencoded" and isinstance(value, dict):
        text = "&".join(f"{key}={item}" for key, item in value.items())
    else:
        text = json.dumps(value, indent=2, ensure_ascii=False)
    return f"<p>Example:</p><pre><code>{_e(text)}</code></pre>"


# -- text ----------------------------------------------------------------------------------
def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _anchor(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", "-".join(parts)).strip("-").lower()


def _markdown_inline(text: str) -> str:
    """``code`` and **bold**, HTML-escaped; enough for the descriptions of this document."""
    out = []
    for index, piece in enumerate(re.split(r"(`[^`]*`)", text)):
        if index % 2:
            out.append(f"<code>{_e(piece[1:-1])}</code>")
        else:
            out.append(re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", _e(piece)))
    return "".join(out)


def _markdown(text: str) -> str:
    paragraphs = [paragraph.strip() for paragraph in re.split(r"\n\s*\n", text) if paragraph.strip()]
    return "".join(f"<p>{_markdown_inline(' '.join(paragraph.split()))}</p>" for paragraph in paragraphs)
