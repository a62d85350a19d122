"""The published results resist differencing: an attacker who takes every figure published for a
quarter and its months, at every level, and subtracts along every additive relation (point ->
territory -> national, network -> national, month -> quarter, shares x denominators) recovers
no withheld figure; and a masked point looks the same whether it had 0 cases or 3."""
from __future__ import annotations

import pytest

from chalicelib.domain import results as domain
from tests import disclosure_attack as attacker
from tests.clock import TUESDAY_MORNING
from tests.integration.test_results import activity

pytestmark = [pytest.mark.outbox, pytest.mark.instant(TUESDAY_MORNING)]


def published(client, quarter: str, months: list[str]):
    """Everything the open data gives for the quarter and its months, and the relations an
    attacker reads from it (the territories, their points and the networks listed)."""
    rows: dict = {}
    territories: dict[str, list[str]] = {}
    networks: set[str] = set()
    raw: dict = {}

    def fetch(period, level, territory=None):
        url = f"/resultats/donnees.json?periode={period}&niveau={level}"
        lines = client.http.get(url + (f"&territoire={territory}" if territory else "")).json_body["lignes"]
        kind = {"point": "point", "territoire": "territory", "reseau": "network", "national": "national"}[level]
        for line in lines:
            rows[(period, kind, line["code"])] = attacker.counters_of(line)
            raw[(period, kind, line["code"])] = line
        return lines

    for period in (quarter, *months):
        fetch(period, "national")
        networks |= {line["code"] for line in fetch(period, "reseau")}
        for line in fetch(period, "territoire"):
            territories.setdefault(line["code"], [])
    for period in (quarter, *months):
        for territory in territories:
            for line in fetch(period, "point", territory):
                if line["code"] not in territories[territory]:
                    territories[territory].append(line["code"])
    return rows, raw, territories, sorted(networks)


def test_differencing_the_open_data_recovers_no_masked_figure(client, deps):
    activity(client)
    quarter = domain.quarter(deps.now())
    months = domain.quarter_months(quarter)
    rows, raw, territories, networks = published(client, quarter, months)
    recovered = attacker.recover(
        rows, attacker.relations(months, quarter, territories, networks, escalations=False),
        attacker.relations(months, quarter, territories, networks, escalations=True))
    assert recovered == {}, sorted(recovered.items())[:10]
    # Something is still published: the national quarter and Bretoncelles' cases.
    assert rows[(quarter, "national", "FR")]["cases"] == 9


def test_a_masked_point_looks_the_same_with_or_without_activity(client, deps):
    activity(client)
    quarter = domain.quarter(deps.now())
    _, raw, territories, _ = published(client, quarter, domain.quarter_months(quarter))
    remalard = raw[(quarter, "point", "61-mairie-remalard")]             # 2 cases
    idle = [line for (period, kind, code), line in raw.items()          # no case at all
            if period == quarter and kind == "point" and code not in ("61-mairie-remalard", "61-mairie-bretoncelles")
            and code.startswith("61-")]
    assert idle, "the directory's idle points are listed too"
    masked = {column: value for column, value in remalard.items() if column not in ("code", "nom")}
    assert masked["masque"] is True
    for line in idle:
        assert {column: value for column, value in line.items() if column not in ("code", "nom")} == masked
