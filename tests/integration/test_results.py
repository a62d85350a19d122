"""Published results on DynamoDB Local: kept up to date from the table's stream, equal to a
rebuild from the source data, untouched by a replayed stream, and never below k = 5."""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.adapters.dynamo.query import Query
from chalicelib.domain import results as domain
from tests.clock import TUESDAY_MORNING
from tests.conftest import CASE, login, post_json

pytestmark = [pytest.mark.outbox, pytest.mark.instant(TUESDAY_MORNING)]
AGENT = "agent.bretoncelles@example.org"
OTHER_AGENT = "agent.remalard@example.org"
REFERENT = "referent.61-caf@example.org"



def activity(client) -> dict[str, list[str]]:
    """Seven cases at Bretoncelles: 3 solved at the desk, 4 escalated to the CAF (3 answered,
    one closed as useful), satisfaction marks; two at Rémalard."""
    agent, referent = login(client, AGENT), login(client, REFERENT)
    refs = {"desk": [], "escalated": [], "other": []}
    for number in range(7):
        usager = {**CASE["usager"], "phone": f"06 12 34 56 {number:02d}"}
        ref = post_json(client, agent, "/api/cases", {**CASE, "usager": usager})["ref"]
        if number < 3:
            post_json(client, agent, f"/api/cases/{ref}/close", {"outcome": "solved_at_desk", "useful": number != 2})
            refs["desk"].append(ref)
            continue
        post_json(client, agent, f"/api/cases/{ref}/escalations", {"group_ids": ["61-caf"], "question": "Le RSA ?"})
        refs["escalated"].append(ref)
        if number < 6:
            post_json(client, referent, f"/api/cases/{ref}/messages", {"body": "Réglé.", "kind": "answer"})
        if number == 3:
            post_json(client, agent, f"/api/cases/{ref}/close", {"outcome": "solved_with_partner", "useful": True})
    for number, mark in ((0, "5"), (1, "4"), (3, "2")):
        client.http.post("/_dev/inbound-sms", headers={"Content-Type": "application/json"},
                         body=json.dumps({"from": f"+3361234560{number}", "body": mark}))
    other = login(client, OTHER_AGENT)
    for _ in range(2):
        refs["other"].append(post_json(client, other, "/api/cases", {**CASE, "point_id": "61-mairie-remalard"})["ref"])
    return refs


def elsewhere(client) -> None:
    """Five cases at Béthune (62): with no activity anywhere else, territory 61's figures would
    tell that 62 had none (national minus 61), so they would be withheld (domain/disclosure.py)."""
    agent = login(client, "agent.sous-prefecture-bethune@example.org")
    for number in range(5):
        usager = {**CASE["usager"], "phone": f"06 12 34 58 {number:02d}"}
        post_json(client, agent, "/api/cases", {**CASE, "usager": usager, "point_id": "62-sous-prefecture-bethune"})


def rebuild(deps) -> dict[tuple, dict[str, int]]:
    """Every cell recomputed from every case and escalation: the oracle."""
    from chalicelib.services import results

    total: Counter = Counter()
    for territory in deps.repo.list_territories():
        points, groups = deps.repo.territory_directory(territory.code)
        for kind, scope_id in [("point", p.id) for p in points] + [("group", g.id) for g in groups]:
            items, _ = deps.repo.results_sources(kind, scope_id, None, None, 1000, None)
            for item in items:
                total.update(results.contribution(item))
    cells = {cell: {k: v for k, v in counters.items() if v} for cell, counters in domain.by_cell(total).items()}
    return {cell: counters for cell, counters in cells.items() if counters}


def test_the_streamed_results_equal_a_rebuild_and_a_replay_adds_nothing(client, deps):
    from chalicelib.dev import streams
    from chalicelib.routes import events
    from chalicelib.services import results

    activity(client)
    period = domain.quarter(deps.now())
    rebuilt = {cell: counters for cell, counters in rebuild(deps).items() if cell[0] == period}
    stored = results.stored(deps, period)
    assert stored == rebuilt
    point = stored[(period, "point", "61-mairie-bretoncelles")]
    assert point["cases"] == 7 and point["closed"] == 4 and point["desk"] == 3 and point["useful"] == 3
    assert point["esc"] == 4 and point["answered"] == 3 and point["sat"] == 3 and point["sat5"] == 1
    assert stored[(period, "point", "61-mairie-remalard")]["cases"] == 2
    assert stored[(period, "network", "caf")]["esc"] == 4
    assert stored[(period, "national", "FR")]["cases"] == 9
    assert not [cell for cell in stored if cell[1] in ("agent", "user")]       # never per agent

    replayed = streams.replay_all(deps, events.handle_stream_event)
    assert replayed > 0
    assert results.stored(deps, period) == stored


