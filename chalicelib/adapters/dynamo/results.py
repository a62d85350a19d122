"""Published results: the cells of counters the stream keeps, and what they are computed from."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ...domain.errors import RaceLost
from ...domain.models import Case, Escalation
from .. import keys
from .items import encode_cursor, encode_key, from_item, item_type, plain_item
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
        return ([from_item(model, item) for item in items[:limit] if item_type(item) == wanted],
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

    def apply_results(self, *, source: tuple[str, str], version: int,
                      cells: dict[Cell, dict[str, int]], guard_expires_at: datetime) -> bool:
        """Add these amounts to the cells, unless this version of the source was already added.
        False when it was (a replayed stream record)."""
        return not self.apply_results_batch([(source, version, cells)], guard_expires_at)

    def apply_results_batch(self, changes: list[tuple[tuple[str, str], int, dict[Cell, dict[str, int]]]],
                            guard_expires_at: datetime) -> set[int]:
        """Add several sources' changes to the cells in one transaction: a guard per source (at
        most one change per source), then one update per cell with the changes' amounts summed.
        Applies nothing and returns the indexes of the changes already applied, if any (their
        guard refused them: drop them and call again); raises RaceLost on a conflict with
        another transaction; returns an empty set when all were added."""
        sources = [source for source, _, _ in changes]
        if len(set(sources)) != len(sources):
            raise ValueError("one change per source and transaction: a guard is one item")
        guards = [{"Update": {
            "TableName": self.table, "Key": encode_key(keys.results_guard(*source)),
            "UpdateExpression": "SET #v = :v, #t = :t, #type = :kind",
            "ConditionExpression": "attribute_not_exists(#v) OR #v < :v",
            "ExpressionAttributeNames": {"#v": "applied_version", "#t": "expires_at", "#type": "type"},
            "ExpressionAttributeValues": {":v": {"N": str(version)},
                                          ":t": {"N": str(int(guard_expires_at.timestamp()))},
                                          ":kind": {"S": "ResultsGuard"}}}} for source, version, _ in changes]
        summed: dict[Cell, dict[str, int]] = {}
        for _, _, cells in changes:
            for cell, counters in cells.items():
                into = summed.setdefault(cell, {})
                for name, amount in counters.items():
                    into[name] = into.get(name, 0) + amount
        updates = []
        for (period, kind, scope_id), counters in sorted(summed.items()):
            counters = {name: amount for name, amount in counters.items() if amount}
            if not counters:
                continue                    # changes that cancel out in this cell: nothing to write
            names = {f"#c{i}": name for i, name in enumerate(sorted(counters))}
            values = {f":c{i}": {"N": str(counters[name])} for i, name in enumerate(sorted(counters))}
            updates.append({"Update": {
                "TableName": self.table, "Key": encode_key(keys.results_cell(period, kind, scope_id)),
                "UpdateExpression": "SET #type = :kind ADD " + ", ".join(f"{n} :{n[1:]}" for n in names),
                "ExpressionAttributeNames": {**names, "#type": "type"},
                "ExpressionAttributeValues": {**values, ":kind": {"S": "ResultsCell"}}}})
        if len(guards) + len(updates) > 100:
            raise ValueError(f"a results transaction of {len(guards) + len(updates)} items exceeds 100")
        try:
            self._client.transact_write_items(TransactItems=[*guards, *updates])
        except self._client.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            refused = {i for i, code in enumerate(reasons[:len(guards)]) if code == "ConditionalCheckFailed"}
            if refused:
                return refused
            if "TransactionConflict" in reasons:
                raise RaceLost("Les résultats viennent d'être modifiés par une autre écriture.") from exc
            raise
        return set()

    def replace_results(self, cells: dict[Cell, dict[str, int]], stale: Iterable[Cell] = ()) -> None:
        """Put these cells whole, and delete the stale ones (the weekly repair)."""
        self.put_many([plain_item(keys.results_cell(*cell), "ResultsCell", **counters)
                       for cell, counters in cells.items()])
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
