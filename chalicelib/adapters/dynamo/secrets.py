"""Authentication: login tokens and sessions under the hash of their secret, login rate counts."""
from __future__ import annotations

from datetime import datetime

from .. import keys
from .items import encode_key
from .table import Table


class SecretRepository(Table):
    def put_secret(self, kind: str, digest: str, user_id: str, expires_at: datetime) -> None:
        """Store a login token or session under the hash of its secret, with a TTL."""
        self._client.put_item(TableName=self.table, Item={
            **encode_key(keys.secret(kind, digest)), "user_id": {"S": user_id},
            "expires_at": {"N": str(int(expires_at.timestamp()))}},
            ConditionExpression="attribute_not_exists(PK)")

    def take_secret(self, kind: str, digest: str, now: datetime) -> str | None:
        """Delete a single-use secret and return its user, if it existed and had not expired."""
        try:
            response = self._client.delete_item(
                TableName=self.table, Key=encode_key(keys.secret(kind, digest)),
                ConditionExpression="attribute_exists(PK) AND expires_at > :now",
                ExpressionAttributeValues={":now": {"N": str(int(now.timestamp()))}},
                ReturnValues="ALL_OLD")
        except self._client.exceptions.ConditionalCheckFailedException:
            return None
        return response["Attributes"]["user_id"]["S"]

    def count_login_request(self, user_id: str, window: str, expires_at: datetime) -> int:
        """Count one more login link asked for in this time window; returns the new count."""
        response = self._client.update_item(
            TableName=self.table, Key=encode_key(keys.login_requests(user_id, window)),
            UpdateExpression="ADD requests :one SET expires_at = :expires",
            ExpressionAttributeValues={":one": {"N": "1"},
                                       ":expires": {"N": str(int(expires_at.timestamp()))}},
            ReturnValues="UPDATED_NEW")
        return int(response["Attributes"]["requests"]["N"])

    def read_secret(self, kind: str, digest: str, now: datetime) -> str | None:
        item = self._get(keys.secret(kind, digest))
        if not item or int(item["expires_at"]["N"]) <= int(now.timestamp()):
            return None
        return item["user_id"]["S"]

    def delete_secret(self, kind: str, digest: str) -> None:
        self._client.delete_item(TableName=self.table, Key=encode_key(keys.secret(kind, digest)))
