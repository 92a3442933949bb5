"""Scenarios compose: every pair of built-ins, in either order, on the CLI, with the mark and
through the control API; the same record in two scenarios is one record, and a record that
differs is refused naming both scenarios and the record."""

from __future__ import annotations

import io
import itertools

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


def test_a_true_conflict_names_both_scenarios_and_the_record(tmp_path):
    clash = tmp_path / "clash.yaml"
    clash.write_text(f"wallaroo:\n  users:\n    - {{id: {ADMIN_ID}, username: admin, password: other}}\n")
    with pytest.raises(ScenarioError) as failure:
        MockServer(["default", str(clash)])
    message = str(failure.value)
    assert message.startswith(f"{clash}:3: at wallaroo.users[0].id: user id '{ADMIN_ID}' (admin) is already "
                              "defined by "), message
    assert "default.json with other values: password: 'admin' before, 'other' here" in message


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
    assert str(failure.value) == f"second: at modelarts.accounts[0].id: duplicate account id '{'a' * 32}' by first"
