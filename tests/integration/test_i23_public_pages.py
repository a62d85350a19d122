"""The public pages of the footer and the results' wording, through Chalice's test client
(issue 23, points 16 and 18). The browser tests (tests/browser/test_i23_public.py) drive them
in chromium."""
from __future__ import annotations

import re
from html import unescape

import pytest

from tests.clock import TUESDAY_MORNING

pytestmark = pytest.mark.instant(TUESDAY_MORNING)

PAGES = {"/accessibilite": "Déclaration d'accessibilité", "/mentions-legales": "Mentions légales",
         "/donnees-personnelles": "Données personnelles", "/aide": "Aide : utiliser Relais"}


def text_of(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.body.decode())).split())


@pytest.mark.parametrize("path, heading", PAGES.items())
def test_each_page_is_public_and_linked_from_every_footer(client, path, heading):
    page = client.http.get(path)
    assert page.status_code == 200, page.body[:300]
    assert f"<h1>{heading}</h1>" in page.body.decode().replace("&#39;", "'")
    footer = client.http.get("/connexion").body.decode().split('class="fr-footer__bottom-list"')[1]
    assert f'href="{path}"' in footer


def test_the_retention_periods_are_the_ones_the_retention_job_applies(client, monkeypatch):
    from chalicelib import bootstrap, config

    monkeypatch.setenv("RELAIS_RETENTION_MONTHS", "9")
    monkeypatch.setenv("RELAIS_FEEDBACK_RETENTION_MONTHS", "30")
    monkeypatch.setenv("RELAIS_SESSION_HOURS", "10")
    config.reset()
    bootstrap.reset()
    text = text_of(client.http.get("/donnees-personnelles"))
    assert "puis 9 mois après sa clôture" in text
    assert "9 mois après l'envoi de l'expérience, puis effacé" in text       # services/retention.py: the same cutoff
    assert "30 mois après leur envoi" in text
    assert "la session dure 10 heures au plus" in text
    assert "dpd@relais.example.org" in text and "CNIL" in text


def test_the_host_region_is_the_deployments(client, monkeypatch):
    from chalicelib import bootstrap, config

    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    config.reset()
    bootstrap.reset()
    text = text_of(client.http.get("/mentions-legales"))
    assert "Europe (Paris), en France" in text and "eu-west-3" in text
    assert "Programme Services Publics+".casefold() in text.casefold()


def test_the_results_table_writes_numbers_and_delays_the_french_way():
    from chalicelib.adapters.templates import environment
    from chalicelib.domain.results import Figures

    figures = Figures(cases=12345, desk_rate=87.5, useful_rate=None, escalations=1234, ontime_rate=90.0,
                      median_hours="16", p90_hours="over", satisfied_rate=None, net_satisfaction=-12.5,
                      closed=2345, due=1500, answered=1400, satisfaction_answers=1001, suppressed=False)
    macros = environment().get_template("pages/_results_table.html").module
    html = str(macros.table("Résultats", [{"name": "Orne (61)", "figures": figures}], "Territoire", 5))
    text = re.sub(r"[ \t\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))     # keeps no-break spaces
    assert "12\u202f345" in text and "87,5\u00a0%" in text and "-12,5" in text
    for hint in ("sur 2\u202f345 clos", "sur 1\u202f500 échues", "sur 1\u202f400 réponses", "sur 1\u202f001 avis"):
        assert hint in text
    assert "16 heures ouvrées au plus" in text and "plus de 240 heures ouvrées" in text
    assert not re.search(r"\d h\b", text)                       # never « 16 h », a time of day
    assert "« — » : chiffre non publié" in text and "moins de 5 dossiers" in text
    assert 'aria-label' not in html and '<span class="fr-sr-only">non publié</span></span>' in html


def test_departements_sort_in_french_order_and_one_without_points_says_so(client):
    html = client.http.get("/resultats?territoire=07").body.decode()
    options = re.findall(r'<option value="(\w+)"', html.split('id="territoire"')[1].split("</select>")[0])
    assert options.index("07") < options.index("08")            # Ardèche, then Ardennes
    assert "Aucun point d'accueil dans ce département pour l'instant" in unescape(html)