def test_reopening_a_case_takes_its_closing_back_out(client, deps):
    from chalicelib.services import results

    agent = login(client, AGENT)
    ref = post_json(client, agent, "/api/cases", CASE)["ref"]
    post_json(client, agent, f"/api/cases/{ref}/close", {"outcome": "solved_at_desk", "useful": True})
    period = domain.quarter(deps.now())
    cell = (period, "point", "61-mairie-bretoncelles")
    assert results.stored(deps, period)[cell]["closed"] == 1
    post_json(client, agent, f"/api/cases/{ref}/reopen", {})
    assert "closed" not in results.stored(deps, period)[cell]
    assert results.stored(deps, period)[cell] == rebuild(deps)[cell] == {"cases": 1}


def test_the_public_page_and_open_data_publish_k_anonymous_figures(client, deps):
    activity(client)
    period = domain.quarter(deps.now())
    page = client.http.get(f"/resultats?periode={period}&territoire=61")
    html = page.body.decode()
    assert page.status_code == 200 and "Mairie de Bretoncelles" in html
    assert "Sophie Girard" not in html and "agent." not in html           # no agent, ever
    rows = client.http.get(f"/resultats/donnees.json?periode={period}&niveau=point&territoire=61").json_body
    by_point = {row["code"]: row for row in rows["lignes"]}
    bretoncelles, remalard = by_point["61-mairie-bretoncelles"], by_point["61-mairie-remalard"]
    assert bretoncelles["demandes"] == 7 and bretoncelles["masque"] is False
    assert remalard["masque"] is True and remalard["demandes"] is None      # 2 cases: withheld
    assert remalard["taux_resolu_au_guichet"] is None
    csv_text = client.http.get(f"/resultats/donnees.csv?periode={period}&niveau=point&territoire=61").body.decode()
    header, *lines = csv_text.removeprefix("\ufeff").strip().splitlines()
    assert header.split(";")[:5] == ['"periode"', '"niveau"', '"code"', '"nom"', '"demandes"']
    assert any(line.startswith(f'"{period}";"point";"61-mairie-remalard";"Mairie de Rémalard-en-Perche";"";')
               for line in lines)
    refused = client.http.get("/resultats/donnees.csv?periode=hier")
    assert refused.status_code == 400 and refused.json_body["field"] == "periode"
    assert client.http.get("/resultats/donnees.json?niveau=point").json_body["field"] == "territoire"


def test_the_quarterly_report_is_for_the_territorys_coordinator(client, deps):
    activity(client)
    elsewhere(client)
    post_json(client, login(client, AGENT), "/api/feedback", {
        "kind": "difficulty", "organisation_id": "cpam", "procedure": "Complémentaire santé solidaire",
        "problem": "Le formulaire en ligne refuse les dossiers des travailleurs saisonniers.",
        "usagers_affected": 12})
    quarter = domain.quarter(deps.now())
    coordinator = {"Cookie": login(client, "coordination.61@example.org")["Cookie"]}
    page = client.http.get(f"/territoire/rapport?trimestre={quarter}", headers=coordinator)
    html = page.body.decode()
    assert page.status_code == 200 and "Évolution" in html and "Les dix organismes les plus lents" in html
    assert "Mairie de Bretoncelles" in html and "Complémentaire santé solidaire" in html
    assert "concernant 12 usagers" in html and "Sophie Girard" not in html     # never the agent
    exported = client.http.get(f"/territoire/rapport.csv?trimestre={quarter}", headers=coordinator).body.decode()
    assert exported.startswith(f'\ufeff"section";"libelle";"{quarter}";"{domain.previous_quarter(quarter)}"')
    assert '"evolution";"Demandes traitées";"9";' in exported and '"remontees";' in exported
    other = {"Cookie": login(client, "coordination.62@example.org")["Cookie"]}
    assert client.http.get("/territoire/rapport?code=61", headers=other).status_code == 404
    agent = {"Cookie": login(client, AGENT)["Cookie"]}
    assert client.http.get("/territoire/rapport", headers=agent).status_code == 403


