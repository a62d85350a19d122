"""Every test runs at an instant it names, never at the wall clock's.

CI runs the suite at whatever hour a change is submitted: a test that reads the wall clock
turns red before 08:00 Paris (SMS quiet hours), in a week with a public holiday (deadlines),
on a Sunday or at Christmas. So:

- `@pytest.mark.instant("2026-11-24T10:00:00+01:00")` on a test, a class or a module's
  `pytestmark` moves the whole test process to that instant with time-machine: the app's
  clock (`Deps.now()`), `datetime.now()`, `time.time()` and the libraries all read it, and it
  ticks from there (`tick=False` holds it still).
- A test without the mark that reads the clock from the project's code or its own fails,
  like a test that Scans: `RealClockTripwire` stands in for the clock and names the line.
  Libraries may still read the real clock there (log records, request signing).

The local stack that the browser and end-to-end tests drive runs in other processes; it is
started under libfaketime at STACK_INSTANT (devtools.stack), DynamoDB Local included.
"""
from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import _time_machine
import pytest
import time_machine

ROOT = Path(__file__).resolve().parents[1]

# Named instants, in Paris time. A plain working morning: no holiday in the four working days
# after it (deadlines), past the SMS quiet hours.
TUESDAY_MORNING = "2026-11-24T10:00:00+01:00"
# The local stack's instant for the browser and end-to-end tests (a Tuesday, 09:00 Paris).
STACK_INSTANT = "2026-11-24T09:00:00+01:00"


class RealClockRead(AssertionError):
    pass


def _project_file(filename: str) -> bool:
    """The project's code and tests, not the libraries installed in .venv or node_modules."""
    return (filename.startswith(str(ROOT)) and not filename.startswith(str(ROOT / ".venv"))
            and "/site-packages/" not in filename and not filename.startswith(str(ROOT / "node_modules")))


class RealClockTripwire(time_machine.Traveller):
    """Sits on time-machine's stack in place of a destination: a read of the clock from project
    or test code raises (and is remembered, in case the code swallows it); libraries get the
    real time."""

    def __init__(self) -> None:
        super().__init__(destination_timestamp_ns=0, destination_tzname=None, tick=True)
        self.reads: list[str] = []

    def time_ns(self) -> int:
        frame = sys._getframe(1)
        if frame is not None and _project_file(frame.f_code.co_filename):
            where = f"{Path(frame.f_code.co_filename).relative_to(ROOT)}:{frame.f_lineno} ({frame.f_code.co_name})"
            self.reads.append(where)
            raise RealClockRead(f"the real clock was read at {where}: give the test an instant, "
                                f"@pytest.mark.instant(...) (see tests/clock.py)")
        return _time_machine.original_time_ns()

    def __enter__(self) -> RealClockTripwire:
        if not time_machine.traveller_stack:
            _time_machine.patch()
        time_machine.traveller_stack.append(self)
        return self

    def __exit__(self, *exc) -> None:
        time_machine.traveller_stack.remove(self)
        if not time_machine.traveller_stack:
            _time_machine.unpatch()


def marked_instant(item: pytest.Item) -> tuple[datetime, bool] | None:
    marker = item.get_closest_marker("instant")
    if marker is None:
        return None
    moment = marker.args[0]
    moment = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if moment.tzinfo is None:
        raise pytest.UsageError(f"{item.nodeid}: an instant needs its UTC offset ({moment})")
    return moment, marker.kwargs.get("tick", True)


@pytest.fixture(autouse=True)
def instant(request):
    """The test's instant (a datetime, or None when the test reads no clock)."""
    marked = marked_instant(request.node)
    if marked is None:
        with RealClockTripwire() as tripwire:
            yield None
        if tripwire.reads:
            pytest.fail(f"{request.node.nodeid} read the real clock at {tripwire.reads[0]}: give it an "
                        f"instant, @pytest.mark.instant(...) (tests/clock.py)", pytrace=False)
        return
    moment, tick = marked
    with time_machine.travel(moment, tick=tick):
        yield moment
