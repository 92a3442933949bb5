"""benchmarks/graphql_hold.py in a tiny form: it runs and every query answers as intended
(the attack refused by the limits); no timing is asserted."""

from __future__ import annotations

from benchmarks.graphql_hold import measure


def test_the_graphql_hold_benchmark_runs():
    results = {row["query"]: row for row in measure(200, repeats=1)}
    assert results["one workspace by id"]["answer"] == "1 rows"
    assert results["all 200 workspaces with members"]["answer"] == "201 rows"
    assert results["the issue's attack: 100 aliases"]["answer"].startswith("refused: an operation may select")
    assert all(row["longest_hold_ms"] >= 0 for row in results.values())
