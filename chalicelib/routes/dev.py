"""The development stage's routes: 404 everywhere else, before reading anything."""
from __future__ import annotations

from chalice import Blueprint

from ..bootstrap import deps
from ..domain import commands
from . import common

bp = Blueprint(__name__)
api = common.api.on(bp)


@api.route("/_dev/outbox", "GET", summary="(dev) Les e-mails et SMS envoyés", auth=False, dev_only=True)
def dev_outbox():
    from ..dev.outbox import read_outbox

    return read_outbox(deps().settings.region)


@api.route("/_dev/inbound-email", "POST", summary="(dev) Recevoir un e-mail brut (RFC 5322)",
           query=commands.InboundEmailQuery, auth=False, content_type="message/rfc822", dev_only=True)
def dev_inbound_email(query):
    from ..dev import inbound_email

    return inbound_email.receive(deps(), bp.current_request.raw_body or b"", query)


@api.route("/_dev/inbound-sms", "POST", summary="(dev) Recevoir un SMS", body=commands.InboundSms,
           auth=False, dev_only=True)
def dev_inbound_sms(body):
    import uuid

    from ..services import sms

    return sms.receive(deps(), body.from_, body.body, f"dev-{uuid.uuid4()}")


@api.route("/_dev/run/{job}", "POST", summary="(dev) Lancer une tâche planifiée à une date donnée",
           query=commands.RunJobQuery, auth=False, dev_only=True)
def dev_run_job(job, query):
    from .. import jobs

    d = deps()
    return jobs.run_inline(job, d, query.now or d.now())
