"""Services Publics+ experiences by email: the team is told, answers by replying, is reminded,
and the usager hears of the published answer.

- Published (services/experiences.moderate): one email to the responder team (its members and
  shared mailbox; with no team, the territory's coordinators), with the scrubbed text, the
  deadline, the answer page and a Reply-To carrying the experience's reply token.
- A reply to that token goes through the referents' inbound pipeline (services/inbound.py:
  replay guard, bounces and automatic replies, sender verdicts) and comes here (`receive`): a
  sender who is not one of the team's addresses, or not authenticated, is quarantined (the raw
  email kept in S3, an audit event, nothing else written, nobody told: no backscatter); an
  authenticated team member's reply, quotes stripped (adapters/mailparse.py), becomes the
  answer, scrubbed and waiting for moderation; one after the answer is published is refused
  politely (the sender is told why).
- The reminder sweep (jobs/reminders.py) sends the ladder's stages (domain/experiences.LADDER).
- The answer published: the usager who left an email gets it; one who left a phone, one SMS
  (services/sms.py: opt-out, quiet hours). The contact is never logged.

Every message leaves through the outbox (services/outbox.py) at most once (services/delivery.py).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from aws_lambda_powertools import Logger

from ..adapters import mailparse
from ..adapters.email import OutgoingEmail
from ..adapters.templates import render_email
from ..bootstrap import Deps
from ..domain import deadlines
from ..domain.errors import Conflict, NotFound
from ..domain.events import Actor, EventCode
from ..domain.models import (
    LIFE_SITUATION_LABELS,
    Experience,
    ModerationStatus,
    Notification,
    NotificationKind,
    Role,
)
from ..domain.ports import ExperienceRef
from ..domain.territories import departement_name
from ..observability import count
from . import experiences, inbound
from .common import event, stage_once
from .delivery import send_email_once
from .notifications import Stale, reply_address

logger = Logger(service="relais", child=True)

REPLY_HINT = ("Répondez simplement à cet e-mail : votre réponse, sans l'historique du message, sera "
              "relue par la coordination Services Publics+ puis publiée à côté de l'expérience. "
              "N'y mettez aucune information personnelle sur l'usager.")
NOTICE_DAYS = 30


def answer_link(deps: Deps, experience: Experience) -> str:
    return f"{deps.settings.base_url}/reponses/{experience.id}"


def public_link(deps: Deps, experience: Experience) -> str:
    return f"{deps.settings.base_url}/experiences/{experience.id}"


# --- who answers ---------------------------------------------------------------------------

def responder_addresses(deps: Deps, experience: Experience) -> set[str]:
    """The addresses that answer for the experience: its team's members and shared mailbox;
    with no team, the territory's coordinators."""
    if experience.team_id:
        team = deps.repo.get_team(experience.team_id)
        return {a.lower() for a in [*team.member_emails, team.shared_mailbox] if a} if team else set()
    return {u.email.lower() for u in deps.repo.territory_coordinators(experience.territory_code)}


def _deliverable(deps: Deps, addresses: list[str]) -> list[str]:
    undeliverable = deps.repo.undeliverable(addresses) if addresses else set()
    return [a for a in addresses if a not in undeliverable]


def _team(deps: Deps, experience: Experience) -> tuple[list[str], str]:
    """The team's addresses (deliverable ones) and the footer saying why they get it."""
    team = deps.repo.get_team(experience.team_id) if experience.team_id else None
    if team is None:
        return _coordinators(deps, experience.territory_code)
    addresses = list(dict.fromkeys(a.lower() for a in [*team.member_emails, team.shared_mailbox] if a))
    return _deliverable(deps, addresses), f"Vous recevez ce message comme membre de l'équipe « {team.name} »."


def _coordinators(deps: Deps, territory_code: str) -> tuple[list[str], str]:
    addresses = sorted(u.email.lower() for u in deps.repo.territory_coordinators(territory_code))
    if not addresses and deps.settings.national_coordination_email:
        count("ladder_coordinator_missing")
        return [deps.settings.national_coordination_email], (
            "Vous recevez ce message comme coordination nationale Services Publics+ : le territoire "
            f"{territory_code} n'a pas de coordinateur dans Relais.")
    return _deliverable(deps, addresses), "Vous recevez ce message comme coordinateur Services Publics+ du territoire."


def _experience(deps: Deps, notification: Notification) -> Experience:
    try:
        return deps.repo.get_experience(notification.experience_id or "")
    except NotFound as gone:
        raise Stale("experience not found") from gone


def _about(deps: Deps, experience: Experience) -> str:
    """« la CAF (Prime d'activité), dans l'Orne (61) »: what and where, without the usager."""
    names = {o.id: o.name for o in deps.repo.list_organisations()}
    organisation = names.get(experience.organisation_id or "", "un service public")
    procedure = f" ({experience.procedure})" if experience.procedure else ""
    place = departement_name(experience.territory_code) or experience.territory_code
    return f"{organisation}{procedure}, {place} ({experience.territory_code})"


