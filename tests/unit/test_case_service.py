"""The life of a case (services/cases.py), on the in-memory unit of work (adapters/memory.py).

No DynamoDB: every `deps.uow()` is a MemoryUnitOfWork over one MemoryStore, as requests share
the table, and each test reads back what landed in that store. The clock is a fixed instant.
"""
from __future__ import annotations

import os
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from chalicelib import config
from chalicelib.adapters.memory import MemoryStore, MemoryUnitOfWork
from chalicelib.bootstrap import Deps
from chalicelib.domain.authz import Principal
from chalicelib.domain.commands import CaseClose, CaseCreate, EscalationCreate, MessageCreate
from chalicelib.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound, RaceLost
from chalicelib.domain.events import EventCode
from chalicelib.domain.models import (
    CaseStatus,
    Channel,
    ContactPoint,
    ContactPointKind,
    EscalationStatus,
    MessageKind,
    NotificationKind,
    Outcome,
    ReferentGroup,
    Role,
    Usager,
    User,
)
from chalicelib.services import cases, common
from tests.clock import TUESDAY_MORNING

pytestmark = pytest.mark.instant(TUESDAY_MORNING)

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)          # TUESDAY_MORNING, 10:00 in Paris

POINT = "61-mairie-bretoncelles"
OTHER_POINT = "61-mairie-berdhuis"
CAF, CPAM, EURE_CAF = "61-caf", "61-cpam", "27-caf"

AGENT = Principal(user_id="u-agent", role=Role.AGENT, point_ids=frozenset({POINT}))
OTHER_AGENT = Principal(user_id="u-agent-berdhuis", role=Role.AGENT, point_ids=frozenset({OTHER_POINT}))
CAF_REFERENT = Principal(user_id="u-ref-caf", role=Role.REFERENT, group_ids=frozenset({CAF}))
CPAM_REFERENT = Principal(user_id="u-ref-cpam", role=Role.REFERENT, group_ids=frozenset({CPAM}))


# --- the world: settings, a store with a directory, the deps ----------------------------------

@pytest.fixture
def settings(monkeypatch) -> config.Settings:
    """The documented defaults, whatever the shell exports (as tests/unit/test_config.py reads them)."""
    for name in list(os.environ):
        if name.startswith("RELAIS_") or name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
            monkeypatch.delenv(name)
    config.reset()
    try:
        return config.settings()
    finally:
        config.reset()


@pytest.fixture
def store() -> MemoryStore:
    store = MemoryStore()
    for point_id, name in ((POINT, "Mairie de Bretoncelles"), (OTHER_POINT, "Mairie de Berd'huis")):
        store.points[point_id] = ContactPoint(id=point_id, territory_code="61", name=name,
                                              kind=ContactPointKind.MAIRIE)
    for group_id, organisation, territory, name in ((CAF, "caf", "61", "CAF de l'Orne"),
                                                    (CPAM, "cpam", "61", "CPAM de l'Orne"),
                                                    (EURE_CAF, "caf", "27", "CAF de l'Eure")):
        store.groups[group_id] = ReferentGroup(
            id=group_id, organisation_id=organisation, territory_code=territory, name=name,
            member_emails=[f"referent.{group_id}@example.org"])
    for principal, name in ((AGENT, "Sophie Girard"), (OTHER_AGENT, "Julien Moreau"),
                            (CAF_REFERENT, "Référent CAF"), (CPAM_REFERENT, "Référent CPAM")):
        store.users[principal.user_id] = User(
            id=principal.user_id, email=f"{principal.user_id}@example.org", display_name=name,
            role=principal.role, point_ids=sorted(principal.point_ids), group_ids=sorted(principal.group_ids))
    return store


@pytest.fixture
def deps(settings, store) -> Deps:
    return Deps(settings, clock=lambda: NOW, unit_of_work=lambda: MemoryUnitOfWork(store))


@pytest.fixture(autouse=True)
def sleeps(monkeypatch) -> list[float]:
    """The waits of retry_on_conflict, recorded instead of slept: no test here ever sleeps."""
    waits: list[float] = []
    monkeypatch.setattr(common, "time", SimpleNamespace(sleep=waits.append))
    return waits


