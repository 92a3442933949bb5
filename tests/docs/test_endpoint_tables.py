"""The endpoint tables of docs/wallaroo.md and docs/modelarts.md (section 1) list exactly the
routes the app serves for that API: a new route without a row, or a row without a route, fails."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from mockserver import MockServer

REPO = Path(__file__).resolve().parents[2]
#: one endpoint in a row's first cell: "`POST /path`", or several methods "`GET`/`POST /path`"
ENDPOINT = re.compile(r"((?:`[A-Z]+`/)*)`([A-Z]+) ([^`]+)`")
METHOD_NAMES = {"GET", "POST", "PUT", "PATCH", "DELETE"}  # HEAD and OPTIONS come with GET / are refused


def route_shape(path: str) -> str:
    """``/v1/<regex(...):project_id>/x/<id>`` and ``/v1/{project_id}/x/{id}`` both as ``/v1/{}/x/{}``;
    a segment made of placeholders (``<deploy_id>-<id>``) is one placeholder."""
    path = re.sub(r"<[^<>]*>", "{}", path)
    path = re.sub(r"\{[^{}]*\}", "{}", path)
    path = re.sub(r"\{\}(?:-\{\})+", "{}", path)
    return path.rstrip("/") or "/"


def documented_endpoints(page: str) -> set[tuple[str, str]]:
    """The endpoints in the first cells of section 1's table of ``docs/<page>``; a path written
    ``.../rest`` continues the previous path of the same cell (``GET .../roles/<name>``)."""
    text = (REPO / "docs" / page).read_text(encoding="utf-8")
    section = text.split("\n## 1.", 1)[1].split("\n## 2.", 1)[0]
    found = set()
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        previous = ""
        for more, method, path in ENDPOINT.findall(line.split(" | ", 1)[0]):
            path = path.strip()
            if path.startswith("..."):
                rest = path[3:]
                first = "/" + rest.strip("/").split("/", 1)[0]
                path = previous[: previous.find(first)] + rest if first in previous else rest
            previous = path
            for name in re.findall(r"[A-Z]+", more) + [method]:
                if name in METHOD_NAMES:
                    found.add((name, route_shape(path)))
    return found


def served_endpoints(app, api_name: str) -> set[tuple[str, str]]:
    return {(method, route_shape(rule.rule)) for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith(f"{api_name}.") for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}}


def test_route_shapes_compare_flask_rules_with_the_docs_notation():
    assert route_shape('/v1/<regex("(?!api$)[^/]+"):project_id>/workspaces/<workspace_id>') == "/v1/{}/workspaces/{}"
    assert route_shape("/v1/{project_id}/workspaces/{workspace_id}/") == "/v1/{}/workspaces/{}"
    assert route_shape("/auth/admin/realms/master/users/<id>") == "/auth/admin/realms/master/users/{}"
    assert route_shape("/v1/api/pipelines/infer/<deploy_id>-<id>/<pipeline name>") == "/v1/api/pipelines/infer/{}/{}"


def test_table_cells_with_several_methods_or_paths_are_read_whole(tmp_path, monkeypatch):
    page = tmp_path / "docs" / "x.md"
    page.parent.mkdir()
    page.write_text("# X\n## 1. Endpoints\n| a | b |\n|---|---|\n"
                    "| `GET`/`HEAD /v3/auth/tokens` | x |\n"
                    "| `GET /a/roles`, `GET .../roles/<name>` | x |\n"
                    "| `POST`/`DELETE /u/<id>/maps` | x |\n## 2. Next\n| `PUT /not/read` |\n")
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    assert documented_endpoints("x.md") == {("GET", "/v3/auth/tokens"), ("GET", "/a/roles"), ("GET", "/a/roles/{}"),
                                            ("POST", "/u/{}/maps"), ("DELETE", "/u/{}/maps")}


@pytest.mark.parametrize("api_name", ["wallaroo", "modelarts"])
def test_the_docs_endpoint_table_lists_exactly_the_routes_served(api_name):
    app = MockServer().app
    documented, served = documented_endpoints(f"{api_name}.md"), served_endpoints(app, api_name)
    assert served, "no routes found for the API: the blueprint name changed?"
    assert served - documented == set(), f"served but missing from docs/{api_name}.md section 1"
    assert documented - served == set(), f"in docs/{api_name}.md section 1 but not served"
