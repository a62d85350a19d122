"""SMS to usagers, through the outbox stream, the SQS queue and the worker (dev stage)."""
from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest

from tests.clock import TUESDAY_MORNING
from tests.conftest import CASE, login, outbox

pytestmark = [pytest.mark.outbox, pytest.mark.instant(TUESDAY_MORNING)]

AGENT = "agent.bretoncelles@example.org"
PHONE = "+33612345678"
TUESDAY_10H = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)        # 10:00 in Paris
TUESDAY_21H = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)       # 21:00 in Paris


def texts() -> list[dict]:
    return [m for m in outbox() if m["channel"] == "sms"]


def set_clock(moment: datetime) -> None:
    from chalicelib import bootstrap

    bootstrap.deps().clock = lambda: moment


@pytest.fixture
def agent(client, monkeypatch):
    from chalicelib import bootstrap

    monkeypatch.setenv("RELAIS_SESSION_HOURS", str(24 * 60))
    bootstrap.reset()
    headers = login(client, AGENT)
    set_clock(TUESDAY_10H)
    return headers


def create(client, agent, **usager) -> str:
    body = {**CASE, "usager": {**CASE["usager"], **usager}}
    response = client.http.post("/api/cases", headers=agent, body=json.dumps(body))
    assert response.status_code == 201, response.body
    return response.json_body["ref"]


def escalate(client, agent, ref: str, group: str = "61-caf") -> None:
    response = client.http.post(f"/api/cases/{ref}/escalations", headers=agent, body=json.dumps(
        {"group_ids": [group], "question": "Pouvez-vous vérifier ?"}))
    assert response.status_code == 201, response.body


def inbound(client, body: str, sender: str = PHONE) -> dict:
    response = client.http.post("/_dev/inbound-sms", headers={"Content-Type": "application/json"},
                                body=json.dumps({"from": sender, "body": body}))
    assert response.status_code == 200, response.body
    return response.json_body


def test_the_usager_gets_the_reference_in_one_gsm7_sms_at_creation(client, agent, deps):
    from chalicelib.domain import sms

    ref = create(client, agent)
    [text] = texts()
    assert text["to"] == [PHONE] and text["from"] == deps.settings.sms_origination_identity
    assert ref in text["text"] and "Mairie de Bretoncelles" in text["text"]
    assert sms.is_gsm7(text["text"]) and sms.segments(text["text"]) == 1


def test_a_usager_who_declines_sms_gets_none(client, agent):
    create(client, agent, sms_opt_in=False, phone="02 33 25 00 00")
    assert texts() == []


def test_nothing_is_sent_at_night_the_sms_waits_for_the_morning(client, agent, deps):
    from chalicelib import bootstrap
    from chalicelib.services import sms

    set_clock(TUESDAY_21H)
    ref = create(client, agent)
    assert texts() == []
    url = deps.sqs.get_queue_url(QueueName=deps.settings.sms_queue)["QueueUrl"]
    attributes = deps.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"     # held, not lost
    bootstrap.deps().clock = lambda: datetime(2026, 11, 25, 7, 0, tzinfo=UTC)   # 08:00 Paris
    assert sms.deliver(bootstrap.deps(), ref, "sms-created", "case_created") == "sent"
    assert len(texts()) == 1


def test_answer_needs_info_and_closing_each_send_their_sms_once(client, agent):
    ref = create(client, agent)
    escalate(client, agent, ref, "61-caf")
    escalate(client, agent, ref, "61-cpam")
    caf = login(client, "referent.61-caf@example.org")
    client.http.post(f"/api/cases/{ref}/messages", headers=caf, body=json.dumps(
        {"body": "Il manque l'avis d'imposition.", "kind": "needs_info"}))
    client.http.post(f"/api/cases/{ref}/messages", headers=caf,
                     body=json.dumps({"body": "Réglé.", "kind": "answer"}))
    cpam = login(client, "referent.61-cpam@example.org")
    client.http.post(f"/api/cases/{ref}/messages", headers=cpam,
                     body=json.dumps({"body": "Réglé aussi.", "kind": "answer"}))
    client.http.post(f"/api/cases/{ref}/close", headers=agent,
                     body=json.dumps({"outcome": "solved_with_partner", "useful": True}))
    sent = [t["text"] for t in texts()]
    assert len(sent) == 4, sent                       # created, needs info, answered (once), closed
    assert "il manque une information" in sent[1]
    assert "Votre conseiller vous recontacte" in sent[2]
    assert "Répondez de 1" in sent[3]


