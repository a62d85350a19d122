"""What the benchmarks share: the local stack as Lambda sees AWS, a capacity meter with its
floor, and the figures file each benchmark writes for docs/performance.md (bench/report.py).

The stack: DynamoDB Local for the table (real ConsumedCapacity), and moto's server in its own
process for SES, SNS, SQS and S3, reached through botocore's AWS_ENDPOINT_URL_<SERVICE>. The
app runs as in Lambda: no emulation in its process, so its memory is its own. The dev stage
only plays the table's stream and the SMS queue after each request, as the event source
mappings do in AWS.
"""
from __future__ import annotations

import json
import math
import os
import secrets
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FIGURES = ROOT / "build" / "bench"
TABLE = "relais-bench"
# Every bench runs as of one working morning, whatever the hour it is run at: at night the SMS
# wait for the morning (quiet hours) and the figures would change with the hour.
BENCH_INSTANT = "2026-11-24T10:00:00+01:00"
MOTO_SERVICES = ("SESV2", "SES", "SNS", "SQS", "S3")


# --- the stack ---------------------------------------------------------------------------------

@contextmanager
def local_aws(table: str = TABLE, stream: bool = True, directory: bool = True):
    """DynamoDB Local and moto's server, each in its own process; the environment set for the
    app; the table created, the demo directory imported. Yields the DynamoDB endpoint."""
    import time_machine

    from devtools import stack

    traveller = time_machine.travel(BENCH_INSTANT, tick=True)
    traveller.start()
    ddb_port, moto_port = stack.free_port(), stack.free_port()
    dynamodb = stack.start_dynamodb(ddb_port)
    moto = subprocess.Popen([str(Path(sys.executable).with_name("moto_server")), "-p", str(moto_port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        endpoint, moto_url = f"http://127.0.0.1:{ddb_port}", f"http://127.0.0.1:{moto_port}"
        _wait(moto_url)
        os.environ.update({**stack.LOCAL_CREDENTIALS, "RELAIS_DYNAMODB_ENDPOINT": endpoint,
                           "RELAIS_TABLE": table, "RELAIS_STAGE": "dev", "POWERTOOLS_METRICS_NAMESPACE": "Relais",
                           "POWERTOOLS_SERVICE_NAME": "relais", "RELAIS_BASE_URL": "http://relais.bench",
                           "POWERTOOLS_METRICS_DISABLED": "true",
                           **{f"AWS_ENDPOINT_URL_{service}": moto_url for service in MOTO_SERVICES}})
        os.environ.pop("RELAIS_AWS_EMULATION", None)
        stack.create_table(endpoint, table, stream=stream)
        _prepare_moto()
        if directory:
            stack.seed_demo(endpoint, table)        # as `make run` does: the admin CSV import
        yield endpoint
    finally:
        stack.stop_process(moto)
        stack.stop_process(dynamodb)
        traveller.stop()


def _wait(url: str) -> None:
    import urllib.request

    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("moto's server did not start")


def _prepare_moto() -> None:
    import boto3

    from chalicelib.config import settings

    current = settings()
    sender = current.mail_from.rsplit("@", 1)[1].rstrip(">")
    boto3.client("sesv2").create_email_identity(EmailIdentity=sender)
    boto3.client("sqs").create_queue(QueueName=current.sms_queue, Attributes={"VisibilityTimeout": "60"})
    boto3.client("s3").create_bucket(Bucket=current.mail_bucket,
                                     CreateBucketConfiguration={"LocationConstraint": current.region})


def session_cookie(email: str) -> dict[str, str]:
    """A signed-in session for a directory user, written as the sign-in writes it (the login
    email is not what is measured)."""
    from chalicelib import bootstrap
    from chalicelib.adapters import keys
    from chalicelib.services import auth

    deps = bootstrap.deps()
    token = secrets.token_urlsafe(32)
    user = deps.repo.get_user_by_email(email)
    deps.repo.put_secret(keys.SESSION, auth._digest(token), user.id, deps.now() + timedelta(hours=12))
    return {"Cookie": f"relais_session={token}", "Content-Type": "application/json"}


# --- capacity ----------------------------------------------------------------------------------

WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


def item_size(item: dict) -> int:
    """An item's size in bytes as DynamoDB counts it: attribute names plus values."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict) -> int:
    (kind, content), = value.items()
    if kind == "S":
        return len(content.encode())
    if kind == "N":
        digits = len(Decimal(content).normalize().as_tuple().digits) or 1   # zeros at either end trimmed
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(content)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: element}) for element in content)
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(v) + 1 for k, v in content.items())
    if kind == "L":
        return 3 + sum(_value_size(v) + 1 for v in content)
    raise ValueError(kind)


def _indexes() -> list[tuple[tuple[str, ...], frozenset[str] | None]]:
    """The table's GSIs: their key attributes, and the attributes they project (None: ALL)."""
    spec = json.loads((ROOT / "infra" / "table.json").read_text(encoding="utf-8"))
    table_keys = ("PK", "SK")
    indexes = []
    for index in spec["GlobalSecondaryIndexes"]:
        key_names = tuple(k["AttributeName"] for k in index["KeySchema"])
        projection = index["Projection"]
        projected = (None if projection["ProjectionType"] == "ALL"
                     else frozenset((*table_keys, *key_names, *projection.get("NonKeyAttributes", ()))))
        indexes.append((key_names, projected))
    return indexes


INDEXES = _indexes()


def billed_units(old: dict | None, new: dict | None, table_factor: int = 1) -> int:
    """What AWS bills for one write, from the item before and after it (DynamoDB's rules):
    the table's write on the larger of the two images, twice in a transaction (`table_factor`:
    "one to prepare the transaction and one to commit the transaction"); in each index, one
    write when the item enters, leaves, or stays with the same key, two when its index key
    changes (the old entry deleted, the new one put), none when neither its key nor any
    attribute it projects changed; an index copies what it projects (ALL: the whole item;
    INCLUDE: its keys and the attributes named; KEYS_ONLY: its keys). Index writes are not
    doubled by a transaction: "changes made with transactions are propagated to global
    secondary indexes ... after the transaction completes" (DynamoDB developer guide,
    Transactions: how it works)."""
    units = table_factor * kilobytes(_larger(old, new))
    for key_names, projected in INDEXES:
        was = old is not None and all(name in old for name in key_names)
        now = new is not None and all(name in new for name in key_names)
        if was and now:
            before, after = _projection(old, projected), _projection(new, projected)
            if all(old[name] == new[name] for name in key_names):
                units += kilobytes(_larger(before, after)) if before != after else 0
            else:
                units += kilobytes(before) + kilobytes(after)
        elif was:
            units += kilobytes(_projection(old, projected))
        elif now:
            units += kilobytes(_projection(new, projected))
    return units


def _projection(item: dict, projected: frozenset[str] | None) -> dict:
    return item if projected is None else {name: value for name, value in item.items() if name in projected}


def standalone_units(item: dict | None) -> int:
    """What writing a new item alone costs in AWS, its index copies included."""
    return billed_units(None, item) if item else 1


def _larger(old: dict | None, new: dict | None) -> dict | None:
    if old is None or new is None:
        return new if old is None else old
    return new if item_size(new) >= item_size(old) else old


def kilobytes(item: dict | None) -> int:
    """The write floor of one item: its size rounded up to 1 KB (a delete of nothing: 1)."""
    return max(1, math.ceil(item_size(item) / 1024)) if item else 1


@dataclass
class Meter:
    """Every DynamoDB call of the process, by any client (the app's, Powertools' idempotency
    store's): the capacity DynamoDB reports, and the floor of what was written."""

    read: float = 0.0
    write: float = 0.0              # as DynamoDB Local reports it
    billed_write: float = 0.0       # as AWS bills it: Local under-reports transactions (below)
    floor: int = 0
    items_written: int = 0
    calls: dict[str, int] = field(default_factory=dict)
    by_step: dict[str, dict] = field(default_factory=dict)
    written_types: dict[str, int] = field(default_factory=dict)   # items written, by their type
    billed_types: dict[str, list] = field(default_factory=dict)   # type -> [billed units, floor units]
    other_calls: int = 0            # calls to SES, SNS, SQS and S3 (not the dev stream's reads)
    emails: int = 0                 # SES sends (one recipient each)
    sms_segments: int = 0           # SNS publishes to a phone, in 160/70-character segments
    s3_bytes: int = 0               # bytes of the S3 objects read (GetObject)

    @contextmanager
    def on(self):
        from botocore.client import BaseClient

        original = BaseClient._make_api_call
        meter = self

        def metered(client, operation, params):
            service = client.meta.service_model.service_name
            if service != "dynamodb":
                response = original(client, operation, params)
                meter._count_message(service, operation, params)
                if service == "s3" and operation == "GetObject":
                    meter.s3_bytes += response.get("ContentLength", 0)
                meter.other_calls += service != "dynamodbstreams"
                return response
            if params.get("Item", {}).get("type") == {"S": "DevStreamMark"}:
                return original(client, operation, params)      # the dev drain's own mark: not in AWS
            shape = client.meta.service_model.operation_model(operation).input_shape
            if "ReturnConsumedCapacity" in shape.members:
                params = {**params, "ReturnConsumedCapacity": "TOTAL"}
            entries = meter._entries(original, client, operation, params)
            try:
                response = original(client, operation, params)
            except client.exceptions.ClientError as error:
                meter._count_failed(operation, entries, error)
                raise
            meter._count(original, client, operation, response, entries)
            return response

        BaseClient._make_api_call = metered
        try:
            yield self
        finally:
            BaseClient._make_api_call = original

    @contextmanager
    def step(self, name: str):
        names = ("read", "write", "billed_write", "floor", "items_written")
        start = [getattr(self, name) for name in names]
        yield
        totals = self.by_step.setdefault(name, dict.fromkeys(names, 0))
        for key, then in zip(names, start, strict=True):
            totals[key] += getattr(self, key) - then

    def _count_message(self, service: str, operation: str, params: dict) -> None:
        from chalicelib.domain.sms import segments

        if service == "sesv2" and operation == "SendEmail":
            self.emails += 1
        elif service == "pinpoint-sms-voice-v2" and operation == "SendTextMessage":
            self.sms_segments += segments(params["MessageBody"])

    def _entries(self, original, client, operation, params) -> list[list]:
        """Each write of the call as [kind, table, key, item before, item put (or None)]."""
        def key_of(table: str, item: dict) -> dict:
            schema = ("PK", "SK")
            return {name: item[name] for name in schema if name in item}

        raw: list[tuple[str, str, dict, dict | None]] = []
        if operation == "PutItem":
            raw.append(("put", params["TableName"], key_of(params["TableName"], params["Item"]), params["Item"]))
        elif operation == "UpdateItem":
            raw.append(("update", params["TableName"], params["Key"], None))
        elif operation == "DeleteItem":
            raw.append(("delete", params["TableName"], params["Key"], None))
        elif operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                (kind, body), = entry.items()
                item = body.get("Item")
                raw.append(({"Put": "put", "Update": "update", "Delete": "delete", "ConditionCheck": "check"}[kind],
                            body["TableName"], body.get("Key") or key_of(body["TableName"], item), item))
        elif operation == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                for request in requests:
                    if "PutRequest" in request:
                        item = request["PutRequest"]["Item"]
                        raw.append(("put", table, key_of(table, item), item))
                    else:
                        raw.append(("delete", table, request["DeleteRequest"]["Key"], None))
        return [[kind, table, key, original(client, "GetItem", {"TableName": table, "Key": key}).get("Item"), item]
                for kind, table, key, item in raw]

    def _count_failed(self, operation: str, entries: list[list], error) -> None:
        """A write refused by its condition is billed all the same (the table's write)."""
        code = error.response.get("Error", {}).get("Code", "")
        if code not in ("ConditionalCheckFailedException", "TransactionCanceledException"):
            return
        self.calls[operation] = self.calls.get(operation, 0) + 1
        factor = 2 if operation == "TransactWriteItems" else 1
        self.billed_write += factor * sum(kilobytes(_larger(old, new)) for _, _, _, old, new in entries)

    def _count(self, original, client, operation, response, entries) -> None:
        self.calls[operation] = self.calls.get(operation, 0) + 1
        consumed = response.get("ConsumedCapacity")
        for entry in consumed if isinstance(consumed, list) else [consumed] if consumed else []:
            units = entry.get("CapacityUnits", 0.0)
            if operation in WRITES:
                self.write += units
            else:
                self.read += units
        if operation not in WRITES:
            return
        unprocessed = [r for requests in response.get("UnprocessedItems", {}).values() for r in requests]
        if unprocessed:     # BatchWriteItem: what was left is sent again, and counted then
            keys = [r.get("PutRequest", {}).get("Item") or r["DeleteRequest"]["Key"] for r in unprocessed]
            entries = [e for e in entries if not any(all(e[2].get(k) == v for k, v in key.items() if k in ("PK", "SK"))
                                                     for key in keys)]
        factor = 2 if operation == "TransactWriteItems" else 1
        for kind, table, key, old, new in entries:
            if kind == "update":
                new = original(client, "GetItem", {"TableName": table, "Key": key}).get("Item")
            if kind == "check":
                # DynamoDB Local reports a transaction as if it held its first item only; AWS
                # bills each item twice, a condition check as a write of the item checked.
                self.billed_write += factor * kilobytes(old)
                self._by_type(_type_of(old) + " (check)", factor * kilobytes(old), 0)
                continue
            written = old if kind == "delete" else new
            billed = billed_units(old, None if kind == "delete" else new, table_factor=factor)
            self.billed_write += billed
            self.floor += kilobytes(written)
            self.items_written += 1
            kind_name = _type_of(written)
            self.written_types[kind_name] = self.written_types.get(kind_name, 0) + 1
            self._by_type(kind_name, billed, kilobytes(written))

    def _by_type(self, kind: str, billed: int, floor: int) -> None:
        totals = self.billed_types.setdefault(kind, [0, 0])
        totals[0] += billed
        totals[1] += floor


def _type_of(item: dict | None) -> str:
    return (item or {}).get("type", {}).get("S") or (item or {}).get("PK", {}).get("S", "?").split("#")[0]


# --- figures -----------------------------------------------------------------------------------

def record(section: str, figures: list[dict], notes: list[str] | None = None,
           data: dict | None = None) -> None:
    """One benchmark's figures for docs/performance.md (bench/report.py): each {figure, value,
    goal, met}; `data`, raw numbers other sections use (the cost model)."""
    FIGURES.mkdir(parents=True, exist_ok=True)
    (FIGURES / f"{section}.json").write_text(json.dumps(
        {"section": section, "figures": figures, "notes": notes or [], "data": data or {}},
        ensure_ascii=False, indent=1), encoding="utf-8")


def figure(name: str, value: str, goal: str = "", met: bool | None = None) -> dict:
    print(f"  {name}: {value}" + (f" (goal: {goal}: {'met' if met else 'MISSED'})" if goal else ""))
    return {"figure": name, "value": value, "goal": goal, "met": met}
