"""The soak benchmark (benchmarks/soak.py) in a tiny form: it runs, every kind of request is
sent and answered as intended, and the server is alive at the end. No timing is asserted."""

from __future__ import annotations

from benchmarks.soak import report, soak


def test_a_short_soak_runs_every_kind_of_request():
    result = soak(requests=300, seconds=300, clients=2, seed=3)
    assert result["server_alive"] is True
    assert result["requests"] == 300
    kinds = result["kinds"]
    assert set(kinds["config"]["statuses"]) == {200}
    assert set(kinds["wallaroo list"]["statuses"]) == {200}
    assert set(kinds["modelarts list"]["statuses"]) == {200}
    assert set(kinds.get("deep body", {"statuses": {400: 1}})["statuses"]) == {400}
    assert result["rss_peak_mb"] > 0
    assert "RSS:" in report(result) and "p99" in report(result)