def test_satisfaction_reply_is_recorded_on_the_closed_case(client, agent, deps):
    ref = create(client, agent)
    client.http.post(f"/api/cases/{ref}/close", headers=agent,
                     body=json.dumps({"outcome": "solved_at_desk", "useful": True}))
    assert inbound(client, " 4 ") == {"outcome": "satisfaction", "case_ref": ref}
    case = deps.repo.get_case(ref)
    assert case.satisfaction == 4 and case.satisfaction_at is not None


def test_oui_confirms_the_mandate(client, agent, deps):
    body = {**CASE, "confirm_consent_by_sms": True}
    ref = client.http.post("/api/cases", headers=agent, body=json.dumps(body)).json_body["ref"]
    assert any("Répondez OUI" in t["text"] for t in texts())
    assert inbound(client, "Oui")["outcome"] == "consent"
    assert deps.repo.get_case(ref).consent_confirmed_at is not None


def test_any_other_reply_reaches_the_agent_as_a_message(client, agent):
    ref = create(client, agent)
    assert inbound(client, "Je passe demain matin avec mes papiers")["outcome"] == "message"
    case = client.http.get(f"/api/cases/{ref}", headers=agent).json_body
    [message] = case["messages"]
    assert message["channel"] == "sms" and message["author_name"] == "L'usager (par SMS)"
    assert message["body"] == "Je passe demain matin avec mes papiers"


def test_stop_opts_the_number_out_for_good(client, agent):
    ref = create(client, agent)
    assert inbound(client, "STOP")["outcome"] == "opted_out"
    assert inbound(client, "Arrêt")["outcome"] == "opted_out"
    client.http.post(f"/api/cases/{ref}/close", headers=agent,
                     body=json.dumps({"outcome": "solved_at_desk", "useful": True}))
    create(client, agent)
    assert len(texts()) == 2                          # the first, then the STOP's confirmation


def test_an_unknown_number_is_ignored_and_never_logged(client, agent, capsys):
    assert inbound(client, "Bonjour", sender="+33698765432") == {"outcome": "unknown_number"}
    assert "98765432" not in capsys.readouterr().out


def test_an_sms_that_became_pointless_is_dropped(client, agent):
    from chalicelib import bootstrap
    from chalicelib.services import sms

    ref = create(client, agent)
    client.http.post(f"/api/cases/{ref}/close", headers=agent,
                     body=json.dumps({"outcome": "solved_at_desk", "useful": True}))
    before = len(texts())
    assert sms.deliver(bootstrap.deps(), ref, "sms-answered-x", "answered") == "stale"
    assert len(texts()) == before


def test_a_replayed_queue_message_sends_one_sms(client, agent):
    from chalicelib import bootstrap
    from chalicelib.services import sms

    ref = create(client, agent)
    body = json.dumps({"notification_id": "sms-created", "case_ref": ref, "template": "case_created"})
    event = {"Records": [{"messageId": "m-1", "receiptHandle": "r-1", "body": body, "attributes": {},
                          "messageAttributes": {}, "eventSource": "aws:sqs", "awsRegion": "eu-west-3",
                          "eventSourceARN": "arn:aws:sqs:eu-west-3:000000000000:relais-dev-sms"}]}
    for _ in range(2):
        assert sms.handle_queue(bootstrap.deps(), event) == {"batchItemFailures": []}
    assert len(texts()) == 1


