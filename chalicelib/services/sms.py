"""SMS to usagers: queued, sent once, never at night; and their replies (STOP, 1-5, OUI...).

Path: a Notification (kind sms) is written with the change it announces -> the table's
stream puts it on the SQS queue -> the worker (`send_sms`) sends it through the SmsSender
(End User Messaging's SendTextMessage, adapters/sms.py), once per notification, under Powertools idempotency.

The worker drops an SMS that is no longer true when it leaves (`domain/sms.current_form`: the
case moved on while it waited), or whose usager declined SMS or said STOP, holds one that
falls in quiet hours (it makes the message invisible until 08:00 where the usager lives and lets it come back), retries transient provider errors with
SQS's redelivery (a DLQ catches what keeps failing), and records a receipt for each SMS.
No phone number or text is ever logged.
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from functools import partial

from aws_lambda_powertools import Logger

from ..adapters.errors import PermanentError, ProviderError, failures
from ..bootstrap import Deps
from ..domain import sms as texts
from ..domain import sms_replies as replies
from ..domain import zones
from ..domain.errors import NotFound
from ..domain.events import Actor, EventCode
from ..domain.models import (
    Case,
    CaseStatus,
    Channel,
    Message,
    MessageKind,
    Notification,
    NotificationKind,
    Role,
)
from ..domain.validation import normalize_phone, showable
from ..observability import correlate, count
from .common import event, retry_on_conflict
from .delivery import register_context, send_sms_once

logger = Logger(service="relais", child=True)
RECEIPT_DAYS = 400
MAX_HOLD_SECONDS = 12 * 3600          # SQS's longest visibility timeout
# The SMS held over the night or the weekend do not all come back at 08:00: each comes back at
# a moment of its own within this spread (from its notification's id), and the worker's
# concurrency cap (routes/events.py) keeps the release under the origination's throughput.
RELEASE_SPREAD_SECONDS = 3600
THROTTLE_DELAYS = (30, 60, 120, 300, 600, 900)     # a throttled SMS waits, then tries again
# SMS a number may ask Relais to send back (SUIVI answers, AVIS thanks) per UTC day; beyond: silence.
REQUESTS_PER_DAY = 3


def notification(ref: str, notification_id: str, template: str, now: datetime) -> Notification:
    return Notification(id=notification_id, case_ref=ref, kind=NotificationKind.SMS,
                        data={"template": template}, created_at=now)


# --- the stream puts SMS on the queue -------------------------------------------------------

def enqueue(deps: Deps, note: Notification) -> None:
    deps.queues.send(deps.settings.sms_queue, json.dumps(
        {"notification_id": note.id, "case_ref": note.case_ref, "template": note.data["template"]}))


# --- the worker -----------------------------------------------------------------------------

class Held(Exception):
    """Quiet hours: the message comes back when they are over."""


def handle_queue(deps: Deps, event: dict, context=None) -> dict:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    register_context(context)
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return dict(process_partial_response(event=event, record_handler=partial(_record, deps),
                                         processor=processor, context=context))


def _record(deps: Deps, record) -> None:
    body = json.loads(record.body)
    correlate(body.get("case_ref"))
    try:
        outcome = deliver(deps, body["case_ref"], body["notification_id"], body["template"])
    except failures() as error:
        if _throttled(error):
            _requeue(deps, body)        # the original is acknowledged: a throttle is no poison
            return
        _back_off(deps, record)
        raise
    if outcome == "held":
        _hold(deps, record)
        raise Held("quiet hours")


def _queue_name(record) -> str:
    return record.event_source_arn.rsplit(":", 1)[-1]


def _throttled(error: BaseException) -> bool:
    from ..adapters.errors import THROTTLED, throttled

    return throttled(error) or (isinstance(error, ProviderError) and error.code in THROTTLED)


def _requeue(deps: Deps, body: dict) -> None:
    """The provider refused for load (after the SDK's own retries): the same SMS goes back on
    the queue as a new message, later, and the received one is acknowledged. Its receive count
    starts again: only real failures lead to the dead-letter queue. Sent at most once all the
    same (services/delivery.py)."""
    throttles = int(body.get("throttles", 0))
    delay = THROTTLE_DELAYS[min(throttles, len(THROTTLE_DELAYS) - 1)]
    deps.queues.send(deps.settings.sms_queue, json.dumps({**body, "throttles": throttles + 1}), delay_seconds=delay)
    count("sms_throttled")
    logger.warning("SMS provider throttled: the SMS is queued again", extra={"delay_seconds": delay,
                                                                            "throttles": throttles + 1})


def _back_off(deps: Deps, record) -> None:
    """A transient provider error: try again in 30 s, 1 min, 2 min... up to 15 min."""
    receives = int(record.attributes.approximate_receive_count or 1)
    try:
        deps.queues.change_visibility(_queue_name(record), record.receipt_handle,
                                      min(900, 30 * 2 ** (receives - 1)))
    except ProviderError:
        logger.warning("could not delay the SMS retry; SQS's default visibility applies")


def _hold(deps: Deps, record) -> None:
    case_ref = json.loads(record.body)["case_ref"]
    try:
        place = usager_place(deps.repo.get_case(case_ref))
    except NotFound:
        place = None
    now = deps.now()
    wait = int((texts.send_after(now, place) - now).total_seconds()) + release_offset(record.message_id)
    deps.queues.change_visibility(_queue_name(record), record.receipt_handle,
                                  max(1, min(wait, MAX_HOLD_SECONDS)))
    count("sms_held")


def release_offset(message_id: str) -> int:
    """Where, within RELEASE_SPREAD_SECONDS after the quiet hours end, this SMS comes back: the
    same for every hold of one message, spread evenly across messages."""
    return int(hashlib.sha256(message_id.encode()).hexdigest()[:8], 16) % RELEASE_SPREAD_SECONDS


def usager_place(case) -> zones.Place:
    """Where the usager reads the time: the overseas territory of their number, else the point's."""
    return zones.of_usager(case.usager.phone if case.usager else None, case.territory_code)


def deliver(deps: Deps, ref: str, notification_id: str, template: str) -> str:
    """Send one SMS if it still makes sense: 'sent', 'held', or why it was dropped."""
    try:
        bundle = deps.repo.get_bundle(ref)
    except NotFound:
        return _dropped("case_gone")
    case = bundle.case
    # Held overnight or retried, an SMS says where the case stands when it leaves, or nothing.
    form = texts.current_form(template, case, bundle.escalations.values(),
                              _sent_before(bundle, notification_id))
    if form is None:
        return _dropped("stale")
    if case.usager is None or not case.usager.sms_opt_in:
        return _dropped("declined")
    phone = case.usager.phone
    if phone is None:               # refused at intake; an SMS never goes nowhere all the same
        return _dropped("no_phone")
    if deps.repo.is_opted_out(phone):
        return _dropped("opted_out")
    now = deps.now()
    if texts.send_after(now, usager_place(case)) > now:
        return "held"
    point = deps.repo.get_point(case.point_id)
    text = texts.render(form, ref=case.ref, point=point.name if point else texts.ANY_POINT,
                        phone=(point.phone or "") if point else "", **_case_in_words(deps, bundle, form))
    try:        # a TransientError goes up: SQS delivers the message again, then the DLQ
        message_id = send_sms_once(deps, notification_id, ref, phone, text)
    except PermanentError as error:
        deps.repo.put_sms_receipt(f"failed-{notification_id}-{ref}", ref, template, "failed",
                                  now, now + timedelta(days=RECEIPT_DAYS))
        count("sms_failed")
        return _dropped("permanent_error", code=error.code)      # with the service's reason
    deps.repo.put_sms_receipt(message_id, ref, template, "accepted", now,
                              now + timedelta(days=RECEIPT_DAYS))
    if not any(e.code == EventCode.SMS_SENT and e.data.get("notification") == notification_id
               for e in bundle.events):
        # In the case's partition: the next SMS of the case reads what the usager already has.
        deps.repo.add_event(event(EventCode.SMS_SENT, Actor.SMS, now, ref, template=template,
                                  notification=notification_id))
    count("sms_sent")
    count("sms_segments", texts.segments(text))
    return "sent"


def _sent_before(bundle, notification_id: str) -> list[tuple[str, datetime]]:
    """The SMS the usager already received about the case (template, when), but this one."""
    return [(e.data.get("template", ""), e.at) for e in bundle.events
            if e.code == EventCode.SMS_SENT and e.data.get("notification") != notification_id]


def _case_in_words(deps: Deps, bundle, form: str) -> dict[str, str]:
    """For a text that names the case: the day it was opened, where the usager lives, and the
    partners asked (short names) or else the life situation."""
    if "{day}" not in texts.TEMPLATES[form]:
        return {}
    case = bundle.case
    short_names = {o.id: o.short_name for o in deps.repo.list_organisations()}
    partners = [short_names.get(o, "") for o in texts.partners_asked(bundle.escalations.values())]
    day = case.created_at.astimezone(usager_place(case).zone).strftime("%d/%m")
    return {"day": day, "about": texts.about(case.situation, partners)}


def _dropped(reason: str, code: str | None = None) -> str:
    logger.info("SMS dropped", extra={"reason": reason, **({"code": code} if code else {})})
    count("sms_dropped")
    return reason


# --- replies ----------------------------------------------------------------------------------

def receive_notification(deps: Deps, message: str, fallback_id: str, context=None) -> dict:
    """An SNS two-way SMS notification ({"originationNumber", "messageBody", "inboundMessageId"}).
    One that cannot be read is counted and dropped: retrying it would never make it readable.
    A STOP's confirmation is sent once: the Lambda context bounds its in-progress record."""
    register_context(context)
    try:
        payload = json.loads(message)
        sender, body = payload["originationNumber"], payload["messageBody"]
        if not isinstance(sender, str) or not isinstance(body, str):
            raise TypeError("not text")
        inbound_id = payload.get("inboundMessageId") or fallback_id
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        logger.warning("inbound SMS notification unreadable: dropped")
        count("sms_inbound_malformed")
        return {"outcome": "malformed"}
    return receive(deps, sender, body, str(inbound_id))


def _clean(body: str) -> str:
    """What the usager wrote, as it can be shown, and no longer than the longest concatenated SMS."""
    return showable(body).strip()[:1600]


def receive(deps: Deps, sender: str, body: str, inbound_id: str) -> dict:
    """An SMS from a usager: STOP, a satisfaction mark, OUI, or a message for the agent, as
    `domain/sms_replies` reads it. Words beyond a STOP or a mark reach the agent as well."""
    body = _clean(body)
    try:
        phone = normalize_phone(sender)
    except ValueError:
        logger.info("inbound SMS from an unreadable number: ignored")
        return {"outcome": "unknown_number"}
    reading = replies.read(body)
    now = deps.now()
    if reading.follow_up and not reading.opt_out:
        return follow_up(deps, phone, reading.reference, inbound_id, now)
    ref = deps.repo.latest_case_for_phone(phone)
    if reading.opt_out:
        _opt_out(deps, phone, ref, inbound_id, now)
    if ref is None:
        if reading.opt_out:
            return {"outcome": "opted_out"}
        logger.info("inbound SMS from an unknown number: ignored")
        return {"outcome": "unknown_number"}
    message_id = _message_id(inbound_id)

    def attempt() -> tuple[dict, Case, str | None, bool]:
        with deps.uow() as uow:
            record = uow.cases.get(ref)
            case = record.case
            opinion = _opinion_of(reading, body, case)
            if any(m.id == message_id for m in record.messages) or any(
                    e.data.get("inbound") == message_id for e in record.events):
                return ({"outcome": "opted_out" if reading.opt_out else "duplicate", "case_ref": ref},
                        case, opinion, False)
            if reading.opt_out:
                outcome, for_agent = "opted_out", reading.more_than_opt_out
            elif reading.mark is not None and case.status is CaseStatus.CLOSED:
                # AVIS's words are the opinion; other words with the mark still reach the agent.
                outcome, for_agent = "satisfaction", reading.more_than_mark and reading.opinion is None
                marked = case.model_copy(update={
                    "satisfaction": reading.mark, "satisfaction_at": now, "version": case.version + 1})
                uow.cases.save(marked, case.version)
                case = marked                  # the experience reads its sentiment from the mark
            elif opinion is not None and reading.opinion is not None:
                outcome, for_agent = "opinion", False
            elif reading.yes and case.consent_confirmed_at is None:
                outcome, for_agent = "consent", False
                uow.cases.save(case.model_copy(update={
                    "consent_confirmed_at": now, "version": case.version + 1}), case.version)
            else:
                outcome, for_agent = "message", True
            if for_agent:
                uow.messages.add(Message(
                    id=message_id, case_ref=ref, author_id=Actor.USAGER, author_role=Role.USAGER,
                    channel=Channel.SMS, kind=MessageKind.NOTE, body=body or "(vide)", created_at=now))
            uow.events.record(event(EventCode.sms_reply(outcome), Actor.USAGER, now, ref, inbound=message_id))
            if opinion is not None and outcome != "opinion":
                uow.events.record(event(EventCode.SMS_OPINION, Actor.USAGER, now, ref, inbound=message_id))
            uow.commit()
        return {"outcome": outcome, "case_ref": ref}, case, opinion, True

    result, case, opinion, fresh = retry_on_conflict(attempt)
    if opinion is not None and result["outcome"] != "opted_out":
        result["opinion"] = _take_opinion(deps, phone, case, opinion, inbound_id, now, fresh)
    return result


# --- AVIS: an opinion filed as an experience, and thanked -------------------------------------------

def _opinion_of(reading: replies.Reading, body: str, case: Case) -> str | None:
    """The usager's opinion in this SMS, or None: the words after AVIS when there are words
    (« AVIS 4 » is only a mark), or, on a closed case (the satisfaction question asked), the
    whole text of a mark that comes with words beyond politeness (« 4 merci, très bien reçu »).
    A STOP is never an opinion."""
    if reading.opt_out:
        return None
    if reading.opinion is not None:
        return reading.opinion if re.search(r"[^\W\d_]", reading.opinion) else None
    if case.status is CaseStatus.CLOSED and reading.mark is not None and reading.more_than_mark:
        return body
    return None


def _take_opinion(deps: Deps, phone: str, case: Case, opinion: str, inbound_id: str, now: datetime,
                  fresh: bool) -> str:
    """File the opinion as an experience (once: not on a replay) and thank the usager at once
    with one SMS (once; not an opted-out number). Within the number's daily answers: beyond
    them, neither. Filed at most once: a failure between the reply's record and the filing
    loses the experience rather than filing it twice."""
    from ..domain.models import ExperienceChannel
    from . import opinions

    if opinions.too_short(opinion):
        return "too_short"                      # « AVIS ok »: neither filed nor thanked
    if not _may_answer(deps, phone, inbound_id, now):
        count("sms_requests_limited")
        return "limited"
    if fresh:
        opinions.file_experience(deps, case, opinion, ExperienceChannel.SMS)
    if deps.repo.is_opted_out(phone):
        return "filed"
    point = deps.repo.get_point(case.point_id)
    text = texts.render("opinion_thanks", ref=case.ref, point=point.name if point else texts.ANY_POINT)
    _send_back(deps, f"opinion-{inbound_id}", case.ref, phone, text, "opinion_thanks", now)
    return "filed"


def _message_id(inbound_id: str) -> str:
    return "s" + hashlib.sha256(inbound_id.encode()).hexdigest()[:11]


# --- SUIVI: where the case stands, sent back at once ------------------------------------------------

def follow_up(deps: Deps, phone: str, reference: str | None, inbound_id: str, now: datetime) -> dict:
    """Answer SUIVI (or a case reference) with one SMS: where the number's latest case stands,
    or the named one if it is this number's. Sent at once, quiet hours or not (the usager just
    asked), only to the number on the case, once per inbound SMS, REQUESTS_PER_DAY at most.
    A reference that is another number's gets the very answer an unknown one does."""
    if deps.repo.is_opted_out(phone):
        return {"outcome": "follow_up_opted_out"}
    bundle = _case_of_number(deps, phone, reference)
    if not _may_answer(deps, phone, inbound_id, now):
        count("sms_requests_limited")
        logger.info("SMS request over the number's daily limit: not answered")
        return {"outcome": "follow_up_limited"}
    if bundle is None:
        text, ref, template = texts.render_no_case(), "", "follow_up_none"
    else:
        case = bundle.case
        ref, template = case.ref, texts.follow_up_form(case, bundle.escalations.values())
        point = deps.repo.get_point(case.point_id)
        text = texts.render(template, ref=ref, point=point.name if point else texts.ANY_POINT,
                            **_case_in_words(deps, bundle, template))
    if not _send_back(deps, f"follow-up-{inbound_id}", ref, phone, text, template, now):
        return {"outcome": "follow_up_failed"}
    if bundle is None:
        return {"outcome": "follow_up_no_case"}
    message_id = _message_id(inbound_id)
    if not any(e.code == EventCode.SMS_FOLLOW_UP and e.data.get("inbound") == message_id
               for e in bundle.events):
        deps.repo.add_event(event(EventCode.SMS_FOLLOW_UP, Actor.USAGER, now, ref, inbound=message_id,
                                  template=template))
    return {"outcome": "follow_up", "case_ref": ref}


def _case_of_number(deps: Deps, phone: str, reference: str | None):
    """The case (its bundle) SUIVI asks about, if its usager's phone is this number: the named
    one, or the number's latest. None otherwise: another number's case is never told."""
    ref = reference or deps.repo.latest_case_for_phone(phone)
    if ref is None:
        return None
    try:
        bundle = deps.repo.get_bundle(ref)
    except NotFound:
        return None
    return bundle if _same_number(bundle.case, phone) else None


def _same_number(case, phone: str) -> bool:
    if case.usager is None or case.usager.phone is None:
        return False
    try:
        return normalize_phone(case.usager.phone) == phone
    except ValueError:
        return False


def _may_answer(deps: Deps, phone: str, inbound_id: str, now: datetime) -> bool:
    day = now.astimezone(UTC).date()
    return deps.repo.take_sms_request(phone, day.isoformat(), _message_id(inbound_id), REQUESTS_PER_DAY,
                                      datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=2))


