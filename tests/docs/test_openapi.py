"""The published API description: complete (every route of the app), well-formed, served, and readable offline.

What each answer looks like is checked against the server in test_openapi_responses.py.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
import requests

from mockserver import MockServer
from mockserver.openapi import OPENAPI_VERSION, docs_page, openapi_document

DOCUMENT = openapi_document()
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
#: Flask's built-in static-files route: no API owns it (there is no static folder)
NOT_API_ENDPOINTS = {"static"}


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in document["paths"].items()
            for method, op in item.items() if method in METHODS]


def rule_template(rule: str) -> str:
    """A Flask rule as an OpenAPI path: ``/v1/<regex("..."):project_id>/x/<id>`` -> ``/v1/{project_id}/x/{id}``."""
    return re.sub(r"<(?:[^<>]*:)?([A-Za-z_]\w*)>", r"{\1}", rule)


def app_routes() -> set[tuple[str, str]]:
    app = MockServer(["empty"]).app
    return {(rule_template(rule.rule), method.lower()) for rule in app.url_map.iter_rules()
            if rule.endpoint not in NOT_API_ENDPOINTS
            for method in rule.methods - {"HEAD", "OPTIONS"}}


# -- complete, and nothing more ----------------------------------------------------------------------
def test_every_route_of_the_app_is_documented():
    documented = {(path, method) for path, method, _ in operations(DOCUMENT)}
    missing = app_routes() - documented
    assert not missing, f"routes without a description in mockserver/openapi/: {sorted(missing)}"


def test_nothing_is_documented_that_the_app_does_not_route():
    documented = {(path, method) for path, method, _ in operations(DOCUMENT)}
    assert documented - app_routes() == set()


def test_the_route_template_conversion():
    assert rule_template('/v1/<regex("(?!api$)[^/]+"):project_id>/workspaces/<workspace_id>/quotas') == \
        "/v1/{project_id}/workspaces/{workspace_id}/quotas"
    assert rule_template("/__mock/faults/<rule_id>") == "/__mock/faults/{rule_id}"
    assert rule_template("/static/<path:filename>") == "/static/{filename}"


def test_both_apis_and_the_control_api_are_described():
    paths = set(DOCUMENT["paths"])
    assert {"/v1/api/workspaces/list", "/auth/realms/master/protocol/openid-connect/token", "/v1/api/config",
            "/v1/{project_id}/workspaces", "/v3/auth/tokens", "/v3/projects", "/__mock/reset",
            "/__mock/openapi.json", "/v1/api/docs"} <= paths


# -- well-formed -----------------------------------------------------------------------------------------
def test_header():
    assert DOCUMENT["openapi"] == OPENAPI_VERSION == "3.0.3"
    assert DOCUMENT["info"]["title"] and DOCUMENT["info"]["version"]
    assert DOCUMENT["servers"] == [{"url": "/", "description": "This server."}]


def test_operations_have_unique_ids_summaries_known_tags_and_answers():
    tags = {tag["name"] for tag in DOCUMENT["tags"]}
    ids = [op["operationId"] for _, _, op in operations(DOCUMENT)]
    assert len(ids) == len(set(ids))
    for path, method, op in operations(DOCUMENT):
        assert op["summary"], (path, method)
        assert op["tags"] and op["tags"][0] in tags, (path, method)
        assert op["responses"] and all(re.fullmatch(r"[1-5]\d\d", status) for status in op["responses"])
        assert all(response["description"] for response in op["responses"].values())
        assert "security" in op, f"{method} {path}: say whether it needs credentials"


def test_path_parameters_match_the_templates():
    for path, item in DOCUMENT["paths"].items():
        for method in (m for m in item if m in METHODS):
            declared = [p["name"] for p in item.get("parameters", []) + item[method].get("parameters", [])
                        if p["in"] == "path"]
            assert sorted(declared) == sorted(re.findall(r"{(\w+)}", path)), (method, path)
            assert all(p["required"] for p in item.get("parameters", []) if p["in"] == "path")


def _refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        return ([value["$ref"]] if "$ref" in value else []) + [ref for item in value.values() for ref in _refs(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in _refs(item)]
    return []


def test_every_reference_and_security_scheme_exists():
    schemas = DOCUMENT["components"]["schemas"]
    for ref in _refs(DOCUMENT):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[-1] in schemas, ref
    schemes = DOCUMENT["components"]["securitySchemes"]
    for path, method, op in operations(DOCUMENT):
        for requirement in op["security"]:
            assert set(requirement) <= set(schemes), (method, path)
    unused = set(schemas) - {ref.rsplit("/", 1)[-1] for ref in _refs(DOCUMENT)}
    assert not unused, f"schemas nothing refers to: {unused}"


def test_callers_get_their_own_copy():
    first = openapi_document()
    first["paths"].clear()
    assert openapi_document()["paths"]


# -- served -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/__mock/openapi.json", "/v1/api/openapi.json"])
def test_served_with_this_server_as_the_server(mockserver, path):
    answer = requests.get(mockserver.url + path)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    document = answer.json()
    assert document["servers"][0]["url"] == mockserver.url
    assert document == openapi_document(mockserver.url)


def test_served_in_process_too(mockserver_inprocess):
    client = mockserver_inprocess.test_client()
    assert client.get("/__mock/openapi.json").get_json()["paths"] == DOCUMENT["paths"]
    assert client.get("/v1/api/docs").headers["Content-Type"] == "text/html; charset=utf-8"


def test_other_methods_on_the_documentation_routes_answer_in_the_owners_shape(mockserver):
    wallaroo = requests.post(mockserver.url + "/v1/api/docs")
    assert wallaroo.status_code == 405 and wallaroo.json()["code"] == 405
    control = requests.delete(mockserver.url + "/__mock/openapi.json")
    assert control.status_code == 405 and control.json()["status"] == 405


# -- the page ------------------------------------------------------------------------------------------
class PageParser(HTMLParser):
    """Collects ids, links, external resources and open/close balance of the page."""

    VOID = {"meta", "br", "hr", "img", "input", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.resources: list[str] = []
        self.stack: list[str] = []
        self.mismatched: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        if tag in ("script", "link", "img", "iframe") or values.get("src"):
            self.resources.append(f"<{tag} {values}>")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.mismatched.append(tag)


@pytest.fixture(scope="module")
def page() -> tuple[str, PageParser]:
    html = docs_page("http://127.0.0.1:9")
    parser = PageParser()
    parser.feed(html)
    return html, parser


def test_page_is_served_as_html(mockserver):
    answer = requests.get(mockserver.url + "/v1/api/docs")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert answer.text.startswith("<!DOCTYPE html>") and mockserver.url in answer.text


def test_page_works_offline(page):
    html, parser = page
    assert parser.resources == []  # no scripts, stylesheets, images or frames to fetch
    assert "@import" not in html and not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    for link in parser.links:
        assert link.startswith("#") or link == "openapi.json", link


def test_page_is_well_formed_and_its_links_land(page):
    _, parser = page
    assert parser.stack == [] and parser.mismatched == []
    for link in parser.links:
        if link.startswith("#"):
            assert link[1:] in parser.ids, f"dangling link {link}"


def test_page_shows_every_operation_with_its_schemas(page):
    html, parser = page
    for path, method, op in operations(DOCUMENT):
        anchor = re.sub(r"[^A-Za-z0-9]+", "-", f"{method}-{path}").strip("-").lower()
        assert anchor in parser.ids, (method, path)
        assert op["summary"].replace("'", "&#x27;") in html
    for name in DOCUMENT["components"]["schemas"]:
        assert f'id="schema-{name.lower()}"' in html
    # request and response members are spelled out, with required/optional
    section = html[html.index('id="post-v1-api-workspaces-create"'):]
    section = section[:section.index("</details>")]
    assert "workspace_name" in section and "required" in section and "WallarooError" in section
    assert "Example:" in section and "fraud-detection" in section
    assert "authentication: <a" in section
