"""Referents' replies by email: find the escalation, check the sender, append the new text.

In AWS, an SES receipt rule stores the raw message in S3 and notifies an SNS topic; the
handler reads the object and calls `receive`. The dev stage's POST /_dev/inbound-email
stores the message in (emulated) S3 and calls the same function.

Order of decisions, on the headers alone (the body is parsed only for a message that passed
them): a message larger than MAX_MESSAGE_BYTES is never read whole (its first HEADER_BYTES
only); a message already processed is a no-op (replay); a bounce or an automatic reply is
dropped; then the escalation is found (token in the recipient address, then
In-Reply-To/References, then the subject tag); then the sender (exactly one well-formed From
address), its authentication (`authentication_problem`), its membership of the group, the way
it was threaded (the subject tag alone never acts on a case) and the size are checked. A message
that fails a check is quarantined (kept in S3 and listed on the case, the agent is told and
decides: services/quarantine.py) and never appended by itself. What the body says is never a
reason to quarantine (issue 24): when extraction leaves nothing or declines to cut, the message
is appended whole, its quotes folded, marked « réponse à vérifier » (Message.review), and its
status keywords do not act. Every appended message keeps its raw email as its source
(Message.source_key), which the agent can open (services/message_source.py). Personal data
(addresses, text) never reaches the logs.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger

from ..adapters import mailparse
from ..bootstrap import Deps
from ..domain import authz
from ..domain.commands import MessageCreate
from ..domain.errors import Conflict, NotFound, RaceLost
from ..domain.events import Actor, EventCode
from ..domain.models import (
    Attachment,
    CaseStatus,
    Channel,
    MessageKind,
    Notification,
    NotificationKind,
    QuarantinedEmail,
    ReferentGroup,
    Role,
)
from ..domain.ports import EscalationRef as ReplyTarget
from ..domain.ports import ExperienceRef
from ..domain.references import normalize_reference
from ..domain.validation import showable
from ..observability import correlate, count
from . import cases
from .common import event, stage_once

logger = Logger(service="relais", child=True)

VERDICTS = ("spf", "dkim", "dmarc", "spam", "virus")
AUTHENTICATION = ("spf", "dkim", "dmarc")
SCANS = ("spam", "virus")
# SES receiving accepts up to 40 MB. A referent's reply with its attachments (at most 10 files
# of 10 MB, base64 adds a third) fits in far less; above this, only the headers are read.
MAX_MESSAGE_BYTES = 20 * 1024 * 1024
MAX_BODY = 5000
TRUNCATED = "\n\n[…] Message tronqué : le texte complet est conservé."
_TOKEN = re.compile(r"^reponse\+([a-z2-7]{26})@(.+)$")
_SUBJECT_TAG = re.compile(r"\[\s*Relais\s+([0-9]{2}[0-9AB]?\s*-\s*[0-9A-Z]{3}\s*-\s*[0-9A-Z]{3})\s*\]",
                          re.IGNORECASE)
# A reply the workflow refuses: the referent who wrote it is told why, and the agent too.
REFUSED_BY_WORKFLOW = ("case_closed", "exchange_closed")
SENDER_NOTICE_DAYS = 30


@dataclass
class Outcome:
    outcome: str     # accepted | duplicate | auto_reply | bounce | quarantined | unthreaded | unparseable | refused
    reason: str | None = None
    case_ref: str | None = None
    message_id: str | None = None
    threading: str | None = None     # token | in_reply_to | subject
    sender_told: bool | None = None  # the sender got a notice saying why it was not added
    experience_id: str | None = None  # a responder team's reply (services/experience_mail.py)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def handle_ses_notification(deps: Deps, notification: dict) -> Outcome:
    """An SES receipt notification (S3 action): read the stored message and receive it.

    The object's size is asked first (HEAD): a message over MAX_MESSAGE_BYTES is never read
    whole, only its first HEADER_BYTES (a ranged GET), enough to thread and quarantine it."""
    receipt = notification.get("receipt", {})
    action = receipt.get("action", {})
    bucket, key = action.get("bucketName"), action.get("objectKey")
    if not bucket or not key:
        raise ValueError("SES notification without an S3 object")
    size = deps.documents.head(key, bucket=bucket).size
    oversized = size > MAX_MESSAGE_BYTES
    if oversized:
        raw = deps.documents.read(key, first_bytes=mailparse.HEADER_BYTES, bucket=bucket)
    else:
        raw = deps.documents.read(key, bucket=bucket)
    # A verdict SES did not give is no PASS.
    verdicts = {name: str((receipt.get(f"{name}Verdict") or {}).get("status", "MISSING")).upper()
                for name in VERDICTS}
    mail_from = (notification.get("mail") or {}).get("source")
    return receive(deps, raw, object_key=f"{bucket}/{key}",
                   envelope_recipients=[r.lower() for r in receipt.get("recipients", [])],
                   verdicts=verdicts, mail_from=mail_from if isinstance(mail_from, str) else None,
                   oversized=oversized)


def receive(deps: Deps, raw: bytes, *, object_key: str, envelope_recipients: list[str],
            verdicts: dict[str, str], mail_from: str | None = None,
            oversized: bool = False) -> Outcome:
    """raw: the whole message, or only its first bytes when it is oversized."""
    own = {deps.mailer.sender_address.lower()}
    try:
        parsed = mailparse.parse_headers(raw, own_addresses=own)
    except Exception:  # noqa: BLE001 - a message we cannot read is kept in S3, never retried forever
        logger.warning("inbound email could not be parsed", extra={"object_key": object_key})
        digest = hashlib.sha256(object_key.encode()).hexdigest()[:32]
        return _count(_drop(deps, digest, deps.now(), Outcome("unparseable")))
    # The same message delivered twice (SNS or Lambda retry, or the sender's server sending it
    # again) has the same Message-ID: it is appended once.
    sender_key = parsed.sender or parsed.from_header
    identity = f"{sender_key}|{parsed.message_id}" if parsed.message_id else object_key
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
        return _count(_unthreaded(deps, digest, now, parsed, verdicts, mail_from))
    if isinstance(target, ExperienceRef):
        from . import experience_mail

        return _count(experience_mail.receive(
            deps, raw, parsed, target, digest=digest, now=now, verdicts=verdicts, mail_from=mail_from,
            oversized=oversized, object_key=object_key))
    outcome = Outcome("accepted", case_ref=target.case_ref, threading=threading)
    correlate(target.case_ref, target.group_id)
    group = deps.repo.get_group(target.group_id)
    keep = _Raw(raw, object_key if oversized else None)
    refused = refusal(parsed, group, threading, verdicts, mail_from, oversized)
    if refused:
        return _count(_quarantine(deps, digest, now, target, parsed, refused, outcome, keep))
    try:
        parsed = mailparse.parse(raw, own_addresses=own)
    except Exception:  # noqa: BLE001 - kept for the agent, who can read it from S3
        logger.warning("inbound email body could not be parsed", extra={"case_ref": target.case_ref})
        return _count(_quarantine(deps, digest, now, target, parsed, "unreadable", outcome, keep))
    # An empty extraction is never a reason to quarantine (issue 24): the message is appended,
    # marked for the agent to check (needs_review), who can open the original.
    return _count(_append(deps, digest, now, target, parsed, outcome, raw))


def members_of(group: ReferentGroup | None) -> set[str]:
    """The addresses that answer for a group: its members and its shared mailbox."""
    if group is None:
        return set()
    return {a.lower() for a in [*group.member_emails, group.shared_mailbox] if a}


def refusal(parsed: mailparse.ParsedEmail, group: ReferentGroup | None, threading: str | None,
            verdicts: dict[str, str], mail_from: str | None, oversized: bool) -> str | None:
    """Why this message may not act on the case by itself (a quarantine reason), or None."""
    if parsed.sender_problem:
        return "ambiguous_sender"
    problem = authentication_problem(parsed, verdicts, mail_from)
    if problem:
        return problem
    if parsed.sender not in members_of(group):
        return "foreign_sender"
    if threading == "subject":
        # The case reference is no secret (the usager gets it by SMS): the tag alone threads
        # a message for the agent to look at, never into the case.
        return "subject_only"
    if oversized:
        return "too_large"
    return None


def _domain_of(address: str | None) -> str:
    return (address or "").strip().strip("<>").rsplit("@", 1)[-1].lower().rstrip(".")


def authentication_problem(parsed: mailparse.ParsedEmail, verdicts: dict[str, str],
                           mail_from: str | None = None) -> str | None:
    """None when the From domain is positively authenticated, else the quarantine reason.

    - "verdict": SES said FAIL on SPF, DKIM or DMARC, or the spam or virus scan is not PASS
      (FAIL, GRAY, PROCESSING_FAILED, or missing);
    - "unauthenticated": no FAIL, but no positive proof for the From domain either. The proof is
      DMARC PASS (DMARC is evaluated on the From domain; when SES's own Authentication-Results
      names it, header.from must be that domain), or SPF PASS *and* DKIM PASS, both for the From
      domain: the envelope MAIL FROM (the notification's mail.source, else envelope-from in SES's
      Authentication-Results) has exactly the From domain, and SES's Authentication-Results
      has a dkim=pass whose header.d/header.i domain is exactly the From domain.
    Only the first Authentication-Results of the message is read, and only if amazonses.com
    wrote it: SES prepends its own, a forged one sits below."""
    if any(verdicts.get(name) == "FAIL" for name in AUTHENTICATION) or any(
            verdicts.get(name) != "PASS" for name in SCANS):
        return "verdict"
    domain = _domain_of(parsed.sender) if parsed.sender else ""
    if not domain:
        return "unauthenticated"
    results = parsed.authentication
    if verdicts.get("dmarc") == "PASS":
        if results is None or results.dmarc_from in (None, domain):
            return None
        return "unauthenticated"
    if verdicts.get("spf") == "PASS" and verdicts.get("dkim") == "PASS" and results is not None:
        envelope = mail_from or results.envelope_from
        if envelope and _domain_of(envelope) == domain and domain in results.dkim_pass_domains:
            return None
    return "unauthenticated"


def find_target(deps: Deps, parsed: mailparse.ParsedEmail, envelope_recipients: list[str]
                ) -> tuple[ReplyTarget | ExperienceRef | None, str | None]:
    """The escalation (or, by its token only, the experience) a reply answers, and how it was found."""
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
    if ref and parsed.sender:
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
                                                  "case_ref": outcome.case_ref,
                                                  "experience_id": outcome.experience_id})
    return outcome


def _drop(deps: Deps, digest: str, now: datetime, outcome: Outcome) -> Outcome:
    if not stage_once(deps, lambda uow: uow.marks.inbound(digest, now, outcome.outcome)):
        return Outcome("duplicate")
    return outcome


def _unthreaded(deps: Deps, digest: str, now: datetime, parsed: mailparse.ParsedEmail,
                verdicts: dict[str, str], mail_from: str | None) -> Outcome:
    """No escalation has this reply address: a token changed by hand, or deleted with the
    case's personal data. A referent of the directory whose message passed SES's checks is told
    so, once a day at most; anybody else is told nothing (no backscatter for spam)."""
    outcome = Outcome("unthreaded", "unknown_token")
    user = deps.repo.get_user_by_email(parsed.sender) if parsed.sender else None
    authenticated = authentication_problem(parsed, verdicts, mail_from) is None
    if user is not None and user.role is Role.REFERENT and authenticated:
        day = now.date().isoformat()
        notice = Notification(
            id="refused-" + hashlib.sha256(f"{parsed.sender}|{day}".encode()).hexdigest()[:16],
            case_ref="", kind=NotificationKind.REPLY_REFUSED,
            data={"reason": "unknown_token", "sender": parsed.sender[:254]}, created_at=now)
        # Before the email's own record: a retry after a crash in between sends no second notice.
        outcome.sender_told = stage_once(deps, lambda uow: uow.outbox.add_uncased(
            notice, now + timedelta(days=SENDER_NOTICE_DAYS)))
    return _drop(deps, digest, now, outcome)


@dataclass
class _Raw:
    """The message to keep: its bytes, or (oversized: never read whole) its S3 object to copy."""
    data: bytes
    copy_from: str | None = None


def _keep_raw(deps: Deps, prefix: str, digest: str, case_ref: str, raw: bytes | _Raw) -> str:
    key = f"{prefix}/{case_ref}/{digest}.eml"
    raw = raw if isinstance(raw, _Raw) else _Raw(raw)
    if raw.copy_from:
        bucket, source = raw.copy_from.split("/", 1)
        deps.documents.copy(bucket, source, key, content_type="message/rfc822")
    else:
        deps.documents.put(key, raw.data, content_type="message/rfc822", encrypted=True)
    return key


def _quarantine(deps: Deps, digest: str, now: datetime, target: ReplyTarget,
                parsed: mailparse.ParsedEmail, reason: str, outcome: Outcome, raw: bytes | _Raw) -> Outcome:
    raw_key = _keep_raw(deps, "quarantine", digest, target.case_ref, raw)
    sender = (parsed.sender or parsed.from_header or "inconnue")[:254]
    data = {"reason": reason, "sender": sender}
    notices = [Notification(id=f"quarantine-{digest[:16]}", case_ref=target.case_ref,
                            kind=NotificationKind.EMAIL_QUARANTINED, group_id=target.group_id,
                            data=data, created_at=now)]
    if reason in REFUSED_BY_WORKFLOW:
        # The sender is one of the partner's referents (checked before): tell them too.
        notices.append(Notification(id=f"refused-{digest[:16]}", case_ref=target.case_ref,
                                    kind=NotificationKind.REPLY_REFUSED, group_id=target.group_id,
                                    data=data, created_at=now))
    kept = QuarantinedEmail(id=digest[:16], case_ref=target.case_ref, group_id=target.group_id,
                            reason=reason, sender=sender, subject=showable(parsed.subject)[:200],
                            received_at=now, raw_key=raw_key, threading=outcome.threading)
    try:
        with deps.uow() as uow:
            uow.marks.inbound(digest, now, "quarantined", target.case_ref)
            uow.quarantine.save(kept, None)
            for notice in notices:
                uow.outbox.add(notice)
            uow.events.record(event(EventCode.EMAIL_QUARANTINED, Actor.INBOUND_EMAIL, now, target.case_ref,
                                    target.group_id, reason=reason, quarantine_id=kept.id))
            uow.commit()
    except RaceLost:
        return Outcome("duplicate", case_ref=target.case_ref)
    outcome.outcome, outcome.reason = "quarantined", reason
    outcome.sender_told = reason in REFUSED_BY_WORKFLOW
    return outcome


def author(deps: Deps, sender: str, group: ReferentGroup | None, group_id: str) -> authz.Principal:
    """The referent who wrote, when the address is one of the group's members; anybody else (a
    shared mailbox, or a sender the agent vouched for) writes in the group's name."""
    user = deps.repo.get_user_by_email(sender) if sender else None
    if (user is not None and user.role is Role.REFERENT
            and user.email.lower() in {a.lower() for a in (group.member_emails if group else [])}):
        return authz.Principal(user.id, Role.REFERENT, group_ids=frozenset({group_id}))
    return authz.Principal(f"mailbox-{group_id}", Role.REFERENT, group_ids=frozenset({group_id}))


