"""The experience indicators (domain/experience_indicators.py): what an experience counts, the
median answer time, and the withholding of small cells and of their complements."""
from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import disclosure, results
from chalicelib.domain import experience_indicators as x
from chalicelib.domain.models import (
    Experience,
    ExperienceChannel,
    ModerationStatus,
    ResponderLevel,
    Sentiment,
)

pytestmark = pytest.mark.instant("2026-03-10T10:00:00+01:00")
Q = "2026-T1"
PUBLISHED = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
ORGANISATIONS = ["caf", "cpam", "dgfip"]
TERRITORIES = ["61", "62", "72"]


def experience(number: int = 0, *, organisation: str | None = "caf", level: ResponderLevel | None = ResponderLevel.LOCAL,
               territory: str = "61", answered_days: float | None = None, answer_published: bool = True,
               status: ModerationStatus = ModerationStatus.PUBLISHED, point: str | None = None,
               published_at: datetime = PUBLISHED) -> Experience:
    created = published_at - timedelta(hours=2)
    fields: dict = {"status": status}
    if status is ModerationStatus.PUBLISHED:
        fields |= {"published_at": published_at, "level": level, "due_at": published_at + timedelta(days=7)}
    if answered_days is not None:
        fields |= {"answer": "Nous avons débloqué votre dossier.", "answered_at": published_at + timedelta(days=answered_days),
                   "answer_status": ModerationStatus.PUBLISHED if answer_published else ModerationStatus.PENDING}
    return Experience(id=f"20260202T070000000000-{number:06x}", territory_code=territory, point_id=point,
                      organisation_id=organisation, situation="precarite", sentiment=Sentiment.NEGATIVE,
                      text="Ma prime d'activité est bloquée depuis trois mois.", channel=ExperienceChannel.WEB,
                      contact_email="jeanne.martin@example.org", created_at=created, updated_at=created, **fields)


def cells_of(*experiences: Experience) -> dict:
    total: Counter = Counter()
    for each in experiences:
        total.update(x.contribution(each))
    return results.by_cell(total)


def test_a_published_experience_counts_in_its_quarter_for_its_organisation_level_territory_and_the_country():
    cells = cells_of(experience(answered_days=3.5, point="61-mairie-bretoncelles"))
    assert cells == {
        (Q, x.NATIONAL_KIND, "FR"): {"published": 1, "answered": 1, "d5": 1, "ontime": 1},
        (Q, x.ORGANISATION_KIND, "caf"): {"published": 1, "answered": 1, "d5": 1, "ontime": 1},
        (Q, x.LEVEL_KIND, "caf/local"): {"published": 1, "answered": 1, "d5": 1, "ontime": 1},
        (Q, x.TERRITORY_KIND, "61"): {"published": 1, "answered": 1, "d5": 1, "ontime": 1},
        (Q, x.POINT_KIND, "61-mairie-bretoncelles"): {"published": 1}}
    # never a cell per agent, team or author
    assert all(kind in x.ALL_KINDS for (_, kind, _) in cells)


def test_pending_refused_or_unmoderated_answers_count_as_such():
    assert x.contribution(experience(status=ModerationStatus.PENDING)) == Counter()
    assert x.contribution(experience(status=ModerationStatus.REFUSED)) == Counter()
    pending_answer = results.by_cell(x.contribution(experience(answered_days=1, answer_published=False)))
    assert pending_answer[(Q, x.NATIONAL_KIND, "FR")] == {"published": 1}          # not answered until public
    late = results.by_cell(x.contribution(experience(answered_days=9)))
    assert late[(Q, x.NATIONAL_KIND, "FR")] == {"published": 1, "answered": 1, "d10": 1}    # not on time
    nobody = results.by_cell(x.contribution(experience(organisation=None, level=None)))
    assert (Q, x.LEVEL_KIND, f"{x.NO_ORGANISATION}/{x.COORDINATION}") in nobody
    # a cohort: answered in the next quarter, still counted in the quarter of publication
    march = datetime(2026, 3, 30, 10, 0, tzinfo=UTC)
    assert {cell[0] for cell, _ in x.contribution(experience(answered_days=6, published_at=march))} == {Q}


def test_the_stream_delta_of_an_answer_moves_the_answered_counters_only():
    before, after = experience(), experience(answered_days=2)
    change = results.by_cell(results.delta(x.contribution(before), x.contribution(after)))
    assert change[(Q, x.ORGANISATION_KIND, "caf")] == {"answered": 1, "d2": 1, "ontime": 1}


def test_the_median_is_the_bucket_of_the_middle_answer():
    assert x.median({"d1": 2, "d3": 1, "d30": 2}) == "3"
    assert x.median({"d1": 1, "d7": 1}) == "1"
    assert x.median({"dover": 3, "d2": 1}) == "over"
    assert x.median({}) is None
    assert [x.day_bucket(d) for d in (0, 1, 4, 7, 8, 90, 91)] == ["1", "1", "5", "7", "10", "90", "over"]
    assert x.days_label("7") == "7 jours au plus" and x.days_label("1") == "1 jour au plus"
    assert x.days_label("over") == "plus de 90 jours" and x.days_label(None) is None


