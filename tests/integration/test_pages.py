"""The HTML pages through Chalice's test client, on DynamoDB Local: what each role sees and
does, French errors that keep what was typed, CSRF on every form, and no personal data in
URLs or titles. The browser tests (tests/browser) drive the same pages in chromium."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlencode

import pytest

from tests.clock import TUESDAY_MORNING
from tests.conftest import login

pytestmark = pytest.mark.instant(TUESDAY_MORNING)

AGENT = "agent.bretoncelles@example.org"
REFERENT = "referent.61-caf@example.org"
COORDINATOR = "coordination.61@example.org"
ADMIN = "admin@example.org"
FORM = "application/x-www-form-urlencoded"


class Browser:
    """A signed-in browser: the session cookie plus the CSRF cookie the pages set."""

    def __init__(self, client, email: str | None):
        self.client = client
        self.cookies: dict[str, str] = {}
        if email:
            self.cookies.update(dict([login(client, email)["Cookie"].split("=", 1)]))

    def _cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    def _keep(self, response) -> None:
        raw = response.headers.get("Set-Cookie")
        for cookie in ([raw] if isinstance(raw, str) else raw or []):
            name, _, value = cookie.split(";")[0].partition("=")
            self.cookies[name] = value

    def get(self, path: str):
        response = self.client.http.get(path, headers=self._cookie_header())
        self._keep(response)
        return response

    def csrf(self) -> str:
        if "relais_csrf" not in self.cookies:
            self.get("/connexion")
        return self.cookies["relais_csrf"]

    def post(self, path: str, fields: dict | list, csrf: bool = True):
        pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
        if csrf:
            pairs.append(("csrf", self.csrf()))
        response = self.client.http.post(path, body=urlencode(pairs),
                                         headers={**self._cookie_header(), "Content-Type": FORM})
        self._keep(response)
        return response


def text(response) -> str:
    return unescape(response.body.decode())


def title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.body.decode(), re.S).group(1)


NEW_CASE = {
    "point_id": "61-mairie-bretoncelles", "usager.first_name": "Élodie", "usager.last_name": "D'Argent",
    "usager.phone": "06 12 34 56 78", "usager.sms_opt_in": "oui", "situation": "retraite",
    "description": "Sa pension de réversion n'est pas versée.", "consent_attested": "oui",
}


def api_case(client, ref: str) -> dict:
    return client.http.get(f"/api/cases/{ref}", headers=login(client, AGENT)).json_body


@pytest.fixture
def agent(client):
    return Browser(client, AGENT)


def create(agent: Browser, **extra) -> str:
    response = agent.post("/nouveau-dossier", {**NEW_CASE, **extra})
    assert response.status_code == 303, text(response)
    return re.match(r"/dossiers/([^?]+)\?", response.headers["Location"]).group(1)


# --- navigation and roles ------------------------------------------------------------------

@pytest.mark.parametrize("email, home", [(AGENT, "/tableau-de-bord"), (REFERENT, "/file"),
                                         (COORDINATOR, "/territoire"), (ADMIN, "/annuaire")])
def test_each_role_lands_on_its_page_with_its_menu(client, email, home):
    browser = Browser(client, email)
    assert browser.get("/").headers["Location"] == home
    page = browser.get(home)
    assert page.status_code == 200, text(page)
    assert f'href="{home}" aria-current="page"' in page.body.decode()
    assert "Se déconnecter" in text(page)


def test_signed_out_visitors_go_to_the_login_page(client):
    for path in ("/", "/tableau-de-bord", "/nouveau-dossier", "/recherche", "/file", "/territoire", "/annuaire"):
        expected = "/connexion" if path == "/" else f"/connexion?suite=%2F{path[1:]}"   # back there once signed in
        assert Browser(client, None).get(path).headers["Location"] == expected, path


def test_a_role_cannot_open_another_roles_pages(client):
    referent = Browser(client, REFERENT)
    for path in ("/tableau-de-bord", "/nouveau-dossier", "/annuaire", "/territoire"):
        response = referent.get(path)
        assert response.status_code == 403 and "ne fait pas partie de votre espace" in text(response)


def test_logging_out_ends_the_session(client, agent):
    response = agent.post("/deconnexion", {})
    assert response.headers["Location"] == "/connexion?fait=deconnecte"
    assert agent.get("/tableau-de-bord").headers["Location"] == "/connexion?suite=%2Ftableau-de-bord"


def test_pages_send_a_strict_content_security_policy(client, agent):
    headers = agent.get("/tableau-de-bord").headers
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert headers["X-Frame-Options"] == "DENY" and headers["Cache-Control"] == "no-store"


# --- new case ----------------------------------------------------------------------------

def test_the_new_case_form_offers_the_territorys_partners_usual_ones_first(client, agent):
    assert "61-caf" in text(agent.get("/nouveau-dossier"))
    without_consent = {k: v for k, v in NEW_CASE.items() if k != "consent_attested"}
    page = agent.post("/nouveau-dossier", without_consent)    # comes back with situation "retraite"
    html = text(page)
    assert page.status_code == 400
    offered = re.findall(r'name="group_ids" value="([^"]+)"', html)
    assert offered[:2] == ["61-carsat", "61-msa"], offered   # retraite: CARSAT, then MSA
    assert "62-caf" not in offered and len(offered) == 17


def test_a_case_is_created_and_escalated_from_the_form(client, agent):
    ref = create(agent, group_ids="61-carsat", question="Pourquoi la réversion est-elle bloquée ?",
                 **{"identifiers.nir": "2 55 08 14 168 025 38"})
    case = api_case(client, ref)
    assert case["usager"]["last_name"] == "D'Argent" and case["status"] == "escalated"
    assert case["escalations"][0]["group_id"] == "61-carsat"
    page = agent.get(f"/dossiers/{ref}?fait=saisi")
    assert "Le dossier est transmis" in text(page) and "CARSAT" in text(page)
    assert title(page) == f"Dossier {ref} – Relais, Services Publics+"


def test_a_refused_form_lists_the_errors_in_french_and_keeps_what_was_typed(client, agent):
    fields = {**NEW_CASE, "usager.phone": "01 23 45 67 89", "situation": "", "consent_attested": ""}
    del fields["consent_attested"]
    response = agent.post("/nouveau-dossier", [*fields.items(), ("group_ids", "61-caf")])
    html = text(response)
    assert response.status_code == 400
    summary = re.search(r'<div class="fr-alert fr-alert--error[^>]*>(.*?)</div>', html, re.S).group(1)
    assert "3 erreurs" in summary
    for anchor, message in [("usager-phone", "Ce numéro est un fixe"), ("situation", "Choisissez la situation"),
                            ("consent_attested", "Cochez la case")]:
        assert f'href="#{anchor}"' in summary and message in summary
    assert 'value="Élodie"' in html and 'value="D\'Argent"' in html and 'value="01 23 45 67 89"' in html
    assert re.search(r'value="61-caf" checked', html)
    assert 'aria-invalid="true" aria-describedby="usager-phone-erreur"' in html
    assert agent.get("/tableau-de-bord").body.decode().count("/dossiers/") == 0


def test_every_form_refuses_a_post_without_the_csrf_token(client, agent):
    ref = create(agent)
    for path, fields in [("/nouveau-dossier", NEW_CASE), (f"/dossiers/{ref}/message", {"body": "x"}),
                         (f"/dossiers/{ref}/cloture", {"outcome": "solved_at_desk", "useful": "oui"}),
                         (f"/dossiers/{ref}/saisine", {"group_ids": "61-caf", "question": "?"}),
                         ("/recherche", {"q": "argent"})]:
        response = agent.post(path, {**fields, "csrf": "forged"}, csrf=False)
        assert response.status_code == 400 and "expiré" in text(response), path
    assert api_case(client, ref)["messages"] == [] and api_case(client, ref)["status"] == "open"


# --- dashboard and search ----------------------------------------------------------------------

def test_the_dashboard_sorts_cases_by_what_the_agent_has_to_do(client, agent):
    at_desk = create(agent)
    waiting = create(agent, group_ids="61-carsat")
    assert at_desk in text(agent.get("/tableau-de-bord")) and waiting not in text(agent.get("/tableau-de-bord"))
    assert waiting in text(agent.get("/tableau-de-bord?vue=en-attente"))
    assert waiting not in text(agent.get("/tableau-de-bord?vue=en-retard"))
    assert "Aucun dossier" in text(agent.get("/tableau-de-bord?vue=a-clore"))


def test_the_search_finds_a_case_by_name_without_accents_or_by_reference(client, agent):
    ref = create(agent)
    create(agent, **{"usager.last_name": "Martin"})
    for query in ("d'argent", "D ARGENT", "d argent elo", "elodie d'arg", "ÉLODIE D’ARGENT"):
        response = agent.post("/recherche", {"q": query})
        found = re.findall(r'href="/dossiers/([^"]+)"', response.body.decode())
        assert found == [ref], (query, found)
    by_ref = agent.post("/recherche", {"q": ref.lower().replace("-", " ")})
    assert by_ref.status_code == 303 and by_ref.headers["Location"] == f"/dossiers/{ref}"
    assert "Aucun dossier trouvé" in text(agent.post("/recherche", {"q": "Dupont"}))
    short = agent.post("/recherche", {"q": "a"})
    assert short.status_code == 400 and "au moins deux lettres" in text(short)


def test_the_search_finds_the_second_half_of_a_compound_last_name(client, agent):
    ref = create(agent, **{"usager.last_name": "Dupré-Lefèvre", "usager.first_name": "Jeanne"})
    for query in ("Lefèvre", "lefevre", "LEFEVRE", "lefèvre jea", "Jeanne Lefèvre", "Dupré Lefèvre", "dupre-lef"):
        found = re.findall(r'href="/dossiers/([^"]+)"', agent.post("/recherche", {"q": query}).body.decode())
        assert found == [ref], (query, found)


def test_the_search_finds_a_reference_typed_without_its_departement(client, agent):
    ref = create(agent)
    body = ref.split("-", 1)[1]                     # 61-K7M-4QX -> K7M-4QX
    for query in (body, body.lower(), body.replace("-", " "), body.replace("-", "")):
        response = agent.post("/recherche", {"q": query})
        assert response.status_code == 303 and response.headers["Location"] == f"/dossiers/{ref}", query
    other = Browser(client, "agent.remalard@example.org")       # another point: as if absent
    assert "Aucun dossier trouvé" in text(other.post("/recherche", {"q": body}))


def test_an_empty_search_is_a_french_error_on_the_page(client, agent):
    page = text(agent.get("/recherche"))
    assert re.search(r'<form method="post" action="/recherche"[^>]*novalidate', page)
    response = agent.post("/recherche", {"q": "   "})
    html = text(response)
    assert response.status_code == 400
    assert "fr-input-group--error" in html and 'class="fr-error-text"' in html
    assert "Tapez au moins deux lettres" in html and " autofocus" in html


def test_the_search_never_shows_another_points_cases(client, agent):
    create(agent)
    other = Browser(client, "agent.remalard@example.org")
    assert "Aucun dossier trouvé" in text(other.post("/recherche", {"q": "d'argent"}))


# --- the case page: the agent's actions, the referent's answer -----------------------------------

def test_the_agent_writes_escalates_closes_and_reopens_from_the_case_page(client, agent):
    ref = create(agent)
    assert agent.post(f"/dossiers/{ref}/message", {"body": "Appel à la CARSAT prévu.", "group_id": ""}
                      ).headers["Location"] == f"/dossiers/{ref}?fait=message#echanges"
    escalated = agent.post(f"/dossiers/{ref}/saisine", [("group_ids", "61-carsat"), ("group_ids", "61-msa"),
                                                        ("question", "Où en est le dossier ?")])
    assert escalated.status_code == 303
    case = api_case(client, ref)
    assert {e["group_id"] for e in case["escalations"]} == {"61-carsat", "61-msa"}
    assert agent.post(f"/dossiers/{ref}/message", {"body": "Voici l'avis.", "group_id": "61-msa"}).status_code == 303
    assert [m["group_id"] for m in api_case(client, ref)["messages"]] == [None, "61-msa"]

    missing = agent.post(f"/dossiers/{ref}/cloture", {"outcome": "solved_with_partner"})
    assert missing.status_code == 400 and "Indiquez si l'accompagnement a été utile" in text(missing)
    assert agent.post(f"/dossiers/{ref}/cloture", {"outcome": "solved_with_partner", "useful": "oui"}
                      ).status_code == 303
    closed = api_case(client, ref)
    assert closed["status"] == "closed" and closed["outcome"] == "solved_with_partner" and closed["useful"]
    page = text(agent.get(f"/dossiers/{ref}"))
    assert "Rouvrir le dossier" in page and "Clore le dossier" not in page and "Réglée avec un partenaire" in page
    refused = agent.post(f"/dossiers/{ref}/message", {"body": "Encore ?"})
    assert refused.status_code == 409 and "Ce dossier est clos" in text(refused)
    assert agent.post(f"/dossiers/{ref}/reouverture", {}).status_code == 303
    assert api_case(client, ref)["status"] != "closed"


def test_an_escalation_without_a_partner_or_question_is_refused(client, agent):
    ref = create(agent)
    response = agent.post(f"/dossiers/{ref}/saisine", {"question": ""})
    assert response.status_code == 400 and "Choisissez au moins un organisme" in text(response)
    response = agent.post(f"/dossiers/{ref}/saisine", {"group_ids": "61-caf", "question": " "})
    assert "Écrivez votre question au partenaire" in text(response)
    assert re.search(r'value="61-caf" checked', text(response))
    assert api_case(client, ref)["escalations"] == []


def test_the_referent_queue_shows_the_groups_escalations_and_the_referent_answers(client, agent):
    ref = create(agent, group_ids="61-caf", question="Le RSA est suspendu.")
    referent = Browser(client, REFERENT)
    queue = text(referent.get("/file"))
    assert ref in queue and "Nouvelles demandes" in queue and "Le RSA est suspendu." in queue
    case_page = text(referent.get(f"/dossiers/{ref}"))
    assert "06 12 34 56 78" not in case_page and "Sa pension" not in case_page  # the agent's only
    answered = referent.post(f"/dossiers/{ref}/reponse", {"kind": "answer", "body": "Versement relancé."})
    assert answered.status_code == 303
    assert api_case(client, ref)["status"] == "answered"
    assert ref in text(agent.get("/tableau-de-bord?vue=a-clore"))


def test_the_coordinator_sees_late_escalations_of_the_territory_only(client, monkeypatch):
    from datetime import timedelta

    from chalicelib import bootstrap

    monkeypatch.setenv("RELAIS_SESSION_HOURS", "1000")   # the clock moves 10 days ahead
    bootstrap.reset()
    ref = create(Browser(client, AGENT), group_ids="61-caf")
    coordinator = Browser(client, COORDINATOR)
    assert ref not in text(coordinator.get("/territoire"))
    real = bootstrap.deps().clock
    bootstrap.deps().clock = lambda: real() + timedelta(days=10)
    try:
        page = text(coordinator.get("/territoire"))
    finally:
        bootstrap.deps().clock = real
    assert ref in page and "CAF de l'Orne" in page and "Mairie de Bretoncelles" in page
    assert "referent.61-caf@example.org" not in page
    other = Browser(client, "coordination.62@example.org")
    assert other.get("/territoire?code=61").status_code == 404


# --- admin ------------------------------------------------------------------------------

def multipart(fields: dict[str, str], filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = "----relaisTestBoundary7MA4YWxkTrZu0gW"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="csv"; filename="{filename}"\r\n'
                 f"Content-Type: text/csv\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_the_admin_previews_a_csv_then_applies_exactly_it(client):
    admin = Browser(client, ADMIN)
    csv_bytes = ("id;territory_code;name;kind;phone;address\n"
                 "61-mairie-moutiers;61;Mairie de Moutiers-au-Perche;mairie;;Moutiers\n").encode("cp1252")
    body, content_type = multipart({"csrf": admin.csrf(), "kind": "contact_points"}, "points.csv", csv_bytes)
    preview = client.http.post("/annuaire/apercu", body=body, headers={
        **admin._cookie_header(), "Content-Type": content_type})
    html = text(preview)
    assert preview.status_code == 200, html
    assert "1 ligne lue" in html and "<strong>1</strong> à créer" in html and "Moutiers-au-Perche" in html
    directory = client.http.get("/api/territories/61/directory", headers=login(client, ADMIN)).json_body
    assert "61-mairie-moutiers" not in [p["id"] for p in directory["contact_points"]]
    import_id = re.search(r'name="import" value="([0-9a-f]{32})"', html).group(1)
    applied = admin.post("/annuaire/appliquer", {"import": import_id})
    assert applied.headers["Location"].startswith("/annuaire?fait=importe&")
    directory = client.http.get("/api/territories/61/directory", headers=login(client, ADMIN)).json_body
    assert "61-mairie-moutiers" in [p["id"] for p in directory["contact_points"]]
    again = admin.post("/annuaire/appliquer", {"import": import_id})
    assert again.status_code == 400 and "déposez le fichier de nouveau" in text(again)


def test_a_csv_with_errors_is_previewed_with_its_lines_and_cannot_be_applied(client):
    admin = Browser(client, ADMIN)
    body, content_type = multipart({"csrf": admin.csrf(), "kind": "contact_points"}, "points.csv",
                                   b"id;territory_code;name;kind\n61-x;61;Nom;chateau\n")
    html = text(client.http.post("/annuaire/apercu", body=body, headers={
        **admin._cookie_header(), "Content-Type": content_type}))
    assert "Ligne 2" in html and "rien ne sera importé" in html and 'name="import"' not in html
    missing, content_type = multipart({"csrf": admin.csrf()}, "points.csv", b"")
    response = client.http.post("/annuaire/apercu", body=missing, headers={
        **admin._cookie_header(), "Content-Type": content_type})
    assert response.status_code == 400 and "Choisissez ce que contient le fichier" in text(response)


def test_no_personal_data_in_urls_or_titles(client, agent):
    ref = create(agent, group_ids="61-carsat")
    pages = [agent.get(p) for p in ("/tableau-de-bord", f"/dossiers/{ref}", "/recherche")]
    pages.append(agent.post("/recherche", {"q": "d'argent"}))
    for response in pages:
        assert "Élodie" not in title(response) and "Argent" not in title(response)
        hrefs = re.findall(r'(?:href|action)="([^"]+)"', response.body.decode())
        assert not [h for h in hrefs if "argent" in h.lower() or "06" in h or "elodie" in h.lower()], hrefs


# --- French error pages ---------------------------------------------------------------------------

HTML_ACCEPT = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.mark.parametrize("path", ["/nimporte", "/nimporte/quoi", "/dossiers/61-K7M-4QX/pas/une/page", "/a/b/c/d/e/f/g/h.html"])
def test_an_unknown_address_is_a_french_404_page(client, path):
    for method in ("GET", "POST"):
        response = getattr(client.http, method.lower())(path, headers=HTML_ACCEPT)
        assert response.status_code == 404, (method, path, response.body[:200])
        assert response.headers["Content-Type"].startswith("text/html") and "Page introuvable" in text(response)


def test_the_json_api_keeps_json_errors(client):
    unknown = client.http.get("/api/pas-une-route/du-tout", headers={"Accept": "application/json"})
    assert unknown.status_code == 404 and unknown.headers["Content-Type"].startswith("application/json")
    assert unknown.json_body["error"] == "not_found"
    assert client.http.get("/api/pas-une-route", headers=HTML_ACCEPT).headers["Content-Type"].startswith(
        "application/json")
    post_only = client.http.get("/api/auth/magic-link", headers=HTML_ACCEPT)
    assert post_only.status_code == 405 and post_only.headers["Allow"] == "POST"
    assert post_only.json_body["Code"] == "MethodNotAllowedError"                 # Chalice's own JSON


@pytest.mark.parametrize("path", ["/deconnexion", "/connexion/session", "/dossiers/61-K7M-4QX/reponse",
                                  "/annuaire/appliquer"])
def test_a_forms_address_opened_as_a_page_is_a_french_405_page(client, path):
    response = client.http.get(path, headers=HTML_ACCEPT)
    assert response.status_code == 405 and response.headers["Allow"] == "POST"
    assert response.headers["Content-Type"].startswith("text/html")
    assert "ne s'ouvre pas comme une page" in text(response)
    assert client.http.get(path).headers["Content-Type"].startswith("application/json")   # not asked for HTML
