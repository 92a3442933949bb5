"""The plugin as a user's suite sees it: inner pytest runs (in-process, fast) with only the package installed."""

from __future__ import annotations

import pytest

# In-process inner runs unload every module they imported when they end; importing the
# client stack here keeps one copy of it (two copies of requests' cookie classes clash).
# PyJWT and cryptography are kept loaded by tests/conftest.py, for every such file.
import mockserver.clients  # noqa: F401
import requests  # noqa: F401

pytest_plugins = ["pytester"]

# hypothesis imports itself lazily at the end of every inner session (~2 s), so it is off
ARGS = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-q")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess(*ARGS, *args)


def test_fixtures_need_no_conftest_and_each_test_starts_clean(pytester):
    pytester.makepyfile(test_inner_clean="""
        import requests

        def test_adds_a_workspace(mockserver):
            session = mockserver.session("wallaroo")
            assert session.post("/v1/api/workspaces/create", json={"workspace_name": "leaky"}).ok

        def test_does_not_see_it(mockserver):
            names = [w["name"] for w in
                     mockserver.session("wallaroo").post("/v1/api/workspaces/list", json={}).json()["workspaces"]]
            assert "leaky" not in names
            assert len(mockserver.journal) == 1
    """)
    run(pytester).assert_outcomes(passed=2)


def test_the_closest_mark_wins_and_the_defaults_come_back(pytester):
    pytester.makepyfile(test_inner_marks="""
        import pytest

        pytestmark = pytest.mark.mockserver_scenario("empty")

        def test_module_mark(mockserver):
            assert mockserver.state.scenarios == ["empty"]

        @pytest.mark.mockserver_scenario("wallaroo-tutorial")
        def test_function_mark(mockserver):
            assert mockserver.state.scenarios == ["wallaroo-tutorial"]

        @pytest.mark.mockserver_scenario("modelarts-sample")
        class TestClass:
            def test_class_mark(self, mockserver):
                assert mockserver.state.scenarios == ["modelarts-sample"]

            @pytest.mark.mockserver_scenario("default", "wallaroo-tutorial-extra.yaml")
            def test_function_beats_class(self, mockserver):
                assert mockserver.state.scenarios == ["default", "wallaroo-tutorial-extra"]
                assert mockserver.wallaroo.find_user("extra@example.com")
    """, test_inner_unmarked="""
        def test_back_to_the_defaults(mockserver, mockserver_session):
            assert mockserver_session.state.scenarios == ["default"]
            assert mockserver.wallaroo.find_user("developer@example.com")
    """)
    # a relative scenario path is found next to the test file
    pytester.makefile(".yaml", **{"wallaroo-tutorial-extra": "wallaroo:\n  users:\n    - {username: extra@example.com, email: extra@example.com}\n"})
    run(pytester, "test_inner_marks.py", "test_inner_unmarked.py").assert_outcomes(passed=5)


def test_the_session_server_is_back_on_its_defaults_after_a_marked_test(pytester):
    pytester.makepyfile(test_inner_order="""
        import pytest

        @pytest.mark.mockserver_scenario("empty")
        def test_first(mockserver):
            assert mockserver.wallaroo.users() == []

        def test_second(mockserver_session):
            assert mockserver_session.state.scenarios == ["default"]
            assert mockserver_session.wallaroo.users()
    """)
    run(pytester).assert_outcomes(passed=2)


@pytest.mark.parametrize("mark, message", [
    ('"no-such-scenario"', "cannot load the mockserver scenarios: no-such-scenario: unknown scenario"),
    ("", "needs at least one scenario; use 'empty' for none"),
    ('"default", extend=True', "takes scenarios only"),
    ('{"wallaroo": {"users": [{"email": "x"}]}}', "at wallaroo.users[[]0[]].email"),
])
def test_a_bad_mark_is_an_error_with_a_reason(pytester, mark, message):
    pytester.makepyfile(test_inner_bad=f"""
        import pytest

        @pytest.mark.mockserver_scenario({mark})
        def test_it(mockserver):
            pass
    """)
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*{message}*"])


def test_a_broken_scenario_file_names_the_file_and_path(pytester):
    pytester.makefile(".json", broken='{"wallaroo": {"workspaces": [{"name": "w", "archived": "no"}]}}')
    pytester.makepyfile(test_inner_broken="""
        import pytest

        @pytest.mark.mockserver_scenario("broken.json")
        def test_it(mockserver):
            pass
    """)
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*broken.json: at wallaroo.workspaces[[]0[]].archived: expected a boolean*"])


