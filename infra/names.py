"""Every AWS resource name of a stage, and the stage's settings from .chalice/config.json."""
from __future__ import annotations

import json
from email.utils import parseaddr
from pathlib import Path

# The names and prefixes are the application's (chalicelib/names.py): one spelling for both.
from chalicelib.names import INBOUND_PREFIX, MAIL_PREFIXES, names

__all__ = ["CONFIG_PATH", "INBOUND_PREFIX", "MAIL_PREFIXES", "mail_from_domain", "names", "stage_settings"]
CONFIG_PATH = Path(__file__).resolve().parents[1] / ".chalice" / "config.json"


def stage_settings(stage: str) -> dict:
    """The stage's environment in .chalice/config.json: the same values the functions get."""
    config = json.loads(CONFIG_PATH.read_text(encoding="utf-8"))
    return {**config.get("environment_variables", {}),
            **config["stages"][stage].get("environment_variables", {})}


def mail_from_domain(stage: str) -> str:
    """The SES identity Relais sends from: the domain of RELAIS_MAIL_FROM."""
    return parseaddr(stage_settings(stage)["RELAIS_MAIL_FROM"])[1].rpartition("@")[2]

