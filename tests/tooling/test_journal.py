"""The request journal: matching, pytest-style assertions and their near-miss messages."""

from __future__ import annotations

import threading

import pytest
import requests

from mockserver.journal import Journal, RequestMatcher, json_subset_diff

WORKSPACES_CREATE = "/v1/api/workspaces/create"


def record(journal: Journal, method: str = "POST", path: str = WORKSPACES_CREATE, *, body: str = "", json=None,
           status: int | None = 200, query: str = "", headers: dict[str, str] | None = None, matched: bool = True,
           api: str | None = "wallaroo", fault: str | None = None):
    return journal.record(time=0.0, method=method, path=path, query=query, headers=headers or {}, body=body,
                          json=json, status=status, response=None, api=api, matched=matched, fault=fault)


def create(journal: Journal, name: str, status: int = 200):
    return record(journal, body=f'{{"workspace_name":"{name}"}}', json={"workspace_name": name}, status=status)


# -- matching ------------------------------------------------------------------------
def test_json_subset_diff_names_each_difference_by_path():
    expected = {"a": 1, "b": {"c": "x", "d": [1, {"e": True}]}, "f": None}
    actual = {"a": 2, "b": {"c": "x", "d": [1, {"e": False, "extra": 1}]}, "g": 0}
    assert json_subset_diff(expected, actual) == [
        "json.a: expected 1, got 2",
        "json.b.d[1].e: expected true, got false",
        "json.f: missing (expected null)",
    ]


def test_json_subset_diff_is_strict_about_types_and_list_lengths():
    assert json_subset_diff(1, True) == ["json: expected 1, got true"]
    assert json_subset_diff(1, 1.0) == ["json: expected 1, got 1.0"]
    assert json_subset_diff([1], [1, 2]) == ["json: expected [1], got [1, 2]"]
    assert json_subset_diff({"a": 1}, [1]) == ["json: expected an object, got [1]"]
    assert json_subset_diff({"a": [{"b": 1}]}, {"a": [{"b": 1, "c": 2}]}) == []


def test_find_matches_method_case_insensitively_and_path_globs():
    journal = Journal()
    create(journal, "one")
    record(journal, "GET", "/v1/p1/workspaces", api="modelarts")
    record(journal, "GET", "/v1/p2/workspaces/abc", api="modelarts")
    assert [e.seq for e in journal.find("post")] == [1]
    assert [e.seq for e in journal.find(path="/v1/*/workspaces")] == [2]
    assert [e.seq for e in journal.find(path="/v1/*/workspaces*")] == [2]
    assert [e.seq for e in journal.find(path="/v1/*/workspaces/**")] == [1, 3]
    assert [e.seq for e in journal.find(path="/v1/**")] == [1, 2, 3]
    assert [e.seq for e in journal.find(api="modelarts")] == [2, 3]
    assert journal.count() == 3


def test_find_by_query_headers_form_and_status():
    journal = Journal()
    record(journal, "GET", "/v1/p/workspaces", query="limit=5&name=x", headers={"X-Auth-Token": "t"})
    record(journal, "POST", "/auth/token", body="grant_type=password&username=dev", status=401)
    assert journal.count(query={"limit": "5"}) == 1
    assert journal.count("GET", "/v1/p/workspaces?name=x") == 1, "a query string in the path is a criterion"
    assert journal.count("GET", "/v1/p/workspaces?name=y") == 0
    assert journal.count(headers={"x-auth-token": "t"}) == 1, "header names are case-insensitive"
    assert journal.count(headers={"X-Auth-Token": "u"}) == 0
    assert journal.count(form={"grant_type": "password"}) == 1
    assert journal.count(status=401) == 1


