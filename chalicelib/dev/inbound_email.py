"""POST /_dev/inbound-email: what SES receiving does in AWS, played locally.

The raw message is stored in the (emulated) S3 bucket as SES's S3 action would, then the
same SES receipt notification that SNS delivers in AWS is handed to the same service.
"""
from __future__ import annotations

import hashlib

from ..domain.errors import InvalidInput
from ..services import inbound

MAX_RAW_BYTES = 30 * 1024 * 1024     # SES receiving's own limit is 40 MB


def receive(deps, raw: bytes, query) -> dict:
    if not raw.strip():
        raise InvalidInput("Envoyez un e-mail brut (RFC 5322).", field="body")
    if len(raw) > MAX_RAW_BYTES:
        raise InvalidInput("Cet e-mail dépasse 30 Mo.", field="body")
    key = f"incoming/{hashlib.sha256(raw).hexdigest()}"
    deps.s3.put_object(Bucket=deps.settings.mail_bucket, Key=key, Body=raw)
    notification = {
        "notificationType": "Received",
        "receipt": {
            "recipients": [query.recipient] if query.recipient else [],
            **{f"{name}Verdict": {"status": getattr(query, name)} for name in inbound.VERDICTS},
            "action": {"type": "S3", "bucketName": deps.settings.mail_bucket, "objectKey": key},
        },
    }
    return inbound.handle_ses_notification(deps, notification).as_dict()