def usager(sms_opt_in: bool = True) -> Usager:
    phone = "06 12 34 56 78" if sms_opt_in else "02 33 73 00 00"
    return Usager(first_name="Jeanne", last_name="Martin", phone=phone, sms_opt_in=sms_opt_in)


def a_request(point_id: str = POINT, sms_opt_in: bool = True, confirm_by_sms: bool = False) -> CaseCreate:
    return CaseCreate(point_id=point_id, usager=usager(sms_opt_in), situation="precarite",
                      description="Son RSA n'est plus versé depuis deux mois.", consent_attested=True,
                      confirm_consent_by_sms=confirm_by_sms)


def opened(deps: Deps, **request) -> str:
    return cases.create_case(deps, AGENT, a_request(**request)).ref


def escalated(deps: Deps, *group_ids: str, **request) -> str:
    ref = opened(deps, **request)
    cases.escalate(deps, AGENT, ref, EscalationCreate(group_ids=list(group_ids),
                                                      question="Pourquoi le RSA est-il suspendu ?"))
    return ref


def codes(store: MemoryStore, ref: str) -> list[EventCode]:
    return sorted(e.code for e in store.events.values() if e.case_ref == ref)


def notifications(store: MemoryStore, ref: str) -> dict[str, object]:
    """The case's notifications by id: (kind, group) for emails, the template for an SMS."""
    return {n.id: n.data["template"] if n.kind is NotificationKind.SMS else (n.kind, n.group_id)
            for (r, _), n in store.notifications.items() if r == ref}


def snapshot(store: MemoryStore) -> tuple:
    return (dict(store.cases), dict(store.escalations), dict(store.messages), dict(store.events),
            dict(store.notifications), dict(store.entries))


# --- opening a case ----------------------------------------------------------------------------

def test_opening_a_case_stores_it_with_its_event_its_search_entries_and_the_usager_sms(deps, store):
    view = cases.create_case(deps, AGENT, a_request(confirm_by_sms=True))

    ref = view.ref
    assert ref.startswith("61-") and view.status is CaseStatus.OPEN
    case = store.cases[ref]
    assert (case.point_id, case.territory_code, case.created_by) == (POINT, "61", AGENT.user_id)
    assert (case.status, case.version, case.created_at) == (CaseStatus.OPEN, 1, NOW)
    assert case.usager == usager()
    [created] = [e for e in store.events.values() if e.case_ref == ref]
    assert (created.code, created.actor_id, created.at, created.data) == (
        EventCode.CASE_CREATED, AGENT.user_id, NOW, {"point_id": POINT})
    assert {key: value for key, value in store.entries.items() if value == ref} == {
        ("phone", usager().phone, NOW.isoformat(), ref): ref,
        ("name", POINT, "jeanne martin", ref): ref,
        ("name", POINT, "martin jeanne", ref): ref,
    }
    assert notifications(store, ref) == {"sms-created": "case_created", "sms-consent": "consent"}


def test_no_consent_sms_is_queued_unless_the_agent_asks_for_it(deps, store):
    ref = opened(deps, confirm_by_sms=False)

    assert notifications(store, ref) == {"sms-created": "case_created"}


def test_a_usager_who_declined_sms_gets_none_even_if_the_consent_sms_is_asked_for(deps, store):
    ref = opened(deps, sms_opt_in=False, confirm_by_sms=True)

    assert store.cases[ref].usager.sms_opt_in is False
    assert notifications(store, ref) == {}
    assert codes(store, ref) == [EventCode.CASE_CREATED]


def test_a_case_at_an_unknown_point_or_another_agents_point_is_refused_and_nothing_is_stored(deps, store):
    lost = Principal(user_id="u-lost", role=Role.AGENT, point_ids=frozenset({"61-mairie-disparue"}))
    with pytest.raises(InvalidInput) as unknown:
        cases.create_case(deps, lost, a_request(point_id="61-mairie-disparue"))
    assert unknown.value.field == "point_id"

    with pytest.raises(NotAllowed) as foreign:
        cases.create_case(deps, OTHER_AGENT, a_request(point_id=POINT))
    assert foreign.value.field == "point_id"

    with pytest.raises(NotAllowed):
        cases.create_case(deps, CAF_REFERENT, a_request())

    assert snapshot(store) == ({}, {}, {}, {}, {}, {})


