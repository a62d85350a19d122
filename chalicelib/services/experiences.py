"""Services Publics+ experiences: posted by anyone (public page, desk, SMS, phone), scrubbed of
personal data, moderated by the territory's coordination, routed to the organisation's
responder team, answered, the answer moderated, both published.

Nothing unmoderated is ever public, and the contact details a usager leaves for a private
reply are in no published view. Audit events carry ids and codes only.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger

from ..bootstrap import Deps
from ..domain import authz
from ..domain import experiences as rules
from ..domain.authz import Principal
from ..domain.commands import ExperienceModeration, ExperiencePost
from ..domain.errors import InvalidInput, NotFound, TooManyRequests
from ..domain.events import Actor, EventCode
from ..domain.models import (
    Case,
    Experience,
    ExperienceChannel,
    ModerationStatus,
    Notification,
    NotificationKind,
    Organisation,
    ResponderTeam,
    Role,
    Sentiment,
)
from ..domain.scrub import folded
from .common import event, new_id, new_token, retry_on_conflict

logger = Logger(service="relais", child=True)
TOO_MANY_POSTS = ("Vous avez déjà publié plusieurs expériences depuis cette connexion : "
                  "réessayez dans une heure.")
MIN_SMS_TEXT = 3
EXPERIENCE_ANSWER_MAX = 3000       # an answer by email is cut there (the page's limit)


@dataclass(frozen=True)
class Filters:
    """What a visitor filters the published experiences by (all optional)."""

    territory_code: str | None = None
    organisation_id: str | None = None
    procedure: str | None = None
    situation: str | None = None
    sentiment: str | None = None

    def row_filters(self) -> dict[str, str]:
        return {"situation": self.situation or "", "sentiment": self.sentiment or "",
                "procedure_key": folded(self.procedure) if self.procedure else ""}


def organisations(deps: Deps) -> list[Organisation]:
    return sorted(deps.repo.list_organisations(), key=lambda o: o.name.casefold())


def teams(deps: Deps, team_ids: Iterable[str]) -> dict[str, ResponderTeam]:
    """These responder teams by id (one BatchGetItem); an unknown id is left out."""
    wanted = sorted(set(team_ids))
    return deps.repo.get_teams(wanted) if wanted else {}


def _check_organisation(deps: Deps, organisation_id: str | None) -> None:
    if organisation_id is not None and organisation_id not in {o.id for o in deps.repo.list_organisations()}:
        raise InvalidInput("Choisissez un organisme de la liste.", field="organisation_id")


def _store(deps: Deps, experience: Experience, actor: str) -> Experience:
    deps.repo.create_experience(experience, event(
        EventCode.EXPERIENCE_POSTED, actor, experience.created_at, experience_id=experience.id,
        territory=experience.territory_code, channel=experience.channel.value))
    logger.info("experience posted", extra={"experience_id": experience.id,
                                            "channel": experience.channel.value,
                                            "removed": ",".join(experience.removed)})
    return experience


def rate_subject(client_address: str) -> str:
    """The address a post comes from, hashed: the counter's key never holds an IP address."""
    return hashlib.sha256(f"experience-post|{client_address}".encode()).hexdigest()[:32]


def _count_post(deps: Deps, client_address: str, now: datetime) -> None:
    window = now.strftime("%Y-%m-%dT%H")
    count = deps.repo.count_post(rate_subject(client_address), window, now + timedelta(hours=2))
    if count > deps.settings.experience_posts_per_hour:
        logger.warning("experience posts over the hourly limit", extra={"count": count})
        raise TooManyRequests(TOO_MANY_POSTS)


def post_public(deps: Deps, command: ExperiencePost, *, client_address: str) -> Experience:
    """Anyone, without an account: limited per address and hour."""
    if command.point_id is not None:
        raise InvalidInput("Ce champ est réservé aux agents.", field="point_id")
    _check_organisation(deps, command.organisation_id)
    now = deps.now()
    _count_post(deps, client_address, now)
    experience = rules.post(command, experience_id=rules.new_id(now, new_id()),
                            channel=ExperienceChannel.WEB, now=now)
    return _store(deps, experience, Actor.PUBLIC)


def post_at_desk(deps: Deps, principal: Principal, command: ExperiencePost) -> Experience:
    """An agent posts for a usager at the desk: marked as such, with the agent's point."""
    point_id = authz.agent_point(principal, command.point_id)
    point = deps.repo.get_point(point_id)
    if point is None:
        raise InvalidInput("Ce point de contact n'existe pas.", field="point_id")
    _check_organisation(deps, command.organisation_id)
    now = deps.now()
    command = command.model_copy(update={"point_id": point.id})
    experience = rules.post(command, experience_id=rules.new_id(now, new_id()),
                            channel=ExperienceChannel.DESK, now=now, author_id=principal.user_id)
    return _store(deps, experience, principal.user_id)


