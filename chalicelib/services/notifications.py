"""The emails that Notification items announce: what each kind says, and to whom.

The outbox (services/outbox.py) hands each new Notification to its sender here. Each email
(one notification, one recipient) leaves at most once (services/delivery.py). A sender raises
Stale when what the notification announced is no longer true.
"""
from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools import Logger

from ..adapters.email import OutgoingEmail
from ..adapters.templates import render_email
from ..bootstrap import Deps
from ..domain import deadlines, workflow
from ..domain.events import EventCode
from ..domain.models import (
    LIFE_SITUATION_LABELS,
    EscalationStatus,
    MessageKind,
    Notification,
)
from ..domain.territories import departement_name
from ..observability import count
from .delivery import send_email_once

logger = Logger(service="relais", child=True)

IDENTIFIER_LABELS = {
    "caf_number": "N° d'allocataire CAF",
    "nir": "N° de sécurité sociale",
    "tax_number": "N° fiscal",
    "france_travail_id": "Identifiant France Travail",
}


class Stale(Exception):
    """What the notification announced is no longer true: nothing to send."""


def reply_address(deps: Deps, token: str) -> str:
    return f"reponse+{token}@{deps.settings.inbound_domain}"


def case_link(deps: Deps, ref: str) -> str:
    return f"{deps.settings.base_url}/dossiers/{ref}"



def _agent_email(deps: Deps, case) -> str | None:
    agent = deps.repo.get_user(case.created_by)
    if agent is None:
        logger.warning("the case's agent is gone: nobody to notify", extra={"case_ref": case.ref})
        return None
    if agent.email in deps.repo.undeliverable([agent.email]):
        logger.warning("the case's agent address is undeliverable", extra={"case_ref": case.ref})
        return None
    return agent.email


# --- what each notification sends -------------------------------------------------------------

def send_escalation(deps: Deps, notification: Notification) -> None:
    bundle = deps.repo.get_bundle(notification.case_ref)
    escalation = bundle.escalations.get(notification.group_id or "")
    if escalation is None or escalation.reply_token is None:
        raise Stale("escalation not found")
    if escalation.status not in workflow.WAITING_FOR_PARTNER:
        raise Stale("escalation no longer waiting")
    group = deps.repo.get_group(escalation.group_id)
    point = deps.repo.get_point(bundle.case.point_id)
    if group is None or point is None:
        raise Stale("group or point removed from the directory")
    recipients = list(dict.fromkeys(a.lower() for a in [*group.member_emails, group.shared_mailbox] if a))
    undeliverable = deps.repo.undeliverable(recipients)
    identifiers = [(IDENTIFIER_LABELS[name], value) for name, value
                   in escalation.identifiers.model_dump(exclude_none=True).items()]
    due_words = deadlines.in_words(deadlines.due_date(escalation.due_at))
    forwarded_by = deps.repo.get_group(escalation.forwarded_from) if escalation.forwarded_from else None
    context = {"case": bundle.case, "escalation": escalation, "group": group, "point": point,
               "forwarded_by": forwarded_by, "identifiers": identifiers, "due_words": due_words,
               "situation": LIFE_SITUATION_LABELS[bundle.case.situation],
               "link": case_link(deps, bundle.case.ref)}
    text, html = render_email("escalation", **context)
    subject = f"[Relais {bundle.case.ref}] Demande d'un usager : à traiter au plus tard le {due_words}"
    delivered = [r for r in recipients if r not in undeliverable]
    for recipient in delivered:
        send_email_once(deps, notification, recipient, OutgoingEmail(
            to=[recipient], subject=subject, text=text, html=html,
            reply_to=reply_address(deps, escalation.reply_token),
            headers={"X-Relais-Case": bundle.case.ref}), track_group=escalation.group_id)
    if undeliverable & set(recipients):
        _warn_undeliverable(deps, notification, bundle.case, group.name,
                            sorted(undeliverable & set(recipients)), bool(delivered),
                            "l'adresse est signalée comme ne recevant plus d'e-mails.")


def _warn_undeliverable(deps: Deps, notification: Notification, case, group_name: str,
                        addresses: list[str], others: bool, reason: str) -> None:
    agent_email = _agent_email(deps, case)
    if agent_email is None:
        return
    text, html = render_email("address_undeliverable", case=case, group_name=group_name,
                              addresses=addresses, others=others, reason=reason,
                              link=case_link(deps, case.ref))
    warning = notification.model_copy(update={"id": f"{notification.id}-undeliverable"})
    send_email_once(deps, warning, agent_email, OutgoingEmail(
        to=[agent_email], subject=f"[Relais {case.ref}] Un e-mail n'a pas pu être remis",
        text=text, html=html))


