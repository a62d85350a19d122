"""What every area's repository shares: the client, the table, and the generic reads and writes.

It never scans: every read is a GetItem, a BatchGetItem or a Query on a key or an index.
ClientError codes are translated into domain errors here.
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from ...domain.errors import RaceLost
from ...domain.models import Event
from .items import encode_key
from .query import Query, run_count, run_query
from .writes import Check, Delete, Write, event_write


class Table:
    def __init__(self, client, table_name: str):
        self._client = client
        self.table = table_name

    # --- reads ------------------------------------------------------------------------

    def _get(self, key: dict[str, str], consistent: bool = False) -> dict[str, Any] | None:
        response = self._client.get_item(TableName=self.table, Key=encode_key(key),
                                         ConsistentRead=consistent)
        return response.get("Item")

    def _get_many(self, key_list: list[dict[str, str]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(key_list), 100):
            pending = [encode_key(k) for k in key_list[start:start + 100]]
            delay = 0.05
            while pending:
                response = self._client.batch_get_item(RequestItems={self.table: {"Keys": pending}})
                found.extend(response.get("Responses", {}).get(self.table, []))
                pending = response.get("UnprocessedKeys", {}).get(self.table, {}).get("Keys", [])
                if pending:
                    time.sleep(delay)
                    delay = min(delay * 2, 2.0)
        return found

    def _query(self, query: Query) -> tuple[list[dict[str, Any]], dict | None]:
        return run_query(self._client, self.table, query)

    def _count(self, query: Query) -> tuple[int, bool]:
        return run_count(self._client, self.table, query)

    # --- writes -----------------------------------------------------------------------

    def transact(self, writes: Iterable[Write | Check | Delete]) -> None:
        """Write items together or not at all; a failed condition is a RaceLost. A lone put is
        a conditional PutItem: the same guarantee at half the write capacity."""
        writes = list(writes)
        if len(writes) == 1 and isinstance(writes[0], Write):
            if not self.put_new(writes[0]):
                raise RaceLost("Ce dossier vient d'être modifié par quelqu'un d'autre.")
            return
        items = [write.as_transact_item(self.table) for write in writes]
        try:
            self._client.transact_write_items(TransactItems=items)
        except self._client.exceptions.TransactionCanceledException as exc:
            reasons = [reason.get("Code") for reason in exc.response.get("CancellationReasons", [])]
            if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
                raise RaceLost("Ce dossier vient d'être modifié par quelqu'un d'autre.") from exc
            raise

    def put_new(self, write: Write) -> bool:
        """Put an item unless it exists (an inbound email that changes no case, a notice about
        one); False if it was already there."""
        try:
            self._client.put_item(TableName=self.table, Item=write.item,
                                  ConditionExpression=write.condition,
                                  **({"ExpressionAttributeValues": write.values} if write.values else {}))
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def add_event(self, event: Event) -> None:
        write = event_write(event)
        self._client.put_item(TableName=self.table, Item=write.item,
                              ConditionExpression=write.condition)

    def put_many(self, items: list[dict[str, Any]]) -> None:
        """Batch-write items (directory import)."""
        self._batch([{"PutRequest": {"Item": item}} for item in items])

    def delete_many(self, key_list: list[dict[str, str]]) -> None:
        """Batch-delete items (retention)."""
        self._batch([{"DeleteRequest": {"Key": encode_key(key)}} for key in key_list])

    def _batch(self, all_requests: list[dict[str, Any]]) -> None:
        """BatchWriteItem by 25, retrying what DynamoDB leaves unprocessed."""
        for start in range(0, len(all_requests), 25):
            requests = all_requests[start:start + 25]
            delay = 0.05
            while requests:
                response = self._client.batch_write_item(RequestItems={self.table: requests})
                requests = response.get("UnprocessedItems", {}).get(self.table, [])
                if requests:
                    time.sleep(delay)
                    delay = min(delay * 2, 2.0)