def test_a_reference_already_taken_is_drawn_again_and_the_first_case_is_left_alone(deps, store, monkeypatch):
    draws = iter(["61-AAA-AAA", "61-AAA-AAA", "61-BBB-BBB"])
    monkeypatch.setattr(cases, "new_reference", lambda territory_code: next(draws))
    first = opened(deps, sms_opt_in=False)
    before = store.cases[first]

    second = cases.create_case(deps, AGENT, a_request(confirm_by_sms=True))

    assert (first, second.ref) == ("61-AAA-AAA", "61-BBB-BBB")
    assert store.cases[first] == before and store.cases[first].usager.sms_opt_in is False
    assert set(store.cases) == {"61-AAA-AAA", "61-BBB-BBB"}
    assert codes(store, first) == [EventCode.CASE_CREATED] == codes(store, second.ref)
    assert notifications(store, first) == {}            # the losing draw staged SMS that never landed
    assert notifications(store, second.ref) == {"sms-created": "case_created", "sms-consent": "consent"}


# --- escalating ---------------------------------------------------------------------------------

def test_escalating_to_two_partners_saves_each_exchange_with_its_reply_token_and_email(deps, store):
    ref = opened(deps)

    view = cases.escalate(deps, AGENT, ref, EscalationCreate(
        group_ids=[CAF, CPAM], question="Pourquoi le RSA est-il suspendu ?",
        identifiers={"caf_number": "1234567"}))

    assert view.status is CaseStatus.ESCALATED
    case = store.cases[ref]
    assert (case.status, case.version, case.identifiers.caf_number) == (CaseStatus.ESCALATED, 2, "1234567")
    caf, cpam = store.escalations[(ref, CAF)], store.escalations[(ref, CPAM)]
    assert (caf.status, caf.version, caf.organisation_id, caf.point_id) == (EscalationStatus.SENT, 1, "caf", POINT)
    assert cpam.organisation_id == "cpam" and caf.due_at > NOW and case.next_due_at == min(caf.due_at, cpam.due_at)
    assert caf.reply_token and cpam.reply_token and caf.reply_token != cpam.reply_token
    assert store.entries[("reply-token", caf.reply_token)] == (ref, CAF)
    assert store.entries[("reply-token", cpam.reply_token)] == (ref, CPAM)
    # Both enter the reminder sweep, the day before their deadline (the first ladder stage).
    assert store.next_actions[(ref, CAF)] < caf.due_at and store.next_actions[(ref, CPAM)] < cpam.due_at
    assert {k: v for k, v in notifications(store, ref).items() if k.startswith("esc-")} == {
        "esc-61-caf-v1": (NotificationKind.ESCALATION, CAF),
        "esc-61-cpam-v1": (NotificationKind.ESCALATION, CPAM)}
    assert sorted((e.group_id, e.data["organisation_id"]) for e in store.events.values()
                  if e.code is EventCode.CASE_ESCALATED) == [(CAF, "caf"), (CPAM, "cpam")]


def test_an_unknown_or_out_of_territory_partner_is_refused_and_nothing_is_written(deps, store):
    ref = opened(deps)
    before = snapshot(store)

    for group_ids in ([CAF, "61-inconnu"], [CAF, EURE_CAF]):
        with pytest.raises(InvalidInput) as refused:
            cases.escalate(deps, AGENT, ref, EscalationCreate(group_ids=group_ids, question="?"))
        assert refused.value.field == "group_ids"

    assert snapshot(store) == before and store.cases[ref].status is CaseStatus.OPEN


def test_an_agent_of_another_point_cannot_escalate_the_case_and_learns_nothing_of_it(deps, store):
    ref = opened(deps)
    before = snapshot(store)

    with pytest.raises(NotFound):
        cases.escalate(deps, OTHER_AGENT, ref, EscalationCreate(group_ids=[CAF], question="?"))

    assert snapshot(store) == before


# --- the thread -----------------------------------------------------------------------------

