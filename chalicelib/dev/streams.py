"""The table's stream, read from DynamoDB Local and handed to the app's stream handler.

In AWS, an event source mapping polls the stream and invokes the Lambda. In the dev stage
(chalice local and the tests), `drain` plays that part after each request: it reads every new
record and calls the same handler with the same event shape. Like the mapping, it only moves
past a record once the handler has not reported it as failed, so a failed record is retried
on the next drain.
"""
from __future__ import annotations

import secrets
import threading
import time

from aws_lambda_powertools import Logger

logger = Logger(service="relais", child=True)
_lock = threading.Lock()
# (table, shard id) -> last sequence number handled
_positions: dict[tuple[str, str], str] = {}
_stream_arns: dict[str, str] = {}
BATCH = 100


def _streams_client(deps):
    return deps.dynamodb_streams


def _stream_arn(deps) -> str | None:
    table = deps.settings.table_name
    if table not in _stream_arns:
        description = deps.dynamodb.describe_table(TableName=table)["Table"]
        arn = description.get("LatestStreamArn")
        if not arn:
            return None
        _stream_arns[table] = arn
    return _stream_arns[table]


WAIT_SECONDS = 2.0
ROUNDS = 3             # the records, then those of the results entries they journaled
MARK = {"PK": {"S": "DEVSTREAM#mark"}, "SK": {"S": "MARK"}, "type": {"S": "DevStreamMark"}}


def drain(deps, handler, wait_seconds: float = WAIT_SECONDS, written: bool = False) -> int:
    """Hand every new stream record to handler(event) -> partial batch response; returns how
    many records were handled.

    DynamoDB Local shows stream records some 20-150 ms after the write, so a read right after
    a request would miss them. When the table was written to (or `written` says so), drain
    writes a mark item and reads until the mark's own record comes by: everything written
    before it has then been read (records of a shard are ordered), within `wait_seconds`
    a round (the demo seed gives it the time its thousands of records take)."""
    from ..services import results
    from . import emulation

    if not deps.settings.dynamodb_endpoint:
        return 0
    if not emulation.take_written() and not written:
        return 0      # no new Notification: the other records can wait for the next drain
    mark = secrets.token_hex(8)
    deps.dynamodb.put_item(TableName=deps.settings.table_name,
                           Item={**MARK, "mark": {"S": mark}})
    emulation.take_written()
    handled = 0
    for _ in range(ROUNDS):
        deadline = time.monotonic() + wait_seconds
        while True:
            count, seen = _drain_once(deps, handler, mark)
            handled += count
            if seen or time.monotonic() > deadline:
                if not seen:
                    logger.warning("dev stream: the mark never came by")
                break
            time.sleep(0.005)
        if not results.take_journaled():
            return handled
        # The handler journaled results entries: their own records come by the stream too,
        # as the entries' lanes do in AWS.
        mark = secrets.token_hex(8)
        deps.dynamodb.put_item(TableName=deps.settings.table_name, Item={**MARK, "mark": {"S": mark}})
        emulation.take_written()
    return handled


def _drain_once(deps, handler, mark: str | None = None):
    """One pass over every shard; with a mark, returns (handled, whether the mark was read)."""
    seen = False
    with _lock:
        arn = _stream_arn(deps)
        if arn is None:
            return (0, True) if mark is not None else 0
        client = _streams_client(deps)
        table = deps.settings.table_name
        handled = 0
        shards = client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        for shard in shards:
            position = _positions.get((table, shard["ShardId"]))
            request = {"StreamArn": arn, "ShardId": shard["ShardId"]}
            if position:
                request |= {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": position}
            else:
                request |= {"ShardIteratorType": "TRIM_HORIZON"}
            iterator = client.get_shard_iterator(**request)["ShardIterator"]
            while iterator:
                response = client.get_records(ShardIterator=iterator, Limit=BATCH)
                records = response.get("Records", [])
                if not records:
                    break
                for record in records:
                    record["eventSourceARN"] = arn
                result = handler({"Records": records}) or {}
                failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
                done = records
                if failed:
                    first = next(i for i, r in enumerate(records)
                                 if r["dynamodb"]["SequenceNumber"] in failed)
                    done = records[:first]
                if done:
                    _positions[(table, shard["ShardId"])] = done[-1]["dynamodb"]["SequenceNumber"]
                seen = seen or any(r["dynamodb"].get("NewImage", {}).get("mark", {}).get("S") == mark
                                   for r in done if mark)
                handled += len(done)
                if failed:
                    logger.warning("stream records failed; retried on the next drain",
                                   extra={"failed": len(failed)})
                    break
                iterator = response.get("NextShardIterator")
        return (handled, seen) if mark is not None else handled


def forget(table: str) -> None:
    with _lock:
        _stream_arns.pop(table, None)
        for key in [k for k in _positions if k[0] == table]:
            del _positions[key]


def replay_all(deps, handler) -> int:
    """Hand the whole stream, from its first record, to the handler again (replay tests)."""
    forget(deps.settings.table_name)
    return _drain_once(deps, handler)
