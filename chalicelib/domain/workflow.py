"""State transitions of a case and its escalations. Pure: in with state, out with new state."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from . import deadlines
from .commands import CaseClose, CaseCreate, EscalationCreate
from .errors import Conflict, InvalidInput
from .models import Case, CaseStatus, Escalation, EscalationStatus, MessageKind, ReferentGroup

ACTIVE_ESCALATION = {EscalationStatus.SENT, EscalationStatus.NEEDS_INFO, EscalationStatus.ANSWERED}
WAITING_FOR_PARTNER = {EscalationStatus.SENT, EscalationStatus.NEEDS_INFO}
REFERENT_KINDS = {
    MessageKind.ANSWER: EscalationStatus.ANSWERED,
    MessageKind.NEEDS_INFO: EscalationStatus.NEEDS_INFO,
    MessageKind.WRONG_RECIPIENT: EscalationStatus.WRONG_RECIPIENT,
}
CLOSED_CASE = "Ce dossier est clos. Rouvrez-le pour continuer."
CLOSED_EXCHANGE = "L'échange avec cet organisme est clos. Saisissez-le à nouveau si besoin."


def open_case(command: CaseCreate, *, ref: str, territory_code: str, agent_id: str,
              now: datetime) -> Case:
    return Case(ref=ref, point_id=command.point_id, territory_code=territory_code,
                created_by=agent_id, usager=command.usager, situation=command.situation,
                description=command.description, consent_attested=command.consent_attested,
                created_at=now, updated_at=now)


def derive_case_status(case: Case, escalations: Iterable[Escalation]) -> CaseStatus:
    """A case is answered once a partner answered, escalated while one is still due."""
    if case.status is CaseStatus.CLOSED:
        return CaseStatus.CLOSED
    statuses = {escalation.status for escalation in escalations}
    if EscalationStatus.ANSWERED in statuses:
        return CaseStatus.ANSWERED
    if statuses & WAITING_FOR_PARTNER:
        return CaseStatus.ESCALATED
    return CaseStatus.OPEN


def _derived(case: Case, escalations: Iterable[Escalation]) -> Case:
    """The case's status and nearest deadline, from its escalations."""
    escalations = list(escalations)
    waiting = [e.due_at for e in escalations
               if e.status is EscalationStatus.SENT and e.paused_at is None]
    asking = sorted(e.group_id for e in escalations if e.status is EscalationStatus.NEEDS_INFO)
    return case.model_copy(update={"status": derive_case_status(case, escalations),
                                   "next_due_at": min(waiting) if waiting else None,
                                   "info_requested_by": asking,
                                   "taken_in_hand": any(e.acknowledged_at is not None for e in escalations
                                                        if e.status in WAITING_FOR_PARTNER)})


def _touched(case: Case, now: datetime, **changes) -> Case:
    return case.model_copy(update={**changes, "updated_at": now, "version": case.version + 1})


def _require_open(case: Case) -> None:
    if case.status is CaseStatus.CLOSED:
        raise Conflict(CLOSED_CASE)


def escalate(case: Case, existing: dict[str, Escalation], groups: list[ReferentGroup],
             command: EscalationCreate, now: datetime) -> tuple[Case, list[Escalation]]:
    _require_open(case)
    created = []
    for group in groups:
        if group.territory_code != case.territory_code:
            raise InvalidInput("Cet organisme n'intervient pas sur le territoire du dossier.",
                               field="group_ids")
        previous = existing.get(group.id)
        if previous is not None and previous.status in ACTIVE_ESCALATION:
            raise Conflict(f"{group.name} a déjà été saisi pour ce dossier.", field="group_ids")
        created.append(Escalation(
            case_ref=case.ref, group_id=group.id, organisation_id=group.organisation_id,
            territory_code=case.territory_code, point_id=case.point_id,
            question=command.question, identifiers=command.identifiers,
            due_at=deadlines.due_at(now, group.answer_days, case.territory_code),
            created_at=now, updated_at=now,
            version=previous.version + 1 if previous else 1))
    all_escalations = {**existing, **{e.group_id: e for e in created}}
    updated = _touched(case, now, identifiers=case.identifiers.merged_with(command.identifiers))
    updated = _derived(updated, all_escalations.values())
    return updated, created


