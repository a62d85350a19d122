"""Referents' replies by email: find the escalation, check the sender, append the new text.

In AWS, an SES receipt rule stores the raw message in S3 and notifies an SNS topic; the
handler reads the object and calls `receive`. The dev stage's POST /_dev/inbound-email
stores the message in (emulated) S3 and calls the same function.

Order of decisions: a message already processed is a no-op (replay); a bounce or an
automatic reply is dropped; then the escalation is found (token in the recipient address,
then In-Reply-To/References, then the subject tag); then the sender and SES verdicts are
checked. A message that fails a check is quarantined (kept in S3, the agent is told) and never
appended. Personal data (addresses, text) never reaches the logs.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger

from ..adapters import mailparse
from ..adapters.dynamo import (
    ReplyTarget,
    event_write,
    inbound_write,
    notification_write,
    sender_notice_write,
)
from ..bootstrap import Deps
from ..domain import authz
from ..domain.commands import MessageCreate
from ..domain.errors import Conflict, NotFound, RaceLost
from ..domain.models import (
    Attachment,
    CaseStatus,
    Channel,
    MessageKind,
    Notification,
    NotificationKind,
    Role,
)
from ..domain.references import normalize_reference
from ..domain.validation import showable
from ..observability import correlate, count
from . import cases
from .common import event

logger = Logger(service="relais", child=True)

VERDICTS = ("spf", "dkim", "dmarc", "spam", "virus")
MAX_BODY = 5000
TRUNCATED = "\n\n[…] Message tronqué : le texte complet est conservé."
_TOKEN = re.compile(r"^reponse\+([a-z2-7]{26})@(.+)$")
_SUBJECT_TAG = re.compile(r"\[\s*Relais\s+([0-9]{2}[0-9AB]?\s*-\s*[0-9A-Z]{3}\s*-\s*[0-9A-Z]{3})\s*\]",
                          re.IGNORECASE)
SYSTEM_ACTOR = "system-inbound-email"
# A reply the workflow refuses: the referent who wrote it is told why, and the agent too.
REFUSED_BY_WORKFLOW = ("case_closed", "exchange_closed")
SENDER_NOTICE_DAYS = 30


@dataclass
class Outcome:
    outcome: str     # accepted | duplicate | auto_reply | bounce | quarantined | unthreaded | unparseable
    reason: str | None = None
    case_ref: str | None = None
    message_id: str | None = None
    threading: str | None = None     # token | in_reply_to | subject
    sender_told: bool | None = None  # the sender got a notice saying why it was not added

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def handle_ses_notification(deps: Deps, notification: dict) -> Outcome:
    """An SES receipt notification (S3 action): read the stored message and receive it."""
    receipt = notification.get("receipt", {})
    action = receipt.get("action", {})
    bucket, key = action.get("bucketName"), action.get("objectKey")
    if not bucket or not key:
        raise ValueError("SES notification without an S3 object")
    raw = deps.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    verdicts = {name: str(receipt.get(f"{name}Verdict", {}).get("status", "PASS")).upper()
                for name in VERDICTS}
    return receive(deps, raw, object_key=f"{bucket}/{key}",
                   envelope_recipients=[r.lower() for r in receipt.get("recipients", [])],
                   verdicts=verdicts)


def receive(deps: Deps, raw: bytes, *, object_key: str, envelope_recipients: list[str],
            verdicts: dict[str, str]) -> Outcome:
    try:
        parsed = mailparse.parse(raw, own_addresses={deps.mailer.sender_address.lower()})
    except Exception:  # noqa: BLE001 - a message we cannot read is kept in S3, never retried forever
        logger.warning("inbound email could not be parsed", extra={"object_key": object_key})
        digest = hashlib.sha256(object_key.encode()).hexdigest()[:32]
        return _count(_drop(deps, digest, deps.now(), Outcome("unparseable")))
    # The same message delivered twice (SNS or Lambda retry, or the sender's server sending it
    # again) has the same Message-ID: it is appended once.
    identity = f"{parsed.sender}|{parsed.message_id}" if parsed.message_id else object_key
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    if deps.repo.inbound_seen(digest):
        return _count(Outcome("duplicate"))
    now = deps.now()
    if parsed.bounce:
        return _count(_drop(deps, digest, now, Outcome("bounce")))
    if parsed.auto_reply:
        return _count(_drop(deps, digest, now, Outcome("auto_reply", parsed.auto_reply)))
    target, threading = find_target(deps, parsed, envelope_recipients)
    if target is None:
        logger.warning("inbound email matches no escalation")
        return _count(_unthreaded(deps, digest, now, parsed, verdicts))
    outcome = Outcome("accepted", case_ref=target.case_ref, threading=threading)
    correlate(target.case_ref, target.group_id)
    group = deps.repo.get_group(target.group_id)
    members = {a.lower() for a in [*(group.member_emails if group else []),
                                   group.shared_mailbox if group else None] if a}
    failed = [name for name, status in verdicts.items() if status == "FAIL"]
    if failed:
        return _count(_quarantine(deps, digest, now, target, parsed, "verdict", outcome, raw))
    if parsed.sender not in members:
        return _count(_quarantine(deps, digest, now, target, parsed, "foreign_sender", outcome, raw))
    text = showable(parsed.text).strip() or ("(pièce jointe)" if parsed.attachments else "")
    if not text:
        return _count(_quarantine(deps, digest, now, target, parsed, "empty", outcome, raw))
    return _count(_append(deps, digest, now, target, parsed, text, outcome, raw))


def find_target(deps: Deps, parsed: mailparse.ParsedEmail,
                envelope_recipients: list[str]) -> tuple[ReplyTarget | None, str | None]:
    domain = deps.settings.inbound_domain.lower()
    for address in [*envelope_recipients, *parsed.recipients]:
        match = _TOKEN.match(address)
        if match and match.group(2) == domain:
            target = deps.repo.get_reply_target(match.group(1))
            if target:
                return target, "token"
    ses_ids = [i.split("@", 1)[0] for i in parsed.thread_ids]
    if ses_ids:
        found = deps.repo.get_sent_mails(ses_ids)
        for ses_id in ses_ids:
            if ses_id in found and found[ses_id].group_id:
                return found[ses_id], "in_reply_to"
    tag = _SUBJECT_TAG.search(parsed.subject)
    ref = normalize_reference(tag.group(1)) if tag else None
    if ref:
        # The tag names the case, not the partner: the sender's own group on that case.
        try:
            bundle = deps.repo.get_bundle(ref)
        except NotFound:
            return None, None
        groups = deps.repo.get_groups(bundle.escalations) if bundle.escalations else {}
        for group_id, group in groups.items():
            if parsed.sender in {a.lower() for a in [*group.member_emails, group.shared_mailbox] if a}:
                return ReplyTarget(ref, group_id), "subject"
    return None, None


def _count(outcome: Outcome) -> Outcome:
    count(f"inbound_emails_{outcome.outcome}")
    logger.info("inbound email processed", extra={"outcome": outcome.outcome, "reason": outcome.reason,
                                                  "case_ref": outcome.case_ref})
    return outcome


def _drop(deps: Deps, digest: str, now: datetime, outcome: Outcome) -> Outcome:
    if not deps.repo.put_new(inbound_write(digest, now, outcome.outcome)):
        return Outcome("duplicate")
    return outcome


def _unthreaded(deps: Deps, digest: str, now: datetime, parsed: mailparse.ParsedEmail,
                verdicts: dict[str, str]) -> Outcome:
    """No escalation has this reply address: a token changed by hand, or deleted with the
    case's personal data. A referent of the directory whose message passed SES's checks is told
    so, once a day at most; anybody else is told nothing (no backscatter for spam)."""
    outcome = Outcome("unthreaded", "unknown_token")
    user = deps.repo.get_user_by_email(parsed.sender) if parsed.sender else None
    authenticated = "PASS" in (verdicts.get("spf"), verdicts.get("dkim")) and "FAIL" not in verdicts.values()
    if user is not None and user.role is Role.REFERENT and authenticated:
        day = now.date().isoformat()
        notice = Notification(
            id="refused-" + hashlib.sha256(f"{parsed.sender}|{day}".encode()).hexdigest()[:16],
            case_ref="", kind=NotificationKind.REPLY_REFUSED,
            data={"reason": "unknown_token", "sender": parsed.sender[:254]}, created_at=now)
        # Before the email's own record: a retry after a crash in between sends no second notice.
        outcome.sender_told = deps.repo.put_new(
            sender_notice_write(notice, now + timedelta(days=SENDER_NOTICE_DAYS)))
    return _drop(deps, digest, now, outcome)


def _keep_raw(deps: Deps, prefix: str, digest: str, case_ref: str, raw: bytes) -> str:
    key = f"{prefix}/{case_ref}/{digest}.eml"
    deps.s3.put_object(Bucket=deps.settings.mail_bucket, Key=key, Body=raw,
                       ContentType="message/rfc822", ServerSideEncryption="AES256")
    return key


def _quarantine(deps: Deps, digest: str, now: datetime, target: ReplyTarget,
                parsed: mailparse.ParsedEmail, reason: str, outcome: Outcome, raw: bytes) -> Outcome:
    _keep_raw(deps, "quarantine", digest, target.case_ref, raw)
    data = {"reason": reason, "sender": parsed.sender[:254]}
    notices = [Notification(id=f"quarantine-{digest[:16]}", case_ref=target.case_ref,
                            kind=NotificationKind.EMAIL_QUARANTINED, group_id=target.group_id,
                            data=data, created_at=now)]
    if reason in REFUSED_BY_WORKFLOW:
        # The sender is one of the partner's referents (checked before): tell them too.
        notices.append(Notification(id=f"refused-{digest[:16]}", case_ref=target.case_ref,
                                    kind=NotificationKind.REPLY_REFUSED, group_id=target.group_id,
                                    data=data, created_at=now))
    try:
        deps.repo.transact([
            inbound_write(digest, now, "quarantined", target.case_ref),
            *(notification_write(notice) for notice in notices),
            event_write(event("EMAIL_QUARANTINED", SYSTEM_ACTOR, now, target.case_ref,
                              target.group_id, reason=reason)),
        ])
    except RaceLost:
        return Outcome("duplicate", case_ref=target.case_ref)
    outcome.outcome, outcome.reason = "quarantined", reason
    outcome.sender_told = reason in REFUSED_BY_WORKFLOW
    return outcome


def _principal(deps: Deps, sender: str, group_id: str) -> authz.Principal:
    """The referent who wrote; a shared mailbox writes in the group's name."""
    user = deps.repo.get_user_by_email(sender)
    if user is not None and user.role is Role.REFERENT:
        return authz.Principal(user.id, Role.REFERENT, group_ids=frozenset({group_id}))
    return authz.Principal(f"mailbox-{group_id}", Role.REFERENT, group_ids=frozenset({group_id}))