def test_indicators_withhold_what_rests_on_fewer_than_k_experiences():
    five = x.indicators({"published": 8, "answered": 5, "ontime": 4, "d2": 3, "d10": 2})
    assert (five.published, five.answered, five.answered_rate, five.ontime_rate, five.median_days) == (8, 5, 62.5, 50.0, "2")
    few_answers = x.indicators({"published": 8, "answered": 4, "ontime": 4, "d2": 4})
    assert few_answers.answered_rate == 50.0 and few_answers.median_days is None
    small = x.indicators({"published": 4, "answered": 4, "ontime": 4, "d2": 4})
    assert small == x.indicators({}) and small.suppressed                 # 4 or 0: the same « — »
    hidden = x.indicators({"published": 9, "answered": 9, "d1": 9}, hidden={"published", "answered"})
    assert hidden == x.indicators({})


def test_a_lone_small_level_gets_a_complement_so_the_organisation_total_does_not_give_it():
    levels = ([experience(n, level=ResponderLevel.LOCAL) for n in range(20)]
              + [experience(100 + n, level=ResponderLevel.REGIONAL) for n in range(6)]
              + [experience(200 + n, level=ResponderLevel.NATIONAL) for n in range(2)]
              + [experience(600 + n, level=None) for n in range(7)]          # caf's coordination
              + [experience(300 + n, organisation="cpam", territory="62") for n in range(30)]
              + [experience(400 + n, organisation="dgfip", territory="72") for n in range(6)]
              + [experience(500 + n, organisation=None, level=None, territory="72") for n in range(5)])
    cells = cells_of(*levels)
    primary_only = _attack(x.Publication(Q, cells), x.relations(Q, ORGANISATIONS, TERRITORIES))
    assert primary_only[(Q, x.LEVEL_KIND, "caf/national")] == 2          # 35 - 20 - 6 - 7, without complements
    publication = x.protect(Q, cells, ORGANISATIONS, TERRITORIES)
    assert _attack(publication, x.relations(Q, ORGANISATIONS, TERRITORIES)) == {}
    level = lambda name: publication.indicators(x.LEVEL_KIND, f"caf/{name}")   # noqa: E731
    assert publication.indicators(x.ORGANISATION_KIND, "caf").published == 35
    assert level("national").published is None                                # 2: primary
    assert level("regional").published is None                                # 6: the complement
    assert level("local").published == 20
    assert level("coordination").published == 7
    # the two withheld levels together hold at least k: 35 - 20 - 7 = 8 says nothing of either
    withheld = publication.withheld["published"]
    assert {(Q, x.LEVEL_KIND, "caf/national"), (Q, x.LEVEL_KIND, "caf/regional")} <= withheld


def test_a_lone_small_organisation_or_territory_gets_a_complement_too():
    world = ([experience(n, organisation="caf") for n in range(12)]
             + [experience(100 + n, organisation="cpam", territory="62") for n in range(7)]
             + [experience(200 + n, organisation="dgfip", territory="72") for n in range(3)])
    publication = x.protect(Q, cells_of(*world), ORGANISATIONS, TERRITORIES)
    assert publication.indicators(x.NATIONAL_KIND, "FR").published == 22
    assert publication.indicators(x.ORGANISATION_KIND, "dgfip").published is None
    # the experiences naming no organisation (0) are withheld too, but 0 + 3 < k: cpam goes
    assert publication.indicators(x.ORGANISATION_KIND, "cpam").published is None
    assert publication.indicators(x.TERRITORY_KIND, "72").published is None
    assert publication.indicators(x.TERRITORY_KIND, "62").published is None


def _attack(publication: x.Publication, rels: list[disclosure.Relation]) -> dict:
    """Subtraction along the relations until nothing moves: what a reader derives."""
    known = {}
    for cell in {c for parent, children in rels for c in (parent, *children)}:
        shown = publication.indicators(cell[1], cell[2]).published
        if shown is not None:
            known[cell] = shown
    derived: dict = {}
    moved = True
    while moved:
        moved = False
        for parent, children in rels:
            unknown = [c for c in (parent, *children) if c not in known]
            if len(unknown) == 1:
                value = (known[parent] - sum(known[c] for c in children if c in known)
                         if unknown[0] != parent else sum(known[c] for c in children))
                known[unknown[0]] = derived[unknown[0]] = value
                moved = True
    return derived


@pytest.mark.parametrize("seed", range(8))
def test_no_withheld_figure_can_be_derived_by_difference(seed):
    rng = random.Random(seed)
    world = []
    for number in range(rng.randint(20, 90)):
        organisation = rng.choice([*ORGANISATIONS, None])
        level = None if organisation is None else rng.choice([*ResponderLevel, None])
        world.append(experience(number, organisation=organisation, level=level, territory=rng.choice(TERRITORIES),
                                answered_days=rng.choice([None, 1, 3, 6, 12])))
    cells = cells_of(*world)
    rels = x.relations(Q, ORGANISATIONS, TERRITORIES)
    publication = x.protect(Q, cells, ORGANISATIONS, TERRITORIES)
    assert _attack(publication, rels) == {}
    assert disclosure.determined(publication.withheld["published"], rels) == set()
    assert disclosure.determined(publication.withheld["answered"], rels) == set()


def test_the_stored_document_reads_as_the_publication():
    world = ([experience(n, answered_days=2) for n in range(9)]
             + [experience(100 + n, organisation="cpam", territory="62") for n in range(3)])
    publication = x.protect(Q, cells_of(*world), ORGANISATIONS, TERRITORIES)
    document = x.Published.of(x.Published.of_publication(publication, PUBLISHED).text())
    for kind, scope in publication.scopes:
        assert document.indicators(kind, scope) == publication.indicators(kind, scope)
    assert (x.LEVEL_KIND, "dgfip/national") in publication.scopes          # a row for every scope, 0 or not
    assert document.indicators(x.ORGANISATION_KIND, "inconnu") == x.indicators({})
