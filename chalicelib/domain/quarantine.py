"""What the agent sees of an inbound email kept out of a case's thread (services/quarantine.py)."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from .models import QuarantineStatus


class QuarantinedEmailView(BaseModel):
    id: str
    group_id: str
    group_name: str
    reason: str
    reason_label: str
    sender: str
    subject: str
    received_at: datetime
    status: QuarantineStatus
    decided_at: datetime | None = None
    message_id: str | None = None


class QuarantinedEmailDetail(QuarantinedEmailView):
    text: str = ""
    attachments: list[str] = []
    refused_attachments: list[str] = []
    readable: bool = True
    territory_code: str | None = None      # the case's: its times are shown in that zone
