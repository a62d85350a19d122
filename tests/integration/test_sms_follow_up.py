"""SUIVI by SMS (issue 25): the usager asks where their case stands and gets one SMS back at
once, through `/_dev/inbound-sms`, the real table and the SMS outbox. Every refusal path:
another number's reference, no case, STOP, the daily limit, a replayed inbound SMS."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.clock import TUESDAY_MORNING
from tests.conftest import login
from tests.integration.test_sms import AGENT, PHONE, TUESDAY_21H, create, escalate, inbound, set_clock, texts

pytestmark = [pytest.mark.outbox, pytest.mark.instant(TUESDAY_MORNING)]

OTHER = "+33698765432"


@pytest.fixture
def agent(client, monkeypatch):
    from chalicelib import bootstrap

    monkeypatch.setenv("RELAIS_SESSION_HOURS", str(24 * 60))
    bootstrap.reset()
    return login(client, AGENT)


def replies_to(number: str) -> list[str]:
    """The SMS sent back to a number after its case's creation SMS."""
    return [t["text"] for t in texts() if t["to"] == [number] and "demande enregistrée" not in t["text"]]


def assert_one_clean_segment(text: str) -> None:
    from chalicelib.domain import sms

    assert sms.is_gsm7(text) and sms.segments(text) == 1, text
    assert "Jeanne" not in text and "Martin" not in text and "RSA" not in text, text


@pytest.mark.parametrize("written", ["SUIVI", "suivi svp", " Suivï ", "« suivi »", "Bonjour, suivi de mon dossier merci"])
def test_suivi_as_written_sends_the_latest_case_s_status_in_one_sms(client, agent, written):
    ref = create(client, agent)
    assert inbound(client, written) == {"outcome": "follow_up", "case_ref": ref}
    [text] = replies_to(PHONE)
    assert_one_clean_segment(text)
    assert ref in text and "est en cours" in text and "Mairie de Bretoncelles" in text


def test_the_status_follows_the_case_escalated_answered_closed(client, agent):
    ref = create(client, agent)
    escalate(client, agent, ref, "61-caf")
    inbound(client, "suivi")
    caf = login(client, "referent.61-caf@example.org")
    response = client.http.post(f"/api/cases/{ref}/messages", headers=caf,
                                body=json.dumps({"body": "Réglé.", "kind": "answer"}))
    assert response.status_code in (200, 201), response.body
    inbound(client, "suivi")
    response = client.http.post(f"/api/cases/{ref}/close", headers=agent,
                                body=json.dumps({"outcome": "solved_with_partner", "useful": True}))
    assert response.status_code == 200, response.body
    sent = [t for t in replies_to(PHONE) if "dossier" in t and "Satisfait" not in t
            and "le partenaire a répondu (dossier" not in t]
    escalated, answered = sent
    assert "transmise au partenaire" in escalated and "(CAF)" in escalated
    assert "le partenaire a répondu" in answered and "vous recontacte" in answered
    assert inbound(client, "Suivi")["outcome"] == "follow_up"
    closed = replies_to(PHONE)[-1]
    assert "est close" in closed
    for text in (escalated, answered, closed):
        assert_one_clean_segment(text)


def test_a_reference_of_the_number_names_that_case_not_the_latest(client, agent):
    first = create(client, agent)
    second = create(client, agent)
    assert inbound(client, first.lower().replace("-", " ")) == {"outcome": "follow_up", "case_ref": first}
    assert inbound(client, f"Suivi {second} svp") == {"outcome": "follow_up", "case_ref": second}
    one, two = replies_to(PHONE)
    assert first in one and second in two


def test_another_number_s_reference_answers_exactly_like_an_unknown_one(client, agent):
    from chalicelib.domain import sms

    theirs = create(client, agent)                                   # Jeanne's case, on PHONE
    create(client, agent, phone="06 98 76 54 32")                     # the asker has a case of their own
    assert inbound(client, theirs, sender=OTHER) == {"outcome": "follow_up_no_case"}
    unknown = "61-ZZZ-ZZZ" if theirs != "61-ZZZ-ZZZ" else "61-YYY-YYY"
    assert inbound(client, f"suivi {unknown}", sender=OTHER) == {"outcome": "follow_up_no_case"}
    probe, unknown_answer = replies_to(OTHER)
    assert probe == unknown_answer == sms.render_no_case()
    assert theirs not in probe
    assert replies_to(PHONE) == []                                    # nothing ever goes to Jeanne


def test_a_number_with_no_case_is_told_where_to_go_and_an_opted_out_one_gets_nothing(client, agent):
    assert inbound(client, "SUIVI", sender="+33611111111") == {"outcome": "follow_up_no_case"}
    [text] = replies_to("+33611111111")
    assert "aucune demande" in text and "France Services" in text
    create(client, agent)
    assert inbound(client, "STOP")["outcome"] == "opted_out"
    before = len(texts())
    assert inbound(client, "SUIVI") == {"outcome": "follow_up_opted_out"}
    assert len(texts()) == before


def test_sent_at_once_even_in_quiet_hours(client, agent):
    ref = create(client, agent)
    set_clock(TUESDAY_21H)
    assert inbound(client, "SUIVI") == {"outcome": "follow_up", "case_ref": ref}
    assert len(replies_to(PHONE)) == 1


def test_three_answers_a_day_then_silence_and_the_limit_lifts_the_next_day(client, agent):
    create(client, agent)
    outcomes = [inbound(client, "SUIVI")["outcome"] for _ in range(4)]
    assert outcomes == ["follow_up"] * 3 + ["follow_up_limited"]
    assert len(replies_to(PHONE)) == 3
    set_clock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    assert inbound(client, "SUIVI")["outcome"] == "follow_up"
    assert len(replies_to(PHONE)) == 4


def test_a_replayed_inbound_sms_sends_once_and_counts_once(client, agent, deps):
    from chalicelib import bootstrap
    from chalicelib.services import sms

    ref = create(client, agent)
    d = bootstrap.deps()
    for _ in range(3):
        assert sms.receive(d, PHONE, "SUIVI", "inbound-1") == {"outcome": "follow_up", "case_ref": ref}
    assert len(replies_to(PHONE)) == 1
    assert sms.receive(d, PHONE, "SUIVI", "inbound-2")["outcome"] == "follow_up"
    assert sms.receive(d, PHONE, "SUIVI", "inbound-3")["outcome"] == "follow_up"
    assert sms.receive(d, PHONE, "SUIVI", "inbound-4")["outcome"] == "follow_up_limited"
    assert sms.receive(d, PHONE, "SUIVI", "inbound-1")["outcome"] == "follow_up"       # still a replay
    assert len(replies_to(PHONE)) == 3
    events = [e for e in deps.repo.get_bundle(ref).events if e.code == "SMS_FOLLOW_UP"]
    assert len(events) == 3


def test_a_permanent_refusal_is_counted_not_retried(client, agent, monkeypatch):
    from chalicelib import bootstrap
    from chalicelib.adapters.errors import PermanentError
    from chalicelib.services import sms

    create(client, agent)
    d = bootstrap.deps()

    def refused(phone, text):
        raise PermanentError("ValidationException:CANNOT_PARSE")

    monkeypatch.setattr(d.sms, "send", refused)
    assert sms.receive(d, PHONE, "SUIVI", "inbound-x") == {"outcome": "follow_up_failed"}
