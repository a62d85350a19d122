"""Intake, escalation, the thread, closing and reopening: the life of a case."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from aws_lambda_powertools import Logger

from ..adapters.dynamo import (
    CaseBundle,
    Check,
    ReferenceTaken,
    Write,
    case_still_open,
    case_write,
    escalation_write,
    event_write,
    message_write,
    name_search_writes,
    notification_write,
    phone_case_write,
    reply_token_write,
    retention_write,
)
from ..bootstrap import Deps
from ..domain import authz, ladder, workflow
from ..domain.authz import Principal
from ..domain.commands import CaseClose, CaseCreate, EscalationCreate, MessageCreate
from ..domain.errors import InvalidInput, NotFound
from ..domain.events import EventCode
from ..domain.models import (
    Attachment,
    Case,
    CaseStatus,
    Channel,
    EscalationStatus,
    Message,
    MessageKind,
    Notification,
    NotificationKind,
    Role,
)
from ..domain.references import new_reference, normalize_reference
from ..observability import correlate, count
from ..views import CaseSummary, CaseView, EscalationView, PageView, case_view
from . import sms
from .common import audit_access, event, new_id, new_token, retry_on_conflict

logger = Logger(service="relais", child=True)


def case_ref(text: str) -> str:
    """A reference as typed or linked, normalised; else the case is "not found"."""
    ref = normalize_reference(text)
    if ref is None:
        raise NotFound(authz.CASE_NOT_FOUND)
    return ref


def create_case(deps: Deps, principal: Principal, command: CaseCreate) -> CaseView:
    authz.require_agent_of_point(principal, command.point_id)
    point = deps.repo.get_point(command.point_id)
    if point is None:
        raise InvalidInput("Ce point de contact n'existe pas.", field="point_id")
    for _ in range(10):
        now = deps.now()
        ref = new_reference(point.territory_code)
        case = workflow.open_case(command, ref=ref, territory_code=point.territory_code,
                                  agent_id=principal.user_id, now=now)
        usager = case.usager
        assert usager is not None                       # a case opens with its usager
        extra = [phone_case_write(usager.phone, now, ref), *name_search_writes(case)]
        if usager.sms_opt_in:
            extra.append(notification_write(sms.notification(ref, "sms-created", "case_created", now)))
            if command.confirm_consent_by_sms:
                extra.append(notification_write(sms.notification(ref, "sms-consent", "consent", now)))
        try:
            deps.repo.create_case(case, event(EventCode.CASE_CREATED, principal.user_id, now, ref,
                                              point_id=point.id), extra)
        except ReferenceTaken:
            continue
        correlate(ref)
        count("cases_created")
        logger.info("case created", extra={"case_ref": ref})
        return _view(deps, principal, CaseBundle(case, {}, [], []))
    raise RuntimeError("no free case reference after 10 draws")


def _escalation_write(deps: Deps, escalation, previous_version: int | None):
    """Every escalation write also places it in (or out of) the reminder sweep's index."""
    return escalation_write(escalation, previous_version,
                            ladder.next_action_at(escalation, deps.settings.ladder))


@dataclass(frozen=True)
class CaseChange:
    """A change worked out from one read of a case: the case as it will stand, and the writes
    that make it so, in one transaction (none: there is nothing to write)."""
    bundle: CaseBundle
    writes: list[Write | Check]


def _change_case(deps: Deps, ref: str, apply: Callable[[CaseBundle], CaseChange]) -> CaseChange:
    """Read the case, authorize and work out the change (apply), write it; on a lost race, all
    again from a fresh read."""
    def attempt() -> CaseChange:
        change = apply(deps.repo.get_bundle(ref))
        if change.writes:
            deps.repo.transact(change.writes)
        return change

    return retry_on_conflict(attempt)


def _view(deps: Deps, principal: Principal, bundle: CaseBundle) -> CaseView:
    groups = deps.repo.get_groups(bundle.escalations) if bundle.escalations else {}
    author_ids = {m.author_id for m in bundle.messages}
    authors = deps.repo.get_users(author_ids) if author_ids else {}
    return case_view(bundle.case, list(bundle.escalations.values()), bundle.messages, groups,
                     authors, now=deps.now(),
                     audience=authz.case_audience(principal, bundle.escalations.values()))


def get_case(deps: Deps, principal: Principal, ref: str) -> CaseView:
    """The case as the reader may see it; the read is audited (CASE_VIEWED)."""
    view = read_case(deps, principal, ref)
    audit_access(deps, principal, EventCode.CASE_VIEWED, ref=view.ref)
    return view