@pytest.mark.parametrize("code, failures, status", [
    ("ValidationException", 0, "failed"),       # permanent: recorded, not retried
    ("ConflictException", 0, "failed"),         # the destination is on the opt-out list
    ("InternalServerException", 1, None),       # transient: the message goes back to the queue
])
def test_provider_errors_are_permanent_or_transient(client, agent, deps, monkeypatch, code, failures,
                                                    status):
    from botocore.exceptions import ClientError

    from chalicelib import bootstrap
    from chalicelib.services import sms

    set_clock(TUESDAY_21H)                     # held: nothing sent by the request itself
    ref = create(client, agent)
    set_clock(TUESDAY_10H)
    d = bootstrap.deps()

    def fail(**send):
        raise ClientError({"Error": {"Code": code, "Message": "x"}, "Reason": "WHY"}, "SendTextMessage")

    # End User Messaging itself answers with the error: the adapter tells a refusal from a passing failure.
    monkeypatch.setattr(d.sms._client, "send_text_message", fail)
    body = json.dumps({"notification_id": "sms-created", "case_ref": ref, "template": "case_created"})
    event = {"Records": [{"messageId": "m-1", "receiptHandle": "r-1", "body": body, "attributes": {},
                          "messageAttributes": {}, "eventSource": "aws:sqs", "awsRegion": "eu-west-3",
                          "eventSourceARN": "arn:aws:sqs:eu-west-3:000000000000:relais-dev-sms"}]}
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("relais").addHandler(handler)
    try:
        assert len(sms.handle_queue(d, event)["batchItemFailures"]) == failures
    finally:
        logging.getLogger("relais").removeHandler(handler)
    receipt = deps.dynamodb.get_item(TableName=deps.settings.table_name, Key={
        "PK": {"S": f"SMS#failed-sms-created-{ref}"}, "SK": {"S": "SMS"}}).get("Item")
    assert (receipt["status"]["S"] if receipt else None) == status
    if status == "failed":      # the log says which refusal it was (the saved query sms-failures)
        [dropped] = [r for r in records if r.getMessage() == "SMS dropped"]
        assert (dropped.reason, dropped.code) == ("permanent_error", f"{code}:WHY")


def test_each_sent_sms_has_a_receipt(client, agent, deps):
    create(client, agent)
    [text] = texts()
    receipt = deps.dynamodb.get_item(TableName=deps.settings.table_name, Key={
        "PK": {"S": f"SMS#{text['id']}"}, "SK": {"S": "SMS"}})["Item"]
    assert receipt["status"]["S"] == "accepted" and receipt["template"]["S"] == "case_created"


@pytest.mark.parametrize("event_type, status", [("TEXT_DELIVERED", "delivered"), ("TEXT_INVALID", "failed"),
                                               ("TEXT_CARRIER_UNREACHABLE", "undelivered")])
def test_a_delivery_receipt_gives_the_sms_receipt_its_status(client, agent, deps, event_type, status):
    """End User Messaging's SMS event, as its event destination publishes it to SNS."""
    from chalicelib import bootstrap
    from chalicelib.services import sms

    ref = create(client, agent)
    [text] = texts()
    event = {"eventType": event_type, "eventVersion": "1.0", "eventTimestamp": 1795510810731, "isFinal": True,
             "originationPhoneNumber": "+33757000000", "destinationPhoneNumber": PHONE, "isInternationalSend": False,
             "mcc": "208", "mnc": "01", "messageId": text["id"], "messageRequestTimestamp": 1795510810431,
             "messageEncoding": "GSM", "messageType": "TRANSACTIONAL", "messageStatus": event_type.removeprefix("TEXT_"),
             "messageStatusDescription": "x", "totalMessageParts": 1, "totalMessagePrice": 0.07, "totalCarrierFee": 0.0}
    d = bootstrap.deps()
    assert sms.handle_delivery_event(d, json.dumps(event)) == {"outcome": "recorded", "status": status, "case_ref": ref}
    receipt = deps.dynamodb.get_item(TableName=deps.settings.table_name, Key={
        "PK": {"S": f"SMS#{text['id']}"}, "SK": {"S": "SMS"}})["Item"]
    assert receipt["status"]["S"] == status and receipt["delivery_event"]["S"] == event_type
    assert receipt["template"]["S"] == "case_created"                    # the rest of the receipt stays
    older = {**event, "eventType": "TEXT_UNKNOWN", "eventTimestamp": 1795510800000}
    assert sms.handle_delivery_event(d, json.dumps(older))["outcome"] == "no_receipt"     # out of order: kept
    unknown = {**event, "messageId": "not-ours"}
    assert sms.handle_delivery_event(d, json.dumps(unknown))["outcome"] == "no_receipt"
    pending = {**event, "eventType": "TEXT_PENDING", "isFinal": False}
    assert sms.handle_delivery_event(d, json.dumps(pending))["outcome"] == "ignored"


