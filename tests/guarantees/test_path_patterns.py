"""Issue 8, item 2: path patterns (fault rules, journal queries) match in linear time.

The glob used to become a backtracking regular expression: ``/**a**a**a**a**a**a**a**!``
froze the process on the next request (SIGTERM ignored). Correctness is checked against
that regular expression on small inputs (where it is fast), and the attack patterns
through the control API, each request answered while a thread waits for it.
"""

from __future__ import annotations

import re
import threading

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.journal import MAX_PATTERN_LENGTH, Journal, path_matches

ATTACKS = ["/**a**a**a**a**a**a**a**!", "/*a*a*a*a*a*a*a*a*a*a*a*a*!", "/**/**/**/**/**/**/**/**/**/**/x!",
           "/" + "?*" * 60 + "!"]


def glob_as_regex(pattern: str) -> re.Pattern[str]:
    """The documented meaning of a glob, as the (backtracking) regular expression it was."""
    parts = []
    for token in re.split(r"(\*\*|\*|\?)", pattern):
        parts.append({"**": ".*", "*": "[^/]*", "?": "[^/]"}.get(token, re.escape(token)))
    return re.compile("".join(parts) + r"\Z")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab/*?", max_size=10), st.text(alphabet="ab/", max_size=12))
def test_globs_mean_what_they_did(pattern, path):
    assert path_matches(pattern, path) == bool(glob_as_regex(pattern).match(path))


@pytest.mark.parametrize("pattern, path, expected", [
    ("/v1/*/workspaces/**", "/v1/api/workspaces/list", True),
    ("/v1/*/workspaces/**", "/v1/api/x/workspaces/list", False),
    ("/v1/api/*", "/v1/api/config", True),
    ("/v1/api/*", "/v1/api/a/b", False),
    ("/**", "/", True),
    ("/v1/api/confi?", "/v1/api/config", True),
    ("/a***b", "/a/x/b", True),  # any run of stars with a double star crosses segments
    ("/a.b", "/aXb", False),  # no character is special but the wildcards
])
def test_examples(pattern, path, expected):
    assert path_matches(pattern, path) is expected


@pytest.mark.parametrize("pattern", ATTACKS)
def test_attack_patterns_answer_on_long_paths(pattern):
    path = "/" + "a" * 8000
    finished = []
    worker = threading.Thread(target=lambda: finished.append(path_matches(pattern, path)), daemon=True)
    worker.start()
    worker.join(30)  # a liveness bound, not a speed check: the regex took hours here
    assert finished == [False]


def test_a_journal_query_matches_many_entries_with_an_attack_pattern():
    journal = Journal()
    for index in range(500):
        journal.record(time=0.0, method="GET", path="/" + "a" * (50 + index), query="", headers={}, body="",
                       status=200)
    assert journal.find(path=ATTACKS[0]) == []
    assert len(journal.find(path="/a*")) == 500


def _in_thread(call):
    result = []
    worker = threading.Thread(target=lambda: result.append(call()), daemon=True)
    worker.start()
    worker.join(30)  # liveness bound: the old code froze every request
    assert result, "the server did not answer"
    return result[0]


@pytest.mark.parametrize("pattern", ATTACKS)
def test_a_fault_rule_with_an_attack_pattern_does_not_freeze_the_server(server, pattern):
    server.reset()
    added = requests.post(f"{server.url}/__mock/faults", json={"path": pattern, "status": 503})
    assert added.status_code == 201
    answer = _in_thread(lambda: requests.get(f"{server.url}/" + "a" * 4000, timeout=60))
    assert answer.status_code == 404  # the rule did not match; the path is simply unknown
    listed = _in_thread(lambda: requests.get(f"{server.url}/__mock/requests", params={"path": pattern}, timeout=60))
    assert listed.status_code == 200 and listed.json()["count"] == 0


def test_patterns_over_the_length_limit_are_refused(server):
    pattern = "/" + "*" * MAX_PATTERN_LENGTH
    added = requests.post(f"{server.url}/__mock/faults", json={"path": pattern, "status": 503})
    assert added.status_code == 400
    assert f"at most {MAX_PATTERN_LENGTH} characters" in added.json()["error"]
    listed = requests.get(f"{server.url}/__mock/requests", params={"path": pattern})
    assert listed.status_code == 400 and "at most" in listed.json()["error"]
    found = requests.post(f"{server.url}/__mock/requests/find", json={"path": pattern})
    assert found.status_code == 400
    with pytest.raises(ValueError):
        server.journal.find(path=pattern)
    assert requests.post(f"{server.url}/__mock/faults",
                         json={"path": "/" + "*" * (MAX_PATTERN_LENGTH - 1), "status": 503}).status_code == 201
