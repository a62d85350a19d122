"""End User Messaging's messages to Relais, in their real shapes (AWS End User Messaging SMS
user guide: "Example of a two-way SMS message payload for Amazon SNS topics", and the SMS event
example of "Messaging Events"): the reply reaches the reply handler; each event type reads as
the sends' errors do."""
import json

import pytest

from chalicelib.services import sms

# The two-way payload: the usager's number is originationNumber, Relais's is destinationNumber.
TWO_WAY = {"originationNumber": "+33612345678", "destinationNumber": "+33757000000", "messageKeyword": "KEYWORD_1234",
           "messageBody": "STOP merci", "inboundMessageId": "cae173d2-66b9-564c-8309-21f858e9fb84",
           "previousPublishedMessageId": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}


def test_a_two_way_reply_in_end_user_messaging_s_format_reaches_the_reply_handler(monkeypatch):
    received = []
    monkeypatch.setattr(sms, "receive", lambda deps, sender, body, inbound_id: received.append(
        (sender, body, inbound_id)) or {"outcome": "opted_out"})
    assert sms.receive_notification(None, json.dumps(TWO_WAY), "sns-message-id") == {"outcome": "opted_out"}
    assert received == [("+33612345678", "STOP merci", "cae173d2-66b9-564c-8309-21f858e9fb84")]


@pytest.mark.parametrize("payload", [{"messageBody": "1"}, {**TWO_WAY, "messageBody": None}, "[]", "{"])
def test_an_unreadable_reply_is_dropped(payload):
    message = payload if isinstance(payload, str) else json.dumps(payload)
    assert sms.receive_notification(None, message, "sns-message-id") == {"outcome": "malformed"}


class Repo:
    def __init__(self):
        self.recorded = []

    def record_sms_delivery(self, message_id, status, event_type, at):
        self.recorded.append((message_id, status, event_type, at.isoformat()))
        return "61-ABC-DEF"


class Deps:
    def __init__(self):
        self.repo = Repo()


def event(event_type: str, **more) -> str:
    return json.dumps({"eventType": event_type, "eventVersion": "1.0", "eventTimestamp": 1686975103470,
                       "isFinal": True, "originationPhoneNumber": "+33757000000",
                       "destinationPhoneNumber": "+33612345678", "isInternationalSend": False, "mcc": "208",
                       "mnc": "01", "messageId": "862a8790-60c0-4430-9b2b-658bdexample",
                       "messageRequestTimestamp": 1686975103170, "messageEncoding": "GSM",
                       "messageType": "TRANSACTIONAL", "messageStatus": event_type.removeprefix("TEXT_"),
                       "messageStatusDescription": "x", "context": {}, "totalMessageParts": 1,
                       "totalMessagePrice": 0.07, "totalCarrierFee": 0.0, **more})


@pytest.mark.parametrize("event_type, status", [
    ("TEXT_DELIVERED", "delivered"), ("TEXT_SUCCESSFUL", "delivered"),
    ("TEXT_INVALID", "failed"), ("TEXT_INVALID_MESSAGE", "failed"), ("TEXT_BLOCKED", "failed"),
    ("TEXT_CARRIER_BLOCKED", "failed"), ("TEXT_SPAM", "failed"), ("TEXT_PROTECT_BLOCKED", "failed"),
    ("TEXT_UNREACHABLE", "undelivered"), ("TEXT_CARRIER_UNREACHABLE", "undelivered"),
    ("TEXT_TTL_EXPIRED", "undelivered"), ("TEXT_UNKNOWN", "undelivered"),
])
def test_each_final_event_gives_the_receipt_its_status(event_type, status):
    deps = Deps()
    assert sms.handle_delivery_event(deps, event(event_type)) == {
        "outcome": "recorded", "status": status, "case_ref": "61-ABC-DEF"}
    assert deps.repo.recorded == [("862a8790-60c0-4430-9b2b-658bdexample", status, event_type,
                                   "2023-06-17T04:11:43.470000+00:00")]


@pytest.mark.parametrize("message", [event("TEXT_QUEUED", isFinal=False), event("TEXT_PENDING", isFinal=False)])
def test_an_event_in_flight_changes_nothing(message):
    deps = Deps()
    assert sms.handle_delivery_event(deps, message)["outcome"] == "ignored" and deps.repo.recorded == []


@pytest.mark.parametrize("message", ["{", "[]", json.dumps({"eventType": "TEXT_DELIVERED"}),
                                     event("TEXT_DELIVERED", eventTimestamp="hier")])
def test_an_unreadable_event_is_dropped(message):
    deps = Deps()
    assert sms.handle_delivery_event(deps, message) == {"outcome": "malformed"} and deps.repo.recorded == []


def test_no_phone_number_reaches_the_logs(capsys):
    sms.handle_delivery_event(Deps(), event("TEXT_INVALID"))
    assert sms.handle_delivery_event(Deps(), event("TEXT_DELIVERED", messageId=None))["outcome"] == "malformed"
    assert "+33" not in capsys.readouterr().out