def test_an_answer_by_a_referent_marks_the_case_answered_and_tells_the_agent_and_the_usager(deps, store):
    ref = escalated(deps, CAF)

    view = cases.post_referent_reply(deps, CAF_REFERENT, ref, MessageCreate(
        body="Le dossier est débloqué.", kind=MessageKind.ANSWER), cases.Posting(message_id="m-answer"))

    assert view.status is CaseStatus.ANSWERED
    assert (store.cases[ref].status, store.cases[ref].version) == (CaseStatus.ANSWERED, 3)
    answered = store.escalations[(ref, CAF)]
    assert (answered.status, answered.answered_at, answered.version) == (EscalationStatus.ANSWERED, NOW, 2)
    message = store.messages["m-answer"]
    assert (message.case_ref, message.group_id, message.author_id, message.author_role, message.kind) == (
        ref, CAF, CAF_REFERENT.user_id, Role.REFERENT, MessageKind.ANSWER)
    assert notifications(store, ref)["reply-m-answer"] == (NotificationKind.REFERENT_REPLIED, CAF)
    assert notifications(store, ref)["sms-answered-m-answer"] == "answered"
    assert EventCode.escalation(EscalationStatus.ANSWERED) in codes(store, ref)


def test_the_same_reply_posted_twice_is_stored_once(deps, store):
    ref = escalated(deps, CAF)
    reply = MessageCreate(body="Le dossier est débloqué.", kind=MessageKind.ANSWER)
    posting = cases.Posting(channel=Channel.EMAIL, message_id="m-mail-1")
    cases.post_referent_reply(deps, CAF_REFERENT, ref, reply, posting)
    before = snapshot(store)

    again = cases.post_referent_reply(deps, CAF_REFERENT, ref, reply, posting)

    assert snapshot(store) == before
    assert [m.id for m in again.messages] == ["m-mail-1"] and store.cases[ref].version == 3


def test_a_usager_who_declined_sms_hears_nothing_of_an_answer(deps, store):
    ref = escalated(deps, CAF, sms_opt_in=False)

    cases.post_referent_reply(deps, CAF_REFERENT, ref, MessageCreate(body="Réglé.", kind=MessageKind.ANSWER),
                              cases.Posting(message_id="m-answer"))

    assert notifications(store, ref) == {"esc-61-caf-v1": (NotificationKind.ESCALATION, CAF),
                                         "reply-m-answer": (NotificationKind.REFERENT_REPLIED, CAF)}


def test_a_referent_of_a_group_not_on_the_case_cannot_reply(deps, store):
    ref = escalated(deps, CAF)
    before = snapshot(store)

    with pytest.raises(NotFound):
        cases.post_referent_reply(deps, CPAM_REFERENT, ref, MessageCreate(body="?", kind=MessageKind.ANSWER))

    assert snapshot(store) == before


def test_an_agent_note_is_stored_alone_and_a_message_to_a_partner_is_emailed_to_it(deps, store):
    ref = escalated(deps, CAF)
    version = store.cases[ref].version

    cases.post_agent_message(deps, AGENT, ref, MessageCreate(body="Appel de l'usager ce matin."),
                             cases.Posting(message_id="m-note"))
    cases.post_agent_message(deps, AGENT, ref, MessageCreate(body="Avez-vous reçu le dossier ?", group_id=CAF),
                             cases.Posting(message_id="m-to-caf"))

    assert (store.messages["m-note"].group_id, store.messages["m-to-caf"].group_id) == (None, CAF)
    assert store.messages["m-note"].kind is MessageKind.NOTE
    assert store.cases[ref].version == version                   # a note changes neither the case ...
    assert store.escalations[(ref, CAF)].version == 1            # ... nor an exchange still waiting
    assert notifications(store, ref) == {"sms-created": "case_created",
                                         "esc-61-caf-v1": (NotificationKind.ESCALATION, CAF),
                                         "agent-m-to-caf": (NotificationKind.AGENT_MESSAGE, CAF)}
    assert codes(store, ref).count(EventCode.MESSAGE_POSTED) == 2


def test_information_supplied_by_the_agent_restarts_an_exchange_waiting_for_it(deps, store):
    ref = escalated(deps, CAF)
    cases.post_referent_reply(deps, CAF_REFERENT, ref, MessageCreate(
        body="Il manque l'avis d'imposition.", kind=MessageKind.NEEDS_INFO), cases.Posting(message_id="m-ask"))
    paused = store.escalations[(ref, CAF)]
    assert (paused.status, paused.paused_at, store.cases[ref].next_due_at) == (EscalationStatus.NEEDS_INFO, NOW, None)
    assert notifications(store, ref)["sms-needs_info-m-ask"] == "needs_info"

    cases.post_agent_message(deps, AGENT, ref, MessageCreate(body="Le voici.", group_id=CAF),
                             cases.Posting(message_id="m-info"))

    resumed = store.escalations[(ref, CAF)]
    assert (resumed.status, resumed.paused_at, resumed.version) == (EscalationStatus.SENT, None, paused.version + 1)
    assert (store.cases[ref].status, store.cases[ref].next_due_at) == (CaseStatus.ESCALATED, resumed.due_at)