_REPLIED = {
    MessageKind.ANSWER: ("a répondu", "Prenez connaissance de la réponse et recontactez l'usager."),
    MessageKind.NEEDS_INFO: ("demande des informations complémentaires",
                             "Voyez ce qui manque avec l'usager, puis répondez dans le dossier."),
    MessageKind.WRONG_RECIPIENT: ("indique ne pas être le bon interlocuteur",
                                  "Saisissez un autre organisme depuis le dossier."),
}


# A reply by email whose extraction declined to cut (Message.review): said in the subject and body.
TO_CHECK = "réponse à vérifier"

EXCERPT_LINES = 4
EXCERPT_CHARACTERS = 400


def first_lines(body: str) -> str:
    """The first lines of a partner's message, for the agent's email: enough to know what is
    answered or asked before opening the case (the case keeps the whole message)."""
    lines = [line.rstrip() for line in body.strip().splitlines() if line.strip()][:EXCERPT_LINES]
    excerpt = "\n".join(lines)
    if len(excerpt) > EXCERPT_CHARACTERS:
        excerpt = excerpt[:EXCERPT_CHARACTERS].rsplit(" ", 1)[0] + " […]"
    elif len(lines) < len([line for line in body.splitlines() if line.strip()]):
        excerpt += "\n[…]"
    return excerpt


def send_referent_replied(deps: Deps, notification: Notification) -> None:
    bundle = deps.repo.get_bundle(notification.case_ref)
    message = next((m for m in bundle.messages if m.id == notification.message_id), None)
    group = deps.repo.get_group(notification.group_id or "")
    if message is None or group is None or message.kind not in _REPLIED:
        raise Stale("message or group not found")
    agent_email = _agent_email(deps, bundle.case)
    if agent_email is None:
        return
    headline, next_step = _REPLIED[message.kind]
    text, html = render_email("referent_replied", case=bundle.case, group=group, headline=headline,
                              next_step=next_step, link=case_link(deps, bundle.case.ref),
                              kind=message.kind.value, excerpt=first_lines(message.body),
                              review=message.review)
    suffix = f" ({TO_CHECK})" if message.review else ""
    send_email_once(deps, notification, agent_email, OutgoingEmail(
        to=[agent_email], subject=f"[Relais {bundle.case.ref}] {group.name} {headline}{suffix}",
        text=text, html=html))


def send_agent_message(deps: Deps, notification: Notification) -> None:
    """The agent wrote to a partner (often the information it asked for): email the group,
    with the escalation's Reply-To so that a reply by email lands in the same thread."""
    bundle = deps.repo.get_bundle(notification.case_ref)
    message = next((m for m in bundle.messages if m.id == notification.message_id), None)
    escalation = bundle.escalations.get(notification.group_id or "")
    group = deps.repo.get_group(notification.group_id or "")
    if message is None or escalation is None or group is None or escalation.reply_token is None:
        raise Stale("message, escalation or group not found")
    if escalation.status not in workflow.ACTIVE_ESCALATION:
        raise Stale("exchange closed")
    documents = [a.name for a in message.attachments]
    text, html = render_email("agent_message", case=bundle.case, group=group, message=message,
                              documents=documents, link=case_link(deps, bundle.case.ref))
    subject = f"[Relais {bundle.case.ref}] Message de l'agent Services Publics+"
    for recipient in _group_recipients(deps, group):
        send_email_once(deps, notification, recipient, OutgoingEmail(
            to=[recipient], subject=subject, text=text, html=html,
            reply_to=reply_address(deps, escalation.reply_token),
            headers={"X-Relais-Case": bundle.case.ref}), track_group=escalation.group_id)


