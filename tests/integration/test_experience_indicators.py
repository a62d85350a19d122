"""The experience indicators and open data on DynamoDB Local: experiences published and answered
through the services, summed from the table's stream, then read on /resultats, in
/experiences/donnees.csv|json and in the quarterly report. Small cells and their complements
are withheld; no contact, author or answerer ever shows."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
import time_machine

from chalicelib.domain import results as domain
from chalicelib.domain.authz import Principal
from chalicelib.domain.commands import ExperienceModeration, ExperiencePost
from chalicelib.domain.models import Role
from chalicelib.services import experience_data, experiences
from tests.clock import TUESDAY_MORNING

pytestmark = [pytest.mark.outbox, pytest.mark.instant(TUESDAY_MORNING)]
QUARTER = "2026-T4"
MODERATOR_61 = Principal("moderateur-secret-61", Role.MODERATOR, territory_codes=frozenset({"61"}))
MODERATOR_62 = Principal("moderateur-secret-62", Role.MODERATOR, territory_codes=frozenset({"62"}))
CAF_61 = Principal("repondant-secret-caf", Role.RESPONDER, group_ids=frozenset({"caf-61-experiences"}))
CPAM = Principal("repondant-secret-cpam", Role.RESPONDER, group_ids=frozenset({"cpam-normandie-experiences"}))
BRETONCELLES = Principal("agent-secret-bretoncelles", Role.AGENT, point_ids=frozenset({"61-mairie-bretoncelles"}))
REMALARD = Principal("agent-secret-remalard", Role.AGENT, point_ids=frozenset({"61-mairie-remalard"}))
PUBLISH = ExperienceModeration(decision="publish")
CONTACT = "jeanne.secret@example.org"
SECRETS = (CONTACT, "06 99 88 77 66", "+33699887766", "secret")
START = datetime.fromisoformat(TUESDAY_MORNING)


def drain(deps) -> None:
    """The table's stream so far through the stream handler: changes journaled, then summed."""
    from chalicelib.dev import streams
    from chalicelib.services import outbox

    for _ in range(3):
        streams.drain(deps, lambda event: outbox.handle_stream(deps, event), written=True)


def publish(deps, number: int, organisation: str | None, territory: str = "61", agent: Principal | None = None):
    body = {"territory_code": territory, "organisation_id": organisation, "situation": "precarite",
            "sentiment": "negative", "procedure": "Prime d'activité",
            "text": f"Expérience numéro {number} : mon dossier attend depuis des semaines.",
            "contact_email": CONTACT, "contact_phone": "06 99 88 77 66"}
    if agent is None:
        posted = experiences.post_public(deps, ExperiencePost(**body), client_address=f"198.51.100.{number}")
    else:
        posted = experiences.post_at_desk(deps, agent, ExperiencePost(**body, point_id=next(iter(agent.point_ids))))
    return experiences.moderate(deps, MODERATOR_62 if territory == "62" else MODERATOR_61, posted.id, PUBLISH)


def answer(deps, responder: Principal, experience_id: str, days: int, moderated: bool = True) -> None:
    with time_machine.travel(START + timedelta(days=days, hours=-1), tick=False):
        experiences.answer(deps, responder, experience_id, "Nous avons repris votre dossier, il avance.")
        if moderated:
            experiences.moderate_answer(deps, MODERATOR_61, experience_id, PUBLISH)


@pytest.fixture
def world(demo):
    """CAF (61, local team): 8 experiences, 5 posted at the Bretoncelles desk and 1 at Rémalard's;
    6 answered in 3 days, 1 answer still waiting for moderation. CAF in 62 (no team: the
    coordination): 5. CPAM (61, regional team): 6, 5 answered in 10 days. DGFiP: 2."""
    caf = [publish(demo, n, "caf", agent=BRETONCELLES if n < 5 else REMALARD if n == 5 else None) for n in range(8)]
    for each in caf[:6]:
        answer(demo, CAF_61, each.id, 3)
    answer(demo, CAF_61, caf[6].id, 3, moderated=False)
    for n in range(5):
        publish(demo, 20 + n, "caf", territory="62")
    cpam = [publish(demo, 30 + n, "cpam") for n in range(6)]
    for each in cpam[:5]:
        answer(demo, CPAM, each.id, 10)
    for n in range(2):
        publish(demo, 40 + n, "dgfip")
    drain(demo)
    return demo