def counted_by_hand(client, refs: dict[str, list[str]], instant: datetime) -> dict[tuple, dict[str, int]]:
    """activity()'s cells, counted from what it did, without the app's results code: every case,
    closing, SMS mark, escalation and answer happened at the test's instant (answered within
    the hour), each deadline (read from the case) counts in its own month and quarter."""
    cells: dict[tuple, Counter] = defaultdict(Counter)

    def add(moment: datetime, scopes: list[tuple[str, str]], **counters: int) -> None:
        local = moment.astimezone(ZoneInfo("Europe/Paris"))
        for period in (f"{local:%Y-%m}", f"{local.year}-T{(local.month - 1) // 3 + 1}"):
            for kind, scope_id in scopes:
                cells[(period, kind, scope_id)].update(counters)

    def case_scopes(point: str) -> list[tuple[str, str]]:
        return [("point", point), ("territory", "61"), ("national", "FR")]

    escalation_scopes = [*case_scopes("61-mairie-bretoncelles"), ("network", "caf"), ("group", "61-caf")]
    add(instant, case_scopes("61-mairie-bretoncelles"), cases=7, closed=4, desk=3, useful_known=4, useful=3,
        sat=3, sat5=1, sat4=1, sat2=1)
    add(instant, case_scopes("61-mairie-remalard"), cases=2)
    add(instant, escalation_scopes, esc=4, answered=3, h1=3)
    agent = login(client, AGENT)
    for number, ref in enumerate(refs["escalated"], start=3):
        escalation = client.http.get(f"/api/cases/{ref}", headers=agent).json_body["escalations"][0]
        answered = number < 6
        add(datetime.fromisoformat(escalation["due_at"]), escalation_scopes, due=1, ontime=int(answered))
    return {cell: dict(counters) for cell, counters in cells.items()}


def bump(deps, cell: tuple, amount: int = 1) -> None:
    """A drift: one counter of a stored cell moved behind the stream's back."""
    from chalicelib.adapters import keys

    deps.dynamodb.update_item(TableName=deps.settings.table_name,
                              Key={k: {"S": v} for k, v in keys.results_cell(*cell).items()},
                              UpdateExpression="ADD cases :n", ExpressionAttributeValues={":n": {"N": str(amount)}})


def stored_cells(deps, periods) -> dict:
    from chalicelib.services import results

    cells = {}
    for period in periods:
        cells |= results.stored(deps, period)
    return cells


def test_the_weekly_check_finds_no_drift_then_a_recount_repairs_one(client, deps, instant):
    from chalicelib import jobs

    expected = counted_by_hand(client, activity(client), instant)
    periods = {cell[0] for cell in expected}
    done = jobs.run_inline("results", deps, deps.now())
    # Every cell of a period begun: December's (the deadlines due then) wait for December.
    begun = [c for c in expected if "-T" in c[0] or c[0] <= domain.month(instant)]
    assert (done["cells"], done["drifted"]) == (len(begun), 0) and len(begun) < len(expected)
    assert done["items"] == 13          # 9 cases and 4 escalations, each read once
    assert stored_cells(deps, periods) == expected
    # A point's quarter cell drifts: the weekly check of 61 sees it, the recount of 61 repairs it.
    cell = next(c for c in expected if "-T" in c[0] and c[1:] == ("point", "61-mairie-bretoncelles"))
    bump(deps, cell)
    assert jobs.run_inline("results", deps, deps.now())["drifted"] == 2           # seen, then repaired
    assert stored_cells(deps, periods) == expected
    assert jobs.run_inline("results", deps, deps.now())["drifted"] == 0


def test_national_and_network_cells_are_checked_against_their_territories_and_groups(client, deps, instant):
    from chalicelib import jobs

    expected = counted_by_hand(client, activity(client), instant)
    quarter = domain.quarter(instant)
    bump(deps, (quarter, "national", domain.NATIONAL), 3)
    bump(deps, (quarter, "network", "caf"), -1)
    bump(deps, (quarter, "network", "cpam"), 2)                 # a network with nothing: a stale cell
    assert jobs.run_inline("results", deps, deps.now())["drifted"] == 3
    assert stored_cells(deps, {cell[0] for cell in expected}) == expected


