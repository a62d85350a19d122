"""Magic-link login, session cookie, the /_dev/ routes and the OpenAPI document."""
import json
import re
from datetime import timedelta

import pytest
from chalice.test import Client

import app as relais
from chalicelib import bootstrap
from tests.clock import TUESDAY_MORNING
from tests.conftest import LINK, login, outbox

pytestmark = pytest.mark.instant(TUESDAY_MORNING)

JSON = {"Content-Type": "application/json"}
# The request only queues the login link; the table's stream sends it (services/auth.py).
link_sent = pytest.mark.outbox


def ask_link(client, email="agent.bretoncelles@example.org") -> str:
    response = client.http.post("/api/auth/magic-link", headers=JSON, body=json.dumps({"email": email}))
    assert response.status_code == 202
    return LINK.search(outbox()[-1]["text"]).group(1)


@link_sent
def test_unknown_address_gets_the_same_answer_and_no_email(client):
    response = client.http.post("/api/auth/magic-link", headers=JSON,
                                body=json.dumps({"email": "inconnu@example.org"}))
    assert response.status_code == 202
    assert outbox() == []


@link_sent
def test_login_email_is_french_with_text_and_html(client):
    ask_link(client)
    [mail] = outbox()
    assert mail["to"] == ["agent.bretoncelles@example.org"]
    assert mail["subject"] == "Votre lien de connexion à Relais"
    assert "ne sert qu'une fois" in mail["text"] and "<a href=" in mail["html"]
    assert mail["headers"]["Auto-Submitted"] == "auto-generated"
    assert mail["sent_at"]


@link_sent
def test_the_token_is_stored_hashed(client, deps):
    token = ask_link(client)
    items = deps.dynamodb.query(TableName=deps.settings.table_name, IndexName=None or "GSI1",
                                KeyConditionExpression="GSI1PK = :p",
                                ExpressionAttributeValues={":p": {"S": "TERRITORIES"}})["Items"]
    assert items  # the table is readable; now look the token up by its raw value: absent
    raw = deps.dynamodb.get_item(TableName=deps.settings.table_name,
                                 Key={"PK": {"S": f"LOGIN#{token}"}, "SK": {"S": "LOGIN"}})
    assert "Item" not in raw


@link_sent
def test_landing_page_needs_a_click_and_the_token_is_single_use(client):
    token = ask_link(client)
    page = client.http.get(f"/connexion/{token}")
    assert page.status_code == 200 and b"Me connecter" in page.body
    client.http.get(f"/connexion/{token}")  # a mail scanner opening the link twice burns nothing
    csrf_cookie = page.headers["Set-Cookie"].split(";")[0]
    csrf = re.search(rb'name="csrf" value="([^"]+)"', page.body).group(1).decode()
    form = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": csrf_cookie}
    signed_in = client.http.post("/connexion/session", headers=form, body=f"token={token}&csrf={csrf}")
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/tableau-de-bord"  # an agent
    cookie = signed_in.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie  # dev stage
    again = client.http.post("/connexion/session", headers=form, body=f"token={token}&csrf={csrf}")
    assert again.status_code == 400 and b"plus valable" in again.body


@link_sent
def test_landing_post_without_the_csrf_cookie_is_refused(client):
    token = ask_link(client)
    refused = client.http.post("/connexion/session", headers={"Content-Type": "application/x-www-form-urlencoded"},
                               body=f"token={token}&csrf=forged")
    assert refused.status_code == 400
    assert client.http.post("/api/auth/session", headers=JSON,
                            body=json.dumps({"token": token})).status_code == 200  # still unused


@link_sent
def test_an_expired_link_is_refused_with_a_clear_message(client):
    token = ask_link(client)
    later = bootstrap.deps().now() + timedelta(minutes=31)
    bootstrap.deps().clock = lambda: later
    response = client.http.post("/api/auth/session", headers=JSON, body=json.dumps({"token": token}))
    assert response.status_code == 400
    assert response.json_body["field"] == "token" and "expiré" in response.json_body["message"]