def _send(deps: Deps, notification: Notification, to: list[str], subject: str, *, title: str,
          lines: list[str], quote_label: str, quote: str, link: str, link_label: str, footer: str,
          reply_token: str | None = None) -> int:
    text, html = render_email("experience", title=title, lines=lines, quote_label=quote_label,
                              quote=quote, link=link, link_label=link_label, footer=footer,
                              reply_hint=REPLY_HINT if reply_token else None)
    for recipient in to:
        send_email_once(deps, notification, recipient, OutgoingEmail(
            to=[recipient], subject=subject, text=text, html=html,
            reply_to=reply_address(deps, reply_token) if reply_token else None,
            headers={"X-Relais-Experience": notification.experience_id or ""}))
    if not to:
        logger.warning("experience email without recipient", extra={
            "experience_id": notification.experience_id, "kind": notification.kind.value})
        count("experience_emails_unaddressed")
    return len(to)


# --- what each notification sends ----------------------------------------------------------

def _waiting(experience: Experience) -> bool:
    return experience.status is ModerationStatus.PUBLISHED and experience.answered_at is None


def send_published(deps: Deps, notification: Notification) -> None:
    experience = _experience(deps, notification)
    if not _waiting(experience) or experience.reply_token is None or experience.due_at is None:
        raise Stale("experience answered or no longer published")
    due_words = deadlines.in_words(deadlines.due_date(experience.due_at))
    to, footer = _team(deps, experience)
    lines = [f"Un usager a partagé son expérience sur Services Publics+ : {_about(deps, experience)}. "
             "La coordination l'a relue et publiée.",
             f"Merci d'y répondre au plus tard le {due_words}."]
    if experience.contact_email or experience.contact_phone:
        lines.append("L'usager souhaite être prévenu de votre réponse : il le sera une fois celle-ci publiée.")
    _send(deps, notification, to, f"Expérience d'un usager : à répondre au plus tard le {due_words}",
          title="Une expérience d'usager attend votre réponse", lines=lines,
          quote_label=f"Expérience publiée ({LIFE_SITUATION_LABELS[experience.situation]}) :",
          quote=experience.text, link=answer_link(deps, experience), link_label="Répondre en ligne",
          footer=footer, reply_token=experience.reply_token)


def send_ladder(deps: Deps, notification: Notification) -> None:
    """A reminder stage: the team before and at the deadline, the coordinators after it."""
    experience = _experience(deps, notification)
    if not _waiting(experience) or experience.due_at is None:
        raise Stale("experience answered since")
    stage = notification.data.get("stage")
    due_words = deadlines.in_words(deadlines.due_date(experience.due_at))
    common = {"quote_label": "Expérience publiée :", "quote": experience.text,
              "link": answer_link(deps, experience), "link_label": "Répondre en ligne"}
    about = _about(deps, experience)
    if stage == "reminder":
        to, footer = _team(deps, experience)
        _send(deps, notification, to, f"Rappel : expérience d'usager à répondre au plus tard le {due_words}",
              title="Rappel : une expérience d'usager attend votre réponse",
              lines=[f"L'expérience d'un usager ({about}) attend votre réponse au plus tard le {due_words}."],
              footer=footer, reply_token=experience.reply_token, **common)
    elif stage == "breach":
        to, footer = _team(deps, experience)
        _send(deps, notification, to, f"Délai dépassé : expérience d'usager à répondre depuis le {due_words}",
              title="Le délai de réponse est dépassé",
              lines=[f"L'expérience d'un usager ({about}) devait recevoir une réponse au plus tard le "
                     f"{due_words}. Merci d'y répondre au plus vite."],
              footer=footer, reply_token=experience.reply_token, **common)
    else:
        to, footer = _coordinators(deps, experience.territory_code)
        team = deps.repo.get_team(experience.team_id) if experience.team_id else None
        who = f"L'équipe « {team.name} »" if team else "La coordination du territoire"
        _send(deps, notification, to, "Expérience d'usager sans réponse",
              title="Une expérience d'usager reste sans réponse",
              lines=[f"{who} n'a pas répondu à l'expérience d'un usager ({about}), malgré les rappels.",
                     f"La réponse était attendue au plus tard le {due_words}.",
                     "Merci de veiller à ce qu'elle reçoive une réponse."],
              footer=footer, **common)


def send_answered(deps: Deps, notification: Notification) -> None:
    """To the usager's private contact: the published answer (email), or one SMS."""
    experience = _experience(deps, notification)
    if experience.answer_status is not ModerationStatus.PUBLISHED or experience.answer is None:
        raise Stale("answer no longer published")
    if experience.contact_email:
        address = experience.contact_email.lower()
        if address in deps.repo.undeliverable([address]):
            raise Stale("the usager's address is undeliverable")
        _send(deps, notification, [address], "Services Publics+ : une réponse à votre expérience",
              title="Une réponse à votre expérience",
              lines=[f"Vous avez partagé votre expérience sur Services Publics+ ({_about(deps, experience)}). "
                     "Le service concerné y a répondu, et sa réponse est publiée à côté de votre expérience."],
              quote_label="Sa réponse :", quote=experience.answer, link=public_link(deps, experience),
              link_label="Voir l'expérience et sa réponse",
              footer="Vous recevez ce message car vous avez laissé votre adresse en partageant votre "
                     "expérience. Elle n'est jamais publiée et ne sert qu'à vous prévenir de la réponse.")
    elif experience.contact_phone:
        from . import sms

        sms.enqueue_experience(deps, notification)
    else:
        raise Stale("no contact left")