def test_indicators_on_the_results_page_and_in_the_quarterly_report_with_small_cells_withheld(world, client,
                                                                                             monkeypatch):
    """One world for the three readers (each test builds its table: a minute on this machine)."""
    view = experience_data.indicators(world, QUARTER)
    national = view.national
    assert (national.published, national.answered, national.median_days) == (21, 11, "3")
    organisations = {row.code: row.indicators for row in view.organisations}
    caf = organisations["caf"]
    assert (caf.published, caf.answered, caf.answered_rate, caf.ontime_rate, caf.median_days) == (13, 6, 46.2, 46.2, "3")
    assert organisations["dgfip"].published is None                    # 2: below k
    assert organisations["cpam"].published is None                     # 6, but dgfip + others = 2 would show
    assert organisations["cpam"].median_days is None
    levels = {row.code: row.indicators for row in view.levels}
    assert levels["caf/local"].published == 8
    assert levels["caf/coordination"].published is None                # 5, the complement of caf's zeros
    assert view.territory("61").published == 16 and view.territory("62").published is None
    # a month shows its quarter's figures
    assert experience_data.indicators(world, "2026-11").national == national

    html = client.http.get(f"/resultats?periode={QUARTER}").body.decode()
    section = html[html.index('id="experiences"'):html.index('id="methode"')]
    assert "Expériences des usagers : réponses des organismes" in section
    assert "<caption>Réponses aux expériences, par organisme</caption>" in section
    assert "46,2" in section and "3 jours au plus" in section
    assert "repose sur moins de 5 expériences" in section and "non publié" in section
    assert ">CAF – échelon départemental</th>" in section
    assert "échelon national" not in section                            # nothing publishable: not listed
    assert f"/experiences/donnees.csv?periode={QUARTER}" in section
    assert not any(secret in html for secret in SECRETS)
    _report(world)
    # The follow-up commission's report page and its CSV carry them too.
    from tests.conftest import login

    coordinator = {"Cookie": login(client, "coordination.61@example.org")["Cookie"]}
    report = client.http.get(f"/territoire/rapport?trimestre={QUARTER}", headers=coordinator).body.decode()
    section = report[report.index('id="experiences"'):report.index('id="remontees"')]
    assert "Expériences publiées pour Orne ce trimestre : 16" in section
    assert "<caption>Réponses aux expériences des usagers, par organisme, en France entière</caption>" in section
    assert "46,2" in section and "3 jours au plus" in section and "non publié" in section
    exported = client.http.get(f"/territoire/rapport.csv?trimestre={QUARTER}", headers=coordinator).body.decode()
    assert '"experiences_territoire";"publiees";"16";' in exported
    assert '"experiences_organismes";"CAF";"13";"46,2";"46,2";"3 jours au plus"' in exported
    assert '"experiences_organismes";"Finances publiques";"";"";"";""' in exported       # 2: below k
    assert not any(secret in report + exported for secret in SECRETS)
    # With the cache (prod): the first view stores the quarter's document, the next reads no cell.
    from chalicelib import bootstrap

    monkeypatch.setenv("RELAIS_RESULTS_CACHE_SECONDS", "600")
    bootstrap.reset()
    assert "46,2" in client.http.get(f"/resultats?periode={QUARTER}").body.decode()

    def no_cells(*args, **kwargs):
        raise AssertionError("a cached view read the cells")

    monkeypatch.setattr(bootstrap.deps().repo, "read_results", no_cells)
    assert "46,2" in client.http.get(f"/resultats?periode={QUARTER}&territoire=61").body.decode()