def test_a_message_to_a_partner_the_case_was_not_sent_to_is_refused(deps, store):
    ref = escalated(deps, CAF)
    before = snapshot(store)

    with pytest.raises(InvalidInput) as refused:
        cases.post_agent_message(deps, AGENT, ref, MessageCreate(body="Bonjour", group_id=CPAM))

    assert refused.value.field == "group_id" and snapshot(store) == before


def test_what_the_caller_stages_with_a_message_lands_in_the_same_commit_or_not_at_all(deps, store):
    ref = opened(deps)

    def mark_upload(uow):
        uow.marks.upload("up-1", NOW, ref, "m-upload")

    cases.post_agent_message(deps, AGENT, ref, MessageCreate(body="Document ajouté : avis"),
                             cases.Posting(message_id="m-upload", also=mark_upload))
    assert store.entries[("upload", "up-1")] == (ref, "m-upload") and "m-upload" in store.messages

    # The same upload under another message id: the mark is taken, so the message does not land.
    before = snapshot(store)
    with pytest.raises(RaceLost):
        cases.post_agent_message(deps, AGENT, ref, MessageCreate(body="Document ajouté : avis"),
                                 cases.Posting(message_id="m-upload-again", also=mark_upload))
    assert snapshot(store) == before and "m-upload-again" not in store.messages


def test_a_note_on_a_closed_case_is_refused_and_its_staged_writes_are_dropped(deps, store):
    ref = opened(deps)
    cases.close_case(deps, AGENT, ref, CaseClose(outcome=Outcome.SOLVED_AT_DESK, useful=True))
    before = snapshot(store)

    with pytest.raises(Conflict) as refused:
        cases.post_agent_message(deps, AGENT, ref, MessageCreate(body="Encore une chose."), cases.Posting(
            message_id="m-late", also=lambda uow: uow.marks.upload("up-late", NOW, ref, "m-late")))

    assert not isinstance(refused.value, RaceLost)      # refused by the workflow, not retried
    assert snapshot(store) == before and ("upload", "up-late") not in store.entries


# --- closing and reopening ----------------------------------------------------------------

def test_closing_a_case_closes_its_exchanges_schedules_its_purge_and_texts_the_usager(deps, store):
    ref = escalated(deps, CAF, CPAM)

    view = cases.close_case(deps, AGENT, ref, CaseClose(outcome=Outcome.SOLVED_WITH_PARTNER, useful=True))

    case = store.cases[ref]
    assert view.status is CaseStatus.CLOSED
    assert (case.status, case.outcome, case.useful, case.closed_at, case.next_due_at, case.version) == (
        CaseStatus.CLOSED, Outcome.SOLVED_WITH_PARTNER, True, NOW, None, 3)
    assert {g: (e.status, e.version) for (r, g), e in store.escalations.items() if r == ref} == {
        CAF: (EscalationStatus.CLOSED, 2), CPAM: (EscalationStatus.CLOSED, 2)}
    [closed] = [e for e in store.events.values() if e.code is EventCode.CASE_CLOSED]
    assert (closed.case_ref, closed.data) == (ref, {"outcome": "solved_with_partner", "useful": "true"})
    assert store.entries[("purge", NOW.isoformat(), ref, "3")] == ref
    assert not store.next_actions                               # closed exchanges leave the sweep
    assert notifications(store, ref)["sms-closed-v3"] == "closed"