def referent_reply(case: Case, escalation: Escalation, kind: MessageKind,
                   others: Iterable[Escalation], now: datetime) -> tuple[Case, Escalation]:
    """A referent answers, asks for information, or says they are not the right recipient."""
    _require_open(case)
    if kind not in REFERENT_KINDS:
        raise InvalidInput("Choisissez : réponse, demande d'informations ou « pas le bon "
                           "interlocuteur ».", field="kind")
    if escalation.status in (EscalationStatus.CLOSED, EscalationStatus.WRONG_RECIPIENT):
        # Handed back: only a new escalation by the agent opens the exchange again.
        raise Conflict(CLOSED_EXCHANGE)
    status = REFERENT_KINDS[kind]
    updated_escalation = escalation.model_copy(update={
        "status": status, "updated_at": now, "version": escalation.version + 1,
        "answered_at": escalation.answered_at or (now if status is EscalationStatus.ANSWERED else None),
        "info_received_at": None,
    })
    if status is EscalationStatus.NEEDS_INFO:
        updated_escalation = pause(updated_escalation, now)
    else:
        updated_escalation = resume(updated_escalation, now, territory_code=case.territory_code,
                                    extend=False)
    siblings = [e for e in others if e.group_id != escalation.group_id] + [updated_escalation]
    updated_case = _touched(case, now, partner_messages=case.partner_messages + 1)
    return (_derived(updated_case, siblings),
            updated_escalation)


NOT_WAITING = "Cette demande n'attend plus de réponse de votre organisme."


def mark_read(escalation: Escalation, reader_id: str, now: datetime) -> Escalation | None:
    """The read receipt: the first time a referent of the group opens the case, once."""
    if escalation.read_at is not None:
        return None
    return escalation.model_copy(update={"read_at": now, "read_by": reader_id,
                                         "version": escalation.version + 1})


def acknowledge(case: Case, escalation: Escalation, others: Iterable[Escalation], referent_id: str,
                now: datetime) -> tuple[Case, Escalation] | None:
    """« Je m'en occupe »: the agent sees that a referent took the request in hand. The clock
    runs on. None when it is already taken in hand (nothing to write)."""
    _require_open(case)
    if escalation.status not in WAITING_FOR_PARTNER:
        raise Conflict(NOT_WAITING)
    if escalation.acknowledged_at is not None:
        return None
    updated = escalation.model_copy(update={"acknowledged_at": now, "acknowledged_by": referent_id,
                                            "updated_at": now, "version": escalation.version + 1})
    siblings = [e for e in others if e.group_id != escalation.group_id] + [updated]
    return _derived(_touched(case, now), siblings), updated


def forward(case: Case, escalation: Escalation, target: ReferentGroup, previous: Escalation | None,
            others: Iterable[Escalation], now: datetime) -> tuple[Case, Escalation, Escalation]:
    """A referent passes the request to another group of their organisation: the escalation
    moves there with its question, identifiers and deadline (a paused clock gets its stopped
    days back, as when the agent answers); the forwarding group no longer sees the case."""
    _require_open(case)
    if escalation.status not in WAITING_FOR_PARTNER:
        raise Conflict(NOT_WAITING)
    if target.id == escalation.group_id:
        raise InvalidInput("Choisissez un autre groupe que le vôtre.", field="to_group_id")
    if target.organisation_id != escalation.organisation_id or target.territory_code != case.territory_code:
        raise InvalidInput("Vous ne pouvez transmettre qu'à un autre groupe de votre organisme, "
                           "sur le territoire du dossier.", field="to_group_id")
    if previous is not None and previous.status in ACTIVE_ESCALATION:
        raise Conflict(f"{target.name} a déjà été saisi pour ce dossier.", field="to_group_id")
    running = resume(escalation, now, territory_code=case.territory_code, extend=True)
    handed_back = running.model_copy(update={
        "status": EscalationStatus.WRONG_RECIPIENT, "forwarded_to": target.id,
        "updated_at": now, "version": escalation.version + 1})
    moved = Escalation(
        case_ref=case.ref, group_id=target.id, organisation_id=target.organisation_id,
        territory_code=case.territory_code, point_id=case.point_id, question=escalation.question,
        identifiers=escalation.identifiers, due_at=running.due_at, created_at=escalation.created_at,
        updated_at=now, paused_seconds=running.paused_seconds, forwarded_from=escalation.group_id,
        version=previous.version + 1 if previous else 1)
    siblings = [e for e in others if e.group_id not in (escalation.group_id, target.id)]
    return _derived(_touched(case, now), [*siblings, handed_back, moved]), handed_back, moved


