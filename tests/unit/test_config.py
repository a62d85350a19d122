"""Settings are read from the environment once, at cold start: a value Relais cannot use is
refused there with an error naming the variable, never clamped or guessed into a valid one."""
from __future__ import annotations

import os

import pytest

from chalicelib import bootstrap, config
from chalicelib.domain import ladder

# Nothing here reads the clock; the marker keeps the module safe if something starts to.
pytestmark = pytest.mark.instant("2026-11-24T10:00:00+01:00")


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    """No Relais or region variable: each test sets only what it checks (undone after it)."""
    for name in list(os.environ):
        if name.startswith("RELAIS_") or name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
            monkeypatch.delenv(name)
    config.reset()
    bootstrap.reset()
    yield monkeypatch
    config.reset()
    bootstrap.reset()


@pytest.fixture
def load(environment):
    """The settings as a cold start reads them, with these variables set."""
    def settings(**variables: str) -> config.Settings:
        for name, value in variables.items():
            environment.setenv(name, value)
        config.reset()
        return config.settings()
    return settings


def test_without_any_variable_the_documented_defaults_apply(load):
    settings = load()
    assert settings.login_token_minutes == 20 and settings.session_hours == 12
    assert settings.retention_months == 6 and settings.feedback_retention_months == 24
    assert settings.ladder == ladder.DEFAULT == (
        ladder.Stage("reminder", -1), ladder.Stage("breach", 0), ladder.Stage("manager", 2),
        ladder.Stage("coordinator", 5))
    assert settings.stage == "prod" and settings.region == "eu-west-3"
    assert settings.table_name == "relais-prod" and settings.mail_bucket == "relais-prod-mail"


@pytest.mark.parametrize("variable, value, field, expected", [
    ("RELAIS_LOGIN_TOKEN_MINUTES", "1", "login_token_minutes", 1),
    ("RELAIS_LOGIN_TOKEN_MINUTES", "30", "login_token_minutes", 30),       # the documented maximum
    ("RELAIS_SESSION_HOURS", "1", "session_hours", 1),
    ("RELAIS_SESSION_HOURS", "1440", "session_hours", 1440),
    ("RELAIS_RETENTION_MONTHS", "1", "retention_months", 1),               # the documented minimum
    ("RELAIS_RETENTION_MONTHS", " 9 ", "retention_months", 9),
    ("RELAIS_FEEDBACK_RETENTION_MONTHS", "3", "feedback_retention_months", 3),  # its minimum
    ("RELAIS_FEEDBACK_RETENTION_MONTHS", "36", "feedback_retention_months", 36),
    ("RELAIS_RESULTS_CACHE_SECONDS", "0", "results_cache_seconds", 0),          # computed at each view
    ("RELAIS_RESULTS_CACHE_SECONDS", "3600", "results_cache_seconds", 3600),
    ("RELAIS_SES_MAX_PER_SECOND", "0", "ses_max_per_second", 0),                # not paced
    ("RELAIS_SES_MAX_PER_SECOND", "28", "ses_max_per_second", 28),
    ("RELAIS_SES_MAX_PER_DAY", "190000", "ses_max_per_day", 190000),
    ("RELAIS_LADDER", "breach:0, coordinator:3", "ladder", (ladder.Stage("breach", 0), ladder.Stage("coordinator", 3))),
    ("RELAIS_LADDER", "reminder:-2,breach:+0", "ladder", (ladder.Stage("reminder", -2), ladder.Stage("breach", 0))),
    ("AWS_DEFAULT_REGION", "eu-west-1", "region", "eu-west-1"),
    ("RELAIS_STAGE", "staging-2", "table_name", "relais-staging-2"),
    ("RELAIS_BASE_URL", "https://relais.services-publics-plus.gouv.fr/", "base_url",
     "https://relais.services-publics-plus.gouv.fr"),
    ("RELAIS_DYNAMODB_ENDPOINT", "http://127.0.0.1:8001", "dynamodb_endpoint", "http://127.0.0.1:8001"),
    ("RELAIS_AWS_EMULATION", "moto", "aws_emulation", "moto"),
    ("RELAIS_MAIL_FROM", "ne-pas-repondre@relais.example.org", "mail_from", "ne-pas-repondre@relais.example.org"),
    ("RELAIS_SMS_ORIGINATION_IDENTITY", "pool-0123456789abcdef0123456789abcdef", "sms_origination_identity",
     "pool-0123456789abcdef0123456789abcdef"),
    ("RELAIS_SMS_ORIGINATION_IDENTITY", "arn:aws:sms-voice:eu-west-3:123456789012:pool/pool-0123abcd",
     "sms_origination_identity", "arn:aws:sms-voice:eu-west-3:123456789012:pool/pool-0123abcd"),
    ("RELAIS_SMS_CONFIGURATION_SET", "relais-prod", "sms_configuration_set", "relais-prod"),
    ("RELAIS_SES_CONFIGURATION_SET", "relais-prod", "ses_configuration_set", "relais-prod"),
    ("RELAIS_INBOUND_DOMAIN", "reponse.relais.services-publics-plus.gouv.fr", "inbound_domain",
     "reponse.relais.services-publics-plus.gouv.fr"),
    ("RELAIS_MAIL_BUCKET", "relais-prod-mailbucket-1a2b3c", "mail_bucket", "relais-prod-mailbucket-1a2b3c"),
    ("RELAIS_SMS_QUEUE", "relais-prod-SmsQueue-AbC123", "sms_queue", "relais-prod-SmsQueue-AbC123"),
    ("RELAIS_S3_PUBLIC_ENDPOINT", "http://127.0.0.1:8002", "s3_public_endpoint", "http://127.0.0.1:8002"),
])
def test_a_valid_value_is_taken_as_it_is(variable, value, field, expected, load):
    assert getattr(load(**{variable: value}), field) == expected