def test_a_question_mark_is_one_character_unless_a_query_follows():
    """``/workspaces/l?st`` was read as the path ``/workspaces/l`` with the query ``st``, so
    ``assert_not_called`` passed for a request that was made."""
    journal = Journal()
    record(journal, "POST", "/v1/api/workspaces/list")
    record(journal, "GET", "/v1/p/workspaces", query="name=x")
    assert journal.count("POST", "/v1/api/workspaces/l?st") == 1
    assert journal.count(path="/v1/api/workspaces/??st") == 1
    with pytest.raises(AssertionError):
        journal.assert_not_called("POST", "/v1/api/workspaces/l?st")
    assert journal.count("GET", "/v1/p/workspace?/?name=x") == 0, "a ? followed by a / is a glob"
    assert journal.count("GET", "/v1/p/workspace??name=x") == 1, "the glob, then the query"
    assert journal.count("GET", "/v1/?/workspaces?name=x") == 1


def test_unknown_criteria_are_a_type_error():
    with pytest.raises(TypeError, match="unknown request criteria: body"):
        Journal().find(body="x")


def test_entries_last_getitem_iter_and_clear_restarts_numbering():
    journal = Journal()
    create(journal, "a")
    create(journal, "b")
    assert journal[-1].json == {"workspace_name": "b"}
    assert [e.seq for e in journal] == [1, 2]
    assert journal.last("POST", WORKSPACES_CREATE).seq == 2
    journal.clear()
    assert len(journal) == 0
    assert create(journal, "c").seq == 1


def test_journal_is_bounded_and_drops_the_oldest():
    journal = Journal(limit=3)
    for name in "abcde":
        create(journal, name)
    assert [e.json["workspace_name"] for e in journal] == ["c", "d", "e"]
    assert journal.limit == 3


def test_disabled_journal_records_nothing():
    journal = Journal()
    journal.enabled = False
    assert create(journal, "a") is None
    assert len(journal) == 0


def test_long_bodies_are_truncated():
    journal = Journal()
    entry = record(journal, body="x" * 70_000)
    assert len(entry.body) < 70_000 and entry.body.endswith("(truncated)")