def test_session_cookie_opens_the_api_and_logout_closes_it(client):
    headers = login(client, "agent.bretoncelles@example.org")
    me = client.http.get("/api/me", headers=headers)
    assert me.status_code == 200 and me.json_body["role"] == "agent"
    assert client.http.post("/api/auth/logout", headers=headers).status_code == 204
    after = client.http.get("/api/me", headers=headers)
    assert after.status_code == 401 and after.json_body["error"] == "not_authenticated"


def test_outbox_lists_sms_sent_through_the_production_sender(client):
    bootstrap.deps().sms.send("+33612345678", "Votre dossier 61-ABC-DEF est ouvert.")
    [sms] = client.http.get("/_dev/outbox").json_body
    assert sms["channel"] == "sms" and sms["to"] == ["+33612345678"]
    # The production adapter (End User Messaging), answered in-process by the dev emulation.
    assert type(bootstrap.deps().sms).__name__ == "EndUserMessagingSmsSender"
    assert sms["from"] == bootstrap.deps().settings.sms_origination_identity and sms["sent_at"]


def test_dev_job_runner_passes_the_time_and_refuses_unknown_jobs(client, monkeypatch):
    from chalicelib import jobs

    seen = {}
    monkeypatch.setitem(jobs.JOBS, "probe", lambda deps, now: seen.setdefault("now", now.isoformat()) and {"ran": True})
    response = client.http.post("/_dev/run/probe?now=2026-11-26T08:00:00%2B01:00")
    assert response.status_code == 200 and seen["now"] == "2026-11-26T08:00:00+01:00"
    unknown = client.http.post("/_dev/run/nope")
    assert unknown.status_code == 404 and unknown.json_body["field"] == "job"
    naive = client.http.post("/_dev/run/probe?now=2026-11-26T08:00:00")
    assert naive.status_code == 400 and naive.json_body["field"] == "now"


@pytest.mark.parametrize("method, path, body", [
    ("GET", "/_dev/outbox", None),
    ("POST", "/_dev/inbound-sms", json.dumps({"from": "+33612345678", "body": "STOP"})),
    ("POST", "/_dev/run/reminders", None),
])
def test_dev_routes_answer_404_outside_the_dev_stage(table, method, path, body):
    with Client(relais.app, stage_name="prod") as prod:
        bootstrap.reset()
        response = prod.http.request(method, path, headers=JSON, body=body or b"")
        assert response.status_code == 404
        assert response.json_body["error"] == "not_found"
    bootstrap.reset()


def test_session_cookie_is_secure_outside_dev(table, monkeypatch):
    monkeypatch.setenv("RELAIS_STAGE", "prod")
    bootstrap.reset()
    assert bootstrap.deps().settings.secure_cookies


