"""The failed-events queue redriven (devtools/redrive.py): a stream batch that failed for good
is read again from DynamoDB Local's stream and its email goes out, once, however many times
the redrive runs; a failed asynchronous event goes back to its function."""
from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.clock import TUESDAY_MORNING
from tests.conftest import CASE, login, outbox, post_json

pytestmark = [pytest.mark.outbox, pytest.mark.instant(TUESDAY_MORNING)]
AGENT = "agent.bretoncelles@example.org"
REFERENT = "referent.61-caf@example.org"
FUNCTION = "arn:aws:lambda:eu-west-3:123456789012:function:relais-prod-SendNotifications"



def escalation_emails(ref: str) -> list[dict]:
    return [m for m in outbox() if m["to"] == [REFERENT] and ref in (m["subject"] or "")]


def test_a_failed_stream_batch_is_redriven_and_its_email_sent_once(client, monkeypatch):
    from chalicelib import bootstrap
    from chalicelib.adapters.email import SesMailer
    from chalicelib.dev import streams
    from chalicelib.routes import events
    from devtools import redrive

    agent = login(client, AGENT)
    ref = post_json(client, agent, "/api/cases", CASE)["ref"]
    with monkeypatch.context() as broken:
        def throttled(self, mail):
            raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "SendEmail")
        broken.setattr(SesMailer, "send", throttled)
        post_json(client, agent, f"/api/cases/{ref}/escalations", {"group_ids": ["61-caf"], "question": "Le RSA ?"})
    assert escalation_emails(ref) == []                      # the batch failed: nothing went out

    deps = bootstrap.deps()
    reader, arn = streams._streams_client(deps), streams._stream_arn(deps)
    shard = reader.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = reader.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = reader.get_records(ShardIterator=iterator, Limit=1000)["Records"]
    notice = next(r for r in records if r["dynamodb"].get("NewImage", {}).get("kind", {}).get("S") == "escalation")
    sequence = notice["dynamodb"]["SequenceNumber"]
    failure = json.dumps({"version": "1.0", "requestContext": {"functionArn": FUNCTION, "condition": "RetryAttemptsExhausted"},
                          "DDBStreamBatchInfo": {"shardId": shard, "startSequenceNumber": sequence,
                                                 "endSequenceNumber": sequence, "batchSize": 1, "streamArn": arn}})
    url = deps.sqs.create_queue(QueueName="relais-dev-failed-events")["QueueUrl"]
    invoked = []

    def invoke(function, event, synchronous):
        invoked.append((function, len(event.get("Records", [])), synchronous))
        return not events.handle_stream_event(json.loads(json.dumps(event))).get("batchItemFailures")

    for _ in range(2):                                       # the same failure redriven twice
        deps.sqs.send_message(QueueUrl=url, MessageBody=failure)
        assert redrive.redrive(deps.sqs, url, reader, invoke) == {"redriven": 1, "kept": 0, "unknown": 0, "expired": 0}
    assert invoked == [(FUNCTION, 1, True)] * 2
    assert len(escalation_emails(ref)) == 1
    assert "Messages" not in deps.sqs.receive_message(QueueUrl=url)


def test_a_failed_event_goes_back_to_its_function_and_a_refused_one_stays(client):
    from chalicelib import bootstrap
    from devtools import redrive

    deps = bootstrap.deps()
    url = deps.sqs.create_queue(QueueName="relais-dev-failed-events")["QueueUrl"]
    event = {"version": "0", "detail-type": "Scheduled Event", "source": "aws.events"}
    deps.sqs.send_message(QueueUrl=url, MessageBody=json.dumps(
        {"requestContext": {"functionArn": "arn:aws:lambda:eu-west-3:1:function:relais-prod-Reminders"},
         "requestPayload": event}))
    deps.sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"something": "else"}))
    calls = []
    assert redrive.redrive(deps.sqs, url, None, lambda f, e, s: calls.append((f, e, s)) or True, limit=2) == \
        {"redriven": 1, "kept": 0, "unknown": 1, "expired": 0}
    assert calls == [("arn:aws:lambda:eu-west-3:1:function:relais-prod-Reminders", event, False)]