QUARANTINE_REASONS = {
    "foreign_sender": ("l'expéditeur ne fait pas partie des référents de cet organisme.",
                       "Si c'est bien un référent, demandez à votre coordinateur de l'ajouter à "
                       "l'annuaire, et demandez-lui de répondre depuis le lien du dossier."),
    "verdict": ("le message n'a pas passé les contrôles de sécurité (expéditeur non authentifié, "
                "indésirable ou virus).",
                "Contactez le référent par téléphone pour obtenir sa réponse."),
    "unauthenticated": ("rien ne prouve que le message vient bien de l'adresse de l'expéditeur "
                        "(son organisme ne l'a pas authentifié).",
                        "Vérifiez auprès du référent, par téléphone, qu'il l'a bien envoyé."),
    "ambiguous_sender": ("l'expéditeur n'est pas clair : le message porte plusieurs adresses "
                         "d'expéditeur, ou un nom qui imite une autre adresse.",
                         "Méfiez-vous : c'est souvent le signe d'une tentative d'usurpation."),
    "subject_only": ("le message ne répond pas à l'e-mail de demande : seul son objet cite la "
                     "référence du dossier, qui n'est pas secrète.",
                     "Vérifiez qu'il vient bien du référent avant de l'ajouter au dossier."),
    "too_large": ("le message est trop volumineux (plus de 20 Mo).",
                  "Demandez au référent de le renvoyer avec moins de pièces jointes, ou de répondre "
                  "depuis le lien du dossier."),
    "unreadable": ("le message est illisible.",
                   "Demandez au référent de le renvoyer, ou de répondre depuis le lien du dossier."),
    "case_closed": ("le dossier est clos.",
                    "Si la réponse change quelque chose pour l'usager, rouvrez le dossier."),
    "exchange_closed": ("l'échange avec cet organisme est clos.",
                        "Si besoin, saisissez à nouveau l'organisme depuis le dossier."),
    # No longer given (an empty extraction is appended for review, issue 24): old records only.
    "empty": ("le message ne contient pas de texte nouveau.",
              "Le référent a peut-être répondu par erreur : attendez sa réponse."),
}
# Every quarantined message waits on the case page, where the agent adds it or sets it aside.
QUARANTINE_DECISION = ("Vous pouvez le lire sur la page du dossier, puis l'ajouter aux échanges "
                       "ou l'écarter.")


def send_email_quarantined(deps: Deps, notification: Notification) -> None:
    bundle = deps.repo.get_bundle(notification.case_ref)
    agent_email = _agent_email(deps, bundle.case)
    if agent_email is None:
        return
    group = deps.repo.get_group(notification.group_id or "")
    reason, advice = QUARANTINE_REASONS[notification.data.get("reason", "foreign_sender")]
    text, html = render_email("email_quarantined", case=bundle.case,
                              group_name=group.name if group else "organisme inconnu",
                              sender=notification.data.get("sender", "inconnue"), reason=reason,
                              advice=f"{advice} {QUARANTINE_DECISION}", link=case_link(deps, bundle.case.ref))
    send_email_once(deps, notification, agent_email, OutgoingEmail(
        to=[agent_email], subject=f"[Relais {bundle.case.ref}] Un e-mail n'a pas été ajouté au dossier",
        text=text, html=html))


REFUSAL_REASONS = {
    "unknown_token": ("l'adresse à laquelle vous avez répondu ne correspond à aucune demande en cours : "
                      "elle a peut-être été modifiée, ou la demande est ancienne et ses données effacées.",
                      "Pour répondre à une demande, répondez directement à l'e-mail de demande reçu, "
                      "sans modifier l'adresse du destinataire, ou ouvrez le dossier avec le lien "
                      "de cet e-mail. Votre message n'a été transmis à personne."),
    "case_closed": ("le dossier est clos.",
                    "L'agent qui suit le dossier est informé de votre message, qui est conservé : "
                    "s'il faut reprendre le dossier, il vous recontactera."),
    "exchange_closed": ("votre organisme n'est plus saisi sur ce dossier.",
                        "L'agent qui suit le dossier est informé de votre message, qui est conservé : "
                        "s'il faut reprendre l'échange, il vous saisira à nouveau."),
    # A responder team's reply to an experience whose answer is already published.
    "experience_answered": ("la réponse de votre organisme à cette expérience d'usager est déjà publiée.",
                            "Elle ne peut plus être modifiée par e-mail. Pour la compléter, contactez "
                            "la coordination Services Publics+ de votre territoire. Merci de votre réponse."),
}


def send_reply_refused(deps: Deps, notification: Notification) -> None:
    """To the referent whose email was not added: why, and what to do."""
    sender = notification.data.get("sender", "")
    if not sender or sender in deps.repo.undeliverable([sender]):
        raise Stale("no address to tell")
    reason, advice = REFUSAL_REASONS[notification.data.get("reason", "unknown_token")]
    ref = notification.case_ref or None
    text, html = render_email("reply_refused", ref=ref, reason=reason, advice=advice,
                              link=case_link(deps, ref) if ref else None)
    subject = (f"Dossier {ref} : votre réponse n'a pas été ajoutée" if ref
               else "Relais : votre e-mail n'a pas été transmis")
    send_email_once(deps, notification, sender, OutgoingEmail(to=[sender], subject=subject, text=text, html=html))


