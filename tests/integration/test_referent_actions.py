"""What a referent does besides replying (issue 23): « Je m'en occupe », forwarding to another
group of their organisation, the read receipt, the queue's « Traités » and « Information reçue »,
and the names the agent reads. Services against DynamoDB Local, with the demo directory."""
from __future__ import annotations

import pytest

from chalicelib.dev import streams
from chalicelib.domain.authz import Principal
from chalicelib.domain.commands import CaseCreate, EscalationCreate, MessageCreate
from chalicelib.domain.errors import InvalidInput, NotAllowed, NotFound
from chalicelib.domain.events import EventCode
from chalicelib.domain.models import EscalationStatus, MessageKind
from chalicelib.routes import events as stream_events
from chalicelib.services import cases
from tests.clock import TUESDAY_MORNING
from tests.conftest import CASE, outbox

pytestmark = pytest.mark.instant(TUESDAY_MORNING)

AGENT = "agent.bretoncelles@example.org"
CAF = "referent.61-caf@example.org"                      # no name in the directory
MARIE = "referent2.61-caf@example.org"                   # named « Marie Durand » in users.csv
CAF_HOUSING = "referent.61-caf-logement@example.org"     # another group of the CAF
CPAM = "referent.61-cpam@example.org"


def who(deps, email: str) -> Principal:
    return Principal.of(deps.repo.get_user_by_email(email))


@pytest.fixture
def ref(demo):
    agent = who(demo, AGENT)
    created = cases.create_case(demo, agent, CaseCreate.model_validate(CASE))
    cases.escalate(demo, agent, created.ref, EscalationCreate(group_ids=["61-caf"],
                                                                question="Le RSA est bloqué."))
    return created.ref


def events(deps, ref: str, code: EventCode) -> list:
    return [e for e in deps.repo.get_bundle(ref).events if e.code is code]


def escalation(deps, ref: str, group_id: str):
    return deps.repo.get_bundle(ref).escalations[group_id]


# --- « Je m'en occupe » ----------------------------------------------------------------------

def test_a_referent_takes_the_request_in_hand_once_and_the_clock_runs_on(demo, ref):
    due = escalation(demo, ref, "61-caf").due_at
    cases.acknowledge(demo, who(demo, MARIE), ref, None)
    cases.acknowledge(demo, who(demo, CAF), ref, "61-caf")            # already in hand: nothing
    taken = escalation(demo, ref, "61-caf")
    assert taken.acknowledged_at is not None and taken.due_at == due
    assert taken.acknowledged_by == who(demo, MARIE).user_id and taken.status is EscalationStatus.SENT
    assert len(events(demo, ref, EventCode.ESCALATION_ACKNOWLEDGED)) == 1
    seen = cases.get_case(demo, who(demo, AGENT), ref).escalations[0]
    assert seen.acknowledged_by_name == "Marie Durand, CAF de l'Orne"
    listed = cases.list_cases(demo, who(demo, AGENT), None, None, 10, None).items
    assert [c.taken_in_hand for c in listed] == [True]


@pytest.mark.parametrize("email, refused", [(CPAM, NotFound), (CAF_HOUSING, NotFound), (AGENT, NotAllowed)])
def test_only_the_acting_groups_referents_take_it_in_hand(demo, ref, email, refused):
    with pytest.raises(refused):
        cases.acknowledge(demo, who(demo, email), ref, None)
    assert escalation(demo, ref, "61-caf").acknowledged_at is None


# --- forwarding -------------------------------------------------------------------------------

