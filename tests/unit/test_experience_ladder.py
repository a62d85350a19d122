"""When an unanswered published experience's team and coordination are reminded (pure)."""
from datetime import UTC, datetime, timedelta

from chalicelib.domain import deadlines
from chalicelib.domain import experiences as rules
from chalicelib.domain.commands import ExperienceModeration
from chalicelib.domain.models import Experience, ExperienceChannel, LifeSituation, ModerationStatus

PARIS = deadlines.PARIS
PUBLISHED = datetime(2026, 11, 24, 10, 0, tzinfo=PARIS)        # a Tuesday: due Tuesday 1 December, 10:00


def published(answer_days: int = 7) -> Experience:
    created = PUBLISHED - timedelta(hours=1)
    pending = Experience(id="20261124T080000000000-abcdef", territory_code="61", situation=LifeSituation.PRECARITE,
                         text="Ma prime d'activité est bloquée depuis trois mois.", channel=ExperienceChannel.WEB,
                         created_at=created, updated_at=created)
    return rules.moderate(pending, ExperienceModeration(decision="publish"), now=PUBLISHED, team_id="caf-61",
                          level=None, answer_days=answer_days, reply_token="t" * 26)


def test_publishing_sets_the_first_reminder_the_business_day_before_at_8():
    experience = published()
    assert experience.due_at == datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)
    assert experience.next_reminder_at == datetime(2026, 11, 30, 8, 0, tzinfo=PARIS)


def test_each_stage_is_sent_at_its_time_then_the_next_one_is_set():
    experience = published()
    assert rules.climb(experience, datetime(2026, 11, 30, 7, 59, tzinfo=PARIS)) is None
    step = rules.climb(experience, datetime(2026, 11, 30, 8, 0, tzinfo=PARIS))
    assert step.send.name == "reminder" and step.passed == ()
    experience = rules.climbed(experience, step)
    assert experience.next_reminder_at == experience.due_at
    step = rules.climb(experience, experience.due_at)
    assert step.send.name == "breach"
    experience = rules.climbed(experience, step)
    # three business days after Tuesday 1 December: the end of Friday 4 December
    assert experience.next_reminder_at == datetime(2026, 12, 5, 0, 0, tzinfo=PARIS)
    experience = rules.climbed(experience, rules.climb(experience, experience.next_reminder_at))
    assert experience.next_reminder_at is None
    assert rules.climb(experience, datetime(2027, 1, 1, tzinfo=UTC)) is None


def test_after_an_outage_only_the_latest_stage_is_sent():
    step = rules.climb(published(), datetime(2026, 12, 10, tzinfo=PARIS))
    assert step.send.name == "coordinator" and [s.name for s in step.passed] == ["reminder", "breach"]
    assert step.reached == 3


def test_an_answer_stops_the_ladder():
    answered = rules.answer(published(), "Nous avons débloqué le versement.", now=PUBLISHED, author_id="u")
    assert answered.next_reminder_at is None
    assert rules.climb(answered, datetime(2026, 12, 10, tzinfo=PARIS)) is None
    assert answered.answer_status is ModerationStatus.PENDING


def test_a_reminder_too_close_to_publication_is_skipped():
    experience = published(answer_days=1)       # due Wednesday 10:00: the day before is today
    assert experience.next_reminder_at == experience.due_at
