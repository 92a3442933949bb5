"""Scenarios compose: every pair of built-ins, in either order, on the CLI, with the mark and
through the control API; the same record in two scenarios is one record, and a record that
differs is refused naming both scenarios and the record."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import pytest

from mockserver import MockServer, ScenarioError
from mockserver.cli import main
from mockserver.scenarios import builtin_names

pytest_plugins = ["pytester"]

BUILTINS = builtin_names()
PAIRS = list(itertools.permutations(BUILTINS, 2))
ADMIN_ID = "1bc88c6d-b476-4e4d-aa1a-a5a3554591d3"


def test_the_builtins_are_the_documented_four():
    assert set(BUILTINS) >= {"default", "empty", "wallaroo-tutorial", "modelarts-sample"}


@pytest.mark.parametrize("first, second", PAIRS)
def test_every_pair_on_the_command_line(first, second):
    out, err = io.StringIO(), io.StringIO()
    assert main(["--check", "--scenario", first, "--scenario", second], out=out, err=err) == 0, err.getvalue()
    assert out.getvalue() == f"ok: scenarios {first}, {second}\n"


def test_every_pair_with_the_mark(pytester):
    pytester.makepyfile(test_inner_pairs=f"""
        import pytest

        @pytest.mark.parametrize("pair", {PAIRS!r})
        def test_pair(request, pair):
            request.node.add_marker(pytest.mark.mockserver_scenario(*pair))
            server = request.getfixturevalue("mockserver")
            assert server.state.scenarios == list(pair)
    """)
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q").assert_outcomes(passed=len(PAIRS))


def test_every_pair_through_the_control_api():
    server = MockServer(["empty"])
    control = server.session(None)
    for first, second in PAIRS:
        reset = control.post("/__mock/reset", json={"scenarios": [first, second]})
        assert reset.status_code == 200, (first, second, reset.text)
        assert control.get("/__mock/health").json()["scenarios"] == [first, second]
        control.post("/__mock/reset", json={"scenarios": [first]}).raise_for_status()
        loaded = control.post("/__mock/scenarios/load", json={"scenarios": [second]})
        assert loaded.status_code == 200, (first, second, loaded.text)


@pytest.mark.parametrize("order", [("default", "wallaroo-tutorial"), ("wallaroo-tutorial", "default")])
def test_the_same_record_in_two_scenarios_is_one_record(order):
    server = MockServer(list(order))
    admins = [user for user in server.wallaroo.users() if user.username == "admin"]
    assert [user.id for user in admins] == [ADMIN_ID]
    alone = {name: len(MockServer([name]).wallaroo.users()) for name in order}
    assert len(server.wallaroo.users()) == sum(alone.values()) - 1


@pytest.mark.parametrize("user, at, record, password", [
    (f"{{id: {ADMIN_ID}, username: admin, password: other}}", "wallaroo.users[0].id", f"user id '{ADMIN_ID}' (admin)",
     "admin"),
    ("{username: developer@example.com, email: developer@example.com, password: other}", "wallaroo.users[0]",
     "user 'developer@example.com'", "developer"),
], ids=["by id", "by username"])
def test_a_true_conflict_names_the_scenario_as_given_the_record_and_what_differs(tmp_path, user, at, record,
                                                                                password):
    clash = tmp_path / "clash.yaml"
    clash.write_text(f"wallaroo:\n  users:\n    - {user}\n")
    with pytest.raises(ScenarioError) as failure:
        MockServer(["default", str(clash)])
    message = str(failure.value)
    assert message.startswith(f"{clash}:3: at {at}: {record} is already defined by default with other values: "), \
        message
    assert f"password: '{password}' before, 'other' here" in message
    assert "_fixtures" not in message and "default.json" not in message


def test_a_conflict_through_the_control_api_changes_nothing():
    server = MockServer(["default"])
    control = server.session(None)
    before = control.get("/__mock/state").json()
    before.pop("clock")
    clash = {"name": "clash", "wallaroo": {"workspaces": [{"id": 1, "name": "another name"}]}}
    answer = control.post("/__mock/scenarios/load", json={"scenarios": [clash]})
    assert answer.status_code == 422
    assert "workspace id 1 ('developer@example.com - Default Workspace') is already defined by the loaded " \
           "state (default)" in answer.text
    after = control.get("/__mock/state").json()
    after.pop("clock")
    assert after == before


def test_modelarts_duplicates_name_the_first_scenario(tmp_path):
    first = {"name": "first", "modelarts": {"accounts": [{"id": "a" * 32, "name": "acme"}]}}
    second = {"name": "second", "modelarts": {"accounts": [{"id": "a" * 32, "name": "acme-two"}]}}
    with pytest.raises(ScenarioError) as failure:
        MockServer([first, second])
    assert str(failure.value) == (f"second: at modelarts.accounts[0].id: account id '{'a' * 32}' (acme-two) is already "
                                  "defined by first with other values: name: 'acme' before, 'acme-two' here")


def data_without_names(server: MockServer) -> dict:
    document = server.export_state()
    document.pop("clock"), document.pop("scenarios")
    return document


@pytest.mark.parametrize("name", BUILTINS)
def test_a_scenario_combined_with_itself_is_itself(name):
    """Every record kind of both APIs: the same record twice is one record."""
    out, err = io.StringIO(), io.StringIO()
    assert main(["--check", "--scenario", name, "--scenario", name], out=out, err=err) == 0, err.getvalue()
    assert data_without_names(MockServer([name, name])) == data_without_names(MockServer([name]))


@pytest.mark.parametrize("name", BUILTINS)
def test_a_saved_state_combines_with_its_scenario(name, tmp_path):
    saved = MockServer([name]).save_state(tmp_path / "state.json")
    assert data_without_names(MockServer([name, str(saved)])) == data_without_names(MockServer([name]))


def test_a_file_repeating_part_of_a_scenario_adds_nothing(tmp_path):
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text("modelarts:\n  accounts:\n    - {id: a1b2c3d4e5f60718293a4b5c6d7e8f90, name: mock-account}\n")
    assert data_without_names(MockServer(["default", str(accounts)])) == data_without_names(MockServer(["default"]))


def test_an_identical_yaml_file_twice_is_itself():
    """examples/team.yaml has a ModelArts workspace without an id: it repeats by its name."""
    team = str(Path(__file__).parents[2] / "examples" / "team.yaml")
    assert data_without_names(MockServer(["default", team, team])) == data_without_names(MockServer(["default", team]))


def test_a_modelarts_conflict_says_what_differs(tmp_path):
    project = {"name": "other", "modelarts": {"projects": [
        {"id": "0123456789abcdef0123456789abcdef", "name": "eu-nl", "account": "mock-account"}]}}
    with pytest.raises(ScenarioError) as failure:
        MockServer(["default", project])
    assert str(failure.value) == ("other: at modelarts.projects[0].id: project id '0123456789abcdef0123456789abcdef' "
                                  "(eu-nl) is already defined by default with other values: name: 'eu-de' before, "
                                  "'eu-nl' here")


@pytest.mark.parametrize("section, items, path", [
    ("wallaroo", {"workspaces": [{"id": 5, "name": "a"}, {"id": 5, "name": "b"}]}, "wallaroo.workspaces[1].id"),
    ("modelarts", {"workspaces": [{"project": "0123456789abcdef0123456789abcdef", "id": "w5", "name": "a"},
                                  {"project": "0123456789abcdef0123456789abcdef", "id": "w5", "name": "b"}]},
     "modelarts.workspaces[1].id"),
    ("wallaroo", {"models": [{"id": 7, "name": "m", "workspace": 1}, {"id": 7, "name": "n", "workspace": 1}]},
     "wallaroo.models[1].id"),
])
def test_a_duplicate_within_one_file_names_the_earlier_item(tmp_path, section, items, path):
    """It said 'by the loaded state (no scenarios)' for ids written as numbers."""
    twice = {"name": "twice", section: items}
    with pytest.raises(ScenarioError) as failure:
        MockServer(["default", twice])
    message = str(failure.value)
    assert message.startswith(f"twice: at {path}: ") and " by an earlier item of this scenario" in message, message


def test_a_catalog_conflict_says_what_differs():
    tutorial = MockServer(["wallaroo-tutorial"]).export_state()["wallaroo"]
    model = tutorial["models"][0]
    model["versions"][0]["file_name"] = "other.onnx"
    with pytest.raises(ScenarioError) as failure:
        MockServer(["wallaroo-tutorial", {"name": "edited", "wallaroo": {"models": [model]}}])
    assert str(failure.value) == ("edited: at wallaroo.models[0].id: model id 1 ('ccfraudmodel') is already defined by "
                                  "wallaroo-tutorial with other values: versions[0].file_name: 'ccfraud.onnx' before, "
                                  "'other.onnx' here")
