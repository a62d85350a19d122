"""When each ladder stage fires, in business days around the deadline."""
from datetime import UTC, datetime

import pytest

from chalicelib.domain import deadlines, ladder
from chalicelib.domain.models import Escalation, EscalationStatus

PARIS = deadlines.PARIS


def escalation(due_day: str, **changes) -> Escalation:
    year, month, day = map(int, due_day.split("-"))
    from datetime import date

    due = deadlines.end_of(date(year, month, day))
    created = datetime(2026, 11, 1, tzinfo=UTC)
    return Escalation(case_ref="61-ABC-DEF", group_id="61-caf", organisation_id="caf", territory_code="61",
                      point_id="p", question="?", due_at=due, created_at=created, updated_at=created,
                      **changes)


@pytest.mark.parametrize("stage, expected", [
    (0, datetime(2026, 11, 26, 8, 0, tzinfo=PARIS)),       # the business day before, 08:00
    (1, datetime(2026, 11, 28, 0, 0, tzinfo=PARIS)),       # the deadline
    (2, datetime(2026, 12, 2, 0, 0, tzinfo=PARIS)),        # + 2 business days (Mon 30, Tue 1)
    (3, datetime(2026, 12, 5, 0, 0, tzinfo=PARIS)),        # + 5 business days
])
def test_default_ladder_times_for_a_friday_deadline(stage, expected):
    assert ladder.next_action_at(escalation("2026-11-27", ladder_stage=stage)) == expected


def test_the_reminder_skips_back_over_a_weekend_and_a_holiday():
    # Due Thursday 12 November 2026: the day before is Armistice Day, so Tuesday 10.
    assert ladder.next_action_at(escalation("2026-11-12")) == datetime(2026, 11, 10, 8, 0, tzinfo=PARIS)
    # Due Monday 30 November: the business day before is Friday 27.
    assert ladder.next_action_at(escalation("2026-11-30")) == datetime(2026, 11, 27, 8, 0, tzinfo=PARIS)


@pytest.mark.parametrize("changes", [
    {"ladder_stage": 4},
    {"status": EscalationStatus.ANSWERED},
    {"status": EscalationStatus.NEEDS_INFO},
    {"paused_at": datetime(2026, 11, 20, tzinfo=UTC)},
])
def test_no_stage_ahead_when_done_answered_or_paused(changes):
    assert ladder.next_action_at(escalation("2026-11-27", **changes)) is None


def test_the_ladder_is_configurable():
    stages = ladder.parse("breach:0, coordinator:3")
    assert [s.name for s in stages] == ["breach", "coordinator"]
    assert ladder.next_action_at(escalation("2026-11-27"), stages) == datetime(2026, 11, 28, 0, 0, tzinfo=PARIS)
    assert ladder.parse(None) == ladder.DEFAULT
    with pytest.raises(ValueError):
        ladder.parse("shout:1")
