"""Services Publics+ experiences: their life from posting to the public answer. Pure.

posted (scrubbed, pending) -> moderated: published (routed to a team, due in a week) or
refused -> answered by the team (pending) -> the answer moderated: published beside the
experience, or refused (the team answers again).

An experience goes to its organisation's most local responder team: the département's, else
the region's, else the national one; with no organisation named, or no team at all, to the
territory's coordination (team_id None).
"""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from . import deadlines
from .commands import ExperienceModeration, ExperiencePost
from .errors import Conflict, InvalidInput
from .ladder import MIN_REMINDER_GAP, Climb, Stage, stage_time
from .models import Experience, ExperienceChannel, ModerationStatus, ResponderLevel
from .scrub import scrub
from .territories import REGION_OF

_ID = re.compile(r"^\d{8}T\d{12}-[0-9a-f]{6}$")
_ID_TIME = "%Y%m%dT%H%M%S%f"
ANSWER_DAYS = 7          # the 2021 platform's pledge: acknowledged within a week (settings)
ALREADY_MODERATED = "Cette expérience a déjà été modérée."
NO_ANSWER = "Cette expérience n'a pas de réponse à modérer."
NOT_PUBLISHED = "Cette expérience n'est pas publiée : elle ne peut pas recevoir de réponse."
ANSWER_PUBLISHED = "La réponse est déjà publiée."
# The reminders of an unanswered published experience (domain/ladder.py's stages and times):
# the team the business day before the deadline and at it, the territory's coordinators
# three business days after it.
LADDER = (Stage("reminder", -1), Stage("breach", 0), Stage("coordinator", 3))


def new_id(now: datetime, random_hex: str) -> str:
    return f"{now.astimezone(UTC).strftime(_ID_TIME)}-{random_hex[:6]}"


def is_id(value: str) -> bool:
    return bool(_ID.match(value or ""))


def route_candidates(territory_code: str) -> list[tuple[str, str]]:
    """(level, area) from the most local to the national."""
    candidates = [(ResponderLevel.LOCAL.value, territory_code)]
    if territory_code in REGION_OF:
        candidates.append((ResponderLevel.REGIONAL.value, REGION_OF[territory_code]))
    return [*candidates, (ResponderLevel.NATIONAL.value, "FR")]


def pick_route(territory_code: str, routes: dict[tuple[str, str], str]) -> tuple[str | None, ResponderLevel | None]:
    for level, area in route_candidates(territory_code):
        if (level, area) in routes:
            return routes[(level, area)], ResponderLevel(level)
    return None, None


def post(command: ExperiencePost, *, experience_id: str, channel: ExperienceChannel, now: datetime,
         author_id: str | None = None, known_names: tuple[str, ...] = ()) -> Experience:
    """The experience as stored: only its scrubbed text, never the original."""
    scrubbed = scrub(command.text, known_names)
    procedure = scrub(command.procedure).text if command.procedure else None
    return Experience(id=experience_id, territory_code=command.territory_code,
                      point_id=command.point_id, organisation_id=command.organisation_id,
                      procedure=procedure, situation=command.situation, sentiment=command.sentiment,
                      text=scrubbed.text, removed=list(scrubbed.removed), channel=channel,
                      author_id=author_id, contact_email=command.contact_email,
                      contact_phone=command.contact_phone, created_at=now, updated_at=now)


def _moderated_text(original: str, edited: str | None) -> tuple[str, bool]:
    if edited is None or not edited.strip() or edited.strip() == original:
        return original, False
    # An edit takes out, it never adds what the usager did not say: scrubbed again all the same.
    text = scrub(edited.strip()).text
    if len(text) < 10:
        raise InvalidInput("Le texte modifié est trop court pour être publié : refusez plutôt l'expérience.",
                           field="text")
    return text, True


def moderate(experience: Experience, command: ExperienceModeration, *, now: datetime,
             team_id: str | None, level: ResponderLevel | None, answer_days: int = ANSWER_DAYS,
             reply_token: str | None = None, ladder: tuple[Stage, ...] = LADDER) -> Experience:
    """Publishing sets the deadline, the team's reply token and the first reminder's time."""
    if experience.status is not ModerationStatus.PENDING:
        raise Conflict(ALREADY_MODERATED, field="decision")
    if command.decision == "refuse":
        return experience.model_copy(update={
            "status": ModerationStatus.REFUSED, "refusal": command.reason, "moderated_at": now,
            "updated_at": now, "version": experience.version + 1})
    text, edited = _moderated_text(experience.text, command.text)
    published = experience.model_copy(update={
        "status": ModerationStatus.PUBLISHED, "text": text, "edited": edited, "moderated_at": now,
        "published_at": now, "team_id": team_id, "level": level,
        "due_at": now + timedelta(days=answer_days), "updated_at": now, "reply_token": reply_token,
        "ladder_stage": 0, "version": experience.version + 1})
    return published.model_copy(update={"next_reminder_at": next_reminder_at(published, ladder)})