def test_openapi_documents_every_api_route_from_the_models(client):
    spec = client.http.get("/api/openapi.json").json_body
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    routed = {(path, method) for path, methods in relais.app.routes.items() for method in methods
              if path.startswith("/api/") and path != "/api/openapi.json"}
    assert routed == documented
    case_schema = spec["components"]["schemas"]["CaseCreate"]
    assert "usager" in case_schema["properties"]
    assert spec["paths"]["/api/cases"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CaseCreate"}
    assert not any(path.startswith("/_dev") for path in spec["paths"])


@pytest.mark.parametrize("method, path, headers, body", [
    ("POST", "/_dev/inbound-sms", JSON, "{}"),
    ("POST", "/_dev/inbound-sms", {"Content-Type": "text/plain"}, "STOP"),
    ("POST", "/_dev/inbound-email", JSON, "{}"),
    ("POST", "/_dev/run/reminders?now=pas-une-date", JSON, ""),
])
def test_dev_routes_are_404_before_reading_anything_outside_dev(table, method, path, headers, body):
    with Client(relais.app, stage_name="prod") as prod:
        bootstrap.reset()
        response = prod.http.request(method, path, headers=headers, body=body)
        assert (response.status_code, response.json_body["error"]) == (404, "not_found")
    bootstrap.reset()


def test_a_wrong_media_type_gets_a_json_error_naming_the_header(client):
    headers = login(client, "agent.bretoncelles@example.org")
    response = client.http.post("/api/cases", headers={**headers, "Content-Type": "text/plain"}, body="{}")
    assert response.status_code == 415
    assert response.json_body["field"] == "Content-Type" and "application/json" in response.json_body["message"]


@link_sent
def test_a_mailbox_cannot_be_flooded_with_login_links(client):
    for _ in range(8):
        response = client.http.post("/api/auth/magic-link", headers=JSON,
                                    body=json.dumps({"email": "agent.bretoncelles@example.org"}))
        assert response.status_code == 202
    assert len(outbox()) == 5


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _form_post(client, path: str, page, fields: dict):
    """POST a page's form as a browser would: its CSRF cookie and field."""
    from urllib.parse import urlencode

    csrf = re.search(rb'name="csrf" value="([^"]+)"', page.body).group(1).decode()
    cookie = page.headers["Set-Cookie"].split(";")[0]
    return client.http.post(path, headers={**FORM, "Cookie": cookie}, body=urlencode({**fields, "csrf": csrf}))


@link_sent
def test_a_signed_out_visitor_lands_on_the_page_they_asked_for_once_signed_in(client):
    asked = client.http.get("/file?vue=en-retard")                  # any page: to the login page
    assert asked.status_code == 303 and asked.headers["Location"] == "/connexion?suite=%2Ffile%3Fvue%3Den-retard"
    case = client.http.get("/dossiers/61-K7M-4QX?onglet=fil")       # a case: its sign-in page links there
    assert case.status_code == 401
    login_href = "/connexion?suite=%2Fdossiers%2F61-K7M-4QX%3Fonglet%3Dfil"
    assert f'href="{login_href}"'.encode() in case.body
    login_page = client.http.get(login_href)
    assert b'name="suite" value="/dossiers/61-K7M-4QX?onglet=fil"' in login_page.body
    sent = _form_post(client, "/connexion", login_page,
                      {"email": "referent.61-caf@example.org", "suite": "/dossiers/61-K7M-4QX?onglet=fil"})
    assert sent.status_code == 200
    link = re.search(r"/connexion/[\w-]+\?\S+", outbox()[-1]["text"]).group(0)
    assert link.endswith("?suite=%2Fdossiers%2F61-K7M-4QX%3Fonglet%3Dfil"), link
    landing = client.http.get(link)
    assert b'name="suite" value="/dossiers/61-K7M-4QX?onglet=fil"' in landing.body
    token = LINK.search(link).group(1)
    signed_in = _form_post(client, "/connexion/session", landing,
                           {"token": token, "suite": "/dossiers/61-K7M-4QX?onglet=fil"})
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/dossiers/61-K7M-4QX?onglet=fil"


@link_sent
@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                    "\\\\evil.example", "/file\r\nSet-Cookie: x=1", "javascript:alert(1)",
                                    "/connexion"])
def test_no_return_to_leads_off_the_site(client, target):
    from urllib.parse import quote

    login_page = client.http.get(f"/connexion?suite={quote(target, safe='')}")
    assert b'name="suite"' not in login_page.body
    _form_post(client, "/connexion", login_page, {"email": "referent.61-caf@example.org", "suite": target})
    link = re.search(r"/connexion/[\w-]+\S*", outbox()[-1]["text"]).group(0)
    assert "suite" not in link and "evil" not in link
    landing = client.http.get(f"{link}?suite={quote(target, safe='')}")
    assert b'name="suite"' not in landing.body
    signed_in = _form_post(client, "/connexion/session", landing, {"token": LINK.search(link).group(1),
                                                                   "suite": target})
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/file"      # the referent's home
