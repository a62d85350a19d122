"""SES, SNS, S3 and SQS emulated in-process by moto in the dev stage and in tests; End User
Messaging SMS (which moto does not emulate) answered here.

DynamoDB is passed through to DynamoDB Local. Sends are observed with a botocore hook so
the outbox can show when each message left. An SMS (SendTextMessage) is answered before it
leaves: a before-call handler that returns (http_response, parsed) stands in for the call, so
the real adapter runs, and the SMS is kept for the outbox once the call succeeded (after-call:
a fault injected before it, as in tests/integration/test_faults.py, sends nothing). A browser reaches the emulated S3 (uploads by
form, download links) through moto's server in this same process (serve_s3).
"""
from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from email.utils import getaddresses

_lock = threading.Lock()
_mock = None
_settings = None
_s3_server = None
_s3_endpoint: str | None = None
sent_at: dict[str, str] = {}
# The SMS "sent" by the emulated End User Messaging: message id -> (phone, text, origination identity).
sms_messages: dict[str, tuple[str, str, str | None]] = {}
# Set when a Notification was written since the dev stream drain last caught up.
table_written = False


def start(settings) -> None:
    global _mock, _settings
    with _lock:
        if _mock is not None:
            return
        from moto import mock_aws

        _mock = mock_aws(config={"core": {"passthrough": {"services": ["dynamodb"]},
                                          "reset_boto3_session": True}})
        _mock.start()
        _settings = settings
        _prepare(settings)
        if settings.s3_public_endpoint:     # the local stack: up before any page links to it
            _serve_s3(settings)


def _prepare(settings) -> None:
    import boto3

    sender = getaddresses([settings.mail_from])[0][1]
    ses = boto3.client("sesv2", region_name=settings.region)
    ses.create_email_identity(EmailIdentity=sender.rpartition("@")[2])
    if settings.ses_configuration_set:
        ses.create_configuration_set(ConfigurationSetName=settings.ses_configuration_set)
    sqs = boto3.client("sqs", region_name=settings.region)
    for queue in (settings.sms_queue, settings.job_queue):
        sqs.create_queue(QueueName=queue, Attributes={"VisibilityTimeout": "60"})
    s3 = boto3.client("s3", region_name=settings.region)
    s3.create_bucket(Bucket=settings.mail_bucket,
                     CreateBucketConfiguration={"LocationConstraint": settings.region})


def serve_s3(settings) -> str:
    """The address of the emulated S3 for a browser: moto's server on the port of
    RELAIS_S3_PUBLIC_ENDPOINT (the local stack sets it; started with the emulation), or on a
    free port, started on first use (tests that sign no upload form never start it)."""
    start(settings)
    with _lock:
        return _serve_s3(settings)


def _serve_s3(settings) -> str:
    global _s3_server, _s3_endpoint
    if _s3_server is None:
        from urllib.parse import urlsplit

        from .s3_server import PublicS3Server

        wanted = settings.s3_public_endpoint
        server = PublicS3Server("127.0.0.1", urlsplit(wanted).port if wanted else 0, verbose=False)
        server.start()
        if server.error is not None:
            raise RuntimeError(f"the emulated S3 cannot listen on {wanted}: {server.error}")
        _s3_server = server
        _s3_endpoint = wanted or f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    return _s3_endpoint


def reset() -> None:
    """Empty every emulated service (tests). The emulation itself stays up: starting is slow."""
    global table_written
    with _lock:
        sent_at.clear()
        sms_messages.clear()
        table_written = False
        if _mock is not None:
            _mock.reset()
            _prepare(_settings)


def queue_is_empty(region: str, queue: str) -> bool:
    """True only when the in-process SQS holds no message at all in the queue (visible, in
    flight or delayed): a drain would receive nothing. False when it cannot tell (no emulation,
    an unknown queue), so that the drain asks SQS as it would in AWS."""
    if _mock is None:
        return False
    try:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.sqs.models import sqs_backends

        found = sqs_backends[DEFAULT_ACCOUNT_ID][region].queues.get(queue)
        return found is not None and not found._messages
    except Exception:  # noqa: BLE001 - moto's internals moved: ask SQS instead
        return False


def take_written() -> bool:
    """Whether a Notification (an outbox item) was written since the last call."""
    global table_written
    with _lock:
        written, table_written = table_written, False
    return written


SMS_SERVICE = "pinpoint-sms-voice-v2"


def observe(client) -> None:
    service = client.meta.service_model.service_name
    if service == "dynamodb":
        _observe_writes(client)
        return
    if service == SMS_SERVICE:
        _emulate_sms(client)
        return
    if service != "sesv2":
        return

    def after(parsed, **_):
        if parsed.get("MessageId"):
            sent_at[parsed["MessageId"]] = _now()

    client.meta.events.register("after-call.sesv2.SendEmail", after)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _emulate_sms(client) -> None:
    """SendTextMessage answered in-process, after botocore has validated its parameters."""
    from botocore.awsrequest import AWSResponse

    def answer(params, context, event_name, **_):
        if event_name != f"before-call.{SMS_SERVICE}.SendTextMessage":
            return None
        sent = json.loads(params["body"])           # the request as serialized for the service
        message_id = str(uuid.uuid4())
        context["relais_sms"] = (message_id, sent["DestinationPhoneNumber"], sent["MessageBody"],
                                 sent.get("OriginationIdentity"))
        return AWSResponse("https://sms-voice.emulated", 200, {}, None), {
            "MessageId": message_id, "ResponseMetadata": {"HTTPStatusCode": 200}}

    def after(parsed, context, **_):
        message_id, phone, text, origin = context.get("relais_sms") or ("", "", "", None)
        if parsed.get("MessageId") == message_id:
            sms_messages[message_id] = (phone, text, origin)
            sent_at[message_id] = _now()

    # On "before-call" itself, last: botocore calls the handlers of a more specific event name
    # first, and a handler that fails the call (test_faults registers one first on
    # "before-call") must answer instead, so that nothing is sent.
    client.meta.events.register_last("before-call", answer)
    client.meta.events.register(f"after-call.{SMS_SERVICE}.SendTextMessage", after)


def _observe_writes(client) -> None:
    """Note every write of a Notification: the dev stream drain then waits for its record."""
    def keep(params, context, **_):
        items = [i.get("Put", {}).get("Item", {}) for i in params.get("TransactItems", [])]
        items.append(params.get("Item", {}))
        # The stream also feeds the results: a case or an escalation written counts too.
        context["relais_outbox"] = any(i.get("type", {}).get("S") in ("Notification", "Case", "Escalation")
                                       for i in items)

    def after(parsed, context, **_):
        global table_written
        if "Error" not in parsed and context.get("relais_outbox"):
            table_written = True

    for operation in ("PutItem", "TransactWriteItems"):
        client.meta.events.register(f"provide-client-params.dynamodb.{operation}", keep)
        client.meta.events.register(f"after-call.dynamodb.{operation}", after)
