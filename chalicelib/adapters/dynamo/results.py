"""Published results: the cells of counters the stream keeps, and what they are computed from."""
from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from ...domain.models import Case, Escalation
from .. import keys
from .items import encode_cursor, encode_key, from_index, item_type, plain_item
from .query import Query
from .table import Table

Cell = tuple[str, str, str]        # (period, scope kind, scope id)


class ResultsRepository(Table):
    def results_sources(self, kind: str, scope_id: str, status: str | None, since: datetime | None,
                        limit: int, cursor: str | None) -> tuple[list[Case | Escalation], str | None]:
        """What a results check sums, a page at a time: a point's cases (kind "point", by status
        and creation) or a group's escalations (kind "group", by status and deadline); with a
        status, only those; with `since` too, only those created (due) at or after it."""
        partition, index = (f"POINT#{scope_id}", keys.GSI1) if kind == "point" else (f"GROUP#{scope_id}", keys.GSI2)
        model, wanted = (Case, "Case") if kind == "point" else (Escalation, "Escalation")
        if status and since:
            bounds = {"sk_from": f"{status}#{keys.iso(since)}", "sk_to": f"{status}#~"}
        else:
            bounds = {"sk_prefix": f"{status}#" if status else None}
        items, last = self._query(Query(partition=partition, index=index, limit=limit, cursor=cursor, **bounds))
        return ([from_index(model, item) for item in items[:limit] if item_type(item) == wanted],
                encode_cursor(last))

    def get_results(self, cells: Iterable[Cell]) -> dict[Cell, dict[str, int]]:
        """These cells as stored (one BatchGetItem per 100): a cell absent or all zero is left out."""
        found = {}
        for item in self._get_many([keys.results_cell(*cell) for cell in cells]):
            period = item["PK"]["S"].removeprefix("RESULTS#")
            scope_kind, _, scope_id = item["SK"]["S"].partition("#")
            counters = {name: int(value["N"]) for name, value in item.items()
                        if "N" in value and int(value["N"]) != 0}
            if counters:
                found[(period, scope_kind, scope_id)] = counters
        return found

    def journal_results(self, lane: int, source: tuple[str, str], version: int,
                        cells: dict[Cell, dict[str, int]], expires_at: datetime) -> bool:
        """Write this version's change of the source as an entry of its lane, once: False when
        the entry is already there (a replayed stream record)."""
        item = {**encode_key(keys.results_entry(lane, *source, version)),
                "type": {"S": "ResultsEntry"}, "lane": {"N": str(lane)},
                "cells": {"S": json.dumps([[*cell, counters] for cell, counters in sorted(cells.items())],
                                          separators=(",", ":"))},
                "expires_at": {"N": str(int(expires_at.timestamp()))}}
        try:
            self._client.put_item(TableName=self.table, Item=item,
                                  ConditionExpression="attribute_not_exists(PK)")
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def add_to_cell(self, cell: Cell, counters: dict[str, int], *, lane: int, upto: str,
                    above: str | None = None, at: str | None = None) -> str | None:
        """ADD these amounts (none: the mark alone) to the cell and move its lane's mark to `upto`
        (a zero-padded stream position), if the mark is below `above` (or absent), or, with `at`,
        exactly `at`.
        Returns None when added; otherwise the cell's mark as it is (the entries up to it were
        added already: add only those after it, with `at` set to it)."""
        names = {f"#c{i}": name for i, name in enumerate(sorted(counters))}
        values = {f":c{i}": {"N": str(counters[name])} for i, name in enumerate(sorted(counters))}
        condition = "#m = :at" if at is not None else "attribute_not_exists(#m) OR #m < :above"
        try:
            self._client.update_item(
                TableName=self.table, Key=encode_key(keys.results_cell(*cell)),
                UpdateExpression="SET #type = :kind, #m = :upto" + (
                    " ADD " + ", ".join(f"{n} :{n[1:]}" for n in names) if names else ""),
                ConditionExpression=condition,
                ExpressionAttributeNames={**names, "#type": "type", "#m": f"mark{lane}"},
                ExpressionAttributeValues={**values, ":kind": {"S": "ResultsCell"}, ":upto": {"S": upto},
                                           **({":at": {"S": at}} if at is not None else {":above": {"S": above or ""}})},
                ReturnValuesOnConditionCheckFailure="ALL_OLD")
        except self._client.exceptions.ConditionalCheckFailedException as exc:
            return exc.response.get("Item", {}).get(f"mark{lane}", {}).get("S", "")
        return None

    def replace_results(self, cells: dict[Cell, dict[str, int]], stale: Iterable[Cell] = ()) -> None:
        """Put these cells whole, and delete the stale ones (the weekly repair). A cell keeps
        its lanes' marks, so that a stream record replayed after the repair adds nothing twice."""
        marks = {(item["PK"]["S"], item["SK"]["S"]): {name: value for name, value in item.items()
                                                      if name.startswith("mark") and "S" in value}
                 for item in self._get_many([keys.results_cell(*cell) for cell in cells])}
        items = []
        for cell, counters in cells.items():
            item = plain_item(keys.results_cell(*cell), "ResultsCell", **counters)
            items.append({**item, **marks.get((item["PK"]["S"], item["SK"]["S"]), {})})
        self.put_many(items)
        self.delete_many([keys.results_cell(*cell) for cell in stale])

    def read_results(self, period: str, kind: str | None = None) -> dict[Cell, dict[str, int]]:
        items, _ = self._query(Query(partition=f"RESULTS#{period}",
                                     sk_prefix=f"{kind}#" if kind else None))
        cells = {}
        for item in items:
            scope_kind, _, scope_id = item["SK"]["S"].partition("#")
            counters = {name: int(value["N"]) for name, value in item.items()
                        if "N" in value and int(value["N"]) != 0}      # a counter taken back to zero
            if counters:                                                 # a cell taken back to nothing
                cells[(period, scope_kind, scope_id)] = counters
        return cells