def test_a_reopened_case_can_be_escalated_again_to_the_same_partner(deps, store):
    ref = escalated(deps, CAF)
    cases.close_case(deps, AGENT, ref, CaseClose(outcome=Outcome.NOT_SOLVED, useful=False))
    first_token = store.escalations[(ref, CAF)].reply_token

    reopened = cases.reopen_case(deps, AGENT, ref)
    assert reopened.status is CaseStatus.OPEN
    case = store.cases[ref]
    assert (case.status, case.outcome, case.useful, case.closed_at, case.version) == (
        CaseStatus.OPEN, None, None, None, 4)
    assert EventCode.CASE_REOPENED in codes(store, ref)
    with pytest.raises(Conflict):
        cases.reopen_case(deps, AGENT, ref)

    cases.escalate(deps, AGENT, ref, EscalationCreate(group_ids=[CAF], question="Toujours bloqué."))

    again = store.escalations[(ref, CAF)]
    assert (again.status, again.version) == (EscalationStatus.SENT, 3)
    assert notifications(store, ref)["esc-61-caf-v3"] == (NotificationKind.ESCALATION, CAF)
    assert again.reply_token != first_token and store.entries[("reply-token", again.reply_token)] == (ref, CAF)


# --- races ------------------------------------------------------------------------------------

class RacedUnitOfWork(MemoryUnitOfWork):
    """A unit of work that lets another writer commit just before it does."""

    def __init__(self, store: MemoryStore, before_commit):
        super().__init__(store)
        self._before_commit = before_commit

    def commit(self) -> None:
        self._before_commit()
        super().commit()


def test_a_reply_that_loses_a_race_is_redone_on_a_fresh_read_and_both_changes_stay(deps, store, sleeps):
    ref = escalated(deps, CAF)
    races = [lambda: cases.escalate(deps, AGENT, ref, EscalationCreate(group_ids=[CPAM], question="Et la CSS ?"))]
    made: list[MemoryUnitOfWork] = []

    def factory() -> MemoryUnitOfWork:
        uow = RacedUnitOfWork(store, lambda: races.pop()()) if races else MemoryUnitOfWork(store)
        made.append(uow)
        return uow

    deps.unit_of_work = factory

    cases.post_referent_reply(deps, CAF_REFERENT, ref, MessageCreate(body="Réglé.", kind=MessageKind.ANSWER),
                              cases.Posting(message_id="m-answer"))

    assert made[0].commits == 0 and len(sleeps) == 1         # the first attempt lost, once
    case = store.cases[ref]
    assert (case.status, case.version) == (CaseStatus.ANSWERED, 4)   # created, CAF, CPAM (the rival), answer
    assert store.escalations[(ref, CAF)].status is EscalationStatus.ANSWERED
    assert store.escalations[(ref, CPAM)].status is EscalationStatus.SENT
    assert [m.id for m in store.messages.values() if m.case_ref == ref] == ["m-answer"]
    assert {"esc-61-cpam-v1", "reply-m-answer", "sms-answered-m-answer"} <= set(notifications(store, ref))


# --- reading ------------------------------------------------------------------------------------

def test_reading_a_case_is_audited_with_ids_only(deps, store):
    ref = escalated(deps, CAF)
    cases.post_referent_reply(deps, CAF_REFERENT, ref, MessageCreate(body="Réglé.", kind=MessageKind.ANSWER),
                              cases.Posting(message_id="m-answer"))
    before = set(store.events)

    view = cases.get_case(deps, CAF_REFERENT, ref.lower().replace("-", " "))

    assert view.ref == ref and [m.id for m in view.messages] == ["m-answer"]
    written = [store.events[i] for i in set(store.events) - before]
    [viewed] = [e for e in written if e.code is EventCode.CASE_VIEWED]
    assert (viewed.code, viewed.actor_id, viewed.at, viewed.case_ref, viewed.data) == (
        EventCode.CASE_VIEWED, CAF_REFERENT.user_id, NOW, None, {"ref": ref})
    # A referent's first read is also the read receipt the agent sees: ids only, once.
    [read] = [e for e in written if e.code is EventCode.ESCALATION_READ]
    assert (read.actor_id, read.case_ref, read.group_id, read.data) == (CAF_REFERENT.user_id, ref, CAF, {})
    cases.get_case(deps, CAF_REFERENT, ref)
    assert sum(e.code is EventCode.ESCALATION_READ for e in store.events.values()) == 1


def test_a_referent_of_an_unrelated_group_does_not_find_the_case_and_nothing_is_audited(deps, store):
    ref = escalated(deps, CAF)
    before = snapshot(store)

    with pytest.raises(NotFound):
        cases.get_case(deps, CPAM_REFERENT, ref)
    with pytest.raises(NotFound):
        cases.get_case(deps, AGENT, "61-ZZZ-ZZZ")

    assert snapshot(store) == before