def _case_organisation(deps: Deps, case: Case) -> str | None:
    """The organisation of the case's first escalation (the one the usager came about)."""
    escalations = deps.repo.get_bundle(case.ref).escalations.values()
    first = min(escalations, key=lambda e: e.created_at, default=None) if escalations else None
    return first.organisation_id if first else None


def file_from_case(deps: Deps, case: Case, text: str, channel: ExperienceChannel, *,
                   sentiment: Sentiment | None = None, author_id: str | None = None) -> Experience:
    """A usager's opinion about a case (SMS, phone): the case's territory, point, organisation
    and situation, the text scrubbed (the usager's own name too), and nothing else of the case:
    no reference, no contact."""
    text = " ".join(text.split())
    if len(text) < MIN_SMS_TEXT:
        raise InvalidInput("Ce message est trop court pour être un avis.", field="text")
    now = deps.now()
    names = (case.usager.first_name, case.usager.last_name) if case.usager else ()
    if sentiment is None and case.satisfaction is not None:
        sentiment = Sentiment.POSITIVE if case.satisfaction >= 4 else (
            Sentiment.NEGATIVE if case.satisfaction <= 2 else None)
    from ..domain.commands import EXPERIENCE_TEXT_MAX

    command = ExperiencePost.model_construct(
        territory_code=case.territory_code, organisation_id=_case_organisation(deps, case),
        procedure=None, situation=case.situation,
        sentiment=sentiment,  # type: ignore[arg-type]  # an opinion by SMS may not say which
        text=text[:EXPERIENCE_TEXT_MAX], contact_email=None, contact_phone=None, point_id=case.point_id)
    experience = rules.post(command, experience_id=rules.new_id(now, new_id()), channel=channel,
                            now=now, author_id=author_id, known_names=names)
    return _store(deps, experience, author_id or Actor.USAGER)


# --- moderation -----------------------------------------------------------------------


def moderation_queue(deps: Deps, principal: Principal, territory_code: str, *, answers: bool = False,
                     limit: int = 20, cursor: str | None = None):
    """What waits for moderation in a territory, oldest first: experiences, or answers."""
    code = territory_code.upper()
    authz.require_moderator(principal, code)
    if answers:
        return deps.repo.answer_moderation_queue(code, limit, cursor)
    return deps.repo.moderation_queue(code, limit, cursor)


def get_for_staff(deps: Deps, principal: Principal, experience_id: str) -> Experience:
    """An experience as its moderators or its responders see it (contact details included)."""
    experience = _get(deps, experience_id)
    if principal.role is Role.RESPONDER:
        authz.require_responder(principal, experience.team_id, experience.territory_code)
    else:
        authz.require_moderator(principal, experience.territory_code)
    return experience


def _get(deps: Deps, experience_id: str) -> Experience:
    if not rules.is_id(experience_id):
        raise NotFound(authz.EXPERIENCE_NOT_FOUND)
    return deps.repo.get_experience(experience_id)


def route(deps: Deps, experience: Experience):
    """The responder team for the experience: its organisation's most local one."""
    if experience.organisation_id is None:
        return None, None
    routes = deps.repo.route(experience.organisation_id, rules.route_candidates(experience.territory_code))
    return rules.pick_route(experience.territory_code, routes)


def notice(kind: NotificationKind, experience: Experience, now: datetime, suffix: str = "",
           **data: str) -> Notification:
    """What an experience announces; its id derived from what it announces (written once)."""
    return Notification(id=f"{kind.value}-{experience.id}{suffix}", kind=kind,
                        experience_id=experience.id, data=data, created_at=now)