def test_the_recount_rebuilds_lost_cells_in_steps_through_s3(client, deps, instant, monkeypatch):
    from chalicelib import jobs
    from chalicelib.adapters import keys
    from chalicelib.services import results_check

    expected = counted_by_hand(client, activity(client), instant)
    periods = {cell[0] for cell in expected}
    lost = [keys.results_cell(*cell) for cell in expected if cell[1] in ("point", "territory", "group")]
    deps.repo.delete_many(lost)
    monkeypatch.setattr(results_check, "STEP_ITEMS", 2)              # 13 items: seven steps or more
    done = jobs.run_inline("results-recount", deps, deps.now())
    assert done["drifted"] == len(lost) and done["items"] == 13
    assert stored_cells(deps, periods) == expected
    listed = deps.s3.list_objects_v2(Bucket=deps.settings.mail_bucket, Prefix=results_check.SCRATCH_PREFIX)
    assert listed["KeyCount"] >= 6            # a step's sums each, but the last: the lifecycle rule expires them


def test_a_recount_step_that_dies_is_retried_and_a_replayed_step_changes_nothing(client, deps, instant,
                                                                                monkeypatch):
    from chalicelib.jobs.units import Unit
    from chalicelib.services import results_check
    from tests.integration.test_reminders import stored_state

    expected = counted_by_hand(client, activity(client), instant)
    bump(deps, next(c for c in expected if c[1] == "territory"))
    monkeypatch.setattr(results_check, "STEP_ITEMS", 4)
    first = results_check.check_territory(deps, Unit("results-recount", "61", deps.now().isoformat()))
    [second] = first.more
    original = deps.repo.results_sources
    monkeypatch.setattr(deps.repo, "results_sources", lambda *a, **k: (_ for _ in ()).throw(TimeoutError()))
    with pytest.raises(TimeoutError):
        results_check.check_territory(deps, second)
    monkeypatch.setattr(deps.repo, "results_sources", original)
    pending, drifted = [second], 0
    while pending:
        done = results_check.check_territory(deps, pending.pop())
        drifted += done.counts["drifted"]
        pending += [u for u in done.more if u.job == "results-recount"]
    assert drifted == 1
    assert stored_cells(deps, {cell[0] for cell in expected}) == expected
    # Every step again, as duplicate deliveries would: the sums are the same, nothing changes.
    before, pending = stored_state(deps), [second]
    while pending:
        done = results_check.check_territory(deps, pending.pop())
        assert done.counts["drifted"] == 0
        pending += done.more
    assert stored_state(deps) == before


def test_a_chart_is_drawn_with_its_table_once_five_escalations_are_due(client, deps):
    agent = login(client, AGENT)
    # 6 to the CAF, 5 to the CPAM: with the CAF alone, national minus CAF would tell that every
    # other network had none, so the CAF would be withheld; here the CPAM is, in its place.
    for number in range(11):
        ref = post_json(client, agent, "/api/cases", {**CASE, "usager": {**CASE["usager"], "phone": f"06 12 34 57 {number:02d}"}})["ref"]
        group = "61-caf" if number < 6 else "61-cpam"
        view = post_json(client, agent, f"/api/cases/{ref}/escalations", {"group_ids": [group], "question": "?"})
    due = datetime.fromisoformat(view["escalations"][0]["due_at"])
    period = domain.quarter(due)
    html = client.http.get(f"/resultats?periode={period}").body.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and 'aria-hidden="true"' in html
    assert "<caption>Résultats par réseau partenaire</caption>" in html
    assert ">CAF</th>" in html and "0,0&nbsp;%" in html            # none answered: 0 % on time


def test_the_coordinators_get_the_quarterly_report_once(client, deps):
    from chalicelib import jobs
    from tests.conftest import outbox

    activity(client)
    elsewhere(client)
    quarter = domain.quarter(deps.now())
    _, end = domain.quarter_bounds(quarter)
    first_day = datetime(end.year, end.month, end.day, 6, 0, tzinfo=domain.deadlines.PARIS)
    assert jobs.run("quarterly_report", deps, first_day) == {"units": len(deps.repo.list_territories())}
    sent = jobs.run_inline("quarterly_report", deps, first_day)["emails"]
    assert jobs.run_inline("quarterly_report", deps, first_day)["emails"] == sent     # a second run
    mails = [m for m in outbox() if quarter in (m["subject"] or "") and "comité de suivi" in m["subject"]]
    assert len(mails) == sent and sent >= 2             # once each: the second run sent nothing
    mails = [m for m in mails if m["to"] == ["coordination.61@example.org"]]
    assert len(mails) == 1
    assert "demandes traitées : 9" in mails[0]["text"]
    assert f"/territoire/rapport?trimestre={quarter}&code=61" in mails[0]["text"]


