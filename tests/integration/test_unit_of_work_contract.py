"""One contract, two units of work: DynamoDB Local and the in-memory fake behave alike."""
from datetime import UTC, datetime

import pytest

from chalicelib.adapters.memory import MemoryStore, MemoryUnitOfWork
from chalicelib.adapters.unit_of_work import DynamoUnitOfWork
from chalicelib.domain.errors import NotFound, RaceLost
from chalicelib.domain.models import (
    Case,
    CaseStatus,
    Channel,
    Escalation,
    Event,
    Message,
    MessageKind,
    Notification,
    NotificationKind,
    QuarantinedEmail,
    Role,
    Usager,
)
from chalicelib.domain.ports import UnitOfWork
from tests.clock import TUESDAY_MORNING

pytestmark = pytest.mark.instant(TUESDAY_MORNING)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
REF = "61-UOW-AAA"


@pytest.fixture(params=["dynamo", "memory"])
def new_uow(request):
    """A factory of units of work on one store, as successive requests share the table."""
    if request.param == "dynamo":
        repo = request.getfixturevalue("deps").repo
        return lambda: DynamoUnitOfWork(repo)
    store = MemoryStore()
    return lambda: MemoryUnitOfWork(store)


def a_case(**update) -> Case:
    case = Case(ref=REF, point_id="61-mairie-bretoncelles", territory_code="61", created_by="u-agent",
                usager=Usager(first_name="Jeanne", last_name="Martin", phone="0612345678"),
                situation="emploi", description="Allocations", consent_attested=True,
                created_at=NOW, updated_at=NOW)
    return case.model_copy(update=update)


def an_event(event_id: str) -> Event:
    return Event(id=event_id, code="CASE_CREATED", actor_id="u-agent", at=NOW, case_ref=REF)


def an_escalation() -> Escalation:
    return Escalation(case_ref=REF, group_id="g-caf", organisation_id="caf", territory_code="61",
                      point_id="61-mairie-bretoncelles", question="?", due_at=NOW, created_at=NOW,
                      updated_at=NOW, reply_token="tok-1")


def created(new_uow) -> Case:
    case = a_case()
    uow: UnitOfWork = new_uow()
    with uow:
        uow.cases.save(case, None)
        uow.events.record(an_event("e-created"))
        uow.commit()
    return case


def test_a_saved_case_reads_back(new_uow):
    case = created(new_uow)
    bundle = new_uow().cases.get(REF)
    assert bundle.case == case
    assert [e.id for e in bundle.events] == ["e-created"]
    assert dict(bundle.escalations) == {} and list(bundle.messages) == []


def test_a_missing_case_is_not_found(new_uow):
    with pytest.raises(NotFound):
        new_uow().cases.get(REF)


def test_a_stale_version_writes_nothing(new_uow):
    case = created(new_uow)
    first = new_uow()
    first.cases.save(case.model_copy(update={"status": CaseStatus.ESCALATED, "version": 2}), 1)
    first.commit()
    second = new_uow()
    second.cases.save(case.model_copy(update={"description": "Autre", "version": 2}), 1)
    second.events.record(an_event("e-lost"))
    with pytest.raises(RaceLost):
        second.commit()
    bundle = new_uow().cases.get(REF)
    assert bundle.case.status is CaseStatus.ESCALATED and bundle.case.description == "Allocations"
    assert [e.id for e in bundle.events] == ["e-created"]     # the event staged with it is absent too


def test_a_case_cannot_be_created_twice(new_uow):
    created(new_uow)
    uow = new_uow()
    uow.cases.save(a_case(description="Autre"), None)
    with pytest.raises(RaceLost):
        uow.commit()
    assert new_uow().cases.get(REF).case.description == "Allocations"


def test_events_and_notifications_land_with_the_case(new_uow):
    case = created(new_uow)
    uow = new_uow()
    uow.cases.save(case.model_copy(update={"status": CaseStatus.ESCALATED, "version": 2}), 1)
    uow.events.record(an_event("e-escalated"))
    uow.outbox.add(Notification(id="n-1", case_ref=REF, kind=NotificationKind.ESCALATION,
                                group_id="g-caf", created_at=NOW))
    uow.commit()
    reader = new_uow()
    assert [e.id for e in reader.cases.get(REF).events] == ["e-created", "e-escalated"]
    assert [n.id for n in reader.outbox.pending(REF)] == ["n-1"]