EMPTY = "(message sans texte)"
ONLY_FILES = "(pièce jointe)"


def written(parsed: mailparse.ParsedEmail) -> str:
    """What extraction kept of the text (the whole message, folded, when it declined to cut)."""
    return showable(parsed.text).strip()


def needs_review(parsed: mailparse.ParsedEmail) -> bool:
    """« Réponse à vérifier »: extraction declined to cut, or the message holds neither text nor
    file. A file sent with only a mobile footer (« Envoyé de mon iPhone ») is the answer."""
    return parsed.review or not (written(parsed) or parsed.attachments)


def message_text(parsed: mailparse.ParsedEmail) -> str:
    """The new text as the thread shows it: refused files named, long texts cut; never empty."""
    text = written(parsed) or (ONLY_FILES if parsed.attachments else EMPTY)
    if parsed.refused:
        names = ", ".join(r.name for r in parsed.refused)
        text += f"\n\n[Pièces jointes refusées (type ou taille non acceptés) : {names}]"
    if len(text) > MAX_BODY:
        text = text[:MAX_BODY - len(TRUNCATED)] + TRUNCATED
    return text


def message_kind(parsed: mailparse.ParsedEmail) -> MessageKind:
    """What the reply does to the escalation. A message whose extraction was declined is an
    answer, whatever it says: its status keywords may sit in the quoted history (our own
    escalation email names « pas le bon interlocuteur »), and only the agent can tell."""
    if needs_review(parsed):
        return MessageKind.ANSWER
    keyword = mailparse.status_keyword(parsed.text)
    return {"wrong_recipient": MessageKind.WRONG_RECIPIENT,
            "needs_info": MessageKind.NEEDS_INFO}.get(keyword or "", MessageKind.ANSWER)