def pause(escalation: Escalation, now: datetime) -> Escalation:
    """The referent waits for information from the usager: the clock stops."""
    if escalation.paused_at is not None:
        return escalation
    return escalation.model_copy(update={"paused_at": now})


def resume(escalation: Escalation, now: datetime, *, territory_code: str, extend: bool) -> Escalation:
    """The clock runs again. With extend, the deadline moves by the business days it was
    stopped for (the referent gets back the time spent waiting); the paused time is recorded."""
    if escalation.paused_at is None:
        return escalation
    update: dict[str, object] = {"paused_at": None, "paused_seconds": escalation.paused_seconds
              + max(0, int((now - escalation.paused_at).total_seconds()))}
    if extend:
        stopped = deadlines.business_days_between(
            escalation.paused_at.astimezone(deadlines.PARIS).date(),
            now.astimezone(deadlines.PARIS).date(), territory_code)
        if stopped:
            due_day = deadlines.add_business_days(deadlines.due_date(escalation.due_at), stopped,
                                                  territory_code)
            update["due_at"] = deadlines.end_of(due_day)
    return escalation.model_copy(update=update)


def agent_message(case: Case, escalation: Escalation | None, kind: MessageKind,
                  escalations: Iterable[Escalation], now: datetime) -> tuple[Case, Escalation] | None:
    """An agent writes a note, or to a referent; supplying asked-for information resumes the
    escalation, which is the only case where the case and escalation change."""
    _require_open(case)
    if kind is not MessageKind.NOTE:
        raise InvalidInput("Un agent écrit un message, pas une réponse de partenaire.", field="kind")
    if escalation is None:
        return None
    if escalation.status is EscalationStatus.CLOSED:
        raise Conflict(CLOSED_EXCHANGE, field="group_id")
    if escalation.status is not EscalationStatus.NEEDS_INFO:
        return None
    resumed = resume(escalation.model_copy(update={
        "status": EscalationStatus.SENT, "updated_at": now, "version": escalation.version + 1,
        "info_received_at": now}),
        now, territory_code=case.territory_code, extend=True)
    siblings = [e for e in escalations if e.group_id != escalation.group_id] + [resumed]
    updated = _touched(case, now)
    return _derived(updated, siblings), resumed


def close(case: Case, escalations: Iterable[Escalation], command: CaseClose,
          now: datetime) -> tuple[Case, list[Escalation]]:
    _require_open(case)
    closed = _touched(case, now, status=CaseStatus.CLOSED, outcome=command.outcome,
                      useful=command.useful, closed_at=now, next_due_at=None,
                      info_requested_by=[])
    closed_escalations = [
        e.model_copy(update={"status": EscalationStatus.CLOSED, "updated_at": now,
                             "version": e.version + 1})
        for e in escalations if e.status is not EscalationStatus.CLOSED]
    return closed, closed_escalations


def reopen(case: Case, now: datetime) -> Case:
    if case.status is not CaseStatus.CLOSED:
        raise Conflict("Ce dossier n'est pas clos.")
    return _touched(case, now, status=CaseStatus.OPEN, outcome=None, useful=None, closed_at=None)