def test_recording_is_thread_safe():
    journal = Journal()
    threads = [threading.Thread(target=lambda: [create(journal, "t") for _ in range(200)]) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(e.seq for e in journal) == list(range(1, 1601))


# -- assertions and their messages -----------------------------------------------------
def test_assert_called_returns_the_matches():
    journal = Journal()
    create(journal, "one")
    create(journal, "two")
    found = journal.assert_called("POST", WORKSPACES_CREATE, json={"workspace_name": "two"}, times=1)
    assert [e.seq for e in found] == [2]
    assert journal.assert_called_once(json={"workspace_name": "one"}).seq == 1
    assert len(journal.assert_called("POST")) == 2


def test_assert_called_failure_shows_the_closest_requests_and_what_differs():
    journal = Journal()
    record(journal, "GET", "/v1/p/workspaces", api="modelarts")
    create(journal, "wz")
    record(journal, "POST", "/v1/api/workspaces/list", body="{}", json={})
    with pytest.raises(AssertionError) as failure:
        journal.assert_called("POST", WORKSPACES_CREATE, json={"workspace_name": "ws"}, times=1)
    message = str(failure.value)
    assert message.startswith('expected POST /v1/api/workspaces/create with json ⊇ {"workspace_name": "ws"} '
                              "to be requested 1 time, but it was requested 0 times.")
    lines = message.splitlines()
    assert lines[1] == "Closest recorded requests:"
    # the request differing only in the body ranks first, with the difference spelled out
    assert lines[2] == '  #2 POST /v1/api/workspaces/create {"workspace_name":"wz"} -> 200'
    assert lines[3] == '      json.workspace_name: expected "ws", got "wz"'


def test_assert_called_with_wrong_count_lists_the_matching_requests():
    journal = Journal()
    create(journal, "a")
    create(journal, "a")
    with pytest.raises(AssertionError) as failure:
        journal.assert_called_once("POST", WORKSPACES_CREATE)
    message = str(failure.value)
    assert "to be requested 1 time, but it was requested 2 times." in message
    assert "Matching requests:\n  #1 POST" in message and "\n  #2 POST" in message


def test_assert_called_on_an_empty_journal_says_so():
    with pytest.raises(AssertionError, match="No requests were recorded"):
        Journal().assert_called("GET", "/x")


def test_near_misses_leave_out_control_requests_unless_asked_for():
    journal = Journal()
    record(journal, "GET", "/__mock/health", api="control")
    with pytest.raises(AssertionError, match=r"Only control-API requests \(/__mock/...\) were recorded"):
        journal.assert_called("GET", "/v1/api/x")
    assert journal.assert_called("GET", "/__mock/health")


def test_json_criterion_on_a_non_json_body_says_why():
    journal = Journal()
    record(journal, body="grant_type=password")
    with pytest.raises(AssertionError, match="json: the body is not JSON"):
        journal.assert_called(json={"a": 1})
    record(journal, "GET", "/x")
    assert RequestMatcher.build(json={"a": 1}).problems(journal[-1]) == ["json: the request had no body"]


def test_assert_not_called_lists_the_offending_requests():
    journal = Journal()
    journal.assert_not_called()
    create(journal, "a")
    journal.assert_not_called("GET")
    with pytest.raises(AssertionError) as failure:
        journal.assert_not_called("POST", "/v1/api/workspaces/*")
    assert str(failure.value) == ("expected no request matching POST /v1/api/workspaces/*, but found 1:\n"
                                  '  #1 POST /v1/api/workspaces/create {"workspace_name":"a"} -> 200')


def test_last_fails_with_the_closest_requests():
    journal = Journal()
    create(journal, "a")
    with pytest.raises(AssertionError, match="Closest recorded requests"):
        journal.last("DELETE")


def test_assert_no_unmatched_suggests_the_closest_routes():
    journal = Journal()
    journal.known_routes = lambda: [("POST", "/v1/api/workspaces/list"), ("POST", "/v1/api/users/query")]
    journal.assert_no_unmatched()
    record(journal, "POST", "/v1/api/workspace/list", status=404, matched=False)
    with pytest.raises(AssertionError) as failure:
        journal.assert_no_unmatched()
    assert str(failure.value) == ("1 request(s) matched no route of the mock:\n"
                                  "  #1 POST /v1/api/workspace/list -> 404\n"
                                  "      did you mean: POST /v1/api/workspaces/list")


def test_summary_marks_dropped_and_faulted_requests():
    journal = Journal()
    entry = record(journal, "GET", "/x", status=None, fault="3", query="a=1")
    assert entry.summary() == "#1 GET /x?a=1 -> dropped [fault 3]"


# -- through the server ------------------------------------------------------------------
def test_the_server_journals_every_request_with_its_answer(mockserver):
    session = mockserver.session("wallaroo")
    session.post("/v1/api/workspaces/create", json={"workspace_name": "journal-ws"})
    entry = mockserver.journal.assert_called_once("POST", "/v1/api/workspaces/create",
                                                  json={"workspace_name": "journal-ws"}, status=200)
    assert entry.api == "wallaroo" and entry.matched
    assert entry.response == {"workspace_id": 2}
    assert entry.header("authorization").startswith("Bearer ")


def test_unmatched_requests_are_journaled_with_route_hints(mockserver):
    requests.post(f"{mockserver.url}/v1/api/workspaces/lists", json={})
    (entry,) = mockserver.journal.unmatched()
    assert entry.status == 404 and not entry.matched
    assert "did you mean: POST /v1/api/workspaces/list" in mockserver.journal.unmatched_report()


def test_journal_is_cleared_by_reset(mockserver):
    requests.get(f"{mockserver.url}/__mock/health")
    assert len(mockserver.journal) == 1
    mockserver.reset()
    assert len(mockserver.journal) == 0