def test_an_unknown_territory_is_a_404_page_not_a_server_error(client):
    admin = {"Cookie": login(client, "admin@example.org")["Cookie"]}
    for path in ("/territoire/rapport?code=ZZ", "/territoire/rapport.csv?code=ZZ", "/territoire?code=ZZ"):
        assert client.http.get(path, headers=admin).status_code == 404, path
    assert client.http.get("/territoire/rapport", headers=admin).status_code == 200   # admin: first territory


def test_with_a_cache_the_views_read_the_published_document_and_say_how_long_to_keep_it(client, deps,
                                                                                         monkeypatch):
    """RELAIS_RESULTS_CACHE_SECONDS=600 (prod): a view reads the period's S3 parts, never the
    cells of France; a part older than 10 minutes is rebuilt, with every other part."""
    from datetime import timedelta

    from chalicelib import bootstrap
    from chalicelib.services import results

    activity(client)
    elsewhere(client)
    monkeypatch.setenv("RELAIS_RESULTS_CACHE_SECONDS", "600")
    bootstrap.reset()
    cached = bootstrap.deps()
    start = deps.now()
    cached.clock = lambda: start
    period = domain.quarter(start)
    first = client.http.get(f"/resultats?periode={period}&territoire=61")
    assert first.status_code == 200 and ">9<" in first.body.decode().replace("&nbsp;", "")
    listed = cached.s3.list_objects_v2(Bucket=cached.settings.mail_bucket, Prefix=f"published/{period}/")
    assert sorted(o["Key"].rsplit("/", 1)[1] for o in listed["Contents"]) == ["61.json", "62.json", "national.json"]

    # The cells are not read again while the parts are fresh: a view of 62, the open data.
    def no_cells(*args, **kwargs):
        raise AssertionError("a cached view read the results cells")

    monkeypatch.setattr(cached.repo, "read_results", no_cells)
    assert client.http.get(f"/resultats?periode={period}&territoire=62").status_code == 200
    data = client.http.get(f"/resultats/donnees.json?periode={period}&niveau=territoire")
    assert data.status_code == 200 and data.headers["Cache-Control"] == "public, max-age=3600"
    assert {r["code"]: r["demandes"] for r in data.json_body["lignes"]}["61"] == 9
    page = client.http.get(f"/resultats?periode={period}")        # a first visit: a form token
    assert "Set-Cookie" in page.headers and page.headers["Cache-Control"] == "no-store"
    token = page.headers["Set-Cookie"].split(";")[0]
    again = client.http.get(f"/resultats?periode={period}", headers={"Cookie": token})
    assert "Set-Cookie" not in again.headers
    assert (again.headers["Cache-Control"], again.headers["Vary"]) == ("private, max-age=600", "Cookie")
    signed = client.http.get(f"/resultats?periode={period}", headers=login(client, AGENT))
    assert signed.headers["Cache-Control"] == "no-store"

    # A new case: the published figures move once the parts are 10 minutes old.
    monkeypatch.undo()
    monkeypatch.setenv("RELAIS_RESULTS_CACHE_SECONDS", "600")
    agent = login(client, AGENT)
    post_json(client, agent, "/api/cases", {**CASE, "usager": {**CASE["usager"], "phone": "06 12 34 59 99"}})
    assert results.published(cached, period).figures("territory", "61").cases == 9
    cached.clock = lambda: start + timedelta(minutes=10)
    assert results.published(cached, period).figures("territory", "61").cases == 10


# --- a stream batch's changes, summed per cell (issue 21) --------------------------------------

def changes(count: int, first: int = 0, cells: int = 6, version: int = 1) -> list:
    from chalicelib.services.results import Change

    return [Change((f"CASE#61-SUM-{n:03d}", "CASE"), version,
                   {("2026-11", "point", f"p{c}"): {"cases": 1} for c in range(cells)})
            for n in range(first, first + count)]


def cell_totals(deps) -> dict[str, int]:
    return {cell[2]: counters.get("cases", 0) for cell, counters in deps.repo.read_results("2026-11", "point").items()}


def drain(deps) -> None:
    """The table's stream so far, through the stream handler (as the mapping hands it over)."""
    from chalicelib.dev import streams
    from chalicelib.services import outbox

    streams._drain_once(deps, lambda event: outbox.handle_stream(deps, event))


