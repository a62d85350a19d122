"""Who may do what: small pure checks, composed per action by the services.

A resource outside one's scope is reported as not found, so that nobody can probe for
the existence of a case; an action one's role never allows is reported as not allowed.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .errors import InvalidInput, NotAllowed, NotFound
from .models import Case, Escalation, EscalationStatus, Role, User
from .visibility import Audience


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: Role
    point_ids: frozenset[str] = field(default_factory=frozenset)
    group_ids: frozenset[str] = field(default_factory=frozenset)
    territory_codes: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, user: User) -> Principal:
        return cls(user.id, user.role, frozenset(user.point_ids), frozenset(user.group_ids),
                   frozenset(user.territory_codes))


CASE_NOT_FOUND = "Ce dossier est introuvable."


def require_role(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        raise NotAllowed("Votre rôle ne permet pas cette action.")


def require_agent_of_point(principal: Principal, point_id: str) -> None:
    require_role(principal, Role.AGENT)
    if point_id not in principal.point_ids:
        raise NotAllowed("Vous n'êtes pas rattaché à ce point de contact.", field="point_id")


def agent_point(principal: Principal, point_id: str | None) -> str:
    """The agent's point an action is about: the one named, which must be theirs, or their only one."""
    require_role(principal, Role.AGENT)
    if point_id is None:
        if len(principal.point_ids) != 1:
            raise InvalidInput("Précisez le point de contact.", field="point_id")
        point_id = next(iter(principal.point_ids))
    require_agent_of_point(principal, point_id)
    return point_id


def require_agent_of_case(principal: Principal, case: Case) -> None:
    """Agents act on the cases of their own points."""
    require_role(principal, Role.AGENT)
    if case.point_id not in principal.point_ids:
        raise NotFound(CASE_NOT_FOUND)


def referent_groups_on_case(principal: Principal, escalations: Iterable[Escalation]) -> set[str]:
    """The principal's groups through which they may see the case: a group that answered
    "pas le bon interlocuteur" has no business reading it any more."""
    return {e.group_id for e in escalations
            if e.group_id in principal.group_ids and e.status is not EscalationStatus.WRONG_RECIPIENT}


def case_audience(principal: Principal, escalations: Iterable[Escalation]) -> Audience:
    """Whom a case read is shown to (domain/visibility.py): a referent through their groups on it,
    an agent of its point the whole case."""
    if principal.role is Role.REFERENT:
        return Audience.referent(referent_groups_on_case(principal, escalations))
    return Audience.agent()


def require_case_reader(principal: Principal, case: Case, escalations: Iterable[Escalation]) -> None:
    """Agents of the case's point, or referents of a group the case was escalated to."""
    require_role(principal, Role.AGENT, Role.REFERENT)
    if principal.role is Role.AGENT and case.point_id in principal.point_ids:
        return
    if principal.role is Role.REFERENT and referent_groups_on_case(principal, escalations):
        return
    raise NotFound(CASE_NOT_FOUND)


def referent_acting_group(principal: Principal, escalations: Iterable[Escalation],
                          group_id: str | None) -> str:
    """The group a referent acts for on a case (answers, asks for information, hands back):
    one of theirs the case was escalated to and that has not handed it back. Asked for
    another, it is as if the case did not exist, whatever the path (API, page, email)."""
    require_role(principal, Role.REFERENT)
    mine = referent_groups_on_case(principal, escalations)
    if group_id is None:
        if not mine:
            raise NotFound(CASE_NOT_FOUND)
        if len(mine) != 1:
            raise InvalidInput("Précisez pour quel organisme vous répondez.", field="group_id")
        return next(iter(mine))
    if group_id not in mine:
        raise NotFound(CASE_NOT_FOUND)
    return group_id


def require_referent_of_group(principal: Principal, group_id: str) -> None:
    require_role(principal, Role.REFERENT)
    if group_id not in principal.group_ids:
        raise NotFound(CASE_NOT_FOUND)


def require_territory_reader(principal: Principal, territory_code: str) -> None:
    """Coordinators read their territories' metadata and statistics; admins read all."""
    require_role(principal, Role.COORDINATOR, Role.ADMIN)
    if principal.role is Role.COORDINATOR and territory_code not in principal.territory_codes:
        raise NotAllowed("Ce territoire n'est pas le vôtre.", field="territory")


FEEDBACK_NOT_FOUND = "Cette remontée est introuvable."


def require_feedback_reader(principal: Principal, territory_code: str) -> None:
    """The territory's coordinators, and admins, read its agents' feedback; to a coordinator
    of another territory it does not exist."""
    require_role(principal, Role.COORDINATOR, Role.ADMIN)
    if principal.role is Role.COORDINATOR and territory_code not in principal.territory_codes:
        raise NotFound(FEEDBACK_NOT_FOUND)


def require_feedback_triager(principal: Principal, territory_code: str) -> None:
    """Only the territory's coordinators triage its feedback (admins read it)."""
    require_role(principal, Role.COORDINATOR)
    if territory_code not in principal.territory_codes:
        raise NotFound(FEEDBACK_NOT_FOUND)


POSTERS_NOT_FOUND = "Ce territoire est introuvable."


def require_poster_printer(principal: Principal, territory_code: str) -> None:
    """The territory's coordinators, and admins, print all its points' posters at once (each
    poster alone is public); to a coordinator of another territory the page does not exist."""
    require_role(principal, Role.COORDINATOR, Role.ADMIN)
    if principal.role is Role.COORDINATOR and territory_code not in principal.territory_codes:
        raise NotFound(POSTERS_NOT_FOUND, field="territory")


def require_admin(principal: Principal) -> None:
    require_role(principal, Role.ADMIN)


# --- Services Publics+ experiences -------------------------------------------------------

EXPERIENCE_NOT_FOUND = "Cette expérience est introuvable."


def require_moderator(principal: Principal, territory_code: str) -> None:
    """The territory's coordination moderates its experiences and their answers: its
    coordinators and its moderators."""
    require_role(principal, Role.COORDINATOR, Role.MODERATOR)
    if territory_code not in principal.territory_codes:
        raise NotAllowed("Ce territoire n'est pas le vôtre.", field="territory")


def require_responder(principal: Principal, team_id: str | None, territory_code: str) -> None:
    """A team's members answer its experiences; an experience without a team is answered by
    its territory's coordination."""
    if team_id is None:
        require_moderator(principal, territory_code)
        return
    require_role(principal, Role.RESPONDER)
    if team_id not in principal.group_ids:
        raise NotFound(EXPERIENCE_NOT_FOUND)
