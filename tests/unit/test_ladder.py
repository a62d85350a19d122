"""When each ladder stage fires, in business days around the deadline."""
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.domain import deadlines, ladder
from chalicelib.domain.models import Escalation, EscalationStatus

PARIS = deadlines.PARIS


def escalation(due_day: str, **changes) -> Escalation:
    year, month, day = map(int, due_day.split("-"))
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


# --- climbing late: one stage, the one that applies now (issue 19) ---------------------------

def escalated(at: datetime, answer_days: int = 4, territory: str = "61", **changes) -> Escalation:
    """An escalation made at `at`, to a group that answers in `answer_days` business days."""
    return Escalation(case_ref="61-ABC-DEF", group_id="61-caf", organisation_id="caf",
                      territory_code=territory, point_id="p", question="?",
                      due_at=deadlines.due_at(at, answer_days, territory), created_at=at,
                      updated_at=at, **changes)


MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=PARIS)       # due at the end of Friday 27 November


def names(stages) -> list[str]:
    return [stage.name for stage in stages]


# Escalated Monday 23 November 2026 at 10:00 (due Friday 27); the sweep runs at `now` with no
# run since the escalation. Reminder: Thu 26 08:00; breach: Sat 28 00:00; manager: Wed 2 Dec
# 00:00; coordinator: Sat 5 Dec 00:00.
@pytest.mark.parametrize("now, sent, passed, reached", [
    ("2026-11-26T08:00", "reminder", [], 1),                                   # on time
    ("2026-11-27T16:00", "reminder", [], 1),                                   # late, still the day before
    ("2026-11-28T00:00", "breach", ["reminder"], 2),
    ("2026-12-01T10:00", "breach", ["reminder"], 2),                           # no reminder after Friday
    ("2026-12-03T09:00", "manager", ["reminder", "breach"], 3),
    ("2026-12-10T10:00", "coordinator", ["reminder", "breach", "manager"], 4),  # 13 days after the deadline
    ("2027-03-01T10:00", "coordinator", ["reminder", "breach", "manager"], 4),
])
def test_a_late_sweep_sends_only_the_latest_stage_whose_time_has_come(now, sent, passed, reached):
    step = ladder.climb(escalated(MONDAY), datetime.fromisoformat(now).replace(tzinfo=PARIS))
    assert (step.send.name, names(step.passed), step.reached) == (sent, passed, reached)
    # Once climbed, nothing more until the next stage's time.
    after = escalated(MONDAY, ladder_stage=reached)
    assert ladder.climb(after, datetime.fromisoformat(now).replace(tzinfo=PARIS)) is None


def test_a_stage_sent_within_hours_of_its_time_is_not_late_and_later_it_is():
    at = datetime(2026, 11, 28, 0, 0, tzinfo=PARIS)
    assert not ladder.climb(escalated(MONDAY, ladder_stage=1), at + timedelta(hours=1)).late(at + timedelta(hours=1))
    step = ladder.climb(escalated(MONDAY, ladder_stage=1), at + timedelta(days=2))
    assert step.late(at + timedelta(days=2)) and step.scheduled_at == at


def test_nothing_is_due_before_the_first_stage():
    assert ladder.climb(escalated(MONDAY), datetime(2026, 11, 26, 7, 59, tzinfo=PARIS)) is None
    assert ladder.climb(escalated(MONDAY, status=EscalationStatus.ANSWERED),
                        datetime(2026, 12, 10, tzinfo=PARIS)) is None
    assert ladder.climb(escalated(MONDAY, paused_at=MONDAY), datetime(2026, 12, 10, tzinfo=PARIS)) is None


def test_a_reminder_is_never_sent_on_a_non_business_day():
    # Due Monday 30 November: the reminder is Friday 27 at 08:00. A first run on Sunday 29
    # passes it (a « reminder before Monday » on Sunday), and the breach keeps its time.
    escalation = escalated(datetime(2026, 11, 24, 10, 0, tzinfo=PARIS))
    step = ladder.climb(escalation, datetime(2026, 11, 29, 10, 0, tzinfo=PARIS))
    assert (step.send, names(step.passed), step.reached) == (None, ["reminder"], 1)
    after = escalation.model_copy(update={"ladder_stage": 1})
    assert ladder.next_action_at(after) == datetime(2026, 12, 1, 0, 0, tzinfo=PARIS)
    # On the Monday (the deadline's day, before midnight) it still goes, late.
    step = ladder.climb(escalation, datetime(2026, 11, 30, 10, 0, tzinfo=PARIS))
    assert step.send.name == "reminder" and step.late(datetime(2026, 11, 30, 10, 0, tzinfo=PARIS))
    # On a public holiday either: Armistice Day, Wednesday 11 November, for a Thursday deadline
    # whose reminder is on Tuesday 10.
    escalation = escalated(datetime(2026, 11, 5, 10, 0, tzinfo=PARIS))
    assert deadlines.due_date(escalation.due_at) == date(2026, 11, 12)
    step = ladder.climb(escalation, datetime(2026, 11, 11, 10, 0, tzinfo=PARIS))
    assert (step.send, names(step.passed)) == (None, ["reminder"])


