"""The demo flow over HTTP against the local stack that `make run` starts."""

from datetime import datetime

import pytest
import requests

from devtools import stack
from tests.browser.conftest import api_sign_in
from tests.clock import STACK_INSTANT

pytestmark = pytest.mark.e2e


USAGER = {"first_name": "Lucien", "last_name": "Perrin", "phone": "06 98 76 54 32",
          "email": "lucien.perrin@example.net", "sms_opt_in": True}
DESCRIPTION = "Le RSA n'est plus versé depuis la mise à jour de sa situation."


@pytest.fixture(scope="module")
def stack_log(tmp_path_factory):
    """The local stack, its metrics on, and the file its logs go to."""
    state = tmp_path_factory.mktemp("stack")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
        with stack.running("relais-e2e", state, at=datetime.fromisoformat(STACK_INSTANT)) as url:
            yield url, state / "stack.log"


@pytest.fixture(scope="module")
def base_url(stack_log):
    return stack_log[0]


def test_demo_flow_end_to_end(base_url):
    agent = api_sign_in(base_url, "agent.remalard@example.org")
    directory = agent.get(f"{base_url}/api/territories/61/directory").json()
    assert len(directory["contact_points"]) == 8 and len(directory["referent_groups"]) == 17

    case = agent.post(f"{base_url}/api/cases", json={
        "point_id": "61-mairie-remalard",
        "usager": USAGER,
        "situation": "precarite",
        "description": DESCRIPTION,
        "consent_attested": True,
    })
    assert case.status_code == 201, case.text
    ref = case.json()["ref"]

    escalated = agent.post(f"{base_url}/api/cases/{ref}/escalations", json={
        "group_ids": ["61-caf"], "question": "Pouvez-vous vérifier le droit au RSA ?",
        "identifiers": {"caf_number": "7654321"}})
    assert escalated.status_code == 201 and escalated.json()["status"] == "escalated"

    referent = api_sign_in(base_url, "referent.61-caf@example.org")
    queue = referent.get(f"{base_url}/api/escalations", params={"status": "sent"}).json()
    assert ref in [item["case_ref"] for item in queue["items"]]
    seen = referent.get(f"{base_url}/api/cases/{ref}").json()
    assert seen["identifiers"]["caf_number"] == "7654321" and seen["usager"]["phone"] is None

    # The referent answers by email: a reply to the escalation email, quoted history and all.
    outbox = requests.get(f"{base_url}/_dev/outbox").json()
    sent = next(m for m in outbox if m["to"] == ["referent.61-caf@example.org"] and ref in m["subject"])
    assert "à traiter au plus tard le" in sent["subject"] and sent["html"] and sent["text"]
    quoted = "\r\n".join("> " + line for line in sent["text"].splitlines())
    reply = (f"From: Sophie Martin <referent.61-caf@example.org>\r\nTo: {sent['reply_to']}\r\n"
             f"Subject: RE: {sent['subject']}\r\nMessage-ID: <e2e-{ref}@example.org>\r\n"
             "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
             "Bonjour,\r\n\r\nDroit rétabli, rappel versé sous 8 jours.\r\n\r\nCordialement,\r\nSophie\r\n\r\n"
             f"Le lun. 23 nov. 2026 à 10:12, Relais SP+ <ne-pas-repondre@relais.example.org> a écrit :\r\n{quoted}\r\n")
    received = requests.post(f"{base_url}/_dev/inbound-email", data=reply.encode(),
                             headers={"Content-Type": "message/rfc822"})
    assert received.status_code == 200 and received.json()["outcome"] == "accepted", received.text
    answered = agent.get(f"{base_url}/api/cases/{ref}").json()
    assert answered["status"] == "answered"
    body = answered["messages"][-1]["body"]
    assert "Droit rétabli, rappel versé sous 8 jours." in body
    assert "a écrit" not in body and "Question de l'agent" not in body and "Cordialement" not in body
    notices = [m for m in requests.get(f"{base_url}/_dev/outbox").json()
               if m["to"] == ["agent.remalard@example.org"] and "a répondu" in (m["subject"] or "")]
    assert len(notices) == 1

    closed = agent.post(f"{base_url}/api/cases/{ref}/close",
                        json={"outcome": "solved_with_partner", "useful": True})
    assert closed.status_code == 200
    final = agent.get(f"{base_url}/api/cases/{ref}").json()
    assert final["status"] == "closed" and final["outcome"] == "solved_with_partner"
    assert [(m["kind"], m["channel"]) for m in final["messages"]] == [("answer", "email")]
    assert agent.get(f"{base_url}/api/cases", params={"status": "closed"}).json()["items"][0]["ref"] == ref


def test_the_logs_of_the_whole_flow_hold_no_personal_data_of_the_usager(base_url, stack_log):
    """Runs after the demo flow (same stack): an SMS reply from the usager, then every log line,
    metric line included, is searched for the usager's name, phone and email."""
    agent = api_sign_in(base_url, "agent.remalard@example.org")
    ref = agent.get(f"{base_url}/api/cases", params={"status": "closed"}).json()["items"][0]["ref"]
    replied = requests.post(f"{base_url}/_dev/inbound-sms", json={"from": "+33698765432", "body": "5"})
    assert replied.status_code == 200, replied.text
    log = stack_log[1].read_text(encoding="utf-8", errors="replace")
    compact = log.replace(" ", "")
    assert f'"case_ref":"{ref}"' in compact                      # the log follows the case
    assert f'"escalation_id":"{ref}/61-caf"' in compact          # and the escalation
    assert '"_aws"' in log and "cases_created" in log            # and the metrics are in it
    for personal in ("Lucien", "Perrin", "lucien.perrin", "example.net", "RSA n'est plus",
                     "698765432", "06 98 76 54 32", "06.98.76.54.32"):
        assert personal not in log, personal
