"""Every AWS resource name of a stage, spelled once: infra/ names what it creates with them,
and the settings take them as their defaults (the dev stage, the tests). Pure: no I/O."""
from __future__ import annotations

INBOUND_PREFIX = "inbound/"            # SES writes each received message here
# Where the inbound function keeps each message by case (inbound/, quarantine/: services/inbound.py)
# and its documents (attachments/).
MAIL_PREFIXES = (INBOUND_PREFIX, "quarantine/", "attachments/")


def names(stage: str) -> dict[str, str]:
    """The stage's resource names. The deployed mail bucket adds the account id to its name
    (infra/template.py); "mail_bucket" is the name without it, as the dev stage makes it."""
    prefix = f"relais-{stage}"
    return {"table": prefix, "mail_bucket": f"{prefix}-mail",
            "sms_queue": f"{prefix}-sms", "sms_dlq": f"{prefix}-sms-dlq",
            "job_queue": f"{prefix}-jobs", "job_dlq": f"{prefix}-jobs-dlq",
            "failed_events": f"{prefix}-failed-events", "inbound_email": f"{prefix}-inbound-email",
            "ses_events": f"{prefix}-ses-events", "inbound_sms": f"{prefix}-inbound-sms",
            "sms_events": f"{prefix}-sms-events",
            "alarms": f"{prefix}-alarms", "rule_set": f"{prefix}-inbound",
            "configuration_set": prefix, "dashboard": prefix}
