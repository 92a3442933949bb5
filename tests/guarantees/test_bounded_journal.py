"""Issue 8, item 1: the journal's memory is bounded whatever the traffic (docs/guarantees.md).

Each test is one of the attacks measured in the issue, in a fast form: the journal has a
byte budget besides its count, a body over the journal's body limit is kept cut and
marked (never parsed and held as objects), a JSON answer over its limit is left out and
marked, and a journal listing is never recorded inside the journal, so listings cannot nest.
"""

from __future__ import annotations

import pytest
import requests

from mockserver import MockServer
from mockserver.journal import BODY_LIMIT, RESPONSE_LIMIT, Journal


@pytest.fixture(scope="module")
def server():
    with MockServer(journal_max_bytes=2 * 1024 * 1024) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh(server):
    server.reset()


def test_a_body_of_many_tiny_objects_is_kept_cut_and_marked_not_parsed(server):
    # 40 of these took the process from 36 MB to 1 GB: each was held parsed (350 000 dicts)
    body = b"[" + b",".join([b"{}"] * 300_000) + b"]"
    answer = requests.get(f"{server.url}/v1/api/config", data=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 200
    entry = server.journal.last("GET", "/v1/api/config")
    assert entry.body_truncated is True
    assert entry.json is None
    assert entry.body.startswith("[{},{}") and entry.body.endswith("…(truncated)")
    assert len(entry.body.encode("utf-8")) <= BODY_LIMIT + len("…(truncated)".encode("utf-8"))
    listed = requests.get(f"{server.url}/__mock/requests", params={"path": "/v1/api/config"}).json()
    assert listed["requests"][0]["body_truncated"] is True


def test_a_body_under_the_limit_is_kept_whole_and_readable_as_json(server):
    requests.post(f"{server.url}/__mock/requests/find", json={"path": "/x", "json": {"a": [1, 2]}})
    entry = server.journal.last("POST", "/__mock/requests/find")
    assert entry.body_truncated is False
    assert entry.json == {"path": "/x", "json": {"a": [1, 2]}}


def test_the_byte_budget_drops_the_oldest_entries(server):
    body = b'{"pad": "' + b"x" * (BODY_LIMIT - 20) + b'"}'
    for _ in range(60):  # 60 x 64 KiB is about twice the 2 MiB budget of this server
        requests.post(f"{server.url}/v1/api/workspaces/list", data=body, headers={"Content-Type": "application/json"})
    journal = server.journal
    assert journal.size_bytes <= journal.max_bytes == 2 * 1024 * 1024
    assert 10 < len(journal) < 60
    kept = journal.entries()
    assert kept[-1].seq == 60 and kept[0].seq == 60 - len(kept) + 1  # the oldest went first


def test_a_journal_listing_never_contains_journal_listings(server):
    for _ in range(3):
        requests.post(f"{server.url}/v1/api/workspaces/list", json={})
    sizes = []
    for _ in range(12):  # each listing used to embed every earlier one: the 19th was 100 MB
        answer = requests.get(f"{server.url}/__mock/requests", params={"include_control": "true"})
        assert answer.status_code == 200
        sizes.append(len(answer.content))
        listings = [item for item in answer.json()["requests"] if item["path"] == "/__mock/requests"]
        for item in listings:
            assert item["response"] is None
            assert "journal listing" in item["response_omitted"]
    # the journal grows by one small entry per call; the old code doubled it each time
    assert sizes[-1] < sizes[0] + 12 * 3000


def test_a_big_json_answer_is_left_out_and_marked():
    journal = Journal()
    from mockserver.journal import UnparsedJson

    big = UnparsedJson(b'{"a":"' + b"y" * RESPONSE_LIMIT + b'"}')
    entry = journal.record(time=0.0, method="GET", path="/__mock/state", query="", headers={}, body=b"",
                           status=200, response=big)
    assert entry.response is None and "over the" in entry.response_omitted
    assert journal.size_bytes < 10_000


def test_the_count_limit_still_applies():
    journal = Journal(limit=5)
    for index in range(8):
        journal.record(time=0.0, method="GET", path=f"/p/{index}", query="", headers={}, body="", status=200)
    assert [entry.path for entry in journal] == [f"/p/{index}" for index in range(3, 8)]


def test_the_budget_counts_what_entries_hold():
    journal = Journal(max_bytes=100_000)
    for index in range(200):
        journal.record(time=0.0, method="POST", path="/p", query="", headers={"X-Pad": "z" * 900},
                       body=b'{"n": %d}' % index, status=200)
    assert journal.size_bytes <= 100_000
    assert len(journal) < 100  # 200 entries of about 2.2 kB each cannot all fit in 100 kB


@pytest.mark.parametrize("limit, budget", [(0, 1), (1, 0)])
def test_a_journal_needs_room_for_one_entry(limit, budget):
    with pytest.raises(ValueError):
        Journal(limit=limit, max_bytes=budget)


def test_the_cli_flags_and_variables_set_the_budget():
    from mockserver.cli import parse_args

    assert parse_args(["--journal-max-bytes", "8MiB", "--journal-limit", "50"], {}).journal_max_bytes == 8 * 1024 ** 2
    args = parse_args([], {"MOCKSERVER_JOURNAL_MAX_BYTES": "65536", "MOCKSERVER_JOURNAL_LIMIT": "7"})
    assert (args.journal_max_bytes, args.journal_limit) == (65536, 7)


@pytest.mark.parametrize("argv", [["--journal-max-bytes", "lots"], ["--journal-max-bytes", "0"],
                                  ["--journal-limit", "-3"]])
def test_bad_budget_values_are_usage_errors(argv, capsys):
    from mockserver.cli import parse_args

    with pytest.raises(SystemExit) as exited:
        parse_args(argv, {})
    assert exited.value.code == 2


# -- POST /__mock/requests/find: its work is bounded (the audit's t31) --------------------------
def over_the_limits() -> list[tuple[dict, str]]:
    from mockserver.journal import MAX_MATCHER_BYTES, MAX_MATCHER_DEPTH, MAX_MATCHER_VALUES

    deep: dict = {"leaf": 1}
    for _ in range(MAX_MATCHER_DEPTH):
        deep = {"d": deep}
    return [
        ({"json": {f"k{index}": index for index in range(2000)}}, f"over the limit of {MAX_MATCHER_BYTES}"),
        ({"json": {"a": "x" * MAX_MATCHER_BYTES}}, f"over the limit of {MAX_MATCHER_BYTES}"),
        ({"json": {f"k{index}": 0 for index in range(MAX_MATCHER_VALUES + 1)}}, f"more than {MAX_MATCHER_VALUES}"),
        ({"json": [0] * (MAX_MATCHER_VALUES + 1)}, f"more than {MAX_MATCHER_VALUES}"),
        ({"headers": {f"h{index}": "v" for index in range(MAX_MATCHER_VALUES + 1)}}, f"more than {MAX_MATCHER_VALUES}"),
        ({"json": deep}, f"nested more than {MAX_MATCHER_DEPTH} levels"),
    ]


@pytest.mark.parametrize("index", range(6))
def test_a_matcher_over_the_limits_is_a_400(server, index):
    matcher, fragment = over_the_limits()[index]
    answer = requests.post(f"{server.url}/__mock/requests/find", json={"method": "POST", **matcher}, timeout=10)
    assert answer.status_code == 400
    body = answer.json()
    assert fragment in body["error"] and body["status"] == 400


def test_a_matcher_at_the_limits_is_served(server):
    from mockserver.journal import MAX_MATCHER_VALUES

    client = server.test_client()
    client.post("/v1/api/workspaces/list", json={f"k{index}": index for index in range(MAX_MATCHER_VALUES)})
    matcher = {"path": "/v1/api/workspaces/list", "json": {f"k{index}": index for index in range(MAX_MATCHER_VALUES)}}
    assert requests.post(f"{server.url}/__mock/requests/find", json=matcher, timeout=10).json()["count"] == 1


def test_the_near_miss_search_ranks_a_bounded_number_of_requests(server, monkeypatch):
    """Each near-miss candidate is compared with the whole matcher (messages, a text ratio):
    over the whole journal that was entries x matcher keys, 51 s for the audit's request."""
    from mockserver.journal import MAX_MATCHER_VALUES, NEAR_MISS_CANDIDATES, RequestMatcher

    client = server.test_client()
    for index in range(NEAR_MISS_CANDIDATES + 300):
        client.post("/v1/api/workspaces/list", json={"a": index})
    compared = []
    problems = RequestMatcher.problems

    def counting(self, entry):
        compared.append(entry.seq)
        return problems(self, entry)

    monkeypatch.setattr(RequestMatcher, "problems", counting)
    matcher = {"path": "/v1/api/workspaces/list", "json": {f"k{index}": index for index in range(MAX_MATCHER_VALUES)}}
    body = client.post("/__mock/requests/find", json=matcher).get_json()
    assert body["count"] == 0 and len(body["near_misses"]) == 3
    assert len(compared) <= NEAR_MISS_CANDIDATES
    newest = max(entry.seq for entry in server.journal.entries())
    assert min(compared) > newest - NEAR_MISS_CANDIDATES - 1  # the most recent ones