def moderate(deps: Deps, principal: Principal, experience_id: str,
             command: ExperienceModeration) -> Experience:
    """Publish (as is, or with more taken out) or refuse with a reason. Publishing routes it,
    gives its team a reply address, and emails the team (the outbox, in the same transaction)."""

    def attempt() -> Experience:
        current = _get(deps, experience_id)
        authz.require_moderator(principal, current.territory_code)
        publishing = command.decision == "publish"
        team_id, level = route(deps, current) if publishing else (None, None)
        now = deps.now()
        token = new_token() if publishing else None
        updated = rules.moderate(current, command, now=now, team_id=team_id, level=level,
                                 answer_days=deps.settings.experience_answer_days, reply_token=token)
        published = updated.status is ModerationStatus.PUBLISHED
        deps.repo.update_experience(updated, current.version, event(
            EventCode.EXPERIENCE_MODERATED, principal.user_id, now, experience_id=updated.id,
            territory=updated.territory_code, decision=command.decision,
            reason=command.reason.value if command.reason else "", team=updated.team_id or ""),
            publish=published, reply_token=updated.reply_token if published else None,
            notifications=(notice(NotificationKind.EXPERIENCE_PUBLISHED, updated, now),) if published else ())
        return updated

    experience = retry_on_conflict(attempt)
    logger.info("experience moderated", extra={"experience_id": experience.id,
                                               "decision": command.decision})
    return experience


# --- answers ----------------------------------------------------------------------------


def answer(deps: Deps, principal: Principal, experience_id: str, text: str) -> Experience:
    """The team (or, without one, the coordination) answers on the page; moderated next."""

    def attempt() -> Experience:
        current = _get(deps, experience_id)
        authz.require_responder(principal, current.team_id, current.territory_code)
        now = deps.now()
        updated = rules.answer(current, text, now=now, author_id=principal.user_id)
        deps.repo.update_experience(updated, current.version, event(
            EventCode.EXPERIENCE_ANSWERED, principal.user_id, now, experience_id=updated.id,
            territory=updated.territory_code, team=updated.team_id or ""))
        return updated

    return retry_on_conflict(attempt)


def moderate_answer(deps: Deps, principal: Principal, experience_id: str,
                    command: ExperienceModeration) -> Experience:
    def attempt() -> Experience:
        current = _get(deps, experience_id)
        authz.require_moderator(principal, current.territory_code)
        now = deps.now()
        updated = rules.moderate_answer(current, command, now=now)
        # The usager who left a contact hears of the published answer (email, else SMS).
        tell = (updated.answer_status is ModerationStatus.PUBLISHED
                and (updated.contact_email or updated.contact_phone))
        deps.repo.update_experience(updated, current.version, event(
            EventCode.EXPERIENCE_ANSWER_MODERATED, principal.user_id, now, experience_id=updated.id,
            territory=updated.territory_code, decision=command.decision,
            reason=command.reason.value if command.reason else ""),
            notifications=(notice(NotificationKind.EXPERIENCE_ANSWERED, updated, now,
                                  channel="email" if updated.contact_email else "sms"),) if tell else ())
        return updated

    return retry_on_conflict(attempt)


def team_inbox(deps: Deps, principal: Principal, team_id: str | None, territory_code: str, *,
               answered: bool = False, limit: int = 20, cursor: str | None = None):
    authz.require_responder(principal, team_id, territory_code.upper())
    return deps.repo.team_inbox(team_id, territory_code.upper(), answered=answered, limit=limit,
                                cursor=cursor)


# --- publication ----------------------------------------------------------------------


def published(deps: Deps, filters: Filters, *, limit: int = 20, cursor: str | None = None):
    """The published experiences of the filters, newest first (public: no contact in them)."""
    return deps.repo.published_page(filters.territory_code, filters.organisation_id,
                                    filters=filters.row_filters(), limit=limit, cursor=cursor)


def get_published(deps: Deps, experience_id: str) -> Experience:
    experience = _get(deps, experience_id)
    if experience.status is not ModerationStatus.PUBLISHED:
        raise NotFound(authz.EXPERIENCE_NOT_FOUND)
    return experience


def answer_by_email(deps: Deps, experience_id: str, text: str, *, author_id: str, digest: str) -> Experience:
    """The team's reply by email (services/experience_mail.py checked its sender): the answer,
    scrubbed and waiting for moderation, written with the inbound email's mark, so that the same
    email delivered again is never a second answer. Conflict: published meanwhile, or not at all."""

    def attempt() -> Experience:
        current = _get(deps, experience_id)
        if deps.repo.inbound_seen(digest):
            return current         # the same email, taken by a concurrent delivery
        now = deps.now()
        updated = rules.answer(current, text[:EXPERIENCE_ANSWER_MAX], now=now, author_id=author_id)
        deps.repo.update_experience(updated, current.version, event(
            EventCode.EXPERIENCE_ANSWERED, author_id, now, experience_id=updated.id,
            territory=updated.territory_code, team=updated.team_id or "", channel="email"),
            inbound=(digest, now))
        return updated

    return retry_on_conflict(attempt)
