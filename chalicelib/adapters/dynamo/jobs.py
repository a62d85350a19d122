"""Scheduled work's bookkeeping: job cursors, the reminder sweep's index, the retention sweep."""
from __future__ import annotations

from datetime import datetime

from .. import keys
from .items import decode_key, encode_cursor, encode_key
from .mail import ReplyTarget
from .query import Query
from .table import Table


class JobRepository(Table):
    def job_cursor(self, job: str) -> str | None:
        """The job's cursor (for the reminder sweep, the oldest UTC day still to read)."""
        item = self._get(keys.job_cursor(job), consistent=True)
        return item["position"]["S"] if item else None

    def advance_job_cursor(self, job: str, position: str) -> bool:
        """Move the cursor forward to `position` (compared as strings: ISO days); never back,
        as an overlapping run may have moved it further. False if it was already there."""
        try:
            self._client.update_item(
                TableName=self.table, Key=encode_key(keys.job_cursor(job)),
                UpdateExpression="SET #position = :position, #type = :kind",
                ConditionExpression="attribute_not_exists(#position) OR #position < :position",
                ExpressionAttributeNames={"#position": "position", "#type": "type"},
                ExpressionAttributeValues={":position": {"S": position}, ":kind": {"S": "JobCursor"}})
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def due_escalations(self, day: str, shard: int, now: datetime, limit: int | None = None,
                        after: str | None = None) -> tuple[list[ReplyTarget], str | None]:
        """Escalations of one day and shard whose next ladder stage is due by now: up to `limit`
        of them from `after` on, and where the next ones start (None: no more)."""
        items, last = self._query(Query(partition=keys.due_partition(day, shard), index=keys.GSI3,
                                        sk_to=f"{keys.iso(now)}#~", limit=limit, cursor=after))
        items = items[:limit] if limit else items
        return ([ReplyTarget(item["PK"]["S"].removeprefix("CASE#"), item["SK"]["S"].removeprefix("ESC#"))
                 for item in items], encode_cursor(last))

    def retention_due(self, day: str, limit: int, after: str | None = None
                      ) -> tuple[list[tuple[str, dict[str, str]]], str | None]:
        """Up to `limit` cases that closed on a (UTC) day and wait for the retention sweep, as
        (ref, marker key), from `after` on; and where the next ones start (None: no more)."""
        items, last = self._query(Query(partition=f"PURGE#{day}", limit=limit, cursor=after))
        # An experience's marker (its contact details) is told apart by its "EXP#<id>" ref.
        return [(i["case_ref"]["S"] if "case_ref" in i else f"EXP#{i['experience_id']['S']}", decode_key(i))
                for i in items[:limit]], encode_cursor(last)