def test_a_batch_is_journaled_once_summed_per_cell_without_a_transaction_and_a_replay_adds_nothing(
        deps, monkeypatch):
    from chalicelib.dev import streams
    from chalicelib.services import outbox, results

    transactions, cell_updates = [], []
    original_transact, original_update = deps.dynamodb.transact_write_items, deps.dynamodb.update_item
    monkeypatch.setattr(deps.dynamodb, "transact_write_items",
                        lambda **kw: transactions.append(kw) or original_transact(**kw))
    monkeypatch.setattr(deps.dynamodb, "update_item", lambda **kw: (
        cell_updates.append(kw) if kw["Key"]["PK"]["S"].startswith("RESULTS#") else None) or original_update(**kw))
    batch = changes(25)
    assert results.journal(deps, batch) == [] and results.journal(deps, batch) == []     # the second: refused
    lanes = {results.lane_of(change.source) for change in batch}
    entries = [item for lane in range(results.LANES)
               for item in deps.repo._query(Query(partition=f"RESULTSLOG#{lane}"))[0]]
    assert len(entries) == 25 and {int(item["lane"]["N"]) for item in entries} == lanes
    drain(deps)
    assert cell_totals(deps) == {f"p{c}": 25 for c in range(6)}
    assert len(cell_updates) == 6 * len(lanes) and transactions == []      # a cell once per lane
    streams.replay_all(deps, lambda event: outbox.handle_stream(deps, event))  # the whole stream again
    assert cell_totals(deps) == {f"p{c}": 25 for c in range(6)}
    assert results.journal(deps, changes(10, first=20)) == []                 # 5 replayed, 5 new
    drain(deps)
    assert cell_totals(deps) == {f"p{c}": 30 for c in range(6)}


def test_a_cell_that_had_part_of_a_batch_adds_only_the_entries_after_its_mark(deps):
    from chalicelib.services.results import Entry, apply_entries

    def entry(lane: int, position: int, amount: int = 1) -> Entry:
        return Entry(lane, f"{position:040d}", {("2026-11", "point", "p0"): {"cases": amount}})

    assert apply_entries(deps, [entry(0, 100), entry(0, 200)]) == []
    assert cell_totals(deps) == {"p0": 2}
    assert apply_entries(deps, [entry(0, 100), entry(0, 200), entry(0, 300, 5)]) == []   # retried, longer
    assert cell_totals(deps) == {"p0": 7}
    assert apply_entries(deps, [entry(0, 300, 5)]) == [] and cell_totals(deps) == {"p0": 7}
    assert apply_entries(deps, [entry(1, 150)]) == [] and cell_totals(deps) == {"p0": 8}  # another lane's mark
    assert apply_entries(deps, [entry(0, 400, 2), entry(0, 500, -2)]) == []             # cancel out
    assert cell_totals(deps) == {"p0": 8}
    assert apply_entries(deps, [entry(0, 500, -2)]) == []          # the tail alone, retried: added already
    assert cell_totals(deps) == {"p0": 8}
    deps.repo.replace_results({("2026-11", "point", "p0"): {"cases": 9}})               # the weekly repair
    assert apply_entries(deps, [entry(0, 300, 5), entry(1, 150)]) == []                # replayed after it
    assert cell_totals(deps) == {"p0": 9}


def test_a_crash_midway_through_the_cells_fails_only_its_lane_and_the_retry_counts_each_entry_once(
        deps, monkeypatch):
    from chalicelib.services import outbox, results

    batch = changes(16, cells=3)
    assert len({results.lane_of(change.source) for change in batch}) >= 2
    assert results.journal(deps, batch) == []
    original, calls, reported = deps.repo.add_to_cell, {"n": 0}, []

    def crash_on_the_second(cell, counters, **kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("throttled, after botocore's own retries")
        return original(cell, counters, **kw)

    def handler(event):
        response = outbox.handle_stream(deps, event)
        reported.append((event, response))
        return response

    from chalicelib.dev import streams

    monkeypatch.setattr(results, "WRITERS", 1)                 # in order: the second update fails
    monkeypatch.setattr(deps.repo, "add_to_cell", crash_on_the_second)
    streams._drain_once(deps, handler)
    event, response = reported[0]
    failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
    lanes = {record["dynamodb"]["SequenceNumber"]: int(record["dynamodb"]["NewImage"]["lane"]["N"])
             for record in event["Records"] if "lane" in record["dynamodb"].get("NewImage", {})}
    assert failed and len({lanes[sequence] for sequence in failed}) == 1     # one lane held back
    assert 0 < sum(cell_totals(deps).values()) < 3 * 16                      # the other lanes added
    monkeypatch.setattr(deps.repo, "add_to_cell", original)
    drain(deps)                                                              # the retry
    assert cell_totals(deps) == {f"p{c}": 16 for c in range(3)}
