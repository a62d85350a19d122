"""Inbound emails kept out of a case's thread (services/inbound.py): the case's agent reads one,
then adds it to the thread or sets it aside.

Only the agents of the case's point decide (the case page's own rule: anybody else is told the
case does not exist). Adding it posts the message in the partner's thread exactly as an accepted
reply would have been (same message id, same author rules, same status keywords), with an
EMAIL_RELEASED event for the agent; setting it aside writes EMAIL_DISCARDED and deletes the
raw message. Both are conditional on the stored version: a message is decided once.
"""
from __future__ import annotations

import re

from aws_lambda_powertools import Logger

from ..adapters import mailparse
from ..bootstrap import Deps
from ..domain import authz
from ..domain.authz import Principal
from ..domain.commands import MessageCreate
from ..domain.errors import Conflict, NotFound, RaceLost
from ..domain.events import EventCode
from ..domain.models import Channel, QuarantinedEmail, QuarantineStatus, Role
from ..domain.ports import UnitOfWork
from ..domain.validation import showable
from ..views import CaseView, QuarantinedEmailDetail, QuarantinedEmailView
from . import cases, inbound
from .common import audit_access, event

logger = Logger(service="relais", child=True)

NOT_FOUND = "Ce message est introuvable."
ALREADY_DECIDED = "Ce message a déjà été traité."
TOO_LARGE = ("Ce message est trop volumineux pour être ajouté au dossier : demandez au référent de "
             "le renvoyer avec moins de pièces jointes. Vous pouvez l'écarter.")
EXCHANGE_CLOSED = ("L'échange avec cet organisme est clos : ce message ne peut plus y être ajouté. "
                   "Vous pouvez l'écarter.")
EMPTY = inbound.EMPTY
_ID = re.compile(r"^[0-9a-f]{16}$")


def _label(reason: str) -> str:
    from .notifications import QUARANTINE_REASONS

    label = QUARANTINE_REASONS.get(reason, ("le message n'a pas passé les contrôles.", ""))[0]
    return label[:1].upper() + label[1:]


def _view(item: QuarantinedEmail, group_names: dict[str, str]) -> QuarantinedEmailView:
    return QuarantinedEmailView(
        id=item.id, group_id=item.group_id, group_name=group_names.get(item.group_id, item.group_id),
        reason=item.reason, reason_label=_label(item.reason), sender=item.sender, subject=item.subject,
        received_at=item.received_at, status=item.status, decided_at=item.decided_at,
        message_id=item.message_id)


def agent_case(deps: Deps, principal: Principal, ref: str):
    """The case, for one of its agents only; anybody else: as if it did not exist."""
    authz.require_role(principal, Role.AGENT)
    ref = cases.case_ref(ref)
    bundle = deps.repo.get_bundle(ref)
    authz.require_agent_of_case(principal, bundle.case)
    return ref, bundle


def _item(deps: Deps, ref: str, quarantine_id: str) -> QuarantinedEmail:
    item = deps.repo.get_quarantined(ref, quarantine_id) if _ID.match(quarantine_id or "") else None
    if item is None:
        raise NotFound(NOT_FOUND)
    return item


def _pending(deps: Deps, ref: str, quarantine_id: str) -> QuarantinedEmail:
    item = _item(deps, ref, quarantine_id)
    if item.status is not QuarantineStatus.PENDING:
        raise Conflict(ALREADY_DECIDED)
    return item


def _group_names(deps: Deps, items: list[QuarantinedEmail]) -> dict[str, str]:
    groups = deps.repo.get_groups({i.group_id for i in items}) if items else {}
    return {group_id: group.name for group_id, group in groups.items()}


def list_quarantined(deps: Deps, principal: Principal, ref: str,
                     pending_only: bool = False) -> list[QuarantinedEmailView]:
    ref, _ = agent_case(deps, principal, ref)
    items = [i for i in deps.repo.list_quarantined(ref)
             if not pending_only or i.status is QuarantineStatus.PENDING]
    names = _group_names(deps, items)
    return [_view(i, names) for i in items]


def _raw(deps: Deps, item: QuarantinedEmail) -> bytes:
    return deps.documents.read(item.raw_key)


def own_addresses(deps: Deps) -> set[str]:
    return {deps.mailer.sender_address.lower()}


