"""Every key of the single table, in one place. docs/data-model.md lists the access patterns."""
from __future__ import annotations

from datetime import UTC, datetime

from ..domain.ladder import SWEEP_SHARDS
from ..domain.models import CaseStatus, EscalationStatus, Secret

GSI1 = "GSI1"
GSI2 = "GSI2"
GSI3 = "GSI3"


def iso(moment: datetime) -> str:
    """UTC, fixed width: sort keys compare as strings, so every instant is written alike."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


# Directory: each entity by id, listed per territory (GSI1).
def territory(code: str) -> dict[str, str]:
    return {"PK": f"TERR#{code}", "SK": "TERRITORY", "GSI1PK": "TERRITORIES", "GSI1SK": code}


def point(point_id: str, territory_code: str | None = None) -> dict[str, str]:
    key = {"PK": f"POINT#{point_id}", "SK": "POINT"}
    if territory_code:
        key |= {"GSI1PK": f"TERR#{territory_code}", "GSI1SK": f"POINT#{point_id}"}
    return key


def group(group_id: str, territory_code: str | None = None) -> dict[str, str]:
    key = {"PK": f"GROUP#{group_id}", "SK": "GROUP"}
    if territory_code:
        key |= {"GSI1PK": f"TERR#{territory_code}", "GSI1SK": f"GROUP#{group_id}"}
    return key


def organisation(organisation_id: str, listed: bool = False) -> dict[str, str]:
    key = {"PK": f"ORG#{organisation_id}", "SK": "ORG"}
    if listed:
        key |= {"GSI1PK": "ORGS", "GSI1SK": organisation_id}
    return key


def user(user_id: str, role: str | None = None) -> dict[str, str]:
    """With its role: listed for admins (GSI1 "USERS", by role then id; no address in the key,
    which a page's cursor carries)."""
    key = {"PK": f"USER#{user_id}", "SK": "USER"}
    if role:
        key |= {"GSI1PK": "USERS", "GSI1SK": f"{role}#{user_id}"}
    return key


def email(address: str) -> dict[str, str]:
    """Finds a user by address; user ids are random, so they say nothing about the person."""
    return {"PK": f"EMAIL#{address.strip().lower()}", "SK": "EMAIL"}


def coordinator(territory_code: str, user_id: str) -> dict[str, str]:
    """The coordinators of a territory (préfecture, sous-préfecture): the ladder's last stage."""
    return {"PK": f"COORD#{territory_code}", "SK": user_id}


# Authentication: looked up by the hash of a secret, never by the secret.
LOGIN = Secret.LOGIN
SESSION = Secret.SESSION


def secret(kind: str, digest: str) -> dict[str, str]:
    return {"PK": f"{kind}#{digest}", "SK": kind}


def login_requests(user_id: str, window: str) -> dict[str, str]:
    return {"PK": f"LOGINRATE#{user_id}", "SK": window}


# A case and its whole thread share one partition: one Query reads it all.
def case_partition(ref: str) -> str:
    return f"CASE#{ref}"


def case(ref: str, point_id: str | None = None, status: CaseStatus | None = None,
         created_at: datetime | None = None) -> dict[str, str]:
    key = {"PK": case_partition(ref), "SK": "CASE"}
    if point_id and status and created_at:
        key |= {"GSI1PK": f"POINT#{point_id}", "GSI1SK": f"{status.value}#{iso(created_at)}#{ref}"}
    return key


def escalation(ref: str, group_id: str, status: EscalationStatus | None = None,
               due_at: datetime | None = None) -> dict[str, str]:
    key = {"PK": case_partition(ref), "SK": f"ESC#{group_id}"}
    if status and due_at:
        key |= {"GSI2PK": f"GROUP#{group_id}", "GSI2SK": f"{status.value}#{iso(due_at)}#{ref}"}
    return key


# The reminder sweep's sparse index: only escalations with a ladder stage ahead carry it.
# Partition: the UTC day of the next stage and a shard (no hot partition on busy days);
# sort key: the exact time, so a sweep reads only what is due.
DUE_SHARDS = SWEEP_SHARDS


def due_shard(ref: str, group_id: str) -> int:
    import zlib

    return zlib.crc32(f"{ref}|{group_id}".encode()) % DUE_SHARDS


def due_partition(day: str, shard: int) -> str:
    return f"DUE#{day}#{shard}"


def due_index(ref: str, group_id: str, next_action_at: datetime) -> dict[str, str]:
    return {"GSI3PK": due_partition(next_action_at.astimezone(UTC).date().isoformat(),
                                    due_shard(ref, group_id)),
            "GSI3SK": f"{iso(next_action_at)}#{ref}#{group_id}"}


def job_cursor(job: str) -> dict[str, str]:
    """Where a scheduled job has read up to (the reminder sweep's oldest day still to read)."""
    return {"PK": f"JOB#{job}", "SK": "CURSOR"}


def digest_sent(agent_id: str, week: str) -> dict[str, str]:
    """The weekly digest of an agent for an ISO week (2026-W49): written once, before sending."""
    return {"PK": f"DIGEST#{agent_id}#{week}", "SK": "DIGEST"}


def message(ref: str, created_at: datetime, message_id: str) -> dict[str, str]:
    return {"PK": case_partition(ref), "SK": f"MSG#{iso(created_at)}#{message_id}"}


def event(at: datetime, event_id: str, ref: str | None = None) -> dict[str, str]:
    partition = case_partition(ref) if ref else f"AUDIT#{at.date().isoformat()}"
    return {"PK": partition, "SK": f"EVT#{iso(at)}#{event_id}"}


def notification(ref: str, notification_id: str) -> dict[str, str]:
    return {"PK": case_partition(ref), "SK": f"OUT#{notification_id}"}


# Email plumbing: how a reply finds its escalation, and which addresses bounce.
def reply_token(token: str) -> dict[str, str]:
    return {"PK": f"REPLY#{token}", "SK": "REPLY"}


def sent_mail(ses_message_id: str) -> dict[str, str]:
    return {"PK": f"MAIL#{ses_message_id}", "SK": "MAIL"}


def pace(window: str) -> dict[str, str]:
    """The emails sent in one window of the SES pacing ("D#2026-12-03", "S#1795570201")."""
    return {"PK": "PACE#ses", "SK": window}


def address(email_address: str) -> dict[str, str]:
    return {"PK": f"ADDRESS#{email_address.strip().lower()}", "SK": "ADDRESS"}


def inbound(digest: str) -> dict[str, str]:
    """One per inbound email processed: the same stored message is never appended twice."""
    return {"PK": f"INBOUND#{digest}", "SK": "INBOUND"}


def quarantined(ref: str, quarantine_id: str) -> dict[str, str]:
    """An inbound email kept out of the case's thread, waiting for the agent's decision."""
    return {"PK": case_partition(ref), "SK": f"QUAR#{quarantine_id}"}


def login_link(notice_id: str) -> dict[str, str]:
    """A login link asked for: the stream looks the address up and sends it (services/auth.py)."""
    return {"PK": f"LOGINLINK#{notice_id}", "SK": "OUT"}


def sender_notice(day: str, notice_id: str) -> dict[str, str]:
    """A notice to the sender of an email that matched no case (one per sender and day)."""
    return {"PK": f"NOTICE#{day}", "SK": f"OUT#{notice_id}"}


def upload(upload_id: str) -> dict[str, str]:
    """One per document a browser uploaded to S3: it is added to its case once."""
    return {"PK": f"UPLOAD#{upload_id}", "SK": "UPLOAD"}


# Search: a point's cases by the usager's folded name (domain/search.py), both name orders.
def name_search(point_id: str, name_key: str, ref: str) -> dict[str, str]:
    return {"PK": f"NAME#{point_id}", "SK": f"{name_key}#{ref}"}


def case_seen(user_id: str, ref: str) -> dict[str, str]:
    """How many of a case's partner messages an agent had when they last opened it."""
    return {"PK": f"SEEN#{user_id}", "SK": ref}


# SMS: the cases of a phone number, numbers that said STOP, and one receipt per SMS.
def retention_due(closed_at: datetime, ref: str, version: int) -> dict[str, str]:
    """A closed case waiting for the end of its retention period, by the (UTC) day it closed.
    The closing's version keeps a case closed, reopened and closed again on one day apart."""
    return {"PK": f"PURGE#{closed_at.date().isoformat()}", "SK": f"{ref}#v{version}"}


def experience_retention_due(created_at: datetime, experience_id: str) -> dict[str, str]:
    """An experience's contact details (for the private reply) waiting for the end of the
    retention period, in the same day partitions as the closed cases, from the day it was posted."""
    return {"PK": f"PURGE#{created_at.astimezone(UTC).date().isoformat()}", "SK": f"EXP#{experience_id}"}


def phone_case(phone_e164: str, created_at: datetime, ref: str) -> dict[str, str]:
    return {"PK": f"PHONE#{phone_e164}", "SK": f"{iso(created_at)}#{ref}"}


def opt_out(phone_e164: str) -> dict[str, str]:
    return {"PK": f"OPTOUT#{phone_e164}", "SK": "OPTOUT"}


def sms_requests(phone_e164: str, window: str) -> dict[str, str]:
    """The SMS a number asked Relais to send back (SUIVI, AVIS's thanks) in one UTC day."""
    return {"PK": f"SMSRATE#{phone_e164}", "SK": window}


def sms_receipt(message_id: str) -> dict[str, str]:
    return {"PK": f"SMS#{message_id}", "SK": "SMS"}


# Agents' feedback: a territory's in one partition, by creation time (a quarter is one
# Query, SK BETWEEN); a point's in GSI1 under its own partition, apart from the point's cases
# (POINT#<id>, whose GSI1SK begin with a case status).
def feedback_partition(territory_code: str) -> str:
    return f"FEEDBACK#{territory_code}"


def point_feedback_partition(point_id: str) -> str:
    return f"FEEDBACK#POINT#{point_id}"


def feedback(territory_code: str, created_at: datetime, feedback_id: str,
             point_id: str | None = None) -> dict[str, str]:
    sort_key = f"{iso(created_at)}#{feedback_id}"
    key = {"PK": feedback_partition(territory_code), "SK": sort_key}
    if point_id:
        key |= {"GSI1PK": point_feedback_partition(point_id), "GSI1SK": sort_key}
    return key


def status_prefix(status: CaseStatus | EscalationStatus | None) -> str | None:
    """Lists sort by status first: a status filter is a begins_with on the sort key."""
    return f"{status.value}#" if status else None


# Published results: one item per (period, scope), summed counters (domain/results.py).
def results_cell(period: str, kind: str, scope_id: str) -> dict[str, str]:
    return {"PK": f"RESULTS#{period}", "SK": f"{kind}#{scope_id}"}


def results_entry(lane: int, source_pk: str, source_sk: str, version: int) -> dict[str, str]:
    """One change of a case or escalation to the results, journaled once in its lane
    (services/results.py): the lane's partition keeps its entries in one ordered stream."""
    return {"PK": f"RESULTSLOG#{lane}", "SK": f"{source_pk}|{source_sk}|{version:010d}"}


# Services Publics+ experiences (domain/experiences.py). The item by id; its place in GSI1 and
# GSI2 follows its life: waiting for moderation (GSI1 EXPMOD#<territory>), then, once
# published, waiting for its team (GSI2 EXPTEAM#<team>, open#<due> then done#<answered>) and,
# answered, its answer waiting for moderation (GSI1 EXPANS#<territory>). Published ones are
# listed by separate rows (`experience_listing`), one per facet a visitor filters on.
def experience(experience_id: str) -> dict[str, str]:
    return {"PK": f"EXP#{experience_id}", "SK": "EXP"}


def experience_moderation_partition(territory_code: str) -> str:
    return f"EXPMOD#{territory_code}"


def experience_answer_moderation_partition(territory_code: str) -> str:
    return f"EXPANS#{territory_code}"


def experience_team_partition(team_id: str | None, territory_code: str) -> str:
    """A team's inbox; without a team, the territory's coordination's."""
    return f"EXPTEAM#{team_id}" if team_id else f"EXPTEAM#COORD#{territory_code}"


def experience_listing_partition(territory_code: str | None, organisation_id: str | None) -> str:
    """The published experiences of a facet: all, a territory, an organisation, or both."""
    return "EXPPUB#" + "#".join(part for part in (f"T={territory_code}" if territory_code else "",
                                                  f"O={organisation_id}" if organisation_id else "")
                                if part) if territory_code or organisation_id else "EXPPUB#ALL"


def experience_listing(partition: str, published_at: datetime, experience_id: str) -> dict[str, str]:
    return {"PK": partition, "SK": f"{iso(published_at)}#{experience_id}"}


def responder_team(team_id: str) -> dict[str, str]:
    return {"PK": f"TEAM#{team_id}", "SK": "TEAM", "GSI1PK": "TEAMS", "GSI1SK": team_id}


def responder_route(organisation_id: str, level: str, area: str) -> dict[str, str]:
    """Which team answers for an organisation at a level in an area: one GetItem a level."""
    return {"PK": f"ROUTE#{organisation_id}#{level}#{area}", "SK": "ROUTE"}


def post_rate(subject: str, window: str) -> dict[str, str]:
    """Experiences posted from one address (a hash of it) in one window (TTL)."""
    return {"PK": f"POSTRATE#{subject}", "SK": window}
