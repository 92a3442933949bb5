"""GraphQL ``_like`` / ``_ilike`` cannot freeze the server, and workspace inserts have bounded names.

The audit's attack: a workspace named ``"a" * 63`` and ``_like: "%a" * 12 + "%b"`` pinned a
core for minutes holding the GIL (a regular expression of ``.*`` runs backtracks
exponentially), and an ``_or`` of 30 000 patterns took 7 s (each compiled again for every
row). LIKE is now matched by literal segments in polynomial time, each pattern prepared once
per operation (docs/wallaroo.md, "Boolean expressions").
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver import MockServer
from mockserver.wallaroo.graphql import filters
from mockserver.wallaroo.graphql.tables import MAX_EMAIL_LENGTH, MAX_NAME_LENGTH
from mockserver.wallaroo.records import DEFAULT_WORKSPACE_SUFFIX

QUERY = "query($p: String!) { workspace(where: {name: {_like: $p}}) { id name } }"


@pytest.fixture(scope="module")
def server():
    with MockServer(["default"]) as running:
        yield running


@pytest.fixture
def client(server):
    server.reset()
    return server.test_client()


def graphql(server, client, query: str, variables: dict | None = None) -> dict:
    answer = client.post("/v1/graphql", json={"query": query, "variables": variables or {}},
                         headers=server.wallaroo_headers())
    assert answer.status_code == 200
    return answer.get_json()


def names(server, client, operator: str, pattern: str) -> set[str]:
    query = QUERY.replace("_like", operator)
    body = graphql(server, client, query, {"p": pattern})
    return {row["name"] for row in body["data"]["workspace"]}


def test_the_backtracking_pattern_answers_in_seconds():
    # in a child process: before the fix the match never ends and holds the GIL, so only a
    # process can be stopped (after 20 s, when the answer takes well under one)
    script = textwrap.dedent("""
        from mockserver import MockServer
        with MockServer(["default"]) as server:
            client = server.test_client()
            headers = server.wallaroo_headers()
            assert client.post("/v1/api/workspaces/create", json={"workspace_name": "a" * 63},
                               headers=headers).status_code == 200
            query = "query($p: String!) { workspace(where: {name: {_like: $p}}) { id } }"
            for pattern in ("%a" * 12 + "%b", "%a" * 40 + "%", "%_" * 64, "%a%" * 30 + "b"):
                answer = client.post("/v1/graphql", json={"query": query, "variables": {"p": pattern}},
                                     headers=headers).get_json()
                print(len(answer["data"]["workspace"]), flush=True)
    """)
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=20)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.split() == ["0", "1", "0", "0"]


def test_each_pattern_is_prepared_once_per_operation(server, client, monkeypatch):
    prepared = []
    original = filters.LikePattern.__init__

    def counting(self, pattern, *, ignore_case):
        prepared.append(pattern)
        original(self, pattern, ignore_case=ignore_case)

    monkeypatch.setattr(filters.LikePattern, "__init__", counting)
    for index in range(20):
        server.wallaroo.add_workspace(name=f"ws-{index}", members=[{"user": "developer@example.com",
                                                                    "user_type": "OWNER"}])
    patterns = [f"zz{index}%" for index in range(300)] + ["ws-1%"]
    where = "{_or: [" + ", ".join(f'{{name: {{_like: "{pattern}"}}}}' for pattern in patterns) + "]}"
    body = graphql(server, client, f"query {{ workspace(where: {where}) {{ name }} }}")
    assert {row["name"] for row in body["data"]["workspace"]} == {"ws-1", *(f"ws-1{i}" for i in range(10))}
    assert sorted(prepared) == sorted(patterns)


def test_like_operators_over_the_api(server, client):
    for name in ("Alpha-1", "alpha_2", "beta%3"):
        server.wallaroo.add_workspace(name=name, members=[{"user": "developer@example.com", "user_type": "OWNER"}])
    assert names(server, client, "_like", "alpha%") == {"alpha_2"}
    assert names(server, client, "_ilike", "ALPHA%") == {"Alpha-1", "alpha_2"}
    assert names(server, client, "_like", "alpha\\_2") == {"alpha_2"}
    assert names(server, client, "_like", "beta\\%_") == {"beta%3"}
    assert names(server, client, "_like", "_lpha-_") == {"Alpha-1"}
    assert "Alpha-1" not in names(server, client, "_nlike", "%-%")
    assert "alpha_2" in names(server, client, "_nilike", "%-%")
    assert names(server, client, "_ilike", "%L%A%-_") == {"Alpha-1"}


def reference(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """The regular expression the matcher replaced (fine for tiny inputs)."""
    parts, escaped = [], False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            parts.append({"%": ".*", "_": "."}.get(char, re.escape(char)))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


@settings(max_examples=600, derandomize=True, database=None, deadline=None)
@given(st.text("aAbß%_\\", max_size=8), st.text("aAbß%_\\", max_size=10), st.booleans())
def test_like_means_what_the_regular_expression_meant(pattern, text, ignore_case):
    expected = reference(pattern, ignore_case).fullmatch(text) is not None
    assert filters.LikePattern(pattern, ignore_case=ignore_case).fullmatch(text) is expected


INSERT = ('mutation($name: String!) { insert_workspace_one(object: {name: $name, created_by: "x@example.com"}) '
          '{ id name } }')


def test_inserted_names_are_as_long_as_rest_allows(server, client):
    before = server.export_state()["wallaroo"]
    body = graphql(server, client, INSERT, {"name": "a" * 5000})
    (error,) = body["errors"]
    assert "workspace_name_length_check" in error["message"]
    body = graphql(server, client, INSERT, {"name": "b" * (MAX_NAME_LENGTH + 1)})
    assert "workspace_name_length_check" in body["errors"][0]["message"]
    assert server.export_state()["wallaroo"] == before
    body = graphql(server, client, INSERT, {"name": "c" * MAX_NAME_LENGTH})
    assert body["data"]["insert_workspace_one"]["name"] == "c" * MAX_NAME_LENGTH


def test_a_default_workspace_name_may_be_as_long_as_an_email(server, client):
    email = "u" * (MAX_EMAIL_LENGTH - len("@example.com")) + "@example.com"
    body = graphql(server, client, INSERT, {"name": email + DEFAULT_WORKSPACE_SUFFIX})
    assert body["data"]["insert_workspace_one"]["name"] == email + DEFAULT_WORKSPACE_SUFFIX
    body = graphql(server, client, INSERT, {"name": "u" + email + DEFAULT_WORKSPACE_SUFFIX})
    assert "workspace_name_length_check" in body["errors"][0]["message"]


def test_an_operation_compares_rows_a_bounded_number_of_times(server, client):
    """Even prepared once, 30 000 patterns are compared with every row: rows times comparisons
    is limited (limits.MAX_COMPARISONS), in Hasura's validation-failed shape."""
    from mockserver.wallaroo.graphql import limits

    for index in range(20):
        server.wallaroo.add_workspace(name=f"ws-{index}", members=[{"user": "developer@example.com",
                                                                    "user_type": "OWNER"}])
    rows = len(graphql(server, client, "query { workspace { id } }", None)["data"]["workspace"])
    query = "query($w: workspace_bool_exp) { workspace(where: $w) { id } }"
    fits = limits.MAX_COMPARISONS // rows
    over = {"_or": [{"name": {"_like": f"p{index}%"}} for index in range(fits + 1)]}
    body = graphql(server, client, query, {"w": over})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "validation-failed"
    assert f"more than {limits.MAX_COMPARISONS} times" in error["message"]
    within = {"_or": [{"name": {"_like": f"p{index}%"}} for index in range(fits - 1)] + [{"id": {"_gte": 0}}]}
    assert len(graphql(server, client, query, {"w": within})["data"]["workspace"]) == rows
