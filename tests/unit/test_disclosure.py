"""Secondary suppression (domain/disclosure.py) against a differencing attacker.

Random worlds of territories, points, networks and referent groups, fed with cases and
escalations through the real contributions; the attacker (tests/disclosure_attack.py) reads
every figure of every level, the quarter and its months, and subtracts along every relation.
With primary suppression only it recovers withheld figures; with the publication, nothing."""
from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import deadlines, disclosure, results
from chalicelib.domain.models import Case, CaseStatus, Escalation, EscalationStatus, Outcome, Usager
from tests import disclosure_attack as attacker

QUARTER, MONTHS = "2026-T4", ["2026-10", "2026-11", "2026-12"]
NETWORKS = ["caf", "cpam", "dgfip", "msa"]


def world(seed: int):
    """A directory and its cells: most points small (the cells k-anonymity is about)."""
    rng = random.Random(seed)
    territories = {t: [f"{t}-p{i}" for i in range(rng.randint(2, 6))] for t in ("61", "62", "72")}
    groups = {f"{t}-{n}": (t, n) for t in territories for n in NETWORKS if rng.random() < 0.8}
    contribution: Counter = Counter()
    start = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    for number in range(rng.randint(60, 140)):
        territory = rng.choice(list(territories))
        point = rng.choice(territories[territory][: rng.randint(1, len(territories[territory]))])
        created = start + timedelta(days=rng.randint(0, 88), hours=rng.randint(0, 8))
        case = Case(ref=f"{territory}-AAA-{number:03d}", point_id=point, territory_code=territory,
                    created_by="u", usager=Usager(first_name="J", last_name="M", phone="0612345678"),
                    situation="precarite", description="x", consent_attested=True,
                    created_at=created, updated_at=created)
        if rng.random() < 0.7:
            closed = created + timedelta(days=rng.randint(0, 10))
            case = case.model_copy(update={
                "status": CaseStatus.CLOSED, "closed_at": closed, "useful": rng.random() < 0.8,
                "outcome": Outcome.SOLVED_AT_DESK if rng.random() < 0.5 else Outcome.SOLVED_WITH_PARTNER})
            if rng.random() < 0.6:
                case = case.model_copy(update={"satisfaction": rng.randint(1, 5), "satisfaction_at": closed})
        contribution.update(results.case_contribution(case))
        mine = [g for g, (t, _) in groups.items() if t == territory]
        if mine and rng.random() < 0.5:
            group = rng.choice(mine)
            escalation = Escalation(case_ref=case.ref, group_id=group, organisation_id=groups[group][1],
                                    territory_code=territory, point_id=point, question="?",
                                    due_at=deadlines.due_at(created, 4, territory),
                                    created_at=created, updated_at=created)
            if rng.random() < 0.8:
                escalation = escalation.model_copy(update={
                    "status": EscalationStatus.ANSWERED, "answered_at": created + timedelta(hours=rng.randint(1, 200))})
            contribution.update(results.escalation_contribution(escalation))
    cells = {cell: counters for cell, counters in results.by_cell(contribution).items()
             if cell[0] in (QUARTER, *MONTHS)}
    structure = disclosure.Structure(
        points={p: t for t, points in territories.items() for p in points}, groups=groups,
        territories=frozenset(territories), networks=frozenset(NETWORKS))
    return territories, groups, cells, structure


def published(cells, structure, figures_of) -> dict:
    scopes = ([("national", "FR")] + [("territory", t) for t in sorted(structure.territories)]
              + [("network", n) for n in sorted(structure.networks)]
              + [("point", p) for p in sorted(structure.points)] + [("group", g) for g in sorted(structure.groups)])
    return {(period, kind, scope): attacker.from_figures(figures_of(period, kind, scope))
            for period in (QUARTER, *MONTHS) for kind, scope in scopes}


