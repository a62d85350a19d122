"""The suite's clock (tests/clock.py): a test reads the instant it names, or no clock at all."""
from __future__ import annotations

import logging
import time
from datetime import UTC, date, datetime

import pytest
import time_machine

from chalicelib import bootstrap
from tests.clock import TUESDAY_MORNING, RealClockRead, RealClockTripwire


def active_tripwire() -> RealClockTripwire:
    tripwire = time_machine.traveller_stack[-1]
    assert isinstance(tripwire, RealClockTripwire)
    return tripwire


def test_without_an_instant_project_code_cannot_read_the_clock():
    tripwire = active_tripwire()
    for read in (lambda: datetime.now(UTC), time.time, date.today, bootstrap.utcnow, time.localtime):
        with pytest.raises(RealClockRead, match="give the test an instant"):
            read()
    assert len(tripwire.reads) == 5
    assert tripwire.reads[-1].startswith("tests/unit/test_clock.py:")
    tripwire.reads.clear()      # read on purpose: this test must not fail for them


def test_a_swallowed_read_is_still_remembered_for_the_teardown():
    with RealClockTripwire() as tripwire:
        try:
            datetime.now(UTC)
        except Exception:       # code that hides the error must not hide the read
            pass
    assert len(tripwire.reads) == 1
    active_tripwire().reads.clear()


def test_libraries_may_read_the_real_clock():
    record = logging.LogRecord("relais", logging.INFO, __file__, 1, "message", None, None)
    assert abs(record.created - time_machine.escape_hatch.time.time()) < 60
    assert active_tripwire().reads == []


@pytest.mark.instant(TUESDAY_MORNING, tick=False)
def test_an_instant_moves_the_process_and_the_apps_clock(instant):
    assert instant == datetime.fromisoformat(TUESDAY_MORNING)
    assert datetime.now(UTC) == instant
    assert bootstrap.deps.__module__ and bootstrap.utcnow() == instant
    assert time.time() == instant.timestamp()
    assert date.today() == date(2026, 11, 24)


@pytest.mark.instant("2026-12-25T07:59:00+01:00")
def test_a_ticking_instant_starts_there():
    elapsed = datetime.now(UTC) - datetime(2026, 12, 25, 6, 59, tzinfo=UTC)
    assert 0 <= elapsed.total_seconds() < 5
