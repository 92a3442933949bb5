"""The documentation's examples are tests, so the README and the docs cannot rot.

* every ```python block of README.md and docs/testing.md runs as a pytest file of its own
  (in-process pytester runs, with nothing but the installed plugin);
* the ```yaml scenario of the README loads, and the error shown next to it is the real one;
* the ```ini block of the README is a working configuration;
* every ``mockserver`` command line in a ```bash block parses with the CLI's flags, and every
  ``curl`` line names a real control route with a JSON body;
* the ```http examples of docs/control-api.md run in order against one fresh server and
  answer what the page shows (the shown body is a subset of the real one).
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# In-process inner runs unload what they import; keep one copy of the client stack.
import mockserver.clients  # noqa: F401
import onnx  # noqa: F401  (its numpy extension types register once per process)
import requests  # noqa: F401
from mockserver import MockServer, ScenarioError
from mockserver.cli import parse_args
from mockserver.journal import json_subset_diff

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
TESTING = ROOT / "docs" / "testing.md"
CONTROL = ROOT / "docs" / "control-api.md"
INNER_ARGS = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-q")
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.S | re.M)


def blocks(path: Path, language: str) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    return [(text.count("\n", 0, match.start()) + 1, match.group(2))
            for match in FENCE.finditer(text) if match.group(1) == language]


def python_examples() -> list:
    return [pytest.param(path, line, code, id=f"{path.name}:{line}")
            for path in (README, TESTING) for line, code in blocks(path, "python")]


def test_the_docs_have_examples():
    assert len(blocks(README, "python")) >= 10
    assert len(blocks(TESTING, "python")) >= 3
    assert len(blocks(CONTROL, "http")) >= 20


@pytest.mark.parametrize("path, line, code", python_examples())
def test_python_example(pytester, path, line, code):
    pytester.makepyfile(**{f"test_example_{path.stem.replace('-', '_')}_{line}": code})
    result = pytester.runpytest_inprocess(*INNER_ARGS)
    outcomes = result.parseoutcomes()
    assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED), result.stdout.str()
    assert not outcomes.get("failed") and not outcomes.get("errors"), result.stdout.str()


# -- README: scenario, error message, ini -------------------------------------------------------
def readme_scenario() -> str:
    (_, text), = blocks(README, "yaml")
    return text


def test_readme_scenario_loads_next_to_default(tmp_path):
    path = tmp_path / "team.yaml"
    path.write_text(readme_scenario())
    server = MockServer(["default", str(path)])
    assert server.state.scenarios == ["default", "team"]
    members = server.wallaroo.data.workspaces[server.wallaroo.data.workspace_names["churn-models"]].members
    assert sorted(members.values()) == ["COLLABORATOR", "OWNER"]
    assert "churn-training" in [w["name"] for w in server.modelarts.workspaces(server.modelarts_project_id)]


def test_readme_error_message_is_the_real_one(tmp_path, monkeypatch):
    (_, shown), = blocks(README, "text")
    monkeypatch.chdir(tmp_path)
    Path("team.yaml").write_text(readme_scenario().replace("email: ana@example.com", "email: ana"))
    with pytest.raises(ScenarioError) as failure:
        MockServer(["default", "team.yaml"])
    assert str(failure.value) == shown.strip()


def test_readme_ini_configuration(pytester):
    (_, ini), = blocks(README, "ini")
    scenario_path = re.search(r"mockserver_scenarios = default (\S+)", ini).group(1)
    assert (ROOT / scenario_path).read_text() == readme_scenario(), "the example file is the README's scenario"
    (pytester.path / scenario_path).parent.mkdir(parents=True, exist_ok=True)
    (pytester.path / scenario_path).write_text(readme_scenario())
    pytester.makeini(ini)
    pytester.makepyfile(test_inner_ini_example="""
        def test_it(mockserver):
            assert mockserver.state.scenarios == ["default", "team"]
            assert mockserver.strict
    """)
    pytester.runpytest_inprocess(*INNER_ARGS).assert_outcomes(passed=1)


# -- bash: the CLI and curl ------------------------------------------------------------------------
def shell_commands() -> list[tuple[int, list[str]]]:
    commands = []
    for line, block in blocks(README, "bash"):
        for offset, text in enumerate(block.splitlines()):
            words = shlex.split(text, comments=True)
            if words:
                commands.append((line + 1 + offset, words))
    return commands


def test_every_cli_example_parses():
    checked = 0
    for line, words in shell_commands():
        environ = {}
        while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
            name, _, value = words.pop(0).partition("=")
            environ[name] = value
        if words[:3] == ["python", "-m", "mockserver"]:
            argv = words[3:]
        elif words[:1] == ["mockserver"]:
            argv = words[1:]
        else:
            continue
        args = parse_args(argv, environ=environ)  # exits (status 2) on a bad flag or value
        assert args.port in range(0, 65536), line
        checked += 1
    assert checked >= 5


def test_every_curl_example_names_a_control_route():
    server = MockServer(["empty"])
    routes = server.app.url_map.bind("localhost")
    checked = 0
    for line, words in shell_commands():
        if words[0] != "curl":
            continue
        method, data, url, headers = "GET", None, None, {}
        items = iter(words[1:])
        for word in items:
            if word == "-X":
                method = next(items)
            elif word == "-H":
                name, _, value = next(items).partition(":")
                headers[name.strip()] = value.strip()
            elif word == "-d":
                data = next(items)
                method = "POST" if method == "GET" else method
            elif not word.startswith("-"):
                url = word
        parts = urlsplit(url if "://" in url else f"http://{url}")
        endpoint, _ = routes.match(parts.path, method)
        assert endpoint.startswith("control."), (line, endpoint)
        if data is not None:
            json.loads(data)
        response = server.session(None).request(method, f"{parts.path}?{parts.query}", data=data, headers=headers)
        assert response.status_code < 400, (line, response.text)
        checked += 1
    assert checked >= 5


# -- docs/control-api.md: HTTP examples -----------------------------------------------------------
def parse_http(block: str) -> tuple[str, str, str, int, object]:
    request_part, _, response_part = block.partition("\nHTTP/1.1 ")
    request_line, _, request_rest = request_part.partition("\n")
    method, target, _ = request_line.split(" ")
    body = request_rest.strip()
    status_line, _, response_body = response_part.partition("\n")
    expected = json.loads(response_body) if response_body.strip() else None
    return method, target, body, int(status_line.split(" ")[0]), expected


def test_control_api_examples_in_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    server = MockServer(["default"], save_dir=tmp_path)  # the save example writes a relative path there
    session = server.session(None)
    for line, block in blocks(CONTROL, "http"):
        method, target, body, status, expected = parse_http(block)
        response = session.request(method, target, data=body.encode() if body else None,
                                   headers={"Content-Type": "application/json"} if body else {})
        assert response.status_code == status, f"docs/control-api.md:{line}: {response.text}"
        if expected is not None:
            problems = json_subset_diff(expected, response.json(), "body")
            assert not problems, f"docs/control-api.md:{line}: {problems}"
    assert (tmp_path / "snapshot.json").exists()
