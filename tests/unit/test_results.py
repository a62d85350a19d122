"""Results maths: contributions, deltas, business hours, percentiles and k-anonymity."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.domain import deadlines, results
from chalicelib.domain.models import Case, CaseStatus, Escalation, EscalationStatus, Outcome, Usager

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)     # Monday 10:00 in Paris


def case(**changes) -> Case:
    base = Case(ref="61-AAA-AAA", point_id="p1", territory_code="61", created_by="u-1",
                usager=Usager(first_name="Jeanne", last_name="Martin", phone="06 12 34 56 78"),
                situation="precarite", description="RSA", consent_attested=True,
                created_at=T0, updated_at=T0)
    return base.model_copy(update=changes)


def escalation(**changes) -> Escalation:
    base = Escalation(case_ref="61-AAA-AAA", group_id="61-caf", organisation_id="caf", territory_code="61",
                      point_id="p1", question="?", due_at=deadlines.due_at(T0, 4, "61"),
                      created_at=T0, updated_at=T0)
    return base.model_copy(update=changes)


def test_business_hours_count_opening_hours_on_business_days_only():
    friday_4pm = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    monday_10am = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert deadlines.business_hours_between(friday_4pm, monday_10am) == 2.0
    christmas_eve = datetime(2026, 12, 24, 8, 0, tzinfo=UTC)
    assert deadlines.business_hours_between(christmas_eve, christmas_eve + timedelta(days=2)) == 8.0
    assert deadlines.business_hours_between(monday_10am, friday_4pm) == 0.0


def test_a_cases_contribution_follows_its_state():
    closed = case(status=CaseStatus.CLOSED, closed_at=T0, outcome=Outcome.SOLVED_AT_DESK, useful=True,
                  satisfaction=5, satisfaction_at=T0)
    cells = results.by_cell(results.case_contribution(closed))
    assert cells[("2026-T4", "point", "p1")] == {"cases": 1, "closed": 1, "desk": 1, "useful_known": 1,
                                                 "useful": 1, "sat": 1, "sat5": 1}
    assert set(cells) == {(period, kind, scope) for period in ("2026-11", "2026-T4")
                          for kind, scope in (("point", "p1"), ("territory", "61"), ("national", "FR"))}
    reopened = results.delta(results.case_contribution(closed), results.case_contribution(
        closed.model_copy(update={"status": CaseStatus.OPEN, "closed_at": None})))
    assert results.by_cell(reopened)[("2026-11", "point", "p1")] == {
        "closed": -1, "desk": -1, "useful_known": -1, "useful": -1}


def test_an_escalation_counts_on_time_in_the_period_of_its_deadline():
    answered = escalation(status=EscalationStatus.ANSWERED, answered_at=T0 + timedelta(hours=3))
    cells = results.by_cell(results.escalation_contribution(answered))
    assert cells[("2026-T4", "network", "caf")] == {"esc": 1, "due": 1, "ontime": 1, "answered": 1, "h4": 1}
    late = escalation(status=EscalationStatus.ANSWERED, answered_at=answered.due_at + timedelta(days=3))
    assert "ontime" not in results.by_cell(results.escalation_contribution(late))[("2026-T4", "group", "61-caf")]
    assert results.escalation_contribution(escalation(status=EscalationStatus.WRONG_RECIPIENT)) == {}


def test_figures_are_withheld_below_five_cases():
    assert results.figures({"cases": 4, "closed": 4, "desk": 4}).suppressed
    small = results.figures({"cases": 4, "closed": 4, "desk": 4})
    assert small.cases is None and small.desk_rate is None and small.closed is None
    enough = results.figures({"cases": 12, "closed": 10, "desk": 4, "useful_known": 10, "useful": 9,
                              "sat": 4, "sat5": 4})
    assert (enough.cases, enough.desk_rate, enough.useful_rate) == (12, 40.0, 90.0)
    assert enough.satisfied_rate is None and enough.net_satisfaction is None     # 4 answers only


def test_median_and_90th_percentile_read_from_the_hour_buckets():
    counters = {"esc": 10, "due": 10, "ontime": 8, "answered": 10, "h2": 3, "h8": 3, "h32": 3, "hover": 1}
    figures = results.figures(counters)
    assert (figures.median_hours, figures.p90_hours, figures.ontime_rate) == ("8", "32", 80.0)
    satisfaction = results.figures({"cases": 10, "sat": 10, "sat5": 5, "sat4": 2, "sat2": 3})
    assert satisfaction.satisfied_rate == 70.0 and satisfaction.net_satisfaction == 20.0


def test_quarters():
    assert results.quarter(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "2027-T1"   # Paris time
    assert results.quarter_bounds("2026-T4")[0].isoformat() == "2026-10-01"
    assert results.previous_quarter("2027-T1") == "2026-T4"


def test_figures_are_written_the_french_way():
    from chalicelib.adapters.templates import fr_number

    assert fr_number(87.5) == "87,5" and fr_number(0.0) == "0,0"
    assert fr_number(12345) == "12\u202f345" and fr_number(1234567.25) == "1\u202f234\u202f567,2"
    assert fr_number("8") == "8"


def test_a_request_withdrawn_before_its_deadline_is_not_counted_late():
    due = deadlines.due_at(T0, 4, "61")
    withdrawn = escalation(status=EscalationStatus.CLOSED, updated_at=T0 + timedelta(days=1))
    cells = results.by_cell(results.escalation_contribution(withdrawn))
    assert "due" not in cells[("2026-T4", "group", "61-caf")]
    late = escalation(status=EscalationStatus.CLOSED, updated_at=due + timedelta(days=1))
    cells = results.by_cell(results.escalation_contribution(late))
    assert cells[("2026-T4", "group", "61-caf")]["due"] == 1 and "ontime" not in cells[("2026-T4", "group", "61-caf")]
