"""Intake, escalation, the thread, closing and reopening: the life of a case."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger

from ..bootstrap import Deps
from ..domain import authz, ladder, workflow
from ..domain.authz import Principal
from ..domain.commands import CaseClose, CaseCreate, EscalationCreate, MessageCreate
from ..domain.errors import InvalidInput, NotFound, RaceLost
from ..domain.events import EventCode
from ..domain.models import (
    Attachment,
    Case,
    CaseStatus,
    Channel,
    Escalation,
    EscalationStatus,
    Event,
    Message,
    MessageKind,
    Notification,
    NotificationKind,
    Role,
)
from ..domain.ports import CaseRecord, UnitOfWork
from ..domain.references import new_reference, normalize_reference, reference_body
from ..observability import correlate, count
from ..views import CaseSummary, CaseView, EscalationView, Lateness, PageView, case_view
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
    with deps.uow() as uow:
        point = uow.directory.point(command.point_id)
    if point is None:
        raise InvalidInput("Ce point de contact n'existe pas.", field="point_id")
    for _ in range(10):
        now = deps.now()
        ref = new_reference(point.territory_code)
        case = workflow.open_case(command, ref=ref, territory_code=point.territory_code,
                                  agent_id=principal.user_id, now=now)
        usager = case.usager
        assert usager is not None                       # a case opens with its usager
        with deps.uow() as uow:
            uow.cases.create(case)
            uow.events.record(event(EventCode.CASE_CREATED, principal.user_id, now, ref, point_id=point.id))
            if usager.sms_opt_in:
                uow.outbox.add(sms.notification(ref, "sms-created", "case_created", now))
                if command.confirm_consent_by_sms:
                    uow.outbox.add(sms.notification(ref, "sms-consent", "consent", now))
            try:
                uow.commit()
            except RaceLost:                # the random reference is taken: draw another
                continue
        correlate(ref)
        count("cases_created")
        logger.info("case created", extra={"case_ref": ref})
        return _view(deps, principal, Thread(case, {}, [], []))
    raise RuntimeError("no free case reference after 10 draws")


def _save_escalation(deps: Deps, uow: UnitOfWork, escalation: Escalation, previous_version: int | None) -> None:
    """Every escalation saved also enters (or leaves) the reminder sweep."""
    uow.escalations.save(escalation, previous_version,
                         ladder.next_action_at(escalation, deps.settings.ladder))


@dataclass(frozen=True)
class Thread:
    """A case as it stands after a change: the case, its escalations, messages and events."""
    case: Case
    escalations: dict[str, Escalation]
    messages: list[Message]
    events: list[Event]

    @classmethod
    def of(cls, record: CaseRecord) -> Thread:
        return cls(record.case, dict(record.escalations), list(record.messages), list(record.events))


@dataclass(frozen=True)
class CaseChange:
    """A change worked out from one read of a case, its writes staged in the unit of work:
    the case as it will stand, and whether there is anything to write at all."""
    thread: Thread
    changed: bool = True


def _change_case(deps: Deps, ref: str, apply: Callable[[UnitOfWork, Thread], CaseChange]) -> CaseChange:
    """Read the case, authorize and work out the change (apply, which stages its writes),
    commit them together; on a lost race, all again from a fresh read."""
    def attempt() -> CaseChange:
        with deps.uow() as uow:
            change = apply(uow, Thread.of(uow.cases.get(ref)))
            uow.commit()
        return change

    return retry_on_conflict(attempt)


def _view(deps: Deps, principal: Principal, thread: Thread) -> CaseView:
    with deps.uow() as uow:
        groups = uow.directory.groups(thread.escalations) if thread.escalations else {}
        author_ids = {m.author_id for m in thread.messages} | {
            user_id for e in thread.escalations.values() for user_id in (e.read_by, e.acknowledged_by)
            if user_id}
        authors = uow.directory.users(author_ids) if author_ids else {}
        point = uow.directory.point(thread.case.point_id)
    return case_view(thread.case, list(thread.escalations.values()), thread.messages, groups,
                     authors, now=deps.now(), point=point,
                     audience=authz.case_audience(principal, thread.escalations.values()))


# How long an agent's "read up to here" mark of a case is kept: longer than a case lives.
SEEN_DAYS = 400


def get_case(deps: Deps, principal: Principal, ref: str) -> CaseView:
    """The case as the reader may see it; the read is audited (CASE_VIEWED). An agent who
    opens it has read its partners' messages: their lists stop counting them as new. A
    referent's first read for their group is also the read receipt the agent sees."""
    thread = _read_thread(deps, principal, ref)
    view = _view(deps, principal, thread)
    audit_access(deps, principal, EventCode.CASE_VIEWED, ref=view.ref)
    if principal.role is Role.AGENT and thread.case.partner_messages:
        expires = deps.now() + timedelta(days=SEEN_DAYS)
        deps.repo.mark_seen(principal.user_id, view.ref, thread.case.partner_messages,
                            int(expires.timestamp()))
    if principal.role is Role.REFERENT and any(e.read_at is None for e in view.escalations):
        view = _receipt(deps, principal, view.ref) or view
    return view