def attack(territories, groups, seen):
    return attacker.recover(
        seen, attacker.relations(MONTHS, QUARTER, territories, NETWORKS, escalations=False),
        attacker.relations(MONTHS, QUARTER, territories, NETWORKS, escalations=True, groups=groups))


def truth(cells, cell, counter) -> int:
    counters = cells.get(cell, {})
    derived = {"sat45": counters.get("sat4", 0) + counters.get("sat5", 0),
               "net": counters.get("sat5", 0) - sum(counters.get(f"sat{i}", 0) for i in (1, 2, 3))}
    return derived.get(counter, counters.get(counter, 0))


@pytest.mark.parametrize("seed", range(6))
def test_primary_suppression_alone_gives_withheld_figures_away(seed):
    territories, groups, cells, structure = world(seed)
    seen = published(cells, structure, lambda period, kind, scope: results.figures(cells.get((period, kind, scope), {})))
    recovered = attack(territories, groups, seen)
    assert recovered                                             # the attack works...
    assert all(value == truth(cells, cell, counter) for (cell, counter), value in recovered.items())  # ...and is right


@pytest.mark.parametrize("seed", range(6))
def test_the_differencing_attack_recovers_nothing_from_the_publication(seed):
    territories, groups, cells, structure = world(seed)
    publication = disclosure.protect(QUARTER, cells, structure)
    seen = published(cells, structure, lambda period, kind, scope: publication.figures(kind, scope, period))
    assert attack(territories, groups, seen) == {}
    assert seen[(QUARTER, "national", "FR")]["cases"] == truth(cells, (QUARTER, "national", "FR"), "cases")
    # a month's page protects the same cells as its quarter's
    assert disclosure.protect(MONTHS[1], cells, structure).withheld == publication.withheld


def test_a_masked_cell_looks_the_same_whatever_it_held():
    empty = results.figures({})
    assert empty.suppressed and empty == results.figures({"cases": 3, "closed": 2, "desk": 1, "esc": 1, "due": 1})
    complement = results.figures({"cases": 9, "closed": 9, "desk": 5, "useful_known": 9, "useful": 9, "sat": 6,
                                  "sat5": 6, "esc": 7, "due": 7, "ontime": 7, "answered": 7, "h4": 7},
                                 hidden=set(disclosure.FAMILIES))
    assert complement == empty


def test_a_lone_withheld_point_gets_a_complement_and_the_remainder_is_not_small():
    cells = {("2026-T4", "territory", "61"): {"cases": 30}, ("2026-T4", "point", "a"): {"cases": 3},
             ("2026-T4", "point", "b"): {"cases": 6}, ("2026-T4", "point", "c"): {"cases": 21},
             ("2026-T4", "national", "FR"): {"cases": 30}}
    for period in MONTHS[:1]:
        cells |= {(period, kind, scope): counters for (_, kind, scope), counters in list(cells.items())}
    structure = disclosure.Structure(points={"a": "61", "b": "61", "c": "61"}, groups={},
                                     territories=frozenset({"61"}))
    publication = disclosure.protect(QUARTER, cells, structure, current_month="2026-10")
    withheld = {scope for (period, kind, scope) in publication.withheld["cases"] if period == QUARTER}
    assert {"a", "b"} <= withheld and "c" not in withheld        # b keeps a company: 3 + 6 >= 5
    assert publication.figures("point", "c").cases == 21


def test_determined_finds_the_cells_a_chain_of_relations_isolates():
    # P = a + b and Q = a: with P and Q published, a is Q and b is P - Q; with Q withheld too,
    # a + b is all that is known.
    rels = [(("T", "territory", "P"), (("T", "point", "a"), ("T", "point", "b"))),
            (("T", "network", "Q"), (("T", "point", "a"),))]
    assert disclosure.determined({("T", "point", "a"), ("T", "point", "b")}, rels) == {("T", "point", "a"), ("T", "point", "b")}
    assert disclosure.determined({("T", "point", "a"), ("T", "point", "b"), ("T", "network", "Q")}, rels) == set()