@pytest.mark.parametrize("variable, value", [
    # whole numbers within their documented bounds, never clamped into them
    ("RELAIS_LOGIN_TOKEN_MINUTES", "31"), ("RELAIS_LOGIN_TOKEN_MINUTES", "120"),
    ("RELAIS_LOGIN_TOKEN_MINUTES", "0"), ("RELAIS_LOGIN_TOKEN_MINUTES", "20 min"),
    ("RELAIS_SESSION_HOURS", "0"), ("RELAIS_SESSION_HOURS", "-12"), ("RELAIS_SESSION_HOURS", "1.5"),
    ("RELAIS_RETENTION_MONTHS", "0"), ("RELAIS_RETENTION_MONTHS", "-6"), ("RELAIS_RETENTION_MONTHS", "six"),
    ("RELAIS_RETENTION_MONTHS", "6.0"),
    ("RELAIS_FEEDBACK_RETENTION_MONTHS", "2"), ("RELAIS_FEEDBACK_RETENTION_MONTHS", "0"),
    ("RELAIS_FEEDBACK_RETENTION_MONTHS", "-24"), ("RELAIS_FEEDBACK_RETENTION_MONTHS", "24m"),
    ("RELAIS_RESULTS_CACHE_SECONDS", "3601"), ("RELAIS_RESULTS_CACHE_SECONDS", "-1"),
    ("RELAIS_RESULTS_CACHE_SECONDS", "10m"),
    ("RELAIS_SES_MAX_PER_SECOND", "-1"), ("RELAIS_SES_MAX_PER_SECOND", "2.5"), ("RELAIS_SES_MAX_PER_DAY", "50k"),
    # a ladder that cannot be read as one
    ("RELAIS_LADDER", "breach"), ("RELAIS_LADDER", "breach:"), ("RELAIS_LADDER", "breach:zero"),
    ("RELAIS_LADDER", "breach:1.5"), ("RELAIS_LADDER", "shout:1"), ("RELAIS_LADDER", "breach:0,"),
    ("RELAIS_LADDER", "breach:0;manager:2"), ("RELAIS_LADDER", "breach:0,breach:2"),
    ("RELAIS_LADDER", "manager:2,breach:0"), ("RELAIS_LADDER", "breach:0,manager:0"), ("RELAIS_LADDER", " "),
    # names and addresses AWS would refuse later, or that would quietly point elsewhere
    ("RELAIS_STAGE", "Prod"), ("RELAIS_STAGE", "prod env"),
    ("AWS_REGION", "paris"), ("AWS_DEFAULT_REGION", "eu_west_3"),
    ("RELAIS_TABLE", "t"), ("RELAIS_TABLE", "relais prod"),
    ("RELAIS_DYNAMODB_ENDPOINT", "127.0.0.1:8001"), ("RELAIS_DYNAMODB_ENDPOINT", "http://127.0.0.1:port"),
    ("RELAIS_AWS_EMULATION", "localstack"),
    ("RELAIS_BASE_URL", "relais.services-publics-plus.gouv.fr"), ("RELAIS_BASE_URL", "javascript:alert(1)"),
    ("RELAIS_BASE_URL", "https://relais.example.org/?x=1"),
    ("RELAIS_MAIL_FROM", "Relais SP+"), ("RELAIS_MAIL_FROM", "ne-pas-repondre@localhost"),
    ("RELAIS_SMS_ORIGINATION_IDENTITY", "pool 1"), ("RELAIS_SMS_ORIGINATION_IDENTITY", "arn:aws:sns:eu-west-3:1:t/x"),
    ("RELAIS_SMS_CONFIGURATION_SET", "relais prod"),
    ("RELAIS_SES_CONFIGURATION_SET", "relais prod"),
    ("RELAIS_INBOUND_DOMAIN", "in relais"), ("RELAIS_INBOUND_DOMAIN", "reponse+x@in.relais.example.org"),
    ("RELAIS_MAIL_BUCKET", "Relais_Mail"), ("RELAIS_SMS_QUEUE", "relais sms"),
    ("RELAIS_S3_PUBLIC_ENDPOINT", "s3.local"),
])
def test_a_bad_value_is_refused_naming_its_variable(variable, value, load):
    with pytest.raises(config.ConfigError, match=rf"\b{variable}=") as refused:
        load(**{variable: value})
    assert repr(value) in str(refused.value)


