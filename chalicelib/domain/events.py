"""The audit log's vocabulary: what happened (EventCode) and which part of the system did it
when no person did (Actor).

The values are the strings stored in Event items since the first release: never rename one,
or the events already written stop reading back. A code is chosen from a member, never built
from text; the few that depend on a value (a ladder stage, an escalation's new status, what an
SMS reply meant) go through the explicit tables below, so that every code can be found here.
"""
from __future__ import annotations

from enum import StrEnum


class EventCode(StrEnum):
    LOGIN = "LOGIN"
    # a case
    CASE_CREATED = "CASE_CREATED"
    CASE_VIEWED = "CASE_VIEWED"
    CASES_LISTED = "CASES_LISTED"
    CASES_SEARCHED = "CASES_SEARCHED"
    CASE_ESCALATED = "CASE_ESCALATED"
    MESSAGE_POSTED = "MESSAGE_POSTED"
    CASE_CLOSED = "CASE_CLOSED"
    CASE_REOPENED = "CASE_REOPENED"
    CASE_PURGED = "CASE_PURGED"
    ATTACHMENT_READ = "ATTACHMENT_READ"
    USAGER_EXPORTED = "USAGER_EXPORTED"
    # a referent's reply: the escalation's new status
    ESCALATION_ANSWERED = "ESCALATION_ANSWERED"
    ESCALATION_NEEDS_INFO = "ESCALATION_NEEDS_INFO"
    ESCALATION_WRONG_RECIPIENT = "ESCALATION_WRONG_RECIPIENT"
    # what else a referent does on the case page (issue 23)
    ESCALATION_READ = "ESCALATION_READ"                  # the first opening by the group: once
    ESCALATION_ACKNOWLEDGED = "ESCALATION_ACKNOWLEDGED"  # « Je m'en occupe »
    ESCALATION_FORWARDED = "ESCALATION_FORWARDED"        # to another group of the organisation
    # the escalation ladder: a stage sent, or passed without sending (ladder.climb)
    LADDER_REMINDER = "LADDER_REMINDER"
    LADDER_BREACH = "LADDER_BREACH"
    LADDER_MANAGER = "LADDER_MANAGER"
    LADDER_COORDINATOR = "LADDER_COORDINATOR"
    LADDER_REMINDER_PASSED = "LADDER_REMINDER_PASSED"
    LADDER_BREACH_PASSED = "LADDER_BREACH_PASSED"
    LADDER_MANAGER_PASSED = "LADDER_MANAGER_PASSED"
    LADDER_COORDINATOR_PASSED = "LADDER_COORDINATOR_PASSED"
    # a coordinator's « Relancer » on a late escalation: one reminder to the group a day
    ESCALATION_NUDGED = "ESCALATION_NUDGED"
    # email
    EMAIL_QUARANTINED = "EMAIL_QUARANTINED"
    QUARANTINE_READ = "QUARANTINE_READ"
    MESSAGE_SOURCE_READ = "MESSAGE_SOURCE_READ"      # the agent opened a message's original email
    EMAIL_RELEASED = "EMAIL_RELEASED"
    EMAIL_DISCARDED = "EMAIL_DISCARDED"
    EMAIL_UNDELIVERABLE = "EMAIL_UNDELIVERABLE"
    # SMS
    SMS_SENT = "SMS_SENT"
    SMS_RECEIVED = "SMS_RECEIVED"
    SMS_OPTED_OUT = "SMS_OPTED_OUT"
    SMS_SATISFACTION = "SMS_SATISFACTION"
    SMS_CONSENT = "SMS_CONSENT"
    SMS_FOLLOW_UP = "SMS_FOLLOW_UP"          # SUIVI: the case's status sent back (issue 25)
    SMS_OPINION = "SMS_OPINION"              # AVIS, or words with the mark: filed as an experience
    PHONE_SURVEY = "PHONE_SURVEY"            # « avis recueilli par téléphone » by the agent
    # the directory and feedback
    DIRECTORY_IMPORTED = "DIRECTORY_IMPORTED"
    FEEDBACK_CREATED = "FEEDBACK_CREATED"
    FEEDBACK_TRIAGED = "FEEDBACK_TRIAGED"
    # Services Publics+ experiences
    EXPERIENCE_POSTED = "EXPERIENCE_POSTED"
    EXPERIENCE_MODERATED = "EXPERIENCE_MODERATED"
    EXPERIENCE_ANSWERED = "EXPERIENCE_ANSWERED"
    EXPERIENCE_ANSWER_MODERATED = "EXPERIENCE_ANSWER_MODERATED"
    EXPERIENCE_CONTACT_WIPED = "EXPERIENCE_CONTACT_WIPED"

    @classmethod
    def ladder(cls, stage_name: str, passed: bool = False) -> EventCode:
        """A ladder stage (domain/ladder.py NAMES) sent, or passed without sending."""
        sent, skipped = _LADDER[stage_name]
        return skipped if passed else sent

    @classmethod
    def escalation(cls, status: str) -> EventCode:
        """A referent's reply, by the EscalationStatus it leads to (answered, needs_info,
        wrong_recipient)."""
        return _ESCALATION[status]

    @classmethod
    def sms_reply(cls, outcome: str) -> EventCode:
        """An SMS from the usager, by what it meant (services/sms.py: message, opted_out,
        satisfaction, consent)."""
        return _SMS_REPLY[outcome]


_LADDER = {
    "reminder": (EventCode.LADDER_REMINDER, EventCode.LADDER_REMINDER_PASSED),
    "breach": (EventCode.LADDER_BREACH, EventCode.LADDER_BREACH_PASSED),
    "manager": (EventCode.LADDER_MANAGER, EventCode.LADDER_MANAGER_PASSED),
    "coordinator": (EventCode.LADDER_COORDINATOR, EventCode.LADDER_COORDINATOR_PASSED),
}
# Keyed by EscalationStatus values (a StrEnum: its members find these keys); models.py
# imports this module, so it cannot import models.
_ESCALATION = {
    "answered": EventCode.ESCALATION_ANSWERED,
    "needs_info": EventCode.ESCALATION_NEEDS_INFO,
    "wrong_recipient": EventCode.ESCALATION_WRONG_RECIPIENT,
}
_SMS_REPLY = {
    "message": EventCode.SMS_RECEIVED,
    "opted_out": EventCode.SMS_OPTED_OUT,
    "satisfaction": EventCode.SMS_SATISFACTION,
    "consent": EventCode.SMS_CONSENT,
    "opinion": EventCode.SMS_OPINION,
}


class Actor(StrEnum):
    """Who acted, when no signed-in user did: an Event's actor_id is a user id or one of these."""

    USAGER = "usager"                          # an SMS from the usager
    PUBLIC = "public"                          # anyone, on a public page (an experience posted)
    REMINDERS = "system-reminders"             # the ladder's sweep (jobs/reminders.py)
    RETENTION = "system-retention"             # the purge of old cases (services/retention.py)
    INBOUND_EMAIL = "system-inbound-email"     # emails received (services/inbound.py)
    SES_EVENTS = "system-ses-events"           # bounces and complaints (services/deliverability.py)
    SMS = "system-sms"                         # SMS sent (services/sms.py)
