"""Agents' feedback: by territory and date, and by contact point (GSI1)."""
from __future__ import annotations

from datetime import datetime

from ...domain.errors import NotFound, RaceLost
from ...domain.models import Event, Feedback, FeedbackKind, FeedbackStatus
from .. import keys
from .items import Page, encode_cursor, from_item
from .query import Query
from .table import Table
from .writes import event_write, feedback_write


class FeedbackRepository(Table):
    def create_feedback(self, feedback: Feedback, event: Event) -> None:
        self.transact([feedback_write(feedback, None), event_write(event)])

    def get_feedback(self, territory_code: str, created_at: datetime, feedback_id: str) -> Feedback:
        from ...domain.authz import FEEDBACK_NOT_FOUND

        item = self._get(keys.feedback(territory_code, created_at, feedback_id), consistent=True)
        if not item:
            raise NotFound(FEEDBACK_NOT_FOUND)
        return from_item(Feedback, item)

    def update_feedback(self, feedback: Feedback, previous_version: int, event: Event) -> None:
        try:
            self.transact([feedback_write(feedback, previous_version), event_write(event)])
        except RaceLost as exc:
            raise RaceLost("Cette remontée vient d'être modifiée par quelqu'un d'autre.") from exc

    def delete_feedback(self, old: list[Feedback]) -> None:
        """Delete feedback past its retention period (services/retention.py)."""
        self.delete_many([keys.feedback(f.territory_code, f.created_at, f.id) for f in old])

    def list_point_feedback(self, point_id: str, limit: int, cursor: str | None) -> Page:
        """A point's feedback, newest first."""
        items, last = self._query(Query(partition=keys.point_feedback_partition(point_id),
                                        index=keys.GSI1, limit=limit, cursor=cursor, descending=True))
        return Page([from_item(Feedback, i) for i in items[:limit]], encode_cursor(last))

    def list_territory_feedback(self, territory_code: str, start: datetime | None = None,
                                end: datetime | None = None, *, status: FeedbackStatus | None = None,
                                kind: FeedbackKind | None = None, limit: int | None = None,
                                cursor: str | None = None, newest_first: bool = True) -> Page:
        """A territory's feedback created in [start, end): one Query on the sort key's range;
        status and kind filter what it reads. Without a limit, every page is read."""
        # "<ts>#<id>" sorts after "<ts>" itself: the upper bound "<end ts>" leaves out `end`.
        where = tuple((name, value.value) for name, value in (("status", status), ("kind", kind)) if value)
        items, last = self._query(Query(partition=keys.feedback_partition(territory_code),
                                        sk_from=keys.iso(start) if start else None,
                                        sk_to=keys.iso(end) if end else None, filter_equal=where,
                                        limit=limit, cursor=cursor, descending=newest_first))
        return Page([from_item(Feedback, i) for i in (items[:limit] if limit else items)],
                    encode_cursor(last if limit else None))