def _send_back(deps: Deps, notification_id: str, ref: str, phone: str, text: str, template: str,
               now: datetime) -> bool:
    """One SMS the usager asked for, now and once; False if the provider refused it for good.
    A TransientError goes up: the inbound event is retried and the idempotency sends it once."""
    try:
        message_id = send_sms_once(deps, notification_id, ref, phone, text)
    except PermanentError as error:
        logger.warning("SMS answer not sent", extra={"code": error.code, "template": template})
        count("sms_failed")
        return False
    if ref:
        deps.repo.put_sms_receipt(message_id, ref, template, "accepted", now, now + timedelta(days=RECEIPT_DAYS))
    count("sms_sent")
    count("sms_segments", texts.segments(text))
    return True


def _opt_out(deps: Deps, phone: str, ref: str | None, inbound_id: str, now: datetime) -> None:
    """Record the opt-out of the number, for every case, then confirm it at once with one last
    SMS: not again to a number that had already said STOP.

    The opt-out is written first and conditionally: from then on nothing else is sent, and of
    two STOPs handled at once only the first confirms. The confirmation goes out under the
    idempotency of the inbound message; a transient provider error is raised, so the inbound
    event is retried and the replay (the opt-out being its own) sends it, once."""
    origin = deps.repo.opt_out_origin(phone)
    if origin is None:
        if not deps.repo.opt_out(phone, now, inbound_id):
            return                              # another STOP got there first: it confirms
        count("sms_opt_outs")
    elif origin != inbound_id:
        return                                  # opted out before: no second confirmation
    if ref is None:
        return
    try:
        _confirm_opt_out(deps, phone, ref, inbound_id, now)
    except NotFound:
        logger.info("opt-out confirmation not sent: the case is gone")
    except PermanentError as error:            # a TransientError goes up: the event is retried
        logger.warning("opt-out confirmation not sent", extra={"code": error.code})
        count("sms_failed")


