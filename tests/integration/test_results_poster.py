"""Issue 25, « Results on the wall »: the printable poster of a contact point (public) and all
of a territory's posters on one page (its coordinators and admins), on DynamoDB Local.

The figures are the public page's, after disclosure control: a figure withheld there is
withheld on the poster, said in words."""
from __future__ import annotations

import html as html_lib
import re

import pytest

from chalicelib.domain import results as domain
from tests.clock import TUESDAY_MORNING
from tests.conftest import login
from tests.integration.test_results import activity

pytestmark = [pytest.mark.outbox, pytest.mark.instant(TUESDAY_MORNING)]
POINT = "61-mairie-bretoncelles"
COORDINATOR = "coordination.61@example.org"
OTHER_COORDINATOR = "coordination.62@example.org"


def text_of(page) -> str:
    """The page's text, tags and entities aside, spaces as one."""
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", page.body.decode()))
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\xa0", " "))


def test_a_points_poster_shows_its_published_figures_in_words_and_withholds_the_small_ones(client, deps):
    activity(client)        # Bretoncelles: 7 cases, 4 closed (3 at the desk), 4 escalations not yet due, 3 marks
    quarter = domain.quarter(deps.now())
    page = client.http.get(f"/resultats/affiche/{POINT}?periode={quarter}")
    assert page.status_code == 200
    html, text = page.body.decode(), text_of(page)
    assert "Mairie de Bretoncelles" in text and "Nos résultats de octobre à décembre 2026" in text
    assert "7 demandes traitées ici ce trimestre." in text
    # 4 closings, 0 escalations due, 3 marks: each under k = 5, each withheld, said in words.
    assert text.count("Pas affiché pour que personne ne puisse être reconnu.") == 3
    assert "Les chiffres trop petits ne sont pas affichés, pour que personne ne puisse être reconnu." in text
    assert "%" not in text.split("Nos résultats", 1)[1]              # « sur 100 », never a percentage
    assert "Sophie Girard" not in html and "Jeanne" not in html and "agent." not in html
    # The QR code leads to the point's row of the public results page, an absolute address.
    address = f"{deps.settings.base_url}/resultats?periode={quarter}&territoire=61#point-{POINT}"
    assert html_lib.escape(address) in html
    assert re.search(r'<svg role="img" aria-label="Code QR : les résultats de Mairie de Bretoncelles', html)
    assert "poster.css" in html and "poster.js" in html
    # ... where that row is, with a link back to the poster.
    results_page = client.http.get(f"/resultats?periode={quarter}&territoire=61").body.decode()
    assert f'id="point-{POINT}"' in results_page
    assert f'href="/resultats/affiche/{POINT}?periode={quarter}"' in results_page


def test_by_default_the_last_finished_quarter_and_a_quarter_with_nothing_says_so(client, deps):
    page = client.http.get(f"/resultats/affiche/{POINT}")
    assert page.status_code == 200
    text = text_of(page)
    assert "Nos résultats de juillet à septembre 2026" in text        # 2026-T4 now: the last finished one
    assert "trop peu de demandes ici pour afficher des chiffres" in text
    assert text.count("Pas affiché") == 4


@pytest.mark.parametrize("path", ["/resultats/affiche/inconnu", "/resultats/affiche/61-MAIRIE",
                                  "/resultats/affiche/" + "x" * 3000])
def test_an_unknown_point_is_the_french_404_page(client, path):
    page = client.http.get(path)
    assert page.status_code == 404 and "Page introuvable" in page.body.decode()


@pytest.mark.parametrize("periode", ["hier", "2026-11", "9999-T4", "0001-T1", "2027-T1", "%%%", "2026-T5"])
def test_a_bad_quarter_is_a_french_400_page(client, periode):
    page = client.http.get(f"/resultats/affiche/{POINT}?periode={periode}")
    assert page.status_code == 400
    assert 'lang="fr"' in page.body.decode() and "trimestre" in text_of(page)


def test_the_territorys_posters_for_its_coordinators_and_admins(client, deps):
    activity(client)
    quarter = domain.quarter(deps.now())
    coordinator = {"Cookie": login(client, COORDINATOR)["Cookie"]}
    page = client.http.get(f"/territoire/61/affiches?periode={quarter}", headers=coordinator)
    assert page.status_code == 200
    html = page.body.decode()
    points, _ = deps.repo.territory_directory("61")
    assert html.count('<article class="relais-poster"') == len(points) > 1
    assert all(f'id="affiche-{p.id}"' in html for p in points)
    assert "7 demandes traitées ici ce trimestre." in text_of(page)
    assert "Points de contact suivants" not in html
    admin = {"Cookie": login(client, "admin@example.org")["Cookie"]}
    assert client.http.get("/territoire/61/affiches", headers=admin).status_code == 200
    # Another territory's coordinator: as if it did not exist; an agent: not their space.
    other = {"Cookie": login(client, OTHER_COORDINATOR)["Cookie"]}
    assert client.http.get("/territoire/61/affiches", headers=other).status_code == 404
    agent = {"Cookie": login(client, "agent.bretoncelles@example.org")["Cookie"]}
    assert client.http.get("/territoire/61/affiches", headers=agent).status_code == 403
    assert client.http.get("/territoire/61/affiches").status_code == 303
    assert client.http.get("/territoire/99/affiches", headers=admin).status_code == 404
    assert client.http.get("/territoire/61/affiches?periode=2026-13", headers=admin).status_code == 400
    assert client.http.get("/territoire/61/affiches?suite=%25%25%25", headers=admin).status_code == 400


def test_the_territorys_posters_come_50_a_page(client, deps):
    from chalicelib.domain.models import ContactPoint, ContactPointKind

    deps.repo.put_directory([ContactPoint(id=f"61-point-{n:03d}", territory_code="61", name=f"Point {n:03d}",
                                          kind=ContactPointKind.MAIRIE) for n in range(60)])
    total = len(deps.repo.territory_directory("61")[0])
    admin = {"Cookie": login(client, "admin@example.org")["Cookie"]}
    first = client.http.get("/territoire/61/affiches?periode=2026-T3", headers=admin).body.decode()
    assert first.count('<article class="relais-poster"') == 50
    following = re.search(r'href="(/territoire/61/affiches\?periode=2026-T3&amp;suite=[^"]+)"', first)
    assert following, "no link to the following points"
    second = client.http.get(html_lib.unescape(following.group(1)), headers=admin).body.decode()
    assert second.count('<article class="relais-poster"') == total - 50
    shown = re.findall(r'id="affiche-([^"]+)"', first) + re.findall(r'id="affiche-([^"]+)"', second)
    assert len(set(shown)) == total and "Points de contact suivants" not in second