# The reminder is not sent within MIN_REMINDER_GAP (12 h) of the escalation: with a 1-day
# deadline it never is (the day before the due date is the escalation's own day or earlier).
@pytest.mark.parametrize("escalated_at, answer_days, reminder_at", [
    ("2026-11-23T10:00", 1, None),                   # Mon 10:00, due Tue: reminder Mon 08:00
    ("2026-11-23T07:00", 1, None),                   # Mon 07:00: reminder Mon 08:00, 1 hour later
    ("2026-11-28T10:00", 1, None),                   # Sat: due Mon 30, reminder Fri 27 (before it)
    ("2026-11-28T10:00", 2, "2026-11-30T08:00"),     # Sat, 2 days: due Tue, reminder Mon 08:00
    ("2026-11-23T19:00", 2, "2026-11-24T08:00"),     # 13 hours before the reminder
    ("2026-11-23T21:00", 2, None),                   # 11 hours before it
    ("2026-11-23T10:00", 4, "2026-11-26T08:00"),
])
def test_no_reminder_within_twelve_hours_of_the_escalation(escalated_at, answer_days, reminder_at):
    escalation = escalated(datetime.fromisoformat(escalated_at).replace(tzinfo=PARIS), answer_days)
    first = ladder.next_action_at(escalation)
    if reminder_at is None:
        assert first == escalation.due_at                     # straight to the breach
        step = ladder.climb(escalation, escalation.due_at)
        assert (step.send.name, names(step.passed)) == ("breach", ["reminder"])
    else:
        assert first == datetime.fromisoformat(reminder_at).replace(tzinfo=PARIS)
        assert ladder.climb(escalation, first).send.name == "reminder"


def test_a_ladder_without_breach_never_reminds_after_the_deadline():
    stages = ladder.parse("reminder:-1,coordinator:3")
    escalation = escalated(MONDAY)
    step = ladder.climb(escalation, datetime(2026, 11, 30, 10, 0, tzinfo=PARIS), stages)
    assert (step.send, names(step.passed), step.reached) == (None, ["reminder"], 1)


# --- the sweep's plan: a cursor, read a bounded number of days per run -----------------------

@pytest.mark.parametrize("cursor, now, start, last", [
    (None, "2026-12-10T10:00:00+00:00", "2026-12-03", "2026-12-10"),          # first run: 7 days back
    ("2026-11-16", "2026-12-10T10:00:00+00:00", "2026-11-16", "2026-12-10"),  # an outage of 3 weeks
    ("2026-09-01", "2026-12-10T10:00:00+00:00", "2026-09-01", "2026-10-01"),  # a long one: 31 days a run
    ("2026-12-20", "2026-12-10T10:00:00+00:00", "2026-12-03", "2026-12-10"),  # a run as of the past
    ("2026-12-03", "2026-12-10T23:30:00-05:00", "2026-12-03", "2026-12-11"),  # days are UTC days
])
def test_the_sweep_reads_from_its_cursor_a_bounded_number_of_days(cursor, now, start, last):
    from chalicelib.jobs import reminders

    days = reminders.plan(cursor, datetime.fromisoformat(now))
    assert (days.start.isoformat(), days.last.isoformat()) == (start, last)
    assert (days.last - days.start).days < reminders.MAX_DAYS_PER_RUN


# --- the national coordination address -----------------------------------------------------

def test_the_national_coordination_address_is_an_optional_checked_setting(monkeypatch):
    from chalicelib import config

    monkeypatch.delenv("RELAIS_NATIONAL_COORDINATION_EMAIL", raising=False)
    config.reset()
    try:
        assert config.settings().national_coordination_email is None
        monkeypatch.setenv("RELAIS_NATIONAL_COORDINATION_EMAIL", "coordination@services-publics-plus.gouv.fr")
        config.reset()
        assert config.settings().national_coordination_email == "coordination@services-publics-plus.gouv.fr"
        monkeypatch.setenv("RELAIS_NATIONAL_COORDINATION_EMAIL", "la coordination")
        config.reset()
        with pytest.raises(config.ConfigError, match="RELAIS_NATIONAL_COORDINATION_EMAIL"):
            config.settings()
    finally:
        config.reset()