def test_a_throttled_sms_is_queued_again_later_without_counting_as_a_failure(client, agent, deps, monkeypatch):
    """The provider refuses for load: the received message is acknowledged (its receive count
    leads to the dead-letter queue only for real failures) and the same SMS goes back on the
    queue, delayed; sent once it goes through."""
    from botocore.exceptions import ClientError

    from chalicelib import bootstrap
    from chalicelib.services import sms

    set_clock(TUESDAY_21H)
    ref = create(client, agent)
    set_clock(TUESDAY_10H)
    d = bootstrap.deps()
    url = deps.sqs.get_queue_url(QueueName=deps.settings.sms_queue)["QueueUrl"]
    deps.sqs.purge_queue(QueueUrl=url)

    def throttled(**send):
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "SendTextMessage")

    monkeypatch.setattr(d.sms._client, "send_text_message", throttled)
    body = json.dumps({"notification_id": "sms-created", "case_ref": ref, "template": "case_created"})
    event = {"Records": [{"messageId": "m-1", "receiptHandle": "r-1", "body": body,
                          "attributes": {"ApproximateReceiveCount": "3"}, "messageAttributes": {},
                          "eventSource": "aws:sqs", "awsRegion": "eu-west-3",
                          "eventSourceARN": "arn:aws:sqs:eu-west-3:000000000000:relais-dev-sms"}]}
    assert sms.handle_queue(d, event) == {"batchItemFailures": []}
    attributes = deps.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"          # back later, as new
    assert deps.sqs.receive_message(QueueUrl=url).get("Messages", []) == []  # not at once
    monkeypatch.undo()
    again = json.loads(body) | {"throttles": 1}
    event["Records"][0]["body"] = json.dumps(again)
    assert sms.handle_queue(bootstrap.deps(), event) == {"batchItemFailures": []}
    assert len(texts()) == 1


def test_sms_held_overnight_come_back_spread_over_the_hour_after_eight():
    from chalicelib.services import sms

    offsets = [sms.release_offset(f"message-{n}") for n in range(400)]
    assert all(0 <= o < sms.RELEASE_SPREAD_SECONDS for o in offsets)
    assert sms.release_offset("message-7") == offsets[7]                   # the same at every hold
    quarters = [sum(1 for o in offsets if q * 900 <= o < (q + 1) * 900) for q in range(4)]
    assert min(quarters) >= 70                                              # about 100 per quarter hour


def test_the_queue_workers_are_capped():
    """The SMS worker and the job worker never take more than their share of the account's
    concurrency (and the SMS release stays under the origination's throughput)."""
    import app as relais
    from chalicelib.routes import events

    caps = {source.name: source.maximum_concurrency for source in relais.app.event_sources
            if hasattr(source, "maximum_concurrency")}
    assert caps == {"send_sms": events.SMS_WORKERS, "run_job_units": events.JOB_WORKERS}
    assert 2 <= events.SMS_WORKERS <= 10