def _append(deps: Deps, digest: str, now: datetime, target: ReplyTarget,
            parsed: mailparse.ParsedEmail, outcome: Outcome, raw: bytes) -> Outcome:
    message_id = f"m{digest[:11]}"
    raw_key = _keep_raw(deps, "inbound", digest, target.case_ref, raw)
    attachments = store_attachments(deps, target.case_ref, message_id, parsed.attachments)
    command = MessageCreate(body=message_text(parsed), group_id=target.group_id, kind=message_kind(parsed))
    principal = author(deps, parsed.sender, deps.repo.get_group(target.group_id), target.group_id)
    try:
        cases.post_referent_reply(deps, principal, target.case_ref, command, cases.Posting(
            Channel.EMAIL, message_id, attachments,
            also=lambda uow: uow.marks.inbound(digest, now, "accepted", target.case_ref),
            review=needs_review(parsed), source_key=raw_key))
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


def store_attachments(deps: Deps, case_ref: str, message_id: str,
                       files: list[mailparse.InboundAttachment]) -> list[Attachment]:
    stored = []
    for index, file in enumerate(files, start=1):
        key = f"attachments/{case_ref}/{message_id}/{index}"
        deps.documents.put(key, file.data, content_type=file.content_type, encrypted=True)
        stored.append(Attachment(name=file.name, size=len(file.data),
                                 content_type=file.content_type, key=key))
    return stored
