"""SMS replies as usagers write them, through `/_dev/inbound-sms` and the real table: an opt-out
in a sentence, confirmed once and kept on every case of the number; marks and ambiguous marks."""
from __future__ import annotations

import json

import pytest

from tests.clock import TUESDAY_MORNING
from tests.conftest import login
from tests.integration.test_sms import AGENT, PHONE, create, inbound, texts

pytestmark = [pytest.mark.outbox, pytest.mark.instant(TUESDAY_MORNING)]


@pytest.fixture
def agent(client, monkeypatch):
    from chalicelib import bootstrap

    monkeypatch.setenv("RELAIS_SESSION_HOURS", str(24 * 60))
    bootstrap.reset()
    return login(client, AGENT)


def close(client, agent, ref: str) -> None:
    response = client.http.post(f"/api/cases/{ref}/close", headers=agent,
                                body=json.dumps({"outcome": "solved_at_desk", "useful": True}))
    assert response.status_code == 200, response.body


def test_stop_in_a_sentence_is_confirmed_once_and_silences_every_case_of_the_number(client, agent, deps):
    from chalicelib.domain import sms

    first = create(client, agent)
    assert inbound(client, "Stop merci")["outcome"] == "opted_out"
    sent = texts()
    assert len(sent) == 2                              # the creation, then the confirmation at once
    confirmation = sent[1]
    assert confirmation["to"] == [PHONE] and "vous ne recevrez plus de SMS" in confirmation["text"]
    assert first in confirmation["text"] and "Mairie de Bretoncelles" in confirmation["text"]
    assert sms.is_gsm7(confirmation["text"]) and sms.segments(confirmation["text"]) == 1

    assert inbound(client, "STOP")["outcome"] == "opted_out"           # already out: no second one
    second = create(client, agent)                     # the agent still opens a case for the number
    close(client, agent, first)
    close(client, agent, second)
    assert len(texts()) == 2                           # nothing for either case
    assert deps.repo.get_case(first).status.value == "closed"


def test_a_stop_whose_confirmation_is_throttled_is_retried_and_confirms_once(client, agent, deps, monkeypatch):
    from botocore.exceptions import ClientError

    from chalicelib import bootstrap
    from chalicelib.services import sms

    create(client, agent)
    d = bootstrap.deps()
    send = d.sms.send
    calls = []

    def throttled_once(phone, text):
        calls.append(text)
        if len(calls) == 1:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "SendTextMessage")
        return send(phone, text)

    monkeypatch.setattr(d.sms, "send", throttled_once)
    with pytest.raises(ClientError):
        sms.receive(d, PHONE, "« STOP »", "inbound-1")      # the inbound event will be retried...
    assert deps.repo.is_opted_out(PHONE)                    # ...and the number is already out
    assert sms.receive(d, PHONE, "« STOP »", "inbound-1")["outcome"] == "opted_out"   # the retry
    assert sms.receive(d, PHONE, "« STOP »", "inbound-1")["outcome"] == "opted_out"   # a replay
    assert sum("vous ne recevrez plus de SMS" in t["text"] for t in texts()) == 1
    assert sms.receive(d, PHONE, "STOP", "inbound-2")["outcome"] == "opted_out"       # a new STOP
    assert sum("vous ne recevrez plus de SMS" in t["text"] for t in texts()) == 1


def test_marks_as_written_on_a_closed_case_and_ambiguous_ones_for_the_agent(client, agent, deps):
    ref = create(client, agent)
    close(client, agent, ref)
    assert inbound(client, "3 ou 4") == {"outcome": "message", "case_ref": ref}
    assert deps.repo.get_case(ref).satisfaction is None
    assert inbound(client, "5/5") == {"outcome": "satisfaction", "case_ref": ref}
    assert deps.repo.get_case(ref).satisfaction == 5
    assert inbound(client, "4 merci beaucoup pour votre aide")["outcome"] == "satisfaction"
    assert deps.repo.get_case(ref).satisfaction == 4
    case = client.http.get(f"/api/cases/{ref}", headers=agent).json_body
    assert [m["body"] for m in case["messages"]] == ["3 ou 4", "4 merci beaucoup pour votre aide"]
