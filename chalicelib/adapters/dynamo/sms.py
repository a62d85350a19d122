"""SMS: the cases of a phone number, opt-outs, delivery receipts."""
from __future__ import annotations

from datetime import datetime

from .. import keys
from .items import encode_key, plain_item
from .query import Query
from .table import Table
from .writes import Write


class SmsRepository(Table):
    def cases_of_phone(self, phone_e164: str) -> list[str]:
        """Every case opened with this number, oldest first (the usager's right of access)."""
        items, _ = self._query(Query(partition=f"PHONE#{phone_e164}"))
        return [i["case_ref"]["S"] for i in items]

    def latest_case_for_phone(self, phone_e164: str) -> str | None:
        items, _ = self._query(Query(partition=f"PHONE#{phone_e164}", descending=True, limit=1))
        return items[0]["case_ref"]["S"] if items else None

    def is_opted_out(self, phone_e164: str) -> bool:
        return self._get(keys.opt_out(phone_e164), consistent=True) is not None

    def opt_out_origin(self, phone_e164: str) -> str | None:
        """The inbound SMS that opted the number out ('' if unknown), or None if it never did."""
        item = self._get(keys.opt_out(phone_e164), consistent=True)
        return None if item is None else item.get("inbound", {}).get("S", "")

    def opt_out(self, phone_e164: str, at: datetime, inbound_id: str = "") -> bool:
        """Opt the number out; False if it already was (the first opt-out is kept)."""
        return self.put_new(Write(plain_item(keys.opt_out(phone_e164), "OptOut", at=at.isoformat(),
                                             inbound=inbound_id)))

    def take_sms_request(self, phone_e164: str, window: str, inbound_id: str, limit: int,
                         expires_at: datetime) -> bool:
        """Count one inbound SMS that asks for an answer in this window: True if it may be answered
        (under the limit, or a replay of one already counted), False over the limit. One
        conditional write; the inbound ids kept in the item make a replay count once."""
        key = keys.sms_requests(phone_e164, window)
        try:
            self._client.update_item(
                TableName=self.table, Key=encode_key(key),
                UpdateExpression="ADD requests :one, inbound :ids SET expires_at = :expires",
                ConditionExpression="attribute_not_exists(requests) OR (requests < :limit AND NOT contains(inbound, :id))",
                ExpressionAttributeValues={":one": {"N": "1"}, ":ids": {"SS": [inbound_id]}, ":id": {"S": inbound_id},
                                           ":limit": {"N": str(limit)},
                                           ":expires": {"N": str(int(expires_at.timestamp()))}})
        except self._client.exceptions.ConditionalCheckFailedException:
            item = self._get(key, consistent=True)
            return item is not None and inbound_id in item.get("inbound", {}).get("SS", [])
        return True

    def put_sms_receipt(self, message_id: str, case_ref: str, template: str, status: str,
                        at: datetime, expires_at: datetime) -> None:
        self._client.put_item(TableName=self.table, Item=plain_item(
            keys.sms_receipt(message_id), "SmsReceipt", case_ref=case_ref, template=template,
            status=status, at=at.isoformat(), expires_at=int(expires_at.timestamp())))

    def record_sms_delivery(self, message_id: str, status: str, event_type: str, at: datetime) -> str | None:
        """The carrier's last word on a sent SMS, on its receipt: the receipt's case, or None if
        no receipt has this message id (not Relais's, or expired). A receipt already at a later
        event keeps it: events may arrive out of order."""
        try:
            response = self._client.update_item(
                TableName=self.table, Key=encode_key(keys.sms_receipt(message_id)),
                UpdateExpression="SET #status = :status, #event = :event, #delivered_at = :at",
                ConditionExpression="attribute_exists(PK) AND (attribute_not_exists(#delivered_at) OR #delivered_at <= :at)",
                ExpressionAttributeNames={"#status": "status", "#event": "delivery_event", "#delivered_at": "delivery_at"},
                ExpressionAttributeValues={":status": {"S": status}, ":event": {"S": event_type},
                                           ":at": {"S": at.isoformat()}},
                ReturnValues="ALL_NEW")
        except self._client.exceptions.ConditionalCheckFailedException:
            return None
        return response["Attributes"]["case_ref"]["S"]
