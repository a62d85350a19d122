"""Sending at most once: every email and SMS leaves under Powertools idempotency.

The idempotency records live in the same table. A stream batch or an SQS message retried after
a failure, or a record delivered twice, finds the record and sends nothing a second time.
Each Lambda handler that sends registers its context (`register_context`): a send cut short by
the function's timeout then leaves an in-progress record that expires with the invocation,
instead of blocking the retries for IDEMPOTENCY_DAYS.
"""
from __future__ import annotations

import hashlib
import os
from datetime import timedelta

from ..adapters.email import OutgoingEmail
from ..bootstrap import Deps
from ..domain.models import Notification
from ..observability import count
from . import pacing

SENT_MAIL_DAYS = 400          # a reply can still be threaded by In-Reply-To this long
IDEMPOTENCY_DAYS = 2          # longer than the stream keeps a record (24 h)

# The keys' prefixes as Powertools first derived them from where the code lived (module and
# function): kept, so that a record written before a move of the code is still found after it.
EMAIL_KEY = "chalicelib.services.notifications.send_once.<locals>.send_email"
SMS_KEY = "chalicelib.services.sms._send_once.<locals>.send_sms"

_config = None


def idempotency_config():
    """One configuration per process, shared by emails and SMS."""
    global _config
    if _config is None:
        from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

        _config = IdempotencyConfig(expires_after_seconds=IDEMPOTENCY_DAYS * 86400)
    return _config


def register_context(context) -> None:
    """The invocation's Lambda context, for the in-progress records' expiry; none in the dev
    drain and the tests, where nothing times out."""
    if context is not None:
        idempotency_config().register_lambda_context(context)


def _key_prefix(name: str) -> str:
    """Powertools' own prefix: the Lambda function's name, then the sending function's."""
    return f"{os.getenv('AWS_LAMBDA_FUNCTION_NAME', 'test-func')}.{name}"


def send_email_once(deps: Deps, notification: Notification, recipient: str, mail: OutgoingEmail,
                    track_group: str | None = None) -> str:
    """Send one email for one notification and recipient, at most once; returns the SES id."""
    from aws_lambda_powertools.utilities.idempotency import idempotent_function

    # `about`, not case_ref: a digest or report has none, and its key must stay what it was.
    key = hashlib.sha256(f"{notification.id}|{notification.about}|{recipient}".encode()).hexdigest()

    @idempotent_function(data_keyword_argument="key", persistence_store=deps.idempotency_store,
                         config=idempotency_config(), key_prefix=_key_prefix(EMAIL_KEY))
    def send_email(key: str) -> str:
        # Only the send inside: a failure after it (the record below) must not undo the
        # idempotency record and so send again when the stream retries. A send deferred by
        # the pacing raises here, before SES, and leaves no record.
        pacing.take(deps)
        try:
            ses_id = deps.mailer.send(mail)
        except Exception as error:
            deferred = pacing.deferred_by_ses(error)
            if deferred is not None:
                count("emails_deferred")
                raise deferred from error
            raise
        count("emails_sent")
        return ses_id

    ses_id = send_email(key=key)
    # Idempotent too: a retry that finds the email sent writes the same record again.
    deps.repo.put_sent_mail(ses_id, notification.case_ref, track_group, notification.id,
                            deps.now() + timedelta(days=SENT_MAIL_DAYS))
    return ses_id


def send_sms_once(deps: Deps, notification_id: str, ref: str, phone: str, text: str) -> str:
    """Send one SMS for one notification and case, at most once; returns the provider's id."""
    from aws_lambda_powertools.utilities.idempotency import idempotent_function

    key = hashlib.sha256(f"sms|{notification_id}|{ref}".encode()).hexdigest()

    @idempotent_function(data_keyword_argument="key", persistence_store=deps.idempotency_store,
                         config=idempotency_config(), key_prefix=_key_prefix(SMS_KEY))
    def send_sms(key: str) -> str:
        return deps.sms.send(phone, text)

    return send_sms(key=key)
