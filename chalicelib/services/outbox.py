"""The outbox: the table's stream, and which sender each new Notification goes to.

A Notification is written in the same transaction as the change it announces. The table's
stream delivers it here: in AWS through the stream's event source mapping, in the dev stage
through chalicelib/dev/streams.py, which calls the same handler. Emails are rendered and sent
by services/notifications.py, SMS are put on their queue by services/sms.py; both send at most
once (services/delivery.py). SES throttling is retried by botocore, and a record that still
fails is reported as a batch item failure, so the stream retries it later.
"""
from __future__ import annotations

from aws_lambda_powertools import Logger

from ..adapters.dynamo import from_image
from ..bootstrap import Deps
from ..domain.models import Notification, NotificationKind
from ..observability import correlate, count
from . import delivery, notifications
from .notifications import Stale
from .pacing import Deferred

logger = Logger(service="relais", child=True)


def handle_stream(deps: Deps, event: dict, context=None) -> dict:
    """A DynamoDB stream batch: send what every new Notification announces, journal the
    batch's changes of cases and escalations to the published results, and add the journaled
    entries that come back to the cells, summed per cell (services/results.py).

    Returns the partial batch response, so that only failed records are retried."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    from . import results

    delivery.register_context(context)
    changes: list[tuple[str, results.Change]] = []
    entries: list[tuple[str, results.Entry]] = []

    def each(record) -> None:
        change, entry = _results(results.change_of, record), _results(results.entry_of, record)
        if change is not None:
            changes.append((record.dynamodb.sequence_number, change))
        if entry is not None:
            entries.append((record.dynamodb.sequence_number, entry))
        _record(deps, record)

    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    response = process_partial_response(event=event, record_handler=each, processor=processor,
                                        context=context)
    # The batch's changes journaled, and the entries that came back added to the cells;
    # those that could not be are retried.
    failed = {id(change) for change in results.journal(deps, [change for _, change in changes])}
    failed |= {id(entry) for entry in results.apply_entries(deps, [entry for _, entry in entries])}
    failures: list[dict] = [dict(item) for item in response.get("batchItemFailures", [])]
    retried = {item["itemIdentifier"] for item in failures}
    failures += [{"itemIdentifier": sequence} for sequence, item in [*changes, *entries]
                 if id(item) in failed and sequence not in retried]
    return {**response, "batchItemFailures": failures}


def _results(read, record):
    """The record's change to the published results, or its journaled entry (`read`). A record
    the figures cannot take (pydantic's ValidationError is a ValueError) must not hold back the
    shard: counted, and the weekly check repairs the figures."""
    try:
        return read(record)
    except (ValueError, TypeError, KeyError) as error:
        logger.error("results: record not applied", extra={"error": type(error).__name__})
        count("results_failures")
        return None


def _record(deps: Deps, record) -> None:
    """One record of the table's stream: the outbox's emails and SMS (idempotent: a failure
    retries the record)."""
    if record.event_name is None or record.event_name.name != "INSERT":
        return
    image = record.dynamodb.new_image if record.dynamodb else None
    if not image or image.get("type") != "Notification":
        return
    notification = from_image(Notification, image)
    correlate(notification.case_ref, notification.group_id)
    deliver(deps, notification)


def deliver(deps: Deps, notification: Notification) -> None:
    try:
        SENDERS[notification.kind](deps, notification)
    except Stale as stale:
        logger.info("notification dropped: no longer relevant",
                    extra={"notification_id": notification.id, "reason": str(stale)})
        count("notifications_dropped")
        return
    except Deferred as wait:
        defer(deps, notification, wait)
        return
    count("notifications_sent")


def defer(deps: Deps, notification: Notification, wait: Deferred) -> None:
    """The pacing has no token left: the notification waits on the job queue and is delivered
    again by the `email` worker (jobs/deferred_email.py); what it already sent is not sent twice."""
    from ..jobs import units

    units.defer(deps, units.Unit("email", notification.id, deps.now().isoformat(),
                                 notification.model_dump_json()), wait)


def _digest(deps: Deps, notification: Notification) -> None:
    """Sent directly by the digest and report jobs (one email per agent or coordinator, not per
    case); never queued."""
    raise Stale("digests and reports are not sent through the outbox")


def _experience(name: str):
    """An experience's sender (services/experience_mail.py), loaded with its first notification."""
    def send(deps: Deps, notification: Notification) -> None:
        from . import experience_mail

        getattr(experience_mail, name)(deps, notification)

    return send


def _sms(deps: Deps, notification: Notification) -> None:
    from . import sms  # loaded with the first SMS only: the stream's cold start stays small

    sms.enqueue(deps, notification)


SENDERS = {
    NotificationKind.ESCALATION: notifications.send_escalation,
    NotificationKind.REFERENT_REPLIED: notifications.send_referent_replied,
    NotificationKind.AGENT_MESSAGE: notifications.send_agent_message,
    NotificationKind.EMAIL_QUARANTINED: notifications.send_email_quarantined,
    NotificationKind.REPLY_REFUSED: notifications.send_reply_refused,
    NotificationKind.ADDRESS_UNDELIVERABLE: notifications.send_address_undeliverable,
    NotificationKind.LADDER: notifications.send_ladder,
    NotificationKind.DIGEST: _digest,
    NotificationKind.REPORT: _digest,
    NotificationKind.SMS: _sms,
    NotificationKind.LOGIN_LINK: notifications.send_login_link,
    NotificationKind.EXPERIENCE_PUBLISHED: _experience("send_published"),
    NotificationKind.EXPERIENCE_LADDER: _experience("send_ladder"),
    NotificationKind.EXPERIENCE_ANSWERED: _experience("send_answered"),
}
