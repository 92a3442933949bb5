"""An unknown route of a mocked API answers 404 in that API's own error shape, plus the closest
routes in one extra member (``closest_routes``) that the vendors' clients do not read."""

from __future__ import annotations

import pytest


def test_wallaroo_unknown_route_names_the_closest_ones(mockserver):
    answer = mockserver.session("wallaroo").post("/v1/api/workspace/list", json={})
    assert answer.status_code == 404
    assert answer.json() == {"msg": "No route for POST /v1/api/workspace/list.", "code": 404,
                             "closest_routes": ["POST /v1/api/workspaces/list", "POST /v1/api/workspaces/list_users"]}


def test_modelarts_unknown_route_names_routes_with_their_variables(mockserver):
    project = mockserver.modelarts_project_id
    answer = mockserver.session("modelarts").get(f"/v1/{project}/workspaces/abc/quota")
    body = answer.json()
    assert answer.status_code == 404
    assert [body["error_code"], body["request_id"]] == ["APIG.0101", answer.headers["X-Request-Id"]]
    assert "GET /v1/{project_id}/workspaces/{workspace_id}/quotas" in body["closest_routes"]


def test_nothing_close_adds_nothing(mockserver):
    answer = mockserver.session("wallaroo").post("/v1/api/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", json={})
    assert answer.json() == {"msg": "No route for POST /v1/api/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz.", "code": 404}


def test_the_wallaroo_sdk_still_reads_the_error(mockserver):
    """The generated client parses {msg, code} and ignores the extra member."""
    from wallaroo.wallaroo_ml_ops_api_client.models.workspaces_list_response_500 import WorkspacesListResponse500

    body = mockserver.session("wallaroo").post("/v1/api/workspace/list", json={}).json()
    parsed = WorkspacesListResponse500.from_dict(body)
    assert (parsed.msg, parsed.code) == ("No route for POST /v1/api/workspace/list.", 404)


@pytest.mark.parametrize("path", ["/v1/api/" + "a/b" * 10_000, "/v2/" + "p" * 32 + "/" + "x/y" * 10_000,
                                  "/elsewhere/" + "q" * 30_000])
def test_a_long_unknown_path_costs_no_more_to_hint_than_a_short_one(mockserver, monkeypatch, path):
    """The hints compare strings pairwise (time grows with the product of the lengths): a
    30 000-character path once took 3 s of the server's time for one 404. Only the path's
    first HINT_PATH_CHARS characters may be compared."""
    import difflib

    from mockserver.journal import HINT_PATH_CHARS

    compared: list[int] = []
    for name in ("set_seq1", "set_seq2"):  # set_seqs and get_close_matches both go through these
        original = getattr(difflib.SequenceMatcher, name)

        def recording(self, sequence, original=original):
            compared.append(len(sequence))
            return original(self, sequence)

        monkeypatch.setattr(difflib.SequenceMatcher, name, recording)
    answer = mockserver.test_client().get(path)
    assert answer.status_code == 404
    assert compared and max(compared) <= HINT_PATH_CHARS