def read_case(deps: Deps, principal: Principal, ref: str) -> CaseView:
    """The same, unaudited: for a caller that audits what it reads itself (a document)."""
    # Roles first: a role that may never read cases must not learn which references exist.
    authz.require_role(principal, Role.AGENT, Role.REFERENT)
    bundle = deps.repo.get_bundle(case_ref(ref))
    authz.require_case_reader(principal, bundle.case, bundle.escalations.values())
    return _view(deps, principal, bundle)


def list_cases(deps: Deps, principal: Principal, point_id: str | None, status: CaseStatus | None,
               limit: int, cursor: str | None) -> PageView[CaseSummary]:
    point_id = authz.agent_point(principal, point_id)
    page = deps.repo.list_point_cases(point_id, status, limit, cursor)
    now = deps.now()
    if page.items:                  # a list of cases shows the usagers' names
        audit_access(deps, principal, EventCode.CASES_LISTED, point_id=point_id, count=str(len(page.items)))
    return PageView[CaseSummary](items=[CaseSummary.of(c, now) for c in page.items], cursor=page.cursor)


def escalate(deps: Deps, principal: Principal, ref: str, command: EscalationCreate) -> CaseView:
    authz.require_role(principal, Role.AGENT)
    ref = case_ref(ref)

    def apply(bundle: CaseBundle) -> CaseChange:
        authz.require_agent_of_case(principal, bundle.case)
        groups = deps.repo.get_groups(command.group_ids)
        missing = [g for g in command.group_ids if g not in groups]
        if missing:
            raise InvalidInput("Cet organisme n'existe pas.", field="group_ids")
        now = deps.now()
        case, created = workflow.escalate(bundle.case, bundle.escalations,
                                          [groups[g] for g in command.group_ids], command, now)
        # Each escalation gets its own Reply-To secret; the email itself leaves via the outbox.
        created = [e.model_copy(update={"reply_token": new_token()}) for e in created]
        return CaseChange(
            CaseBundle(case, {**bundle.escalations, **{e.group_id: e for e in created}},
                       bundle.messages, bundle.events),
            [case_write(case, bundle.case.version)]
            + [_escalation_write(deps, e, bundle.escalations[e.group_id].version
                                 if e.group_id in bundle.escalations else None) for e in created]
            + [event_write(event(EventCode.CASE_ESCALATED, principal.user_id, now, ref, e.group_id,
                                 organisation_id=e.organisation_id)) for e in created]
            + [reply_token_write(e.reply_token, ref, e.group_id) for e in created if e.reply_token]
            + [notification_write(Notification(
                id=f"esc-{e.group_id}-v{e.version}", case_ref=ref, kind=NotificationKind.ESCALATION,
                group_id=e.group_id, created_at=now)) for e in created])

    bundle = _change_case(deps, ref, apply).bundle
    count("escalations_sent", len(command.group_ids))
    logger.info("case escalated", extra={"case_ref": ref})
    return _view(deps, principal, bundle)


@dataclass(frozen=True)
class Posting:
    """How a message comes in: by which channel; under an id chosen by the caller (an inbound
    email's, an upload's), which makes the call idempotent; with its files; and with what else
    to write in the same transaction."""
    channel: Channel = Channel.WEB
    message_id: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    extra_writes: list[Write | Check] = field(default_factory=list)


ON_THE_PAGE = Posting()


def _already_posted(bundle: CaseBundle, posting: Posting) -> CaseChange | None:
    """The same message again (an email delivered twice, a reloaded upload): nothing to write."""
    if posting.message_id and any(m.id == posting.message_id for m in bundle.messages):
        return CaseChange(bundle, [])
    return None


def _message(principal: Principal, ref: str, group_id: str | None, command: MessageCreate,
             posting: Posting, now: datetime) -> Message:
    return Message(id=posting.message_id or new_id(), case_ref=ref, group_id=group_id,
                   author_id=principal.user_id, author_role=principal.role,
                   channel=posting.channel, kind=command.kind, body=command.body,
                   attachments=list(posting.attachments), created_at=now)


