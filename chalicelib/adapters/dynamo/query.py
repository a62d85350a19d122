"""A Query on the table or one of its indexes, said as a small specification, and its run.

Every read that is not a GetItem or a BatchGetItem goes through `run_query`: one place that
builds the KeyConditionExpression, checks a client's cursor and follows the pages.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...domain.errors import InvalidInput
from .items import decode_cursor


@dataclass(frozen=True)
class Query:
    """partition: the partition key's value (of `index` when there is one). The sort key is
    narrowed by sk_prefix, or by sk_from / sk_to (bounds, both included), never both.
    limit: at most this many items (without one, every page is read); cursor: where a previous
    page stopped. filter_equal: (attribute, value) pairs an item must have; filter_present:
    (attribute, True) an item must have, (attribute, False) it must not; filters, so what they
    drop is still read. count_only: Select=COUNT, no item comes back (run_count).
    consistent: a strongly consistent read (the table only)."""

    partition: str
    index: str | None = None
    sk_prefix: str | None = None
    sk_from: str | None = None
    sk_to: str | None = None
    descending: bool = False
    limit: int | None = None
    cursor: str | None = None
    consistent: bool = False
    filter_equal: tuple[tuple[str, str], ...] = ()
    filter_present: tuple[tuple[str, bool], ...] = ()
    count_only: bool = False

    def __post_init__(self) -> None:
        if self.sk_prefix and (self.sk_from or self.sk_to):
            raise ValueError("a Query narrows its sort key by a prefix or by bounds, not both")

    @property
    def key_attributes(self) -> tuple[str, str]:
        return ("PK", "SK") if self.index is None else (f"{self.index}PK", f"{self.index}SK")

    def request(self, table: str) -> dict[str, Any]:
        """The Query request, without its start key."""
        pk_name, sk_name = self.key_attributes
        condition = "#pk = :pk"
        names = {"#pk": pk_name}
        values: dict[str, Any] = {":pk": {"S": self.partition}}
        if self.sk_prefix:
            condition += " AND begins_with(#sk, :prefix)"
            names["#sk"] = sk_name
            values[":prefix"] = {"S": self.sk_prefix}
        elif self.sk_from or self.sk_to:
            names["#sk"] = sk_name
            values.update({name: {"S": bound} for name, bound in ((":from", self.sk_from),
                                                                   (":to", self.sk_to)) if bound})
            condition += (" AND #sk BETWEEN :from AND :to" if self.sk_from and self.sk_to
                          else " AND #sk >= :from" if self.sk_from else " AND #sk <= :to")
        request: dict[str, Any] = {
            "TableName": table, "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names, "ExpressionAttributeValues": values,
            "ScanIndexForward": not self.descending}
        filters = []
        for number, (attribute, value) in enumerate(sorted(self.filter_equal)):
            names[f"#w{number}"] = attribute
            values[f":w{number}"] = {"S": value}
            filters.append(f"#w{number} = :w{number}")
        for number, (attribute, present) in enumerate(sorted(self.filter_present)):
            names[f"#p{number}"] = attribute
            filters.append(f"attribute_exists(#p{number})" if present
                           else f"attribute_not_exists(#p{number})")
        if filters:
            request["FilterExpression"] = " AND ".join(filters)
        if self.count_only:
            request["Select"] = "COUNT"
        if self.index:
            request["IndexName"] = self.index
        elif self.consistent:
            request["ConsistentRead"] = True
        if self.limit:
            request["Limit"] = self.limit
        return request

    def start_key(self) -> dict[str, Any] | None:
        """The start key of the cursor, only if this very query could have made it."""
        pk_name, sk_name = self.key_attributes
        key_names = ("PK", "SK") if self.index is None else ("PK", "SK", pk_name, sk_name)
        start = decode_cursor(self.cursor, key_names, (pk_name, self.partition),
                              (sk_name, self.sk_prefix) if self.sk_prefix else None)
        # Within the bounds too: DynamoDB refuses a start key outside the key condition, and a
        # cursor of another period would otherwise read past this query's.
        if start and not ((self.sk_from or "") <= start[sk_name]["S"] <= (self.sk_to or "\U0010ffff")):
            raise InvalidInput("Ce curseur de pagination n'est pas valide.", field="cursor")
        return start


def run_query(client, table: str, query: Query) -> tuple[list[dict[str, Any]], dict | None]:
    """The items, and the key to go on from (None once the partition is read to its end)."""
    request = query.request(table)
    start = query.start_key()
    if start:
        request["ExclusiveStartKey"] = start
    limit = query.limit
    items: list[dict[str, Any]] = []
    while True:
        try:
            response = client.query(**request)
        except client.exceptions.ClientError as exc:
            # A start key DynamoDB rejects can only come from a cursor the client altered.
            if start and exc.response["Error"]["Code"] == "ValidationException":
                raise InvalidInput("Ce curseur de pagination n'est pas valide.", field="cursor") from exc
            raise
        items.extend(response.get("Items", []))
        last = response.get("LastEvaluatedKey")
        if not last or (limit and len(items) >= limit):
            return items, last
        request["ExclusiveStartKey"] = last
        if limit:
            request["Limit"] = limit - len(items)


def run_count(client, table: str, query: Query) -> tuple[int, bool]:
    """How many items the query finds, reading at most `limit` of them (Select=COUNT), and
    whether it stopped before the partition's end (the count is then "at least")."""
    request = query.request(table)
    limit = query.limit
    found = read = 0
    while True:
        response = client.query(**request)
        found += response.get("Count", 0)
        read += response.get("ScannedCount", 0)
        last = response.get("LastEvaluatedKey")
        if not last:
            return found, False
        if limit and read >= limit:
            return found, True
        request["ExclusiveStartKey"] = last
        if limit:
            request["Limit"] = limit - read
