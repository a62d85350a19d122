"""The event handlers: the table's stream (the outbox), the SMS queue, the job queue (the
scheduled jobs' units), the topics (inbound mail and SMS, SES's bounces and complaints, End
User Messaging's SMS delivery events). Each is a Lambda function of its own.

Lambda enters them through app.py, which re-exports each one: chalice writes a blueprint
handler's Lambda entry as "<blueprint import name>.<function>", so this blueprint is named "app"
and the entries stay "app.send_notifications" and so on (the functions' names never change).
"""
from __future__ import annotations

import json

from chalice import Blueprint

from ..bootstrap import deps

bp = Blueprint("app")


def wired_at_packaging(service: str, name: str) -> str:
    """An event source's placeholder ARN: `make package` points each source at its resource
    in infra/template.py (the table's stream, the SMS queue, the topics)."""
    return f"arn:aws:{service}:eu-west-3:000000000000:{name}"


def handle_stream_event(raw_event: dict, context=None) -> dict:
    """A batch of the table's stream; the dev stage's middleware plays it after each request."""
    from ..services import outbox

    return outbox.handle_stream(deps(), raw_event, context)


def handle_sms_event(raw_event: dict, context=None) -> dict:
    """A batch of the SMS queue; the dev stage's middleware plays it after each request."""
    from ..services import sms

    return sms.handle_queue(deps(), raw_event, context)


def handle_job_units_event(raw_event: dict, context=None) -> dict:
    """A batch of the job queue; the dev stage's middleware plays it after each request."""
    from ..jobs import units

    return units.handle_queue(deps(), raw_event, context)


# One unit at a time (a failing unit alone comes back), at most JOB_WORKERS at once: the
# scheduled jobs never take the concurrency the site and the outbox need.
JOB_WORKERS = 5


@bp.on_sqs_message(queue_arn=wired_at_packaging("sqs", "jobs"), batch_size=1, name="run_job_units",
                   maximum_concurrency=JOB_WORKERS)
def run_job_units(event):
    return handle_job_units_event(event.to_dict(), event.context)


@bp.on_dynamodb_record(stream_arn=wired_at_packaging("dynamodb", "table/relais/stream/outbox"), batch_size=25,
                       name="send_notifications")
def send_notifications(event):
    return handle_stream_event(event.to_dict(), event.context)


@bp.on_sns_message(topic=wired_at_packaging("sns", "inbound-email"), name="receive_email")
def receive_email(event):
    from ..services import inbound

    outcome = inbound.handle_ses_notification(deps(), json.loads(event.message))
    return outcome.as_dict()


@bp.on_sns_message(topic=wired_at_packaging("sns", "ses-events"), name="ses_events")
def ses_events(event):
    from ..services import deliverability

    return deliverability.handle_ses_event(deps(), json.loads(event.message))


# The SMS worker's cap: 5 invocations of 10 messages, each SMS a provider call of about 100 ms,
# stay under the origination's throughput (docs/operations.md, section 9: the quotas to ask for).
SMS_WORKERS = 5


@bp.on_sqs_message(queue_arn=wired_at_packaging("sqs", "sms"), batch_size=10, name="send_sms",
                   maximum_concurrency=SMS_WORKERS)
def send_sms(event):
    return handle_sms_event(event.to_dict(), event.context)


@bp.on_sns_message(topic=wired_at_packaging("sns", "inbound-sms"), name="receive_sms")
def receive_sms(event):
    """End User Messaging two-way SMS, through SNS: {"originationNumber": "+33...", "destinationNumber",
    "messageKeyword", "messageBody", "inboundMessageId", "previousPublishedMessageId"}."""
    from ..services import sms

    return sms.receive_notification(deps(), event.message, event.to_dict()["Records"][0]["Sns"]["MessageId"],
                                    event.context)


@bp.on_sns_message(topic=wired_at_packaging("sns", "sms-events"), name="sms_events")
def sms_events(event):
    """End User Messaging's SMS events (delivery receipts), from the configuration set's event
    destination: {"eventType": "TEXT_DELIVERED", "messageId": "...", ...}."""
    from ..services import sms

    return sms.handle_delivery_event(deps(), event.message)