def _confirm_opt_out(deps: Deps, phone: str, ref: str, inbound_id: str, now: datetime) -> None:
    case = deps.repo.get_case(ref)
    point = deps.repo.get_point(case.point_id)
    text = texts.render("opted_out", ref=ref, point=point.name if point else "votre point de contact")
    message_id = send_sms_once(deps, f"opt-out-{inbound_id}", ref, phone, text)
    deps.repo.put_sms_receipt(message_id, ref, "opted_out", "accepted", now,
                              now + timedelta(days=RECEIPT_DAYS))
    count("sms_sent")
    count("sms_segments", texts.segments(text))


# --- delivery receipts ------------------------------------------------------------------------

# End User Messaging's SMS events (its configuration set's event destination -> the SMS events
# topic -> sms_events), read as the sends' errors are: "delivered"; "failed" where sending
# again would meet the same refusal (the number, the text or the carrier refuses: a
# PermanentError's kind); "undelivered" where a later SMS may get through (the phone off, the
# carrier down, the time to live spent, the fate unknown after 72 hours: a TransientError's kind).
# TEXT_QUEUED and TEXT_PENDING are not final and change nothing.
DELIVERY_STATUS = {
    "TEXT_DELIVERED": "delivered", "TEXT_SUCCESSFUL": "delivered",
    "TEXT_BLOCKED": "failed", "TEXT_INVALID": "failed", "TEXT_INVALID_MESSAGE": "failed",
    "TEXT_CARRIER_BLOCKED": "failed", "TEXT_SPAM": "failed", "TEXT_PROTECT_BLOCKED": "failed",
    "TEXT_UNREACHABLE": "undelivered", "TEXT_CARRIER_UNREACHABLE": "undelivered",
    "TEXT_TTL_EXPIRED": "undelivered", "TEXT_UNKNOWN": "undelivered",
}
DELIVERY_METRIC = {"delivered": "sms_delivered", "failed": "sms_failed", "undelivered": "sms_undelivered"}


