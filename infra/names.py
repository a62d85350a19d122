"""Every AWS resource name of a stage, and the stage's settings from .chalice/config.json."""
from __future__ import annotations

import json
from email.utils import parseaddr
from pathlib import Path

INBOUND_PREFIX = "inbound/"            # SES writes each received message here
# Where the inbound function keeps each message by case (inbound/, quarantine/: services/inbound.py)
# and its documents (attachments/).
MAIL_PREFIXES = (INBOUND_PREFIX, "quarantine/", "attachments/")
CONFIG_PATH = Path(__file__).resolve().parents[1] / ".chalice" / "config.json"


def stage_settings(stage: str) -> dict:
    """The stage's environment in .chalice/config.json: the same values the functions get."""
    config = json.loads(CONFIG_PATH.read_text(encoding="utf-8"))
    return {**config.get("environment_variables", {}),
            **config["stages"][stage].get("environment_variables", {})}


def mail_from_domain(stage: str) -> str:
    """The SES identity Relais sends from: the domain of RELAIS_MAIL_FROM."""
    return parseaddr(stage_settings(stage)["RELAIS_MAIL_FROM"])[1].rpartition("@")[2]


def names(stage: str) -> dict[str, str]:
    prefix = f"relais-{stage}"
    return {"table": prefix, "sms_queue": f"{prefix}-sms", "sms_dlq": f"{prefix}-sms-dlq",
            "failed_events": f"{prefix}-failed-events", "inbound_email": f"{prefix}-inbound-email",
            "ses_events": f"{prefix}-ses-events", "inbound_sms": f"{prefix}-inbound-sms",
            "alarms": f"{prefix}-alarms", "rule_set": f"{prefix}-inbound",
            "configuration_set": prefix, "dashboard": prefix}