def _receipt(deps: Deps, principal: Principal, ref: str) -> CaseView | None:
    """Marks the reader's groups' escalations read, once each (ESCALATION_READ); a race lost to
    another change is retried from a fresh read, where the receipt may already be there."""
    def apply(uow: UnitOfWork, thread: Thread) -> CaseChange:
        now = deps.now()
        escalations = dict(thread.escalations)
        for group_id in sorted(authz.referent_groups_on_case(principal, thread.escalations.values())):
            previous = escalations[group_id]
            read = workflow.mark_read(previous, principal.user_id, now)
            if read is None:
                continue
            escalations[group_id] = read
            _save_escalation(deps, uow, read, previous.version)
            uow.events.record(event(EventCode.ESCALATION_READ, principal.user_id, now, ref, group_id))
        return CaseChange(Thread(thread.case, escalations, thread.messages, thread.events),
                          changed=escalations != thread.escalations)

    change = _change_case(deps, ref, apply)
    return _view(deps, principal, change.thread) if change.changed else None


def read_case(deps: Deps, principal: Principal, ref: str) -> CaseView:
    """The same, unaudited: for a caller that audits what it reads itself (a document)."""
    return _view(deps, principal, _read_thread(deps, principal, ref))


def _read_thread(deps: Deps, principal: Principal, ref: str) -> Thread:
    # Roles first: a role that may never read cases must not learn which references exist.
    authz.require_role(principal, Role.AGENT, Role.REFERENT)
    with deps.uow() as uow:
        thread = Thread.of(uow.cases.get(case_ref(ref)))
    authz.require_case_reader(principal, thread.case, thread.escalations.values())
    return thread


def list_cases(deps: Deps, principal: Principal, point_id: str | None, status: CaseStatus | None,
               limit: int, cursor: str | None, *, info_requested: bool | None = None) -> PageView[CaseSummary]:
    """A point's cases, newest first; info_requested: only those where a partner waits for
    the agent's information (True), or only the others (False). Each says how many partner
    messages arrived since this agent last opened it."""
    point_id = authz.agent_point(principal, point_id)
    page = deps.repo.list_point_cases(point_id, status, limit, cursor, info_requested)
    now = deps.now()
    if page.items:                  # a list of cases shows the usagers' names
        audit_access(deps, principal, EventCode.CASES_LISTED, point_id=point_id, count=str(len(page.items)))
    return PageView[CaseSummary](items=_with_unread(deps, principal, [CaseSummary.of(c, now) for c in page.items]),
                                 cursor=page.cursor)


def _with_unread(deps: Deps, principal: Principal, summaries: list[CaseSummary]) -> list[CaseSummary]:
    """One BatchGetItem of the marks of the cases shown that have partner messages."""
    with_messages = [s.ref for s in summaries if s.partner_messages]
    if not with_messages:
        return summaries
    seen = deps.repo.seen_counts(principal.user_id, with_messages)
    return [s.model_copy(update={"unread": max(0, s.partner_messages - seen.get(s.ref, 0))})
            for s in summaries]


@dataclass(frozen=True)
class Tally:
    """A tab's count; `more`: only the first `COUNT_LIMIT` cases were counted."""
    count: int
    more: bool = False


# A dashboard counts at most this many cases of each status: its reads stay bounded.
COUNT_LIMIT = 200