def _append(deps: Deps, digest: str, now: datetime, target: ReplyTarget,
            parsed: mailparse.ParsedEmail, text: str, outcome: Outcome, raw: bytes) -> Outcome:
    message_id = f"m{digest[:11]}"
    raw_key = _keep_raw(deps, "inbound", digest, target.case_ref, raw)
    attachments = _store_attachments(deps, target.case_ref, message_id, parsed.attachments)
    if parsed.refused:
        names = ", ".join(r.name for r in parsed.refused)
        text += f"\n\n[Pièces jointes refusées (type ou taille non acceptés) : {names}]"
    if len(text) > MAX_BODY:
        text = text[:MAX_BODY - len(TRUNCATED)] + TRUNCATED
    keyword = mailparse.status_keyword(parsed.text)
    kind = {"wrong_recipient": MessageKind.WRONG_RECIPIENT,
            "needs_info": MessageKind.NEEDS_INFO}.get(keyword or "", MessageKind.ANSWER)
    command = MessageCreate(body=text, group_id=target.group_id, kind=kind)
    principal = _principal(deps, parsed.sender, target.group_id)
    try:
        cases.post_message(deps, principal, target.case_ref, command, Channel.EMAIL,
                           message_id=message_id, attachments=attachments,
                           extra_writes=[inbound_write(digest, now, "accepted", target.case_ref)])
    except RaceLost:
        raise       # still busy after the retries: the event is retried, the reply is not refused
    except (Conflict, NotFound) as refused:
        # The case or this partner's exchange was closed (or handed back) meanwhile.
        bundle = deps.repo.get_bundle(target.case_ref)
        reason = "case_closed" if bundle.case.status is CaseStatus.CLOSED else "exchange_closed"
        logger.info("reply refused by the workflow", extra={"case_ref": target.case_ref,
                                                             "error": type(refused).__name__})
        return _quarantine(deps, digest, now, target, parsed, reason, outcome, raw)
    outcome.message_id = message_id
    logger.debug("raw reply kept", extra={"key": raw_key})
    return outcome


def _store_attachments(deps: Deps, case_ref: str, message_id: str,
                       files: list[mailparse.InboundAttachment]) -> list[Attachment]:
    stored = []
    for index, file in enumerate(files, start=1):
        key = f"attachments/{case_ref}/{message_id}/{index}"
        deps.s3.put_object(Bucket=deps.settings.mail_bucket, Key=key, Body=file.data,
                           ContentType=file.content_type, ServerSideEncryption="AES256")
        stored.append(Attachment(name=file.name, size=len(file.data),
                                 content_type=file.content_type, key=key))
    return stored