def test_journal_assertion_failures_show_the_closest_requests(pytester):
    pytester.makepyfile(test_inner_journal="""
        def test_it(mockserver):
            mockserver.session("wallaroo").post("/v1/api/workspaces/create", json={"workspace_name": "wz"})
            mockserver.journal.assert_called("POST", "/v1/api/workspaces/create", json={"workspace_name": "ws"})
    """)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    assert "mockserver/journal.py" not in result.stdout.str(), "the journal's own frames are hidden"
    result.stdout.fnmatch_lines([
        "*expected POST /v1/api/workspaces/create with json ⊇ {\"workspace_name\": \"ws\"} to be requested at least once*",
        "*Closest recorded requests:*",
        "*#1 POST /v1/api/workspaces/create {\"workspace_name\": \"wz\"} -> 200*",
        "*json.workspace_name: expected \"ws\", got \"wz\"*",
    ])


STRICT_TESTS = """
    import pytest
    import requests

    def test_typo(mockserver):
        requests.post(mockserver.url + "/v1/api/workspace/list", json={})

    @pytest.mark.mockserver_strict(False)
    def test_allowed(mockserver):
        requests.post(mockserver.url + "/v1/api/workspace/list", json={})

    def test_opt_out_at_run_time(mockserver):
        mockserver.strict = False
        requests.post(mockserver.url + "/v1/api/nothing", json={})

    def test_clean(mockserver):
        assert mockserver.session("wallaroo").post("/v1/api/workspaces/list", json={}).ok

    def test_failing_anyway(mockserver):
        requests.post(mockserver.url + "/v1/api/workspace/list", json={})
        assert False, "the test's own failure"
"""


def test_strict_mode_fails_unmatched_requests_at_teardown(pytester):
    pytester.makeini("[pytest]\nmockserver_strict = true\n")
    pytester.makepyfile(test_inner_strict=STRICT_TESTS)
    result = run(pytester)
    result.assert_outcomes(passed=4, failed=1, errors=1)
    result.stdout.fnmatch_lines([
        "*ERROR at teardown of test_typo*",
        "*mockserver strict mode: 1 request(s) matched no route of the mock:*",
        "*#1 POST /v1/api/workspace/list {} -> 404*",
        "*did you mean: POST /v1/api/workspaces/list*",
        "*@pytest.mark.mockserver_strict(False)*",
    ])
    assert "teardown of test_failing_anyway" not in result.stdout.str(), "a failed test is not reported twice"