def test_the_open_data_has_one_row_per_published_experience_and_nothing_personal(world, client, monkeypatch):
    response = client.http.get(f"/experiences/donnees.json?periode={QUARTER}")
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
    data = json.loads(response.body)
    rows = data["lignes"]
    assert len(rows) == 21 and data["suite"] is None and data["k_anonymat"] == 5
    assert set(rows[0]) == set(experience_data.COLUMNS)
    assert {row["date_publication"] for row in rows} == {"2026-11-24"}
    points = [row["point_de_contact"] for row in rows]
    assert points.count("61-mairie-bretoncelles") == 5                  # 5 of that point: named
    assert "61-mairie-remalard" not in points                           # 1: left empty
    answered = [row for row in rows if row["repondue"] == "oui"]
    assert len(answered) == 11 and {row["date_reponse"] for row in answered} == {"2026-11-27", "2026-12-04"}
    waiting = [row for row in rows if row["organisme"] == "CAF" and row["repondue"] == "non"]
    assert len(waiting) == 7 and all(row["reponse"] is None for row in waiting)   # a pending answer is not public
    assert {row["echelon_reponse"] for row in rows} >= {"départemental", "régional", "national",
                                                        "coordination du territoire"}
    csv = client.http.get(f"/experiences/donnees.csv?periode={QUARTER}")
    text = csv.body.decode("utf-8")
    assert text.startswith("\ufeff\"date_publication\";") and csv.headers["Content-Type"].startswith("text/csv")
    assert text.count("\r\n") == 22
    for body in (response.body.decode(), text):
        assert not any(secret in body for secret in SECRETS)
    # a page at a time: the next one's address in `suite` and in the Link header
    monkeypatch.setattr(experience_data, "PAGE_ROWS", 15)
    first = client.http.get(f"/experiences/donnees.json?periode={QUARTER}")
    data = json.loads(first.body)
    assert len(data["lignes"]) == 15 and data["suite"] and 'rel="next"' in first.headers["Link"]
    second = json.loads(client.http.get(data["suite"]).body)
    assert len(second["lignes"]) == 6 and second["suite"] is None
    assert {r["texte"] for r in data["lignes"]}.isdisjoint({r["texte"] for r in second["lignes"]})


def test_the_open_data_refuses_a_bad_period_or_cursor_with_a_clear_message(client):
    for path, field in (("/experiences/donnees.csv?periode=2026-13", "periode"),
                        ("/experiences/donnees.json?periode=2026-11", "periode"),
                        ("/experiences/donnees.json?periode=2026-T4&suite=nimporte", "suite"),
                        ("/experiences/donnees.csv?periode=2026-T3&suite=eyJQSyI6ICJ4IiwgIlNLIjogIjIwMjYtMTEifQ", "suite")):
        response = client.http.get(path)
        assert response.status_code == 400, path
        assert json.loads(response.body)["field"] == field
    hostile = ["%%%", "0001-T1", "9999-T4", "\x00", "x" * 5000, "<script>", "eyJQSyI6IDF9", "e30", "W10"]
    for fmt in ("csv", "json"):
        for value in hostile:
            for name in ("periode", "suite"):
                response = client.http.get(f"/experiences/donnees.{fmt}?{name}={quote(value)}")
                assert response.status_code in (200, 400), (fmt, name, value, response.status_code)


def _report(deps) -> None:
    from chalicelib import jobs
    from tests.conftest import outbox

    _, end = domain.quarter_bounds(QUARTER)
    first_day = datetime(end.year, end.month, end.day, 6, 0, tzinfo=domain.deadlines.PARIS)
    jobs.run_inline("quarterly_report", deps, first_day)
    [mail] = [m for m in outbox() if m["to"] == ["coordination.61@example.org"] and QUARTER in (m["subject"] or "")]
    assert "Expériences des usagers : réponses des organismes" in mail["text"]
    assert "expériences publiées pour Orne ce trimestre : 16" in mail["text"]
    assert ("CAF : 13 expériences, 46,2 % avec une réponse publiée, 46,2 % dans le délai d'une semaine ; "
            "délai médian : 3 jours au plus") in mail["text"]
    assert "Finances publiques : non publié ; délai médian : non publié" in mail["text"]     # 2: below k
    assert "Expériences des usagers" in mail["html"]
    for body in (mail["text"], mail["html"]):
        assert not any(secret in body for secret in SECRETS)
