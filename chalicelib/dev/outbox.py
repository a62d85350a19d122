"""What the emulated SES and End User Messaging SMS received, shaped for GET /_dev/outbox."""
from __future__ import annotations

from email import policy
from email.parser import BytesParser

from . import emulation


def _email_entry(message) -> dict:
    raw = message.raw_data
    parsed = BytesParser(policy=policy.default).parsebytes(
        raw.encode("utf-8") if isinstance(raw, str) else raw)
    text = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    return {
        "id": message.id, "channel": "email",
        "to": list(dict.fromkeys(message.destinations)),
        "from": str(parsed["From"]), "reply_to": str(parsed["Reply-To"] or "") or None,
        "subject": str(parsed["Subject"]),
        "text": text.get_content() if text else None,
        "html": html.get_content() if html else None,
        "headers": {name: str(value) for name, value in parsed.items()},
        "sent_at": emulation.sent_at.get(message.id),
    }


def read_outbox(region: str) -> list[dict]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import RawMessage, ses_backends

    entries = [_email_entry(m) for m in ses_backends[DEFAULT_ACCOUNT_ID][region].sent_messages
               if isinstance(m, RawMessage)]
    for message_id, (phone, text, origin) in list(emulation.sms_messages.items()):
        entries.append({"id": message_id, "channel": "sms", "to": [phone], "from": origin, "reply_to": None,
                        "subject": None, "text": text, "html": None,
                        "sent_at": emulation.sent_at.get(message_id)})
    return sorted(entries, key=lambda entry: entry["sent_at"] or "")