def post_agent_message(deps: Deps, principal: Principal, ref: str, command: MessageCreate,
                       posting: Posting = ON_THE_PAGE) -> CaseView:
    """The agent's note on the case, or message to one partner's referents (emailed to them)."""
    authz.require_role(principal, Role.AGENT)
    ref = case_ref(ref)

    def apply(bundle: CaseBundle) -> CaseChange:
        if unchanged := _already_posted(bundle, posting):
            return unchanged
        now = deps.now()
        case, group_id = bundle.case, command.group_id
        escalations = dict(bundle.escalations)
        authz.require_agent_of_case(principal, case)
        if group_id and group_id not in escalations:
            raise InvalidInput("Ce dossier n'a pas été transmis à cet organisme.", field="group_id")
        previous = escalations.get(group_id) if group_id else None
        resumed = workflow.agent_message(case, previous, command.kind, bundle.escalations.values(), now)
        message = _message(principal, ref, group_id, command, posting, now)
        writes: list[Write | Check] = [message_write(message)]
        if resumed is not None:
            assert group_id is not None and previous is not None    # only an exchange resumes
            case, escalations[group_id] = resumed
            writes += [case_write(case, bundle.case.version),
                       _escalation_write(deps, escalations[group_id], previous.version)]
        else:
            writes.append(case_still_open(ref))
        writes.append(event_write(event(EventCode.MESSAGE_POSTED, principal.user_id, now, ref,
                                        group_id, channel=posting.channel.value)))
        if group_id:
            # The referents live in their mailbox: what the agent writes to them is emailed.
            writes.append(notification_write(Notification(
                id=f"agent-{message.id}", case_ref=ref, kind=NotificationKind.AGENT_MESSAGE,
                group_id=group_id, message_id=message.id, created_at=now)))
        return CaseChange(CaseBundle(case, escalations, [*bundle.messages, message], bundle.events),
                          [*writes, *posting.extra_writes])

    correlate(ref, command.group_id)
    bundle = _change_case(deps, ref, apply).bundle
    logger.info("message posted", extra={"case_ref": ref})
    return _view(deps, principal, bundle)


def post_referent_reply(deps: Deps, principal: Principal, ref: str, command: MessageCreate,
                        posting: Posting = ON_THE_PAGE) -> CaseView:
    """A referent's answer, request for information or hand-back, from the page or by email."""
    authz.require_role(principal, Role.REFERENT)
    ref = case_ref(ref)

    def apply(bundle: CaseBundle) -> CaseChange:
        if unchanged := _already_posted(bundle, posting):
            return unchanged
        now = deps.now()
        authz.require_case_reader(principal, bundle.case, bundle.escalations.values())
        # Only through a group of theirs still on the case: a group that handed the case
        # back ("pas le bon interlocuteur") can no longer act on it.
        group_id = authz.referent_acting_group(principal, bundle.escalations.values(), command.group_id)
        previous = bundle.escalations[group_id]
        case, updated = workflow.referent_reply(bundle.case, previous, command.kind,
                                                bundle.escalations.values(), now)
        message = _message(principal, ref, group_id, command, posting, now)
        writes = [message_write(message),
                  case_write(case, bundle.case.version),
                  _escalation_write(deps, updated, previous.version),
                  event_write(event(EventCode.escalation(updated.status),
                                    principal.user_id, now, ref, group_id,
                                    channel=posting.channel.value)),
                  notification_write(Notification(
                      id=f"reply-{message.id}", case_ref=ref, kind=NotificationKind.REFERENT_REPLIED,
                      group_id=group_id, message_id=message.id, created_at=now)),
                  *_usager_sms(bundle.case, case, command.kind, message, now)]
        return CaseChange(CaseBundle(case, {**bundle.escalations, group_id: updated},
                                     [*bundle.messages, message], bundle.events),
                          [*writes, *posting.extra_writes])

    correlate(ref, command.group_id)
    change = _change_case(deps, ref, apply)
    if change.writes and command.kind is MessageKind.ANSWER:
        count("answers_by_email" if posting.channel is Channel.EMAIL else "answers_by_page")
    logger.info("message posted", extra={"case_ref": ref})
    return _view(deps, principal, change.bundle)


def _usager_sms(before: Case, after: Case, kind: MessageKind, message: Message, now: datetime) -> list[Write]:
    """The usager hears of a reply by SMS: once the case is answered, or when information is asked."""
    template = ("answered" if after.status is CaseStatus.ANSWERED and before.status is not CaseStatus.ANSWERED
                else "needs_info" if kind is MessageKind.NEEDS_INFO else None)
    if template and after.usager and after.usager.sms_opt_in:
        return [notification_write(sms.notification(after.ref, f"sms-{template}-{message.id}", template, now))]
    return []