def point_tallies(deps: Deps, principal: Principal, point_id: str) -> dict[str, Tally]:
    """The dashboard's counts for one point, by tab: at the desk (open), waiting for a partner,
    information requested from the agent, late, answered, closed. Select=COUNT for the
    statuses; the escalated cases' index entries (at most COUNT_LIMIT) for the three tabs
    they split into."""
    point_id = authz.agent_point(principal, point_id)
    tallies = {status.value: Tally(*deps.repo.count_point_cases(point_id, status, COUNT_LIMIT))
               for status in (CaseStatus.OPEN, CaseStatus.ANSWERED, CaseStatus.CLOSED)}
    page = deps.repo.list_point_cases(point_id, CaseStatus.ESCALATED, COUNT_LIMIT, None)
    more = page.cursor is not None
    now = deps.now()
    escalated = [CaseSummary.of(c, now) for c in page.items]
    tallies["waiting"] = Tally(sum(not s.info_requested for s in escalated), more)
    tallies["info_requested"] = Tally(sum(s.info_requested for s in escalated), more)
    tallies["late"] = Tally(sum(s.lateness is Lateness.LATE for s in escalated), more)
    return tallies


def escalate(deps: Deps, principal: Principal, ref: str, command: EscalationCreate) -> CaseView:
    authz.require_role(principal, Role.AGENT)
    ref = case_ref(ref)

    def apply(uow: UnitOfWork, thread: Thread) -> CaseChange:
        authz.require_agent_of_case(principal, thread.case)
        groups = uow.directory.groups(command.group_ids)
        missing = [g for g in command.group_ids if g not in groups]
        if missing:
            raise InvalidInput("Cet organisme n'existe pas.", field="group_ids")
        now = deps.now()
        case, created = workflow.escalate(thread.case, thread.escalations,
                                          [groups[g] for g in command.group_ids], command, now)
        # Each escalation gets its own Reply-To secret; the email itself leaves via the outbox.
        created = [e.model_copy(update={"reply_token": new_token()}) for e in created]
        uow.cases.save(case, thread.case.version)
        for e in created:
            previous = thread.escalations.get(e.group_id)
            _save_escalation(deps, uow, e, previous.version if previous else None)
            uow.events.record(event(EventCode.CASE_ESCALATED, principal.user_id, now, ref, e.group_id,
                                    organisation_id=e.organisation_id))
            uow.escalations.issue_reply_token(e)
            uow.outbox.add(Notification(id=f"esc-{e.group_id}-v{e.version}", case_ref=ref,
                                        kind=NotificationKind.ESCALATION, group_id=e.group_id,
                                        created_at=now))
        return CaseChange(Thread(case, {**thread.escalations, **{e.group_id: e for e in created}},
                                 thread.messages, thread.events))

    thread = _change_case(deps, ref, apply).thread
    count("escalations_sent", len(command.group_ids))
    logger.info("case escalated", extra={"case_ref": ref})
    return _view(deps, principal, thread)


@dataclass(frozen=True)
class Posting:
    """How a message comes in: by which channel; under an id chosen by the caller (an inbound
    email's, an upload's), which makes the call idempotent; with its files; and with what else
    to stage in the same unit of work (the caller's own mark or record)."""
    channel: Channel = Channel.WEB
    message_id: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    also: Callable[[UnitOfWork], None] | None = None
    review: bool = False              # an email whose extraction declined to cut (Message.review)
    source_key: str | None = None     # the raw email it came from (Message.source_key)

    def stage_also(self, uow: UnitOfWork) -> None:
        if self.also is not None:
            self.also(uow)


ON_THE_PAGE = Posting()


def _already_posted(thread: Thread, posting: Posting) -> CaseChange | None:
    """The same message again (an email delivered twice, a reloaded upload): nothing to write."""
    if posting.message_id and any(m.id == posting.message_id for m in thread.messages):
        return CaseChange(thread, changed=False)
    return None


def _message(principal: Principal, ref: str, group_id: str | None, command: MessageCreate,
             posting: Posting, now: datetime) -> Message:
    return Message(id=posting.message_id or new_id(), case_ref=ref, group_id=group_id,
                   author_id=principal.user_id, author_role=principal.role,
                   channel=posting.channel, kind=command.kind, body=command.body,
                   attachments=list(posting.attachments), created_at=now,
                   review=posting.review, source_key=posting.source_key)