def send_address_undeliverable(deps: Deps, notification: Notification) -> None:
    bundle = deps.repo.get_bundle(notification.case_ref)
    escalation = bundle.escalations.get(notification.group_id or "")
    if escalation is None or escalation.status in (EscalationStatus.CLOSED,):
        raise Stale("escalation closed")
    group = deps.repo.get_group(escalation.group_id)
    address = notification.data.get("address", "")
    reason = ("le destinataire s'est plaint de ce message (signalé comme indésirable)."
              if notification.data.get("reason") == "complaint"
              else "la boîte aux lettres n'existe pas ou refuse les messages.")
    recipients = {a.lower() for a in [*(group.member_emails if group else []),
                                      group.shared_mailbox if group else None] if a}
    others = bool(recipients - deps.repo.undeliverable(recipients))
    _warn_undeliverable(deps, notification, bundle.case, group.name if group else escalation.group_id,
                        [address], others, reason)


REPLY_HINT = ("Répondez simplement à cet e-mail : votre réponse sera ajoutée au dossier. Si vous "
              "n'êtes pas le bon interlocuteur, répondez « pas le bon interlocuteur ».")


def _group_recipients(deps: Deps, group) -> list[str]:
    addresses = list(dict.fromkeys(a.lower() for a in [*group.member_emails, group.shared_mailbox] if a))
    undeliverable = deps.repo.undeliverable(addresses) if addresses else set()
    return [a for a in addresses if a not in undeliverable]


def send_ladder(deps: Deps, notification: Notification) -> None:
    """A ladder stage: remind the referents, tell the agent, then climb to the manager and the
    territory's coordinators. The usager's identity stays out of the upper rungs' emails."""
    bundle = deps.repo.get_bundle(notification.case_ref)
    escalation = bundle.escalations.get(notification.group_id or "")
    if escalation is None or escalation.status not in workflow.WAITING_FOR_PARTNER:
        raise Stale("escalation answered or closed since")
    group = deps.repo.get_group(escalation.group_id)
    point = deps.repo.get_point(bundle.case.point_id)
    if group is None or point is None:
        raise Stale("group or point removed from the directory")
    case, stage = bundle.case, notification.data.get("stage")
    due_words = deadlines.in_words(deadlines.due_date(escalation.due_at))
    link = case_link(deps, case.ref)
    common = {"case": case, "link": link}
    # Sent late (the reminders job was down): say so, with the facts.
    late = (_late_line(datetime.fromisoformat(notification.data["scheduled_at"]), notification.created_at)
            if notification.data.get("scheduled_at") else None)

    def send(to: list[str], subject: str, title: str, lines: list[str], footer: str, *,
             question: str | None = None, reply: bool = False, suffix: str = "") -> None:
        lines = [*lines, late] if late else lines
        text, html = render_email("ladder", title=title, lines=lines, footer=footer,
                                  question=question, reply_hint=REPLY_HINT if reply else None, **common)
        target = notification.model_copy(update={"id": notification.id + suffix})
        for recipient in to:
            send_email_once(deps, target, recipient, OutgoingEmail(
                to=[recipient], subject=f"[Relais {case.ref}] {subject}", text=text, html=html,
                reply_to=reply_address(deps, escalation.reply_token) if reply and escalation.reply_token else None),
                track_group=escalation.group_id if reply else None)

    if stage == "reminder":
        send(_group_recipients(deps, group), f"Rappel : à traiter au plus tard le {due_words}",
             "Rappel : une demande attend votre réponse",
             [f"La demande transmise par {point.name} (dossier {case.ref}) est à traiter au plus tard le "
              f"{due_words}."], f"Vous recevez ce message comme référent de {group.name}.",
             question=escalation.question, reply=True)
    elif stage == "breach":
        send(_group_recipients(deps, group), f"Délai dépassé : réponse attendue le {due_words}",
             "Le délai de réponse est dépassé",
             [f"La demande transmise par {point.name} (dossier {case.ref}) devait être traitée le "
              f"{due_words}. L'usager attend : merci de répondre au plus vite."],
             f"Vous recevez ce message comme référent de {group.name}.",
             question=escalation.question, reply=True)
        agent_email = _agent_email(deps, case)
        if agent_email:
            send([agent_email], f"{group.name} n'a pas répondu dans le délai",
                 "Un partenaire n'a pas répondu dans le délai",
                 [f"{group.name} n'a pas répondu à la demande du dossier {case.ref}, attendue le "
                  f"{due_words}. Un rappel vient de lui être envoyé ; sans réponse, la demande "
                  "remontera à son responsable."],
                 "Vous recevez ce message car vous suivez ce dossier.", suffix="-agent")
    elif stage == "relance":
        # A coordinator's « Relancer » on the territory page (services/oversight.py).
        days = (notification.created_at.astimezone(deadlines.PARIS).date()
                - deadlines.due_date(escalation.due_at)).days
        send(_group_recipients(deps, group), f"Relance de la coordination : réponse attendue depuis le {due_words}",
             "La coordination Services Publics+ vous relance",
             [f"La demande transmise par {point.name} (dossier {case.ref}) devait être traitée le "
              f"{due_words}, il y a {days} jour{'s' if days > 1 else ''}. L'usager attend toujours.",
              "La coordination Services Publics+ du territoire vous demande d'y répondre au plus vite."],
             f"Vous recevez ce message comme référent de {group.name}, à la demande de la coordination "
             "du territoire.", question=escalation.question, reply=True)
    elif stage in ("manager", "coordinator"):
        if stage == "manager":
            to = [group.manager_email] if group.manager_email else []
            footer = f"Vous recevez ce message comme responsable de {group.name}."
        else:
            to, footer = _coordinators(deps, case)
        if not to:
            logger.warning("ladder stage without recipient", extra={"case_ref": case.ref, "stage": stage})
            if stage == "coordinator":
                # Not even a national address: nobody above the partner hears of it.
                logger.error("ladder: no coordinator and no national coordination address",
                             extra={"case_ref": case.ref, "territory": case.territory_code})
                count("ladder_stage_unaddressed")
            return
        # Only what was sent: after an outage the reminders may have been passed, not sent.
        reminded = any(e.code in (EventCode.LADDER_REMINDER, EventCode.LADDER_BREACH) and e.group_id == escalation.group_id
                       and e.at >= escalation.created_at for e in bundle.events)
        send(to, f"Demande sans réponse de {group.name}", "Une demande reste sans réponse",
             [f"{point.name} a transmis le {deadlines.in_words(escalation.created_at.astimezone(deadlines.PARIS).date())} "
              f"une demande d'usager à {group.name} (dossier {case.ref}).",
              f"Elle devait être traitée le {due_words} et n'a toujours pas reçu de réponse"
              + (", malgré les rappels aux référents." if reminded else "."),
              "Merci de veiller à ce qu'elle soit traitée."], footer)


