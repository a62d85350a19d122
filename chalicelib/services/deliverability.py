"""SES bounce and complaint events: the address is marked undeliverable, the agent is told.

SES publishes them (configuration set event destination) to an SNS topic that invokes the
handler. A permanent bounce or a complaint marks the address, so no later escalation email
goes there unseen; if the email was an escalation, the case's agent gets a warning through the
outbox. A transient bounce is only counted: SES keeps retrying it.
"""
from __future__ import annotations

import hashlib

from aws_lambda_powertools import Logger

from ..bootstrap import Deps
from ..domain.errors import RaceLost
from ..domain.events import Actor, EventCode
from ..domain.models import Notification, NotificationKind
from ..observability import count
from .common import event

logger = Logger(service="relais", child=True)


def handle_ses_event(deps: Deps, message: dict) -> dict:
    kind = message.get("eventType") or message.get("notificationType")
    ses_id = message.get("mail", {}).get("messageId", "")
    if kind == "Bounce":
        bounce = message.get("bounce", {})
        if bounce.get("bounceType") != "Permanent":
            count("emails_bounced_transient")
            return {"marked": 0}
        addresses = [r.get("emailAddress", "") for r in bounce.get("bouncedRecipients", [])]
        reason = "bounce"
    elif kind == "Complaint":
        addresses = [r.get("emailAddress", "") for r in
                     message.get("complaint", {}).get("complainedRecipients", [])]
        reason = "complaint"
    else:
        return {"marked": 0}
    now = deps.now()
    addresses = [a.strip().lower() for a in addresses if a and "@" in a]
    target = deps.repo.get_sent_mails([ses_id]).get(ses_id) if ses_id else None
    for address in addresses:
        deps.repo.mark_undeliverable(address, reason, now)
        count("emails_bounced" if reason == "bounce" else "emails_complained")
        if target is None or not target.group_id:
            # Not an escalation email (a login link, a notice to an agent): nobody else to warn.
            logger.warning("email undeliverable", extra={"reason": reason})
            continue
        digest = hashlib.sha256(f"{ses_id}|{address}".encode()).hexdigest()[:16]
        try:
            with deps.uow() as uow:
                uow.outbox.add(Notification(
                    id=f"undeliverable-{digest}", case_ref=target.case_ref,
                    kind=NotificationKind.ADDRESS_UNDELIVERABLE, group_id=target.group_id,
                    data={"address": address, "reason": reason}, created_at=now))
                uow.events.record(event(EventCode.EMAIL_UNDELIVERABLE, Actor.SES_EVENTS, now,
                                        target.case_ref, target.group_id, reason=reason))
                uow.commit()
        except RaceLost:
            logger.info("SES event already handled", extra={"case_ref": target.case_ref})
            continue
        logger.warning("escalation email undeliverable: agent warned",
                       extra={"case_ref": target.case_ref, "reason": reason})
    return {"marked": len(addresses)}