def handle_delivery_event(deps: Deps, message: str) -> dict:
    """One SMS event ({"eventType", "messageId", "eventTimestamp", "isFinal", ...}): the SMS's
    receipt takes its status, and the status is counted (a "failed" one as a send refused,
    sms_failed, which has its alarm). The event names both phone numbers: none is logged."""
    try:
        event = json.loads(message)
        event_type, message_id = event["eventType"], event["messageId"]
        if not isinstance(event_type, str) or not isinstance(message_id, str) or not message_id:
            raise TypeError("not text")
        at = datetime.fromtimestamp(int(event["eventTimestamp"]) / 1000, tz=UTC)
    except (ValueError, KeyError, TypeError, OverflowError, RecursionError):
        logger.warning("SMS event unreadable: dropped")
        count("sms_events_malformed")
        return {"outcome": "malformed"}
    status = DELIVERY_STATUS.get(event_type)
    if status is None:
        return {"outcome": "ignored", "event": event_type}        # queued, pending: not final
    case_ref = deps.repo.record_sms_delivery(message_id, status, event_type, at)
    count(DELIVERY_METRIC[status])
    if case_ref is None:
        logger.info("SMS event for no receipt, or older than its last", extra={"event": event_type})
        return {"outcome": "no_receipt", "status": status}
    correlate(case_ref)
    if status != "delivered":
        logger.warning("SMS not delivered", extra={"event": event_type, "status": status, "case_ref": case_ref})
    return {"outcome": "recorded", "status": status, "case_ref": case_ref}
