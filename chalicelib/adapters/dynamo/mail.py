"""Email plumbing: reply tokens, the mail we sent, undeliverable addresses, inbound and quarantine."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ...domain.models import QuarantinedEmail
from ...domain.ports import EscalationRef, ExperienceRef
from .. import keys
from .items import encode_key, from_item, plain_item
from .query import Query
from .table import Table

ReplyTarget = EscalationRef       # where an emailed reply goes


class MailRepository(Table):
    def get_reply_target(self, token: str) -> ReplyTarget | ExperienceRef | None:
        """An escalation's, or (its item names an experience_id) an experience team's."""
        item = self._get(keys.reply_token(token))
        if item and "experience_id" in item:
            return ExperienceRef(item["experience_id"]["S"])
        return ReplyTarget(item["case_ref"]["S"], item["group_id"]["S"]) if item else None

    def put_sent_mail(self, ses_message_id: str, case_ref: str, group_id: str | None,
                      notification_id: str, expires_at: datetime) -> None:
        """What an email we sent was about: threads a reply, and maps a bounce to its case."""
        self._client.put_item(TableName=self.table, Item=plain_item(
            keys.sent_mail(ses_message_id), "SentMail", case_ref=case_ref, group_id=group_id,
            notification_id=notification_id, expires_at=int(expires_at.timestamp())))

    def get_sent_mails(self, ses_message_ids: Iterable[str]) -> dict[str, ReplyTarget]:
        found = self._get_many([keys.sent_mail(i) for i in set(ses_message_ids)])
        return {item["PK"]["S"].removeprefix("MAIL#"): ReplyTarget(
                    item["case_ref"]["S"], item["group_id"]["S"] if "group_id" in item else "")
                for item in found}

    def reserve_sends(self, window: str, limit: int, block: int, expires_at: datetime) -> int:
        """Take up to `block` of the `limit` sends a pacing window allows, all functions
        together (one conditional update); how many were granted, 0 if the window is spent."""
        key = encode_key(keys.pace(window))
        names = {"#sent": "sent", "#type": "type", "#expires": "expires_at"}
        granted = min(block, limit)
        while granted > 0:
            try:
                self._client.update_item(
                    TableName=self.table, Key=key, ExpressionAttributeNames=names,
                    UpdateExpression="ADD #sent :n SET #type = :kind, #expires = :expires",
                    ConditionExpression="attribute_not_exists(#sent) OR #sent <= :room",
                    ExpressionAttributeValues={":n": {"N": str(granted)}, ":room": {"N": str(limit - granted)},
                                               ":kind": {"S": "SendPace"},
                                               ":expires": {"N": str(int(expires_at.timestamp()))}})
                return granted
            except self._client.exceptions.ConditionalCheckFailedException:
                item = self._get(keys.pace(window), consistent=True)
                left = limit - int(item["sent"]["N"]) if item and "sent" in item else limit
                granted = min(granted - 1, left)      # what is left of the window, if anything
        return 0

    def undeliverable(self, addresses: Iterable[str]) -> set[str]:
        """The addresses among these that bounced for good or complained."""
        found = self._get_many([keys.address(a) for a in {a.strip().lower() for a in addresses}])
        return {item["PK"]["S"].removeprefix("ADDRESS#") for item in found}

    def mark_undeliverable(self, address: str, reason: str, at: datetime) -> None:
        self._client.put_item(TableName=self.table, Item=plain_item(
            keys.address(address), "UndeliverableAddress", reason=reason, at=at.isoformat()))

    def inbound_seen(self, digest: str) -> bool:
        return self._get(keys.inbound(digest), consistent=True) is not None

    def list_quarantined(self, ref: str) -> list[QuarantinedEmail]:
        """The case's quarantined inbound emails, oldest first (ids are digests: sorted by date here)."""
        items, _ = self._query(Query(partition=keys.case_partition(ref), sk_prefix="QUAR#",
                                     consistent=True))
        return sorted((from_item(QuarantinedEmail, i) for i in items), key=lambda q: q.received_at)

    def get_quarantined(self, ref: str, quarantine_id: str) -> QuarantinedEmail | None:
        item = self._get(keys.quarantined(ref, quarantine_id), consistent=True)
        return from_item(QuarantinedEmail, item) if item else None