def post_agent_message(deps: Deps, principal: Principal, ref: str, command: MessageCreate,
                       posting: Posting = ON_THE_PAGE) -> CaseView:
    """The agent's note on the case, or message to one partner's referents (emailed to them)."""
    authz.require_role(principal, Role.AGENT)
    ref = case_ref(ref)

    def apply(uow: UnitOfWork, thread: Thread) -> CaseChange:
        if unchanged := _already_posted(thread, posting):
            return unchanged
        now = deps.now()
        case, group_id = thread.case, command.group_id
        escalations = dict(thread.escalations)
        authz.require_agent_of_case(principal, case)
        if group_id and group_id not in escalations:
            raise InvalidInput("Ce dossier n'a pas été transmis à cet organisme.", field="group_id")
        previous = escalations.get(group_id) if group_id else None
        resumed = workflow.agent_message(case, previous, command.kind, thread.escalations.values(), now)
        message = _message(principal, ref, group_id, command, posting, now)
        uow.messages.add(message)
        if resumed is not None:
            assert group_id is not None and previous is not None    # only an exchange resumes
            case, escalations[group_id] = resumed
            uow.cases.save(case, thread.case.version)
            _save_escalation(deps, uow, escalations[group_id], previous.version)
        else:
            uow.cases.require_open(ref)
        uow.events.record(event(EventCode.MESSAGE_POSTED, principal.user_id, now, ref, group_id,
                                channel=posting.channel.value))
        if group_id:
            # The referents live in their mailbox: what the agent writes to them is emailed.
            uow.outbox.add(Notification(
                id=f"agent-{message.id}", case_ref=ref, kind=NotificationKind.AGENT_MESSAGE,
                group_id=group_id, message_id=message.id, created_at=now))
        posting.stage_also(uow)
        return CaseChange(Thread(case, escalations, [*thread.messages, message], thread.events))

    correlate(ref, command.group_id)
    thread = _change_case(deps, ref, apply).thread
    logger.info("message posted", extra={"case_ref": ref})
    return _view(deps, principal, thread)


def post_referent_reply(deps: Deps, principal: Principal, ref: str, command: MessageCreate,
                        posting: Posting = ON_THE_PAGE) -> CaseView:
    """A referent's answer, request for information or hand-back, from the page or by email."""
    authz.require_role(principal, Role.REFERENT)
    ref = case_ref(ref)

    def apply(uow: UnitOfWork, thread: Thread) -> CaseChange:
        if unchanged := _already_posted(thread, posting):
            return unchanged
        now = deps.now()
        authz.require_case_reader(principal, thread.case, thread.escalations.values())
        # Only through a group of theirs still on the case: a group that handed the case
        # back ("pas le bon interlocuteur") can no longer act on it.
        group_id = authz.referent_acting_group(principal, thread.escalations.values(), command.group_id)
        previous = thread.escalations[group_id]
        case, updated = workflow.referent_reply(thread.case, previous, command.kind,
                                                thread.escalations.values(), now)
        message = _message(principal, ref, group_id, command, posting, now)
        uow.messages.add(message)
        uow.cases.save(case, thread.case.version)
        _save_escalation(deps, uow, updated, previous.version)
        uow.events.record(event(EventCode.escalation(updated.status), principal.user_id, now, ref,
                                group_id, channel=posting.channel.value))
        uow.outbox.add(Notification(
            id=f"reply-{message.id}", case_ref=ref, kind=NotificationKind.REFERENT_REPLIED,
            group_id=group_id, message_id=message.id, created_at=now))
        if usager_sms := _usager_sms(thread.case, case, command.kind, message, now):
            uow.outbox.add(usager_sms)
        posting.stage_also(uow)
        return CaseChange(Thread(case, {**thread.escalations, group_id: updated},
                                 [*thread.messages, message], thread.events))

    correlate(ref, command.group_id)
    change = _change_case(deps, ref, apply)
    if change.changed and command.kind is MessageKind.ANSWER:
        count("answers_by_email" if posting.channel is Channel.EMAIL else "answers_by_page")
    logger.info("message posted", extra={"case_ref": ref})
    return _view(deps, principal, change.thread)


