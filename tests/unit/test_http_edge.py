from dataclasses import replace

from chalicelib import config
from chalicelib.api import http


def settings(stage: str) -> config.Settings:
    return replace(config.settings(), stage=stage)


def test_session_cookie_is_secure_everywhere_but_dev():
    prod = http.session_cookie("abc", settings("prod"))
    assert "Secure" in prod.split("; ") and "HttpOnly" in prod and "SameSite=Lax" in prod
    assert "Secure" not in http.session_cookie("abc", settings("dev")).split("; ")
    assert "Max-Age=0" in http.session_cookie("", settings("prod"), expire=True)


def test_the_stage_fails_closed(monkeypatch):
    monkeypatch.delenv("RELAIS_STAGE", raising=False)
    config.reset()
    try:
        assert config.settings().stage == "prod" and not config.settings().is_dev
    finally:
        config.reset()


def test_a_malformed_cookie_header_is_no_cookie():
    assert http.cookie({"cookie": 'relais_session="unterminated'}, "relais_session") is None
    assert http.cookie({"cookie": "a=1; relais_session=xyz"}, "relais_session") == "xyz"