@pytest.mark.outbox
def test_a_referent_forwards_to_another_group_of_their_organisation(demo, ref):
    before = escalation(demo, ref, "61-caf")
    name = cases.forward(demo, who(demo, CAF), ref, None, "61-caf-logement")
    assert name == "CAF de l'Orne – aides au logement"
    bundle = demo.repo.get_bundle(ref)
    old, moved = bundle.escalations["61-caf"], bundle.escalations["61-caf-logement"]
    assert old.status is EscalationStatus.WRONG_RECIPIENT and old.forwarded_to == "61-caf-logement"
    assert moved.status is EscalationStatus.SENT and moved.due_at == before.due_at
    assert moved.question == before.question and moved.forwarded_from == "61-caf"
    assert moved.reply_token and moved.reply_token != before.reply_token
    [forwarded] = events(demo, ref, EventCode.ESCALATION_FORWARDED)
    assert forwarded.group_id == "61-caf" and forwarded.data == {"to_group_id": "61-caf-logement"}
    # The new group is emailed as for a new escalation; the old group no longer sees the case.
    streams.replay_all(demo, stream_events.handle_stream_event)
    [mail] = [m for m in outbox() if CAF_HOUSING in m["to"] and f"[Relais {ref}]" in (m["subject"] or "")]
    assert "Elle vous est transmise par CAF de l'Orne, de votre organisme" in mail["text"]
    with pytest.raises(NotFound):
        cases.get_case(demo, who(demo, CAF), ref)
    assert cases.get_case(demo, who(demo, CAF_HOUSING), ref).escalations[0].forwarded_from_name == "CAF de l'Orne"
    agent_view = cases.get_case(demo, who(demo, AGENT), ref)
    assert {e.group_id: e.status.value for e in agent_view.escalations} == {
        "61-caf": "wrong_recipient", "61-caf-logement": "sent"}
    assert agent_view.status.value == "escalated"


def test_forwarding_stays_within_the_organisation_and_writes_nothing_when_refused(demo, ref):
    before = demo.repo.get_bundle(ref)
    for target in ("61-cpam", "61-caf", "62-caf", "inconnu"):
        with pytest.raises(InvalidInput):
            cases.forward(demo, who(demo, CAF), ref, None, target)
    with pytest.raises(NotFound):                      # another organisation's referent
        cases.forward(demo, who(demo, CPAM), ref, None, "61-cpam")
    with pytest.raises(NotFound):                      # the target group's referent, not on the case
        cases.forward(demo, who(demo, CAF_HOUSING), ref, "61-caf", "61-caf-logement")
    after = demo.repo.get_bundle(ref)
    assert after.escalations == before.escalations and after.case == before.case
    assert not events(demo, ref, EventCode.ESCALATION_FORWARDED)


# --- the read receipt -------------------------------------------------------------------------

def test_the_read_receipt_is_written_once_by_the_first_referent_who_opens_the_case(demo, ref):
    cases.get_case(demo, who(demo, AGENT), ref)                       # the agent's read is no receipt
    assert escalation(demo, ref, "61-caf").read_at is None
    first = cases.get_case(demo, who(demo, MARIE), ref).escalations[0]
    cases.get_case(demo, who(demo, MARIE), ref)
    cases.get_case(demo, who(demo, CAF), ref)
    read = escalation(demo, ref, "61-caf")
    assert read.read_at == first.read_at and read.read_by == who(demo, MARIE).user_id
    assert len(events(demo, ref, EventCode.ESCALATION_READ)) == 1
    agent_sees = cases.get_case(demo, who(demo, AGENT), ref).escalations[0]
    assert agent_sees.read_by_name == "Marie Durand, CAF de l'Orne"


# --- after answering: information received, answered ones ---------------------------------------

def test_the_queue_marks_the_information_received_until_the_referent_replies(demo, ref):
    caf, agent = who(demo, CAF), who(demo, AGENT)
    cases.post_referent_reply(demo, caf, ref, MessageCreate(body="Quel mois ?", kind=MessageKind.NEEDS_INFO))
    cases.post_agent_message(demo, agent, ref, MessageCreate(body="Octobre.", group_id="61-caf"))
    [waiting] = cases.referent_queue(demo, caf, "61-caf", EscalationStatus.SENT, 10, None).items
    assert waiting.info_received
    cases.post_referent_reply(demo, caf, ref, MessageCreate(body="Réglé.", kind=MessageKind.ANSWER))
    [answered] = cases.referent_queue(demo, caf, "61-caf", EscalationStatus.ANSWERED, 10, None,
                                      latest_first=True).items
    assert answered.case_ref == ref and not answered.info_received and answered.answered_at


def test_a_referent_named_in_the_directory_is_named_and_one_who_is_not_is_their_group(demo, ref):
    cases.post_referent_reply(demo, who(demo, CAF), ref, MessageCreate(body="Quel mois ?",
                                                                        kind=MessageKind.NEEDS_INFO))
    cases.post_referent_reply(demo, who(demo, MARIE), ref, MessageCreate(body="Réglé.", kind=MessageKind.ANSWER))
    names = [m.author_name for m in cases.get_case(demo, who(demo, AGENT), ref).messages]
    assert names == ["CAF de l'Orne", "Marie Durand, CAF de l'Orne"]
