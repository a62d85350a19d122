"""The DynamoDB repository: the only package that speaks to the table.

items.py turns models into items and back (keys and cursors too); writes.py builds what a
transaction writes; query.py says a Query and runs it; table.py holds the generic reads and
writes; one module per area holds that area's reads and writes. `Repository` is all of them on
one client and table (`deps.repo`): the services read through it, and change cases through the
unit of work (adapters/unit_of_work.py), which stages the builders' writes in one transaction.
"""
from __future__ import annotations

from .cases import CaseBundle, CaseRepository
from .directory import DirectoryEntity, DirectoryRepository, entity_items
from .experiences import ExperienceRepository
from .feedback import FeedbackRepository
from .items import (
    KEY_ATTRIBUTES,
    Page,
    decode_cursor,
    decode_key,
    encode_cursor,
    encode_key,
    from_image,
    from_item,
    plain_item,
    to_item,
)
from .jobs import JobRepository
from .mail import MailRepository, ReplyTarget
from .query import Query, run_query
from .results import ResultsRepository
from .secrets import SecretRepository
from .sms import SmsRepository
from .table import Table
from .writes import (
    Check,
    Delete,
    Write,
    case_still_open,
    case_write,
    digest_sent_write,
    escalation_write,
    event_write,
    feedback_write,
    inbound_write,
    login_link_write,
    message_write,
    name_search_writes,
    new_item,
    notification_write,
    phone_case_write,
    quarantine_write,
    reply_token_write,
    retention_write,
    sender_notice_write,
    upload_write,
    versioned,
)


class Repository(DirectoryRepository, SecretRepository, CaseRepository, MailRepository,
                 JobRepository, ResultsRepository, SmsRepository, FeedbackRepository,
                 ExperienceRepository):
    """Every area's repository on one client and one table (see the areas' modules)."""


__all__ = [
    "KEY_ATTRIBUTES", "CaseBundle", "CaseRepository", "Check", "Delete", "DirectoryEntity",
    "DirectoryRepository", "FeedbackRepository", "JobRepository", "MailRepository", "Page", "Query",
    "ReplyTarget", "Repository", "ResultsRepository", "SecretRepository",
    "SmsRepository", "Table", "Write", "case_still_open", "case_write", "decode_cursor", "decode_key",
    "digest_sent_write", "encode_cursor", "encode_key", "entity_items", "escalation_write",
    "event_write", "feedback_write", "from_image", "from_item", "inbound_write", "login_link_write", "message_write",
    "name_search_writes", "new_item", "notification_write", "phone_case_write", "plain_item",
    "quarantine_write", "reply_token_write", "retention_write", "run_query", "sender_notice_write",
    "to_item", "upload_write", "versioned",
]