def test_require_open_refuses_a_closed_case_and_leaving_without_commit_discards(new_uow):
    case = created(new_uow)
    with new_uow() as uow:
        uow.cases.save(case.model_copy(update={"status": CaseStatus.CLOSED, "closed_at": NOW,
                                               "version": 2}), 1)
    assert new_uow().cases.get(REF).case.status is CaseStatus.OPEN    # never committed
    closing = new_uow()
    closing.cases.save(case.model_copy(update={"status": CaseStatus.CLOSED, "closed_at": NOW,
                                               "version": 2}), 1)
    closing.commit()
    late = new_uow()
    late.cases.require_open(REF)
    late.events.record(an_event("e-late"))
    with pytest.raises(RaceLost):
        late.commit()
    assert [e.id for e in new_uow().cases.get(REF).events] == ["e-created"]


def test_a_created_case_cannot_take_a_reference_twice(new_uow):
    uow = new_uow()
    uow.cases.create(a_case())
    uow.commit()
    again = new_uow()
    again.cases.create(a_case(description="Autre"))
    again.events.record(an_event("e-second"))
    with pytest.raises(RaceLost):
        again.commit()
    record = new_uow().cases.get(REF)
    assert record.case.description == "Allocations" and list(record.events) == []


@pytest.mark.parametrize("stage", [
    lambda uow: uow.marks.upload("up-1", NOW, REF, "m-1"),
    lambda uow: uow.marks.inbound("digest-1", NOW, "accepted", REF),
    lambda uow: uow.marks.digest("u-agent", "2026-W48", NOW, NOW),
    lambda uow: uow.outbox.add_uncased(Notification(id="login-1", case_ref="", kind=NotificationKind.LOGIN_LINK,
                                                    data={"email": "a@example.org"}, created_at=NOW), NOW),
    lambda uow: uow.escalations.issue_reply_token(an_escalation()),
], ids=["upload", "inbound", "digest", "uncased-notice", "reply-token"])
def test_a_mark_is_staged_once(new_uow, stage):
    first = new_uow()
    stage(first)
    first.commit()
    second = new_uow()
    stage(second)
    with pytest.raises(RaceLost):
        second.commit()


def test_a_forgotten_digest_mark_can_be_staged_again(new_uow):
    def mark() -> None:
        uow = new_uow()
        uow.marks.digest("u-agent", "2026-W48", NOW, NOW)
        uow.commit()

    mark()
    forgetting = new_uow()
    forgetting.marks.forget_digest("u-agent", "2026-W48")
    forgetting.commit()
    mark()                                  # no RaceLost: the mark was gone
    with pytest.raises(RaceLost):
        mark()


def test_a_removed_message_is_gone_and_a_held_email_keeps_its_version_rule(new_uow):
    created(new_uow)
    message = Message(id="m-1", case_ref=REF, author_id="u-agent", author_role=Role.AGENT,
                      channel=Channel.WEB, kind=MessageKind.NOTE, body="Note", created_at=NOW)
    held = QuarantinedEmail(id="q-1", case_ref=REF, group_id="g-caf", reason="unknown_sender",
                            sender="x@example.org", subject="Re", received_at=NOW, raw_key="k")
    uow = new_uow()
    uow.messages.add(message)
    uow.quarantine.save(held, None)
    uow.commit()
    assert [m.id for m in new_uow().cases.get(REF).messages] == ["m-1"]
    stale = new_uow()
    stale.quarantine.save(held.model_copy(update={"version": 2}), 5)
    with pytest.raises(RaceLost):
        stale.commit()
    removing = new_uow()
    removing.messages.remove(message)
    removing.commit()
    assert list(new_uow().cases.get(REF).messages) == []


def test_a_closed_case_is_placed_in_the_retention_sweep_once_per_closing(new_uow):
    closed = a_case(status=CaseStatus.CLOSED, closed_at=NOW, version=2)
    first = new_uow()
    first.cases.schedule_purge(closed)
    first.commit()
    again = new_uow()
    again.cases.schedule_purge(closed)
    with pytest.raises(RaceLost):
        again.commit()
    later = new_uow()
    later.cases.schedule_purge(closed.model_copy(update={"version": 4}))
    later.commit()
