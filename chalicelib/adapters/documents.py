"""S3: the mail bucket's objects (documents, raw emails, staged imports) and the browser's
signed upload forms and download links.

Objects are named by their key; the bucket is the stage's, except where SES names another
(`bucket=`). A missing object raises NotStored; other S3 errors go up as they are (the API
maps throttling to 503).

S3 answers a read of a missing key with 404 only to a role that may list the key's prefix
(s3:ListBucket, infra/iam.py); to another, with 403. A 403 on a read is taken as missing too,
and logged as an error: a missing grant shows on the dashboard's last errors, while the page says
"not found" (what it is, when the object was deleted) rather than failing with a 500.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger

from .errors import NotStored, error_code

logger = Logger(service="relais", child=True)
_MISSING = {"404", "NoSuchKey", "NotFound"}
_DENIED = {"403", "AccessDenied", "Forbidden"}


def _not_stored(exc, key: str) -> NotStored | None:
    """NotStored for a read S3 answered "missing", or "denied" (see the module's docstring)."""
    code = error_code(exc)
    if code in _DENIED:
        logger.error("S3 denied a read, taken as a missing object: is s3:ListBucket granted on its prefix?",
                     extra={"prefix": key.split("/", 1)[0] + "/", "code": code})
    return NotStored(code) if code in _MISSING | _DENIED else None


@dataclass(frozen=True)
class StoredObject:
    """An object's size and user metadata (names as S3 returns them), and its bytes if read."""
    size: int
    metadata: dict[str, str] = field(default_factory=dict)
    data: bytes = b""


class Documents:
    """The clients are asked for at the first call that needs them: a page that only links to
    a document never builds the S3 client, nor an upload the signer."""

    def __init__(self, client: Callable[[], Any], signer: Callable[[], Any], bucket: str):
        self._make_client = client
        self._make_signer = signer     # S3 as the browser reaches it
        self.bucket = bucket

    @property
    def _client(self):
        return self._make_client()

    @property
    def _signer(self):
        return self._make_signer()

    # --- the browser's forms and links -------------------------------------------------------

    def presign_upload(self, key: str, fields: dict, conditions: list, expires: int) -> dict:
        """A form the browser posts the file with, straight to S3: {"url", "fields"}."""
        return self._signer.generate_presigned_post(self.bucket, key, Fields=fields,
                                                    Conditions=conditions, ExpiresIn=expires)

    def download_url(self, key: str, content_type: str, disposition: str, expires: int) -> str:
        return self._signer.generate_presigned_url("get_object", ExpiresIn=expires, Params={
            "Bucket": self.bucket, "Key": key, "ResponseContentType": content_type,
            "ResponseContentDisposition": disposition})

    # --- reading --------------------------------------------------------------------------------

    def head(self, key: str, bucket: str | None = None) -> StoredObject:
        """The object's size and metadata, without its bytes."""
        from botocore.exceptions import ClientError

        try:
            head = self._client.head_object(Bucket=bucket or self.bucket, Key=key)
        except ClientError as exc:
            if missing := _not_stored(exc, key):
                raise missing from exc
            raise
        return StoredObject(size=head["ContentLength"], metadata=head.get("Metadata", {}))

    def read(self, key: str, first_bytes: int | None = None, bucket: str | None = None) -> bytes:
        """The object's bytes, or only its first `first_bytes` (a ranged GET)."""
        if first_bytes is None:
            return self._client.get_object(Bucket=bucket or self.bucket, Key=key)["Body"].read()
        return self._client.get_object(Bucket=bucket or self.bucket, Key=key,
                                       Range=f"bytes=0-{first_bytes - 1}")["Body"].read()

    def fetch(self, key: str) -> StoredObject:
        """The object's bytes and metadata."""
        from botocore.exceptions import ClientError

        try:
            got = self._client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if missing := _not_stored(exc, key):
                raise missing from exc
            raise
        return StoredObject(size=got.get("ContentLength", 0), metadata=got.get("Metadata", {}),
                            data=got["Body"].read())

    # --- writing --------------------------------------------------------------------------------

    def put(self, key: str, data: bytes, content_type: str | None = None,
            metadata: dict[str, str] | None = None, encrypted: bool = False) -> None:
        extra: dict = {}
        if content_type is not None:
            extra["ContentType"] = content_type
        if metadata is not None:
            extra["Metadata"] = metadata
        if encrypted:
            extra["ServerSideEncryption"] = "AES256"
        self._client.put_object(Bucket=self.bucket, Key=key, Body=data, **extra)

    def copy(self, source_bucket: str, source_key: str, key: str, content_type: str) -> None:
        """Copy an object into the bucket, server-side, encrypted, with a new content type (and no
        metadata). A source that is not there raises NotStored."""
        from botocore.exceptions import ClientError

        try:
            self._client.copy_object(Bucket=self.bucket, Key=key,
                                     CopySource={"Bucket": source_bucket, "Key": source_key},
                                     ContentType=content_type, MetadataDirective="REPLACE",
                                     ServerSideEncryption="AES256")
        except ClientError as exc:
            if missing := _not_stored(exc, source_key):
                raise missing from exc
            raise

    def delete(self, key: str) -> None:
        self._client.delete_object(Bucket=self.bucket, Key=key)

    def delete_prefix(self, prefix: str) -> None:
        """Every object whose key starts with `prefix`."""
        for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                self._client.delete_object(Bucket=self.bucket, Key=item["Key"])
