"""The endpoint tables of docs/wallaroo.md and docs/modelarts.md (section 1) list exactly the
routes the app serves for that API: a new route without a row, or a row without a route, fails."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mockserver import MockServer

REPO = Path(__file__).resolve().parents[2]
ENDPOINT_ROW = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/[^`\s]*)`", re.M)


def route_shape(path: str) -> str:
    """``/v1/<regex(...):project_id>/x/<id>`` and ``/v1/{project_id}/x/{id}`` both as ``/v1/{}/x/{}``."""
    path = re.sub(r"<[^<>]*?([a-z_]+)>", "{}", path)
    return re.sub(r"\{[a-z_]+\}", "{}", path).rstrip("/") or "/"


def documented_endpoints(page: str) -> set[tuple[str, str]]:
    """The rows of section 1's endpoint table of ``docs/<page>``."""
    text = (REPO / "docs" / page).read_text(encoding="utf-8")
    section = text.split("\n## 1.", 1)[1].split("\n## 2.", 1)[0]
    return {(method, route_shape(path)) for method, path in ENDPOINT_ROW.findall(section)}


def served_endpoints(app, api_name: str) -> set[tuple[str, str]]:
    return {(method, route_shape(rule.rule)) for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith(f"{api_name}.") for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}}


def test_route_shapes_compare_flask_rules_with_the_docs_notation():
    assert route_shape('/v1/<regex("(?!api$)[^/]+"):project_id>/workspaces/<workspace_id>') == "/v1/{}/workspaces/{}"
    assert route_shape("/v1/{project_id}/workspaces/{workspace_id}/") == "/v1/{}/workspaces/{}"
    assert route_shape("/auth/admin/realms/master/users/<id>") == "/auth/admin/realms/master/users/{}"


@pytest.mark.parametrize("api_name", ["wallaroo", "modelarts"])
def test_the_docs_endpoint_table_lists_exactly_the_routes_served(api_name):
    app = MockServer().app
    documented, served = documented_endpoints(f"{api_name}.md"), served_endpoints(app, api_name)
    assert served, "no routes found for the API: the blueprint name changed?"
    assert served - documented == set(), f"served but missing from docs/{api_name}.md section 1"
    assert documented - served == set(), f"in docs/{api_name}.md section 1 but not served"
