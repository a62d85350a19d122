"""The email a message came from, for the case's agent (services/message_source.py): From as
written, its date, subject and files, and its body with the quoted runs folded in native
<details> (no script). Same rules as the case page: a visitor who is not signed in gets the
case's sign-in page, anybody but the case's agents the "case not found" page.
"""
from __future__ import annotations

from ..domain.errors import NotAllowed, NotFound
from ..services import message_source
from ..services.cases import case_ref
from . import pages
from .session import current, handler

# Runs shown as written; the others (quote, header, signature) are folded.
SHOWN = ("text", "forward")


@handler
def show(deps, request, ref: str, message_id: str):
    signed = current(deps, request)
    if signed is None:
        return pages.case_signin(request, ref)
    principal, user = signed
    try:
        source = message_source.read(deps, principal, ref, message_id)
    except (NotFound, NotAllowed):
        return pages.view(request, "case_missing.html", user=user, status=404)
    runs = [{"shown": run.kind in SHOWN, "kind": run.kind, "text": run.text,
             "lines": len(run.text.splitlines()) or 1} for run in source.segments]
    return pages.view(request, "message_source.html", user=user, source=source, runs=runs,
                      case_ref=case_ref(ref), gone=message_source.GONE)