def read(deps: Deps, principal: Principal, ref: str, quarantine_id: str) -> QuarantinedEmailDetail:
    """One quarantined message as the agent reads it: its new text (as the thread would show it)
    and its files' names. Audited: QUARANTINE_READ."""
    ref, bundle = agent_case(deps, principal, ref)
    item = _item(deps, ref, quarantine_id)
    detail = QuarantinedEmailDetail(**_view(item, _group_names(deps, [item])).model_dump(),
                                    territory_code=bundle.case.territory_code)
    if item.status is QuarantineStatus.PENDING and item.reason != "too_large":
        try:
            parsed = mailparse.parse(_raw(deps, item), own_addresses=own_addresses(deps))
        except Exception:  # noqa: BLE001 - shown as unreadable; the agent can still discard it
            detail.readable = False
        else:
            detail.text = showable(inbound.message_text(parsed)) or EMPTY
            detail.attachments = [a.name for a in parsed.attachments]
            detail.refused_attachments = [r.name for r in parsed.refused]
    else:
        detail.readable = False
    audit_access(deps, principal, EventCode.QUARANTINE_READ, ref=ref, quarantine_id=item.id)
    return detail


def release(deps: Deps, principal: Principal, ref: str, quarantine_id: str) -> CaseView:
    """Add the message to the partner's thread, as an accepted reply."""
    ref, _ = agent_case(deps, principal, ref)
    item = _pending(deps, ref, quarantine_id)
    if item.reason == "too_large":
        raise Conflict(TOO_LARGE)
    parsed = mailparse.parse(_raw(deps, item), own_addresses=own_addresses(deps))
    group = deps.repo.get_group(item.group_id)
    message_id = f"m{item.id[:11]}"            # the id an accepted reply would have had
    attachments = inbound.store_attachments(deps, ref, message_id, parsed.attachments)
    now = deps.now()
    decided = item.model_copy(update={"status": QuarantineStatus.RELEASED, "decided_by": principal.user_id,
                                      "decided_at": now, "message_id": message_id,
                                      "version": item.version + 1})
    command = MessageCreate(body=inbound.message_text(parsed) or EMPTY, group_id=item.group_id,
                            kind=inbound.message_kind(parsed))
    writer = inbound.author(deps, parsed.sender, group, item.group_id)

    def decide(uow: UnitOfWork) -> None:
        uow.quarantine.save(decided, item.version)
        uow.events.record(event(EventCode.EMAIL_RELEASED, principal.user_id, now, ref, item.group_id,
                                quarantine_id=item.id, reason=item.reason, message_id=message_id))

    try:
        cases.post_referent_reply(deps, writer, ref, command,
                                  cases.Posting(Channel.EMAIL, message_id, attachments, also=decide,
                                                review=inbound.needs_review(parsed),
                                                source_key=item.raw_key))
    except NotFound as closed:       # the partner said "pas le bon interlocuteur" meanwhile
        raise Conflict(EXCHANGE_CLOSED) from closed
    except RaceLost as lost:
        raise Conflict(ALREADY_DECIDED) from lost
    logger.info("quarantined email released", extra={"case_ref": ref, "reason": item.reason})
    return cases.get_case(deps, principal, ref)


def discard(deps: Deps, principal: Principal, ref: str, quarantine_id: str) -> CaseView:
    """Set the message aside for good: its raw copy is deleted."""
    ref, _ = agent_case(deps, principal, ref)
    item = _pending(deps, ref, quarantine_id)
    now = deps.now()
    decided = item.model_copy(update={"status": QuarantineStatus.DISCARDED, "decided_by": principal.user_id,
                                      "decided_at": now, "version": item.version + 1})
    try:
        with deps.uow() as uow:
            uow.quarantine.save(decided, item.version)
            uow.events.record(event(EventCode.EMAIL_DISCARDED, principal.user_id, now, ref,
                                    item.group_id, quarantine_id=item.id, reason=item.reason))
            uow.commit()
    except RaceLost as lost:
        raise Conflict(ALREADY_DECIDED) from lost
    deps.documents.delete(item.raw_key)
    logger.info("quarantined email discarded", extra={"case_ref": ref, "reason": item.reason})
    return cases.get_case(deps, principal, ref)