def test_strict_mode_is_off_unless_asked_for(pytester):
    pytester.makepyfile(test_inner_lenient=STRICT_TESTS.replace("def test_failing_anyway", "def _unused"), test_inner_marked="""
        import pytest
        import requests

        pytestmark = pytest.mark.mockserver_strict

        def test_marked_module(mockserver):
            requests.get(mockserver.url + "/v1/api/nowhere")
    """)
    result = run(pytester)
    result.assert_outcomes(passed=5, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_marked_module*"])


def test_default_scenarios_and_address_can_be_overridden(pytester):
    pytester.makeconftest("""
        import pytest

        @pytest.fixture(scope="session")
        def mockserver_scenarios():
            return ["empty", {"name": "team", "wallaroo": {"users": [{"username": "team@example.com",
                                                                       "email": "team@example.com"}]}}]

        @pytest.fixture(scope="session")
        def mockserver_listen_address():
            return ("127.0.0.1", 0)
    """)
    pytester.makepyfile(test_inner_override="""
        def test_it(mockserver, mockserver_inprocess):
            assert mockserver.state.scenarios == ["empty", "team"]
            assert mockserver_inprocess.state.scenarios == ["empty", "team"]
            assert mockserver.session("wallaroo", "team@example.com").post("/v1/api/workspaces/list", json={}).ok
    """)
    run(pytester).assert_outcomes(passed=1)


def test_default_scenarios_from_the_ini_file(pytester):
    pytester.makeini("[pytest]\nmockserver_scenarios = wallaroo-tutorial\n")
    pytester.makepyfile(test_inner_ini="""
        def test_it(mockserver):
            assert mockserver.state.scenarios == ["wallaroo-tutorial"]
    """)
    run(pytester).assert_outcomes(passed=1)


def test_the_marks_are_registered(pytester):
    pytester.makepyfile(test_inner_strict_markers="""
        import pytest

        @pytest.mark.mockserver_scenario("empty")
        @pytest.mark.mockserver_strict
        def test_it(mockserver):
            pass
    """)
    run(pytester, "--strict-markers").assert_outcomes(passed=1)
    result = run(pytester, "--markers")
    result.stdout.fnmatch_lines(["*mockserver_scenario(*scenarios)*", "*mockserver_strict(enabled=True)*"])


def test_factory_servers_are_stopped_and_saved_after_the_test(pytester):
    pytester.makepyfile(test_inner_factory="""
        import json
        import requests

        SEEN = {}

        def test_make(mockserver_factory, tmp_path_factory):
            path = tmp_path_factory.getbasetemp() / "state.json"
            server = mockserver_factory(["empty"], state_file=path)
            SEEN.update(url=server.url, path=path)

        def test_gone():
            assert json.loads(SEEN["path"].read_text())["scenarios"] == ["empty"]
            try:
                requests.get(SEEN["url"] + "/__mock/health", timeout=2)
            except requests.ConnectionError:
                return
            raise AssertionError("the factory's server still answers")
    """)
    run(pytester).assert_outcomes(passed=2)


def test_works_with_xdist_one_server_per_worker(pytester):
    pytester.makepyfile(test_inner_xdist="""
        import os
        import pytest

        @pytest.mark.parametrize("index", range(6))
        def test_it(mockserver, index):
            session = mockserver.session("wallaroo")
            created = session.post("/v1/api/workspaces/create", json={"workspace_name": f"w{index}"})
            # each test starts from the same baseline, whatever ran before it on this worker
            assert created.json() == {"workspace_id": 2}
            assert os.environ["PYTEST_XDIST_WORKER"] in ("gw0", "gw1")
    """)
    result = pytester.runpytest_subprocess("-n", "2", *ARGS)
    result.assert_outcomes(passed=6)


TEAM_YAML = """
wallaroo:
  users:
    - {username: lead@example.com, email: lead@example.com}
"""


@pytest.mark.parametrize("where", ["tests", "elsewhere"])
def test_ini_scenario_paths_are_relative_to_the_ini_file(pytester, monkeypatch, where):
    """`cd tests && pytest` (or `pytest /abs/proj` from another folder) read them against the
    working directory, and every test errored with a traceback."""
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\nmockserver_scenarios = ["default", "examples/team.yaml"]\n')
    (pytester.path / "examples").mkdir()
    (pytester.path / "examples" / "team.yaml").write_text(TEAM_YAML)
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_inner_ini_paths.py").write_text(
        "def test_it(mockserver):\n"
        "    assert mockserver.wallaroo.find_user('lead@example.com') is not None\n")
    project = pytester.path
    monkeypatch.chdir(project / "tests" if where == "tests" else project.parent)
    run(pytester, str(project)).assert_outcomes(passed=1)


def test_a_bad_ini_scenario_is_one_line_not_a_traceback(pytester):
    pytester.makeini("[pytest]\nmockserver_scenarios = default examples/missing.yaml\n")
    pytester.makepyfile(test_inner_bad_ini="""
        def test_listening(mockserver):
            pass

        def test_inprocess(mockserver_inprocess):
            pass
    """)
    result = run(pytester)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines([f"*cannot load the mockserver scenarios: {pytester.path / 'examples' / 'missing.yaml'}: "
                                 "no such scenario file*"])
    assert "Traceback" not in result.stdout.str() and "raise ScenarioError" not in result.stdout.str()


def test_a_projects_own_conftest_plugin_module_does_not_hide_the_plugin(pytester):
    """The plugin was the top-level module ``conftest_plugin``: a project file of that name,
    first on ``sys.path`` under ``python -m pytest``, replaced it (``fixture 'mockserver' not
    found``). It lives in the package now; the old name stays an alias of the same module."""
    pytester.makepyfile(conftest_plugin="RAISE_IF_USED_AS_THE_PLUGIN = True\n")
    pytester.makepyfile(test_inner_shadow="""
        def test_it(mockserver):
            assert mockserver.session("wallaroo").post("/v1/api/workspaces/list", json={}).ok
    """)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_the_old_module_name_is_the_plugin_itself():
    import conftest_plugin

    from mockserver import pytest_plugin

    assert conftest_plugin is pytest_plugin and hasattr(conftest_plugin, "mockserver")
