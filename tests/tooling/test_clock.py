"""The controllable clock: freeze, set, advance, and its effect on timestamps and token expiry."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from mockserver.clock import Clock, to_epoch

NEW_YEAR = datetime(2025, 1, 1, tzinfo=timezone.utc)
NEW_YEAR_EPOCH = NEW_YEAR.timestamp()


def test_runs_with_real_time_by_default():
    clock = Clock()
    assert abs(clock.now() - time.time()) < 1
    assert not clock.frozen


@pytest.mark.parametrize("instant", [NEW_YEAR_EPOCH, int(NEW_YEAR_EPOCH), NEW_YEAR, "2025-01-01T00:00:00Z",
                                     "2025-01-01T01:00:00+01:00", "2025-01-01 00:00:00.000000+00:00"])
def test_instants_in_every_accepted_form(instant):
    assert to_epoch(instant) == NEW_YEAR_EPOCH


@pytest.mark.parametrize("instant, message", [
    ("2025-01-01T00:00:00", "no UTC offset"),
    (datetime(2025, 1, 1), "no UTC offset"),
    ("yesterday", "not an ISO 8601 timestamp"),
    (True, "boolean"),
    (-1, "between 0 and"),
    (1e12, "between 0 and"),
    ([1], "got list"),
])
def test_instants_that_are_refused(instant, message):
    with pytest.raises(ValueError, match=message):
        to_epoch(instant)


def test_freeze_set_advance_unfreeze():
    clock = Clock()
    clock.freeze(NEW_YEAR)
    assert clock.frozen and clock.now() == NEW_YEAR_EPOCH
    time.sleep(0.01)
    assert clock.now() == NEW_YEAR_EPOCH, "frozen time does not move"
    clock.advance(timedelta(hours=1))
    clock.advance(30)
    assert clock.now() == NEW_YEAR_EPOCH + 3630
    clock.set("2030-06-01T00:00:00Z")
    assert clock.now_datetime() == datetime(2030, 6, 1, tzinfo=timezone.utc)
    assert clock.now_ms() == int(clock.now() * 1000)
    clock.unfreeze()
    assert not clock.frozen
    assert 0 <= clock.now() - to_epoch("2030-06-01T00:00:00Z") < 1, "time runs on from the frozen instant"
    clock.reset()
    assert abs(clock.now() - time.time()) < 1


def test_advance_and_set_while_running_shift_the_offset():
    clock = Clock()
    clock.advance(-3600)
    assert abs(clock.now() - (time.time() - 3600)) < 1
    clock.set(NEW_YEAR)
    assert abs(clock.now() - NEW_YEAR_EPOCH) < 1
    assert not clock.frozen


def test_freeze_without_an_instant_freezes_the_mock_time():
    clock = Clock()
    clock.advance(100)
    clock.freeze()
    assert abs(clock.now() - (time.time() + 100)) < 1


def test_absurd_shifts_are_refused():
    clock = Clock()
    with pytest.raises(ValueError, match="100 years"):
        clock.advance(1e12)
    with pytest.raises(ValueError, match="seconds or a timedelta"):
        clock.advance("1h")


def test_describe():
    clock = Clock()
    clock.freeze(NEW_YEAR)
    assert clock.describe() == {"now": NEW_YEAR_EPOCH, "iso": "2025-01-01T00:00:00.000000+00:00", "frozen": True,
                                "offset_seconds": 0.0}


# -- through the server ------------------------------------------------------------------
def test_frozen_clock_stamps_created_workspaces(mockserver):
    mockserver.clock.freeze("2025-03-04T05:06:07Z")
    session = mockserver.session("wallaroo")
    session.post("/v1/api/workspaces/create", json={"workspace_name": "frozen"})
    listed = session.post("/v1/api/workspaces/list", json={}).json()["workspaces"]
    created = next(w for w in listed if w["name"] == "frozen")["created_at"]
    assert datetime.fromisoformat(created) == datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone.utc)


def test_advancing_past_expiry_expires_a_wallaroo_token(mockserver):
    mockserver.clock.freeze(NEW_YEAR)
    session = mockserver.session("wallaroo")  # a token issued now, valid for an hour
    assert session.post("/v1/api/workspaces/list", json={}).status_code == 200
    mockserver.clock.advance(3599)
    assert session.post("/v1/api/workspaces/list", json={}).status_code == 200
    mockserver.clock.advance(2)
    expired = session.post("/v1/api/workspaces/list", json={})
    assert expired.status_code == 401 and expired.json()["code"] == 401
    assert "expired" in expired.json()["msg"].lower()


def test_advancing_past_expiry_expires_a_modelarts_token(mockserver):
    mockserver.clock.freeze(NEW_YEAR)
    session = mockserver.session("modelarts")
    path = f"/v1/{mockserver.modelarts_project_id}/workspaces"
    assert session.get(path).status_code == 200
    mockserver.clock.advance(timedelta(days=2))
    expired = session.get(path)
    assert expired.status_code == 401
    assert expired.json()["error_code"] == "APIG.0301"
    assert "2025-01-02T00:00:00" in expired.json()["error_msg"], "expiry is a day after the frozen instant"


def test_reset_lets_time_run_again(mockserver):
    mockserver.clock.freeze(NEW_YEAR)
    mockserver.reset()
    assert not mockserver.clock.frozen
    assert abs(mockserver.clock.now() - time.time()) < 1
