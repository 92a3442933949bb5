"""Integers in query parameters: every API's parser answers its own 400, never a 500.

The audit's case: ``GET /v1/{project}/workspaces?limit=<4 400 nines>`` passed the
``str.isdigit()`` check and then ``int()`` raised ValueError (Python reads at most 4 300
digits): a 500 ModelArts.0010. ``"²"`` is a digit to ``isdigit()`` and not to ``int()``;
``"١"`` (Arabic-Indic one) is a digit to both, so it was read as 1. Parsers now read ASCII
digits only (``mockserver.validation.decimal_int``).
"""

from __future__ import annotations

import pytest

from mockserver.validation import MAX_INT_DIGITS, decimal_int

from conftest import PROJECT

HUGE = "9" * 4400
BAD = [HUGE, "-" + HUGE, "²", "١", "--1", "1_0", "+1", " 1 x"]


@pytest.fixture
def client(mockserver):
    return mockserver.test_client()


def test_decimal_int_reads_ascii_digits_only():
    assert decimal_int("0" * 5000 + "42") == 42  # leading zeros are not digits that count
    assert decimal_int("9" * MAX_INT_DIGITS) == int("9" * MAX_INT_DIGITS)
    assert decimal_int("-7") == -7
    for text in [*BAD, "", "-", "9" * (MAX_INT_DIGITS + 1)]:
        assert decimal_int(text) is None, text


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize("name", ["limit", "offset"])
def test_modelarts_list_parameters(mockserver, client, name, value):
    answer = client.get(f"/v1/{PROJECT}/workspaces", query_string={name: value},
                        headers=mockserver.modelarts_headers())
    assert answer.status_code == 400, answer.data[:200]
    body = answer.get_json()
    assert body["error_code"] == "ModelArts.0104"
    assert body["error_msg"].startswith(f"Invalid {name}: ")


def test_modelarts_takes_a_long_number_with_leading_zeros(mockserver, client):
    answer = client.get(f"/v1/{PROJECT}/workspaces", query_string={"limit": "0" * 5000 + "1"},
                        headers=mockserver.modelarts_headers())
    assert answer.status_code == 200
    assert answer.get_json()["count"] == 1


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize("name", ["status", "limit"])
def test_control_journal_parameters(client, name, value):
    answer = client.get("/__mock/requests", query_string={name: value})
    assert answer.status_code == 400
    assert answer.get_json() == {"error": f"query parameter {name}: expected an integer", "status": 400}


@pytest.mark.parametrize("value", [HUGE, "²", "--1", "1_0", " 1"])
@pytest.mark.parametrize("name", ["first", "max"])
def test_keycloak_user_search_parameters(mockserver, client, name, value):
    # Keycloak reads these with Java's Integer.parseInt, which also takes other scripts' digits
    answer = client.get("/auth/admin/realms/master/users", query_string={name: value},
                        headers=mockserver.wallaroo_headers("admin"))
    assert answer.status_code == 400
    assert answer.get_json() == {"error": f"unknown_error: '{name}' must be an integer"}


@pytest.mark.parametrize("value", ["١٢", "²", "1_0", HUGE])
def test_graphql_bigint_strings(mockserver, client, value):
    query = "query($id: bigint!) { workspace(where: {id: {_eq: $id}}) { id } }"
    answer = client.post("/v1/graphql", json={"query": query, "variables": {"id": value}},
                         headers=mockserver.wallaroo_headers())
    assert answer.status_code == 200
    (error,) = answer.get_json()["errors"]
    assert error["extensions"]["code"] == "validation-failed"
    assert "invalid input syntax for type bigint" in error["message"]