# --- the team's reply by email (from services/inbound.receive) -----------------------------

def receive(deps: Deps, raw: bytes, parsed: mailparse.ParsedEmail, target: ExperienceRef, *,
            digest: str, now: datetime, verdicts: dict[str, str], mail_from: str | None,
            oversized: bool, object_key: str) -> inbound.Outcome:
    outcome = inbound.Outcome("accepted", threading="token", experience_id=target.experience_id)
    try:
        experience = deps.repo.get_experience(target.experience_id)
    except NotFound:
        return inbound._drop(deps, digest, now, inbound.Outcome("unthreaded", "unknown_token"))
    keep = inbound._Raw(raw, object_key if oversized else None)
    refused = _refusal(parsed, responder_addresses(deps, experience), verdicts, mail_from, oversized)
    if refused:
        return _quarantine(deps, digest, now, experience, refused, outcome, keep)
    own = {deps.mailer.sender_address.lower()}
    try:
        parsed = mailparse.parse(raw, own_addresses=own)
    except Exception:  # noqa: BLE001 - kept in S3 for whoever looks
        return _quarantine(deps, digest, now, experience, "unreadable", outcome, keep)
    text = inbound.written(parsed)
    if not text:
        return _quarantine(deps, digest, now, experience, "empty", outcome, keep)
    try:
        experiences.answer_by_email(deps, experience.id, text, author_id=_author(deps, parsed.sender, experience),
                                    digest=digest)
    except Conflict:
        return _refuse_politely(deps, digest, now, experience, parsed.sender, outcome)
    return outcome


def _refusal(parsed: mailparse.ParsedEmail, allowed: set[str], verdicts: dict[str, str],
             mail_from: str | None, oversized: bool) -> str | None:
    if parsed.sender_problem:
        return "ambiguous_sender"
    problem = inbound.authentication_problem(parsed, verdicts, mail_from)
    if problem:
        return problem
    if parsed.sender not in allowed:
        return "foreign_sender"
    if oversized:
        return "too_large"
    return None


def _author(deps: Deps, sender: str, experience: Experience) -> str:
    """Audit only: the user who wrote, when the address is a user's; else the team's mailbox."""
    user = deps.repo.get_user_by_email(sender)
    if user is not None and user.role in (Role.RESPONDER, Role.COORDINATOR, Role.MODERATOR):
        return user.id
    return f"mailbox-{experience.team_id or 'coordination-' + experience.territory_code}"


def _quarantine(deps: Deps, digest: str, now: datetime, experience: Experience, reason: str,
                outcome: inbound.Outcome, raw: inbound._Raw) -> inbound.Outcome:
    """Not the answer: the raw email kept (S3, quarantine/experiences/<id>/), the email marked
    and the refusal audited; nothing else is written and nobody is told."""
    inbound._keep_raw(deps, "quarantine", digest, f"experiences/{experience.id}", raw)

    def stage(uow) -> None:
        uow.marks.inbound(digest, now, "quarantined")
        uow.events.record(event(EventCode.EXPERIENCE_EMAIL_REFUSED, Actor.INBOUND_EMAIL, now,
                                experience_id=experience.id, reason=reason))

    if not stage_once(deps, stage):
        return inbound.Outcome("duplicate", experience_id=experience.id)
    outcome.outcome, outcome.reason = "quarantined", reason
    return outcome


def _refuse_politely(deps: Deps, digest: str, now: datetime, experience: Experience, sender: str,
                     outcome: inbound.Outcome) -> inbound.Outcome:
    """A team member's reply once the answer is published: they are told, once."""
    notice = Notification(id=f"refused-{digest[:16]}", kind=NotificationKind.REPLY_REFUSED,
                          data={"reason": "experience_answered", "sender": sender[:254]}, created_at=now)

    def stage(uow) -> None:
        uow.outbox.add_uncased(notice, now + timedelta(days=NOTICE_DAYS))
        uow.marks.inbound(digest, now, "refused")
        uow.events.record(event(EventCode.EXPERIENCE_EMAIL_REFUSED, Actor.INBOUND_EMAIL, now,
                                experience_id=experience.id, reason="experience_answered"))

    if not stage_once(deps, stage):
        return inbound.Outcome("duplicate", experience_id=experience.id)
    outcome.outcome, outcome.reason, outcome.sender_told = "refused", "experience_answered", True
    return outcome