def close_case(deps: Deps, principal: Principal, ref: str, command: CaseClose) -> CaseView:
    authz.require_role(principal, Role.AGENT)
    ref = case_ref(ref)

    def apply(bundle: CaseBundle) -> CaseChange:
        authz.require_agent_of_case(principal, bundle.case)
        now = deps.now()
        case, closed = workflow.close(bundle.case, bundle.escalations.values(), command, now)
        return CaseChange(
            CaseBundle(case, {**bundle.escalations, **{e.group_id: e for e in closed}},
                       bundle.messages, bundle.events),
            [case_write(case, bundle.case.version)]
            + [_escalation_write(deps, e, bundle.escalations[e.group_id].version) for e in closed]
            + [event_write(event(EventCode.CASE_CLOSED, principal.user_id, now, ref,
                                 outcome=command.outcome.value, useful=str(command.useful).lower())),
               retention_write(case)]
            + ([notification_write(sms.notification(ref, f"sms-closed-v{case.version}", "closed", now))]
               if case.usager and case.usager.sms_opt_in else []))

    bundle = _change_case(deps, ref, apply).bundle
    logger.info("case closed", extra={"case_ref": ref})
    return _view(deps, principal, bundle)


def reopen_case(deps: Deps, principal: Principal, ref: str) -> CaseView:
    authz.require_role(principal, Role.AGENT)
    ref = case_ref(ref)

    def apply(bundle: CaseBundle) -> CaseChange:
        authz.require_agent_of_case(principal, bundle.case)
        now = deps.now()
        case = workflow.reopen(bundle.case, now)
        return CaseChange(CaseBundle(case, bundle.escalations, bundle.messages, bundle.events),
                          [case_write(case, bundle.case.version),
                           event_write(event(EventCode.CASE_REOPENED, principal.user_id, now, ref))])

    bundle = _change_case(deps, ref, apply).bundle
    logger.info("case reopened", extra={"case_ref": ref})
    return _view(deps, principal, bundle)


def referent_queue(deps: Deps, principal: Principal, group_id: str | None,
                   status: EscalationStatus | None, limit: int,
                   cursor: str | None) -> PageView[EscalationView]:
    authz.require_role(principal, Role.REFERENT)
    if group_id is None:
        if len(principal.group_ids) != 1:
            raise InvalidInput("Précisez l'organisme.", field="group_id")
        group_id = next(iter(principal.group_ids))
    authz.require_referent_of_group(principal, group_id)
    page = deps.repo.list_group_escalations(group_id, status, limit, cursor)
    group = deps.repo.get_group(group_id)
    name = group.name if group else group_id
    now = deps.now()
    return PageView[EscalationView](items=[EscalationView.of(e, name, now) for e in page.items],
                                    cursor=page.cursor)


SEARCH_LIMIT = 25


def search_cases(deps: Deps, principal: Principal, text: str) -> list[CaseSummary]:
    """An agent looks for a case of their points by reference ("61 k7m 4qx") or by the
    usager's name, in either order and without accents ("martin jea", "jeanne martin")."""
    from ..domain.search import query_prefix

    authz.require_role(principal, Role.AGENT)
    now = deps.now()
    ref = normalize_reference(text)
    if ref is not None:
        try:
            case = deps.repo.get_case(ref)
        except NotFound:
            return []
        if case.point_id not in principal.point_ids:
            return []
        audit_access(deps, principal, EventCode.CASES_SEARCHED, count="1")
        return [CaseSummary.of(case, now)]
    prefix = query_prefix(text)
    if prefix is None:
        raise InvalidInput("Tapez au moins deux lettres du nom de l'usager, ou la référence du dossier.",
                           field="q")
    refs: list[str] = []
    for point_id in sorted(principal.point_ids):
        refs += deps.repo.search_point_cases(point_id, prefix, SEARCH_LIMIT)
    found = [c for c in deps.repo.get_cases(refs) if c.point_id in principal.point_ids]
    found.sort(key=lambda c: c.created_at, reverse=True)
    logger.info("cases searched", extra={"results": len(found)})
    if found:
        audit_access(deps, principal, EventCode.CASES_SEARCHED, count=str(min(len(found), SEARCH_LIMIT)))
    return [CaseSummary.of(c, now) for c in found[:SEARCH_LIMIT]]
