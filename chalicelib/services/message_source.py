"""The email a message of the thread came from, for the case's agent (issue 24): every reply by
email keeps its raw message in S3 (services/inbound.py), and the agent can read it as received
when extraction declined to cut (« réponse à vérifier ») or simply to check what was quoted.

Only the agents of the case's point read it (the case page's own rule: anybody else is told the
case does not exist). The body is shown cut into runs (mailparse.segments), the quotes folded by
the page. Once the mail retention deleted the raw message (or for a message that never came by
email) the view says it is no longer kept, never an error. Audited: MESSAGE_SOURCE_READ.
"""
from __future__ import annotations

from email import policy
from email.parser import BytesHeaderParser

from aws_lambda_powertools import Logger

from ..adapters import mailparse
from ..adapters.errors import NotStored
from ..bootstrap import Deps
from ..domain.authz import Principal
from ..domain.errors import NotFound
from ..domain.events import EventCode
from ..domain.validation import showable
from ..views import MessageSourceView, SegmentView
from .common import audit_access
from .quarantine import agent_case, own_addresses

logger = Logger(service="relais", child=True)

NOT_FOUND = "Ce message est introuvable."
GONE = "Le message d'origine n'est plus conservé."


def _date(raw: bytes):
    """The Date header as a datetime, or None when absent or unreadable."""
    try:
        value = BytesHeaderParser(policy=policy.default).parsebytes(raw[:mailparse.HEADER_BYTES])["Date"]
        return value.datetime if value is not None and value.datetime is not None else None
    except (TypeError, ValueError, AttributeError, IndexError):
        return None


def read(deps: Deps, principal: Principal, ref: str, message_id: str) -> MessageSourceView:
    ref, bundle = agent_case(deps, principal, ref)
    message = next((m for m in bundle.messages if m.id == message_id), None)
    if message is None:
        raise NotFound(NOT_FOUND)
    view = MessageSourceView(message_id=message.id, territory_code=bundle.case.territory_code,
                             received_at=message.created_at)
    raw = None
    if message.source_key:
        try:
            raw = deps.documents.fetch(message.source_key).data
        except NotStored:
            raw = None
    audit_access(deps, principal, EventCode.MESSAGE_SOURCE_READ, ref=ref, message_id=message.id)
    if raw is None:
        view.available = False
        return view
    try:
        parsed = mailparse.parse(raw, own_addresses=own_addresses(deps))
    except Exception:  # noqa: BLE001 - kept as received, shown as no longer readable
        logger.warning("original email could not be parsed", extra={"case_ref": ref})
        view.available = False
        return view
    view.sender = showable(parsed.from_header or parsed.sender)[:500]
    view.subject = showable(parsed.subject)[:500]
    view.date = _date(raw)
    view.attachments = [a.name for a in parsed.attachments] + [r.name for r in parsed.refused]
    view.segments = [SegmentView(kind=s.kind, text=showable(s.text))
                     for s in mailparse.segments(parsed.full_text) if s.text.strip()]
    return view