def test_every_refused_variable_is_named_at_once(load):
    with pytest.raises(config.ConfigError) as refused:
        load(RELAIS_RETENTION_MONTHS="0", RELAIS_FEEDBACK_RETENTION_MONTHS="1", RELAIS_LADDER="breach:x",
             RELAIS_LOGIN_TOKEN_MINUTES="60", RELAIS_SESSION_HOURS="none")
    message = str(refused.value)
    for variable in ("RELAIS_RETENTION_MONTHS", "RELAIS_FEEDBACK_RETENTION_MONTHS", "RELAIS_LADDER",
                     "RELAIS_LOGIN_TOKEN_MINUTES", "RELAIS_SESSION_HOURS"):
        assert f"{variable}=" in message, variable
    assert "at least 1 (default 6)" in message and "at least 3 (default 24)" in message
    assert "from 1 to 30 (default 20)" in message


def test_an_empty_variable_is_an_unset_one(load):
    settings = load(RELAIS_RETENTION_MONTHS="", RELAIS_LADDER="", RELAIS_LOGIN_TOKEN_MINUTES="")
    assert settings.retention_months == 6 and settings.ladder == ladder.DEFAULT
    assert settings.login_token_minutes == 20


def test_a_function_refuses_to_start_on_a_bad_setting_then_starts_once_it_is_fixed(environment):
    """At cold start: the composition root, then a scheduled function through its Lambda entry
    point, stop on the setting before any AWS client is made (no network in unit tests)."""
    from chalice.test import Client

    import app as relais

    environment.setenv("RELAIS_RETENTION_MONTHS", "0")
    with pytest.raises(config.ConfigError, match="RELAIS_RETENTION_MONTHS='0'"):
        bootstrap.deps()
    with Client(relais.app, stage_name="dev") as client:
        event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                                resources=["arn:aws:events:eu-west-3:1:rule/retention"])
        with pytest.raises(config.ConfigError, match="RELAIS_RETENTION_MONTHS"):
            client.lambda_.invoke("retention", event)
    environment.setenv("RELAIS_RETENTION_MONTHS", "7")
    bootstrap.reset()
    assert bootstrap.deps().settings.retention_months == 7