def answer(experience: Experience, text: str, *, now: datetime, author_id: str) -> Experience:
    """The team's answer, scrubbed, waiting for moderation. A refused answer may be written again."""
    if experience.status is not ModerationStatus.PUBLISHED:
        raise Conflict(NOT_PUBLISHED, field="text")
    if experience.answer_status is ModerationStatus.PUBLISHED:
        raise Conflict(ANSWER_PUBLISHED, field="text")
    return experience.model_copy(update={
        "answer": scrub(text).text, "answer_status": ModerationStatus.PENDING, "answer_refusal": None,
        "answered_at": now, "answered_by": author_id, "updated_at": now, "next_reminder_at": None,
        "version": experience.version + 1})


def moderate_answer(experience: Experience, command: ExperienceModeration, *, now: datetime) -> Experience:
    if experience.answer_status is not ModerationStatus.PENDING or experience.answer is None:
        raise Conflict(NO_ANSWER, field="decision")
    if command.decision == "refuse":
        return experience.model_copy(update={
            "answer_status": ModerationStatus.REFUSED, "answer_refusal": command.reason,
            "updated_at": now, "version": experience.version + 1})
    text, _ = _moderated_text(experience.answer, command.text)
    return experience.model_copy(update={
        "answer": text, "answer_status": ModerationStatus.PUBLISHED, "answer_published_at": now,
        "updated_at": now, "version": experience.version + 1})


def is_late(experience: Experience, now: datetime) -> bool:
    return (experience.status is ModerationStatus.PUBLISHED and experience.due_at is not None
            and experience.answered_at is None and now > experience.due_at)


# --- the reminder ladder (jobs/reminders.py reads GSI3 for `next_reminder_at`) ---------------

def _waiting(experience: Experience) -> bool:
    """Published, not answered yet (an answer waiting for moderation, or refused, stops it)."""
    return (experience.status is ModerationStatus.PUBLISHED and experience.answered_at is None
            and experience.due_at is not None)


def _time_of(experience: Experience, stage: Stage) -> datetime:
    assert experience.due_at is not None
    return stage_time(stage, experience.due_at, experience.territory_code)


def _too_soon(experience: Experience, stage: Stage, at: datetime) -> bool:
    """A reminder within MIN_REMINDER_GAP of the team's first email repeats it."""
    published = experience.published_at or experience.created_at
    return stage.offset < 0 and at < published + MIN_REMINDER_GAP


def next_reminder_at(experience: Experience, ladder: tuple[Stage, ...] = LADDER) -> datetime | None:
    if not _waiting(experience):
        return None
    for stage in ladder[experience.ladder_stage:]:
        at = _time_of(experience, stage)
        if not _too_soon(experience, stage, at):
            return at
    return None


def climb(experience: Experience, now: datetime, ladder: tuple[Stage, ...] = LADDER) -> Climb | None:
    """As domain/ladder.py `climb`: the latest stage whose time has come is sent (a reminder
    only before the deadline, on a business day), the earlier ones passed; None: nothing due."""
    if not _waiting(experience):
        return None
    come = [(index, stage, _time_of(experience, stage)) for index, stage in enumerate(ladder)
            if index >= experience.ladder_stage]
    come = [(index, stage, at) for index, stage, at in come if at <= now]
    if not come:
        return None
    index, stage, at = come[-1]
    earlier = tuple(stage for _, stage, _ in come[:-1])
    assert experience.due_at is not None
    if stage.offset < 0 and (_too_soon(experience, stage, at) or now >= experience.due_at or not
                             deadlines.is_business_day(now.astimezone(deadlines.PARIS).date(),
                                                       experience.territory_code)):
        return Climb(send=None, scheduled_at=None, passed=(*earlier, stage), reached=index + 1)
    return Climb(send=stage, scheduled_at=at, passed=earlier, reached=index + 1)


def climbed(experience: Experience, step: Climb, ladder: tuple[Stage, ...] = LADDER) -> Experience:
    moved = experience.model_copy(update={"ladder_stage": step.reached, "version": experience.version + 1})
    return moved.model_copy(update={"next_reminder_at": next_reminder_at(moved, ladder)})