def acknowledge(deps: Deps, principal: Principal, ref: str, group_id: str | None) -> CaseView:
    """« Je m'en occupe »: a referent takes the request in hand for their group; the agent sees
    it on the case and the dashboard. The deadline does not move. Twice is once."""
    authz.require_role(principal, Role.REFERENT)
    ref = case_ref(ref)

    def apply(uow: UnitOfWork, thread: Thread) -> CaseChange:
        acting = authz.referent_acting_group(principal, thread.escalations.values(), group_id)
        previous = thread.escalations[acting]
        now = deps.now()
        changed = workflow.acknowledge(thread.case, previous, thread.escalations.values(),
                                       principal.user_id, now)
        if changed is None:
            return CaseChange(thread, changed=False)
        case, updated = changed
        uow.cases.save(case, thread.case.version)
        _save_escalation(deps, uow, updated, previous.version)
        uow.events.record(event(EventCode.ESCALATION_ACKNOWLEDGED, principal.user_id, now, ref, acting))
        return CaseChange(Thread(case, {**thread.escalations, acting: updated}, thread.messages,
                                 thread.events))

    correlate(ref, group_id)
    thread = _change_case(deps, ref, apply).thread
    logger.info("escalation acknowledged", extra={"case_ref": ref})
    return _view(deps, principal, thread)


def forward(deps: Deps, principal: Principal, ref: str, group_id: str | None, to_group_id: str) -> str:
    """A referent passes the request to another group of their organisation: the escalation
    moves there with its deadline, that group is emailed as for a new escalation, and the
    forwarding group no longer sees the case. Returns the name of the group it went to."""
    authz.require_role(principal, Role.REFERENT)
    ref = case_ref(ref)
    target_name: list[str] = []

    def apply(uow: UnitOfWork, thread: Thread) -> CaseChange:
        acting = authz.referent_acting_group(principal, thread.escalations.values(), group_id)
        previous = thread.escalations[acting]
        target = uow.directory.groups([to_group_id]).get(to_group_id)
        if target is None:
            raise InvalidInput("Ce groupe n'existe pas.", field="to_group_id")
        target_name[:] = [target.name]
        now = deps.now()
        earlier = thread.escalations.get(target.id)
        case, handed_back, moved = workflow.forward(thread.case, previous, target, earlier,
                                                    thread.escalations.values(), now)
        moved = moved.model_copy(update={"reply_token": new_token()})
        uow.cases.save(case, thread.case.version)
        _save_escalation(deps, uow, handed_back, previous.version)
        _save_escalation(deps, uow, moved, earlier.version if earlier else None)
        uow.events.record(event(EventCode.ESCALATION_FORWARDED, principal.user_id, now, ref, acting,
                                to_group_id=target.id))
        uow.escalations.issue_reply_token(moved)
        uow.outbox.add(Notification(id=f"esc-{moved.group_id}-v{moved.version}", case_ref=ref,
                                    kind=NotificationKind.ESCALATION, group_id=moved.group_id,
                                    created_at=now))
        return CaseChange(Thread(case, {**thread.escalations, acting: handed_back, target.id: moved},
                                 thread.messages, thread.events))

    correlate(ref, group_id)
    _change_case(deps, ref, apply)
    count("escalations_forwarded")
    logger.info("escalation forwarded", extra={"case_ref": ref})
    return target_name[0]


def _usager_sms(before: Case, after: Case, kind: MessageKind, message: Message,
                now: datetime) -> Notification | None:
    """The usager hears of a reply by SMS: once the case is answered, or when information is asked."""
    template = ("answered" if after.status is CaseStatus.ANSWERED and before.status is not CaseStatus.ANSWERED
                else "needs_info" if kind is MessageKind.NEEDS_INFO else None)
    if template and after.usager and after.usager.sms_opt_in:
        return sms.notification(after.ref, f"sms-{template}-{message.id}", template, now)
    return None


def close_case(deps: Deps, principal: Principal, ref: str, command: CaseClose) -> CaseView:
    authz.require_role(principal, Role.AGENT)
    ref = case_ref(ref)

    def apply(uow: UnitOfWork, thread: Thread) -> CaseChange:
        authz.require_agent_of_case(principal, thread.case)
        now = deps.now()
        case, closed = workflow.close(thread.case, thread.escalations.values(), command, now)
        uow.cases.save(case, thread.case.version)
        for e in closed:
            _save_escalation(deps, uow, e, thread.escalations[e.group_id].version)
        uow.events.record(event(EventCode.CASE_CLOSED, principal.user_id, now, ref,
                                outcome=command.outcome.value, useful=str(command.useful).lower()))
        uow.cases.schedule_purge(case)
        if case.usager and case.usager.sms_opt_in:
            uow.outbox.add(sms.notification(ref, f"sms-closed-v{case.version}", "closed", now))
        return CaseChange(Thread(case, {**thread.escalations, **{e.group_id: e for e in closed}},
                                 thread.messages, thread.events))

    thread = _change_case(deps, ref, apply).thread
    logger.info("case closed", extra={"case_ref": ref})
    return _view(deps, principal, thread)


