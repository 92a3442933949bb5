"""The package's layering: no import cycles, and moved modules still importable by their old names."""

from __future__ import annotations

import ast
import subprocess
import sys
import importlib.metadata
import tomllib
from pathlib import Path

import mockserver

PACKAGE = Path(mockserver.__file__).parent
REPO = Path(__file__).resolve().parents[2]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports anywhere in its code (functions included:
    an import inside a function is still a dependency), except under ``TYPE_CHECKING``."""
    files = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(node) for block in ast.walk(tree)
                       if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
                       for statement in block.body for node in ast.walk(statement)}
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        edges = set()
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for alias in node.names:
                    edges.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in files else target)
            elif isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names)
        graph[name] = {edge for edge in edges if edge in files and edge != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_package_has_no_import_cycles():
    graph = import_graph()
    assert "mockserver.inprocess" in graph["mockserver.clients"]  # the graph sees real edges
    assert cycles(graph) == []


def test_moved_modules_keep_their_old_import_paths():
    from mockserver import app, inprocess, journal, matching, responses, server, transport

    assert transport.InProcessSession is inprocess.InProcessSession
    assert transport.WsgiAdapter is inprocess.WsgiAdapter and transport.httpx_transport is inprocess.httpx_transport
    assert server.INPROCESS_BASE_URL == transport.INPROCESS_BASE_URL == inprocess.INPROCESS_BASE_URL
    assert app.app_json is responses.app_json and app.request_headers is responses.request_headers
    assert journal.path_matches is matching.path_matches
    assert journal.CONTROL_PREFIX == matching.CONTROL_PREFIX + "/" == "/__mock/"


def test_the_version_is_written_once():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["hatch"]["version"]["path"] == "mockserver/_version.py"
    assert importlib.metadata.version("wallaroo-modelarts-mockserver") == mockserver.__version__


def test_the_store_records_and_backends_load_no_flask():
    """The store knows nothing about HTTP, and that is checkable: importing it (the package face
    included) must not import Flask or Werkzeug."""
    code = ("import sys\n"
            "import mockserver.state, mockserver.journal, mockserver.clock, mockserver.validation\n"
            "import mockserver.wallaroo.backend, mockserver.wallaroo.records, mockserver.wallaroo.tokens\n"
            "import mockserver.modelarts.backend, mockserver.modelarts.records, mockserver.modelarts.signing\n"
            "import mockserver.apis, mockserver.wallaroo.api, mockserver.modelarts.api, mockserver.control.api\n"
            "import mockserver.controller, mockserver.matching, mockserver.scenarios\n"
            "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'werkzeug'))\n"
            "print(','.join(loaded))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
    # and the check can fail: the server does load Flask
    loud = subprocess.run([sys.executable, "-c", "import sys, mockserver.server; print('flask' in sys.modules)"],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert loud.stdout.strip() == "True", loud.stderr


def test_the_package_face_still_exports_its_names():
    import mockserver
    from mockserver import ApiError, Journal, MockServer, RecordedRequest, ScenarioError, State

    assert MockServer.__module__ == "mockserver.server" and State.__module__ == "mockserver.state"
    assert {ApiError, Journal, RecordedRequest, ScenarioError} and set(mockserver.__all__) <= set(dir(mockserver))
    assert mockserver.server.MockServer is MockServer  # submodules the eager face loaded stay reachable


def test_every_mocked_api_folder_has_the_same_files():
    from mockserver.apis import all_apis, mocked_apis

    expected = {"__init__.py", "api.py", "openapi.py", "routes.py", "parsing.py", "exceptions.py", "records.py",
                "scenario.py", "backend.py", "tokens.py"}
    for api in mocked_apis():
        files = {path.name for path in (PACKAGE / api.name).glob("*.py")}
        assert expected <= files, f"mockserver/{api.name}/ lacks {sorted(expected - files)}"
    for api in all_apis():
        assert {"__init__.py", "api.py", "openapi.py", "routes.py", "exceptions.py"} <= {
            path.name for path in (PACKAGE / api.name).glob("*.py")}
        assert api.openapi is not None and api.openapi().PATHS


def test_an_api_error_shape_depends_on_the_path_passed_not_on_a_request():
    """No request context here: the shape follows the path argument alone."""
    from mockserver.modelarts.api import API as modelarts
    from mockserver.wallaroo.api import API as wallaroo

    def keys(api, path: str) -> set[str]:
        return set(api.error_for(404, "x", path).body("request-id"))

    assert keys(wallaroo, "/v1/api/nothing") == {"msg", "code"}
    assert "error_description" in keys(wallaroo, "/auth/realms/master/nothing")  # Keycloak
    assert "errors" in keys(wallaroo, "/v1/graphql")  # Hasura
    assert keys(modelarts, "/v3/nothing") == {"error"}  # Keystone
    assert {"error_code", "error_msg"} <= keys(modelarts, "/v1/0123/nothing")  # the API gateway


def test_the_control_api_works_through_the_controller_without_the_facade():
    """The control API's views act through ``MockContext.controller``; they never reach the
    ``MockServer`` above them (the facade inversion the review found)."""
    from mockserver import MockServer

    server = MockServer()
    server.context.server = None  # nothing in the control API may need it
    client = server.test_client()
    assert client.post("/__mock/scenarios/load", json={"scenarios": ["empty"], "replace": True}).status_code == 200
    assert server.wallaroo.users() == []
    assert client.post("/__mock/reset", json={"scenarios": ["default"]}).status_code == 200
    assert server.wallaroo.find_user("developer@example.com") is not None
    document = client.get("/__mock/state?secrets=true").get_json()  # a redacted one is refused
    assert client.put("/__mock/state?as_baseline=true", json=document).status_code == 200
    assert server.controller.state is server.state and server.context.controller is server.controller
