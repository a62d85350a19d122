"""Cases and their thread: a case, its escalations, messages and events share one partition."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ...domain.errors import NotFound
from ...domain.models import (
    Case,
    CaseStatus,
    Escalation,
    EscalationStatus,
    Event,
    Message,
    QuarantinedEmail,
)
from .. import keys
from .items import Page, encode_cursor, from_index, from_item, plain_item
from .query import Query
from .table import Table


def _info_filter(info_requested: bool | None) -> tuple[tuple[str, bool], ...]:
    return () if info_requested is None else (("info_requested_by", info_requested),)


@dataclass
class CaseBundle:
    case: Case
    escalations: dict[str, Escalation]
    messages: list[Message]
    events: list[Event]


class CaseRepository(Table):
    def get_case(self, ref: str) -> Case:
        item = self._get(keys.case(ref), consistent=True)
        if not item:
            raise NotFound("Ce dossier est introuvable.")
        return from_item(Case, item)

    def get_cases(self, refs: Iterable[str]) -> list[Case]:
        items = self._get_many([keys.case(ref) for ref in dict.fromkeys(refs)])
        return [from_item(Case, item) for item in items]

    def get_bundle(self, ref: str) -> CaseBundle:
        """The case, its escalations, messages and events: one strongly consistent Query."""
        items, _ = self._query(Query(partition=keys.case_partition(ref), consistent=True))
        by_type: dict[str, list[dict[str, Any]]] = {}
        for item in items:
            by_type.setdefault(item["type"]["S"], []).append(item)
        if "Case" not in by_type:
            raise NotFound("Ce dossier est introuvable.")
        escalations = [from_item(Escalation, i) for i in by_type.get("Escalation", [])]
        return CaseBundle(
            case=from_item(Case, by_type["Case"][0]),
            escalations={e.group_id: e for e in escalations},
            messages=[from_item(Message, i) for i in by_type.get("Message", [])],
            events=[from_item(Event, i) for i in by_type.get("Event", [])])

    def list_point_cases(self, point_id: str, status: CaseStatus | None, limit: int,
                         cursor: str | None, info_requested: bool | None = None) -> Page:
        """info_requested: only the cases where a partner waits for information from the
        agent (True), or only the others (False); a filter on the status's entries."""
        items, last = self._query(Query(partition=f"POINT#{point_id}", index=keys.GSI1,
                                        sk_prefix=keys.status_prefix(status), limit=limit,
                                        cursor=cursor, descending=True,
                                        filter_present=_info_filter(info_requested)))
        return Page([from_index(Case, i) for i in items[:limit]], encode_cursor(last))

    def count_point_cases(self, point_id: str, status: CaseStatus, at_most: int) -> tuple[int, bool]:
        """How many cases of a point have that status, reading at most `at_most` index entries
        (Select=COUNT); True with it when there are more."""
        return self._count(Query(partition=f"POINT#{point_id}", index=keys.GSI1,
                                 sk_prefix=keys.status_prefix(status), limit=at_most,
                                 count_only=True))

    def mark_seen(self, user_id: str, ref: str, partner_messages: int, expires_at: int) -> None:
        """The agent opened the case: the partner messages it held are read."""
        self._client.put_item(TableName=self.table, Item=plain_item(
            keys.case_seen(user_id, ref), "Seen", partner_messages=partner_messages,
            expires_at=expires_at))

    def seen_counts(self, user_id: str, refs: Iterable[str]) -> dict[str, int]:
        """Per case, how many partner messages the agent had seen (absent: never opened)."""
        items = self._get_many([keys.case_seen(user_id, ref) for ref in dict.fromkeys(refs)])
        return {item["SK"]["S"]: int(item["partner_messages"]["N"]) for item in items}

    def list_group_escalations(self, group_id: str, status: EscalationStatus | None, limit: int,
                               cursor: str | None, descending: bool = False) -> Page:
        """Oldest due first; descending: the latest due first (the answered ones, most recent)."""
        items, last = self._query(Query(partition=f"GROUP#{group_id}", index=keys.GSI2,
                                        sk_prefix=keys.status_prefix(status), limit=limit,
                                        cursor=cursor, descending=descending))
        return Page([from_index(Escalation, i) for i in items[:limit]], encode_cursor(last))

    def drop_lookups(self, bundle: CaseBundle, quarantined: Iterable[QuarantinedEmail]) -> None:
        """Delete what leads to the usager (retention): the case's messages, its quarantine
        records, its Reply-To tokens, its name and phone entries. In batches, outside any
        transaction (a case may have more than a transaction holds); the case's own wipe follows."""
        from ...domain.search import name_keys

        case, ref = bundle.case, bundle.case.ref
        lookups = [keys.message(ref, m.created_at, m.id) for m in bundle.messages]
        lookups += [keys.quarantined(ref, q.id) for q in quarantined]
        lookups += [keys.reply_token(e.reply_token) for e in bundle.escalations.values() if e.reply_token]
        if case.usager is not None:
            lookups += [keys.name_search(case.point_id, key, ref)
                        for key in name_keys(case.usager.first_name, case.usager.last_name)]
            if case.usager.phone:           # a usager without a phone has no phone entry
                lookups.append(keys.phone_case(case.usager.phone, case.created_at, ref))
        self.delete_many(lookups)

    def search_point_cases(self, point_id: str, prefix: str, limit: int) -> list[str]:
        """References of a point's cases whose usager's name starts with prefix (folded)."""
        items, _ = self._query(Query(partition=f"NAME#{point_id}", sk_prefix=prefix, limit=limit))
        return [item["case_ref"]["S"] for item in items]