def reopen_case(deps: Deps, principal: Principal, ref: str) -> CaseView:
    authz.require_role(principal, Role.AGENT)
    ref = case_ref(ref)

    def apply(uow: UnitOfWork, thread: Thread) -> CaseChange:
        authz.require_agent_of_case(principal, thread.case)
        now = deps.now()
        case = workflow.reopen(thread.case, now)
        uow.cases.save(case, thread.case.version)
        uow.events.record(event(EventCode.CASE_REOPENED, principal.user_id, now, ref))
        return CaseChange(Thread(case, thread.escalations, thread.messages, thread.events))

    thread = _change_case(deps, ref, apply).thread
    logger.info("case reopened", extra={"case_ref": ref})
    return _view(deps, principal, thread)


def referent_queue(deps: Deps, principal: Principal, group_id: str | None,
                   status: EscalationStatus | None, limit: int,
                   cursor: str | None, *, latest_first: bool = False) -> PageView[EscalationView]:
    authz.require_role(principal, Role.REFERENT)
    if group_id is None:
        if len(principal.group_ids) != 1:
            raise InvalidInput("Précisez l'organisme.", field="group_id")
        group_id = next(iter(principal.group_ids))
    authz.require_referent_of_group(principal, group_id)
    page = deps.repo.list_group_escalations(group_id, status, limit, cursor, descending=latest_first)
    group = deps.repo.get_group(group_id)
    name = group.name if group else group_id
    now = deps.now()
    return PageView[EscalationView](items=[EscalationView.of(e, name, now) for e in page.items],
                                    cursor=page.cursor)


SEARCH_LIMIT = 25


def search_cases(deps: Deps, principal: Principal, text: str) -> list[CaseSummary]:
    """An agent looks for a case of their points by reference ("61 k7m 4qx", or "k7m 4qx"
    without the département) or by the usager's name, in either order and without accents
    ("martin jea", "jeanne martin", "lefevre" for "Dupré-Lefèvre")."""
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
    # Six letters may be a reference read without its département, or a name ("Hermès"): both.
    by_reference = _cases_of_points(deps, principal, _references_of_points(deps, principal, text))
    prefix = query_prefix(text)
    if prefix is None:
        raise InvalidInput("Tapez au moins deux lettres du nom de l'usager, ou la référence du dossier.",
                           field="q")
    refs: list[str] = []
    for point_id in sorted(principal.point_ids):
        refs += deps.repo.search_point_cases(point_id, prefix, SEARCH_LIMIT)
    known = {c.ref for c in by_reference}
    by_name = [c for c in _cases_of_points(deps, principal, refs) if c.ref not in known]
    by_name.sort(key=lambda c: c.created_at, reverse=True)
    found = by_reference + by_name
    logger.info("cases searched", extra={"results": len(found)})
    if found:
        audit_access(deps, principal, EventCode.CASES_SEARCHED, count=str(min(len(found), SEARCH_LIMIT)))
    return [CaseSummary.of(c, now) for c in found[:SEARCH_LIMIT]]


def _references_of_points(deps: Deps, principal: Principal, text: str) -> list[str]:
    """The references the text names when read without a département: one per département of
    the agent's points (their cases' references carry it), or none."""
    body = reference_body(text)
    if body is None:
        return []
    points = (deps.repo.get_point(point_id) for point_id in sorted(principal.point_ids))
    return sorted({f"{point.territory_code}-{body}" for point in points if point is not None})


def _cases_of_points(deps: Deps, principal: Principal, refs: list[str]) -> list[Case]:
    """The cases of these references that belong to the agent's points (others: as if absent)."""
    return [c for c in deps.repo.get_cases(refs) if c.point_id in principal.point_ids] if refs else []