def _coordinators(deps: Deps, case) -> tuple[list[str], str]:
    """The territory's coordinators; for a territory without any, the national coordination
    (RELAIS_NATIONAL_COORDINATION_EMAIL), counted so that an alarm can watch it."""
    coordinators = [u.email for u in deps.repo.territory_coordinators(case.territory_code)]
    if coordinators:
        return coordinators, "Vous recevez ce message comme coordinateur Services Publics+ du territoire."
    logger.warning("ladder: no coordinator in the territory", extra={"case_ref": case.ref,
                                                                     "territory": case.territory_code})
    count("ladder_coordinator_missing")
    national = deps.settings.national_coordination_email
    if not national:
        return [], ""
    name = departement_name(case.territory_code) or case.territory_code
    return [national], (f"Vous recevez ce message comme coordination nationale Services Publics+ : "
                        f"le territoire {name} ({case.territory_code}) n'a pas de coordinateur dans Relais.")


def _late_line(scheduled_at: datetime, sent_at: datetime) -> str:
    """'Ce message part avec 5 jours de retard…': the facts of a stage sent after an outage."""
    scheduled = scheduled_at.astimezone(deadlines.PARIS)
    days = (sent_at.astimezone(deadlines.PARIS).date() - scheduled.date()).days
    delay = f"{days} jour{'s' if days > 1 else ''} de retard" if days >= 1 else "quelques heures de retard"
    hour = f"{scheduled.hour} h" + (f" {scheduled.minute:02d}" if scheduled.minute else "")
    return (f"Ce message part avec {delay}, à la suite d'un incident technique de Relais : "
            f"il devait partir le {deadlines.in_words(scheduled.date())} à {hour}.")


def send_login_link(deps: Deps, notification: Notification) -> None:
    """A login link asked for on /connexion or the API: sent here, off the request, so that
    the request does the same work whether the address is known or not (services/auth.py)."""
    from . import auth

    user = auth.login_recipient(deps, notification.data.get("email", ""), notification.created_at)
    if user is None:
        raise Stale("unknown address, or too many links asked for")
    send_email_once(deps, notification, user.email,
                    auth.login_email(deps, user, notification.data.get("return_to")))

