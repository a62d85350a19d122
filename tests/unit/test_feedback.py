"""The pure rules of agents' feedback: ids that carry their time, forward-only triage, Paris
days, and the quarter's counts."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib import views
from chalicelib.domain import feedback
from chalicelib.domain.commands import FeedbackCreate, FeedbackTriage
from chalicelib.domain.errors import Conflict
from chalicelib.domain.models import FeedbackStatus

NOW = datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=UTC)
DIFFICULTY = FeedbackCreate(kind="difficulty", organisation_id="cpam", procedure="CSS",
                            problem="Bloqué.", usagers_affected=4)


def item(at: datetime = NOW, command: FeedbackCreate = DIFFICULTY, point: str = "61-a"):
    return feedback.open_feedback(command, feedback_id=feedback.new_id(at, "a1b2c3d4e5f6"),
                                  territory_code="61", point_id=point, author_id="u-1", now=at)


def test_an_id_carries_its_creation_time_to_the_microsecond():
    feedback_id = feedback.new_id(NOW, "a1b2c3d4e5f6")
    assert feedback_id == "20260329T005959999999-a1b2c3"
    assert feedback.created_at_of(feedback_id) == NOW
    for forged in ("", "20261399T005959999999-a1b2c3", "20260329T005959999999-A1B2C3", "../x"):
        assert feedback.created_at_of(forged) is None


def test_triage_goes_forward_only_and_replaces_the_answer():
    new = item()
    acknowledged = feedback.triage(new, FeedbackTriage(status="acknowledged", answer="Vu."), NOW)
    assert (acknowledged.status, acknowledged.answer, acknowledged.version) == (
        FeedbackStatus.ACKNOWLEDGED, "Vu.", 2)
    assert feedback.triage(acknowledged, FeedbackTriage(status="acknowledged", answer="Vu."), NOW) is acknowledged
    solved = feedback.triage(acknowledged, FeedbackTriage(status="solved"), NOW)
    assert (solved.status, solved.answer) == (FeedbackStatus.SOLVED, None)
    with pytest.raises(Conflict):
        feedback.triage(solved, FeedbackTriage(status="acknowledged"), NOW)
    assert feedback.triage(new, FeedbackTriage(status="solved"), NOW).status is FeedbackStatus.SOLVED


def test_days_are_paris_days_across_the_clock_change():
    start, end = feedback.day_range(date(2026, 3, 29), date(2026, 3, 29))   # summer time begins
    assert (start, end) == (datetime(2026, 3, 28, 23, tzinfo=UTC), datetime(2026, 3, 29, 22, tzinfo=UTC))
    assert feedback.day_range(None, None) == (None, None)


def test_the_summary_counts_the_half_open_range_and_never_names_the_author():
    start, end = NOW, NOW + timedelta(days=90)
    items = [item(start - timedelta(microseconds=1)), item(start), item(end - timedelta(microseconds=1)),
             item(end), item(start + timedelta(days=1), FeedbackCreate(kind="training", topic="Retraite"))]
    summary = views.summarize("61", start, end, items, {"61-a": "Mairie A"}, {"cpam": "CPAM"})
    assert summary.total == 3 and summary.usagers_affected == 8
    assert summary.by_kind == {"difficulty": 2, "training": 1}
    assert summary.by_status == {"new": 3, "acknowledged": 0, "solved": 0}
    assert [(o.organisation_name, o.reports) for o in summary.by_organisation] == [("CPAM", 2)]
    assert [i.created_at for i in summary.items] == sorted(i.created_at for i in summary.items)
    assert "u-1" not in summary.model_dump_json()
