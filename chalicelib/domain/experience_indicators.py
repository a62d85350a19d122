"""The indicators of Services Publics+ experiences: how the organisations answer the usagers'
published experiences, per quarter. Pure.

Each published experience *contributes* counters, in the quarter of its publication (Paris
time), to cells of the results' partition (services/results.py sums them from the stream, as
it does for the cases): its organisation and level of answer (`exp-level`), its organisation
(`exp-org`), its territory (`exp-territory`), the country (`exp-national`), and its contact
point if an agent posted it (`exp-point`: never published, the open data's threshold). Counted: the
experiences published, those whose answer is published, those answered by their deadline, and
the answer times in day buckets (for the median). A cohort: an answer given after the quarter
still counts in the quarter of its experience.

Never per agent or per team member: the finest scope is an organisation at one level. Every
figure built on fewer than K_ANONYMITY experiences is withheld, and so are the complements
that keep a withheld one from being derived (`protect`, domain/disclosure.py's rules).
"""
from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from . import disclosure
from .models import Experience, ModerationStatus, ResponderLevel
from .results import K_ANONYMITY, NATIONAL, Cell, Contribution, quarter

NATIONAL_KIND = "exp-national"
ORGANISATION_KIND = "exp-org"
LEVEL_KIND = "exp-level"
TERRITORY_KIND = "exp-territory"
KINDS = (NATIONAL_KIND, ORGANISATION_KIND, LEVEL_KIND, TERRITORY_KIND)      # published (protect)
# Never published: how many experiences of a contact point a quarter holds, so that the open
# data names the point only beside K_ANONYMITY experiences or more.
POINT_KIND = "exp-point"
ALL_KINDS = (*KINDS, POINT_KIND)
NO_ORGANISATION = "aucun"           # the usager named no organisation
COORDINATION = "coordination"       # no responder team: the territory's coordination answered
LEVELS = (*(level.value for level in ResponderLevel), COORDINATION)
LEVEL_LABELS = {ResponderLevel.LOCAL.value: "départemental", ResponderLevel.REGIONAL.value: "régional",
                ResponderLevel.NATIONAL.value: "national", COORDINATION: "coordination du territoire"}
# Answer times in whole days (upper bounds): the median is read as the bucket it falls in.
DAY_BUCKETS = (1, 2, 3, 5, 7, 10, 14, 21, 30, 60, 90)
OVER = "over"
FAMILIES = {"published": "published", "answered": "answered"}     # family -> its count


def level_scope(organisation_id: str, level: str) -> str:
    return f"{organisation_id}/{level}"


def day_bucket(days: int) -> str:
    for upper in DAY_BUCKETS:
        if days <= upper:
            return str(upper)
    return OVER


def answer_days(experience: Experience) -> int:
    """Whole days (begun) from publication to the team's answer (not its moderation)."""
    assert experience.published_at is not None and experience.answered_at is not None
    seconds = (experience.answered_at - experience.published_at).total_seconds()
    return max(0, math.ceil(seconds / 86400))


def contribution(experience: Experience | None) -> Contribution:
    """What a stored experience adds to the cells: nothing unless it is published."""
    counted: Contribution = Counter()
    if (experience is None or experience.status is not ModerationStatus.PUBLISHED
            or experience.published_at is None):
        return counted
    period = quarter(experience.published_at)
    organisation = experience.organisation_id or NO_ORGANISATION
    level = experience.level.value if experience.level else COORDINATION
    scopes = [(NATIONAL_KIND, NATIONAL), (ORGANISATION_KIND, organisation),
              (LEVEL_KIND, level_scope(organisation, level)), (TERRITORY_KIND, experience.territory_code)]
    names = ["published"]
    if experience.answer_status is ModerationStatus.PUBLISHED and experience.answered_at is not None:
        names += ["answered", f"d{day_bucket(answer_days(experience))}"]
        if experience.due_at is not None and experience.answered_at <= experience.due_at:
            names.append("ontime")
    for kind, scope in scopes:
        for name in names:
            counted[((period, kind, scope), name)] += 1
    if experience.point_id:
        counted[((period, POINT_KIND, experience.point_id), "published")] += 1
    return counted


# --- the figures of one cell ------------------------------------------------------------------

@dataclass(frozen=True)
class Indicators:
    """A cell's published indicators; None: withheld (fewer than K_ANONYMITY experiences behind
    it, or a complement of such a cell), 0 or 4 alike."""
    published: int | None            # experiences published in the quarter
    answered: int | None             # of those, with a published answer
    answered_rate: float | None      # % of the published answered
    ontime_rate: float | None        # % of the published answered by their deadline (a week)
    median_days: str | None          # bucket label: "7" means 7 days at most
    suppressed: bool                 # nothing of the cell is published


def days_label(label: str | None) -> str | None:
    """A median bucket in plain French: « 7 jours au plus »."""
    if label is None:
        return None
    if label == OVER:
        return f"plus de {DAY_BUCKETS[-1]} jours"
    return "1 jour au plus" if label == "1" else f"{label} jours au plus"


def median(counters: dict[str, int]) -> str | None:
    labels = (*map(str, DAY_BUCKETS), OVER)
    total = sum(counters.get(f"d{label}", 0) for label in labels)
    if total == 0:
        return None
    running = 0
    for label in labels:
        running += counters.get(f"d{label}", 0)
        if running >= 0.5 * total:
            return label
    return OVER


def indicators(counters: dict[str, int], hidden: Collection[str] = ()) -> Indicators:
    """A cell's indicators: the `published` family (the count and the shares of it) needs
    K_ANONYMITY experiences, the median K_ANONYMITY answers; `hidden` withholds families more."""
    published, answered = counters.get("published", 0), counters.get("answered", 0)
    off = {family for family, base in (("published", published), ("answered", answered))
           if base < K_ANONYMITY} | set(hidden)
    shown = "published" not in off
    return Indicators(
        published=published if shown else None, answered=answered if shown else None,
        answered_rate=round(100 * answered / published, 1) if shown else None,
        ontime_rate=round(100 * counters.get("ontime", 0) / published, 1) if shown else None,
        median_days=median(counters) if "answered" not in off else None,
        suppressed=off >= {"published", "answered"})


# --- disclosure control -----------------------------------------------------------------------

def relations(period: str, organisations: Iterable[str], territories: Iterable[str]) -> list[disclosure.Relation]:
    """The additive relations of a quarter: the country = its organisations (and the experiences
    naming none) = its territories; an organisation = its levels."""
    organisations = sorted({*organisations, NO_ORGANISATION})
    national = (period, NATIONAL_KIND, NATIONAL)
    out: list[disclosure.Relation] = [
        (national, tuple((period, ORGANISATION_KIND, o) for o in organisations)),
        (national, tuple((period, TERRITORY_KIND, t) for t in sorted(territories)))]
    out += [((period, ORGANISATION_KIND, o), tuple((period, LEVEL_KIND, level_scope(o, level)) for level in LEVELS))
            for o in organisations]
    return [(parent, children) for parent, children in out if children]


@dataclass
class Publication:
    """What may be published of a quarter's experience indicators."""
    period: str
    cells: dict[Cell, dict[str, int]]
    withheld: dict[str, set[Cell]] = field(default_factory=dict)
    scopes: list[tuple[str, str]] = field(default_factory=list)     # (kind, scope id) of every row

    def indicators(self, kind: str, scope_id: str) -> Indicators:
        cell = (self.period, kind, scope_id)
        hidden = frozenset(family for family, cells in self.withheld.items() if cell in cells)
        return indicators(self.cells.get(cell, {}), hidden)


@dataclass(frozen=True)
class Published:
    """A quarter's indicators as stored for the views (services/results.py caches it): every
    row's published fields, withheld ones None. Read like a Publication."""
    period: str
    built_at: datetime
    rows: dict[str, dict[str, dict]]            # kind -> scope id -> the Indicators' fields

    @classmethod
    def of_publication(cls, publication: Publication, built_at: datetime) -> Published:
        rows: dict[str, dict[str, dict]] = {}
        for kind, scope in publication.scopes:
            rows.setdefault(kind, {})[scope] = asdict(publication.indicators(kind, scope))
        return cls(publication.period, built_at, rows)

    def indicators(self, kind: str, scope_id: str) -> Indicators:
        found = self.rows.get(kind, {}).get(scope_id)
        return Indicators(**found) if found is not None else indicators({})

    def text(self) -> str:
        return json.dumps({"period": self.period, "built_at": self.built_at.isoformat(), "rows": self.rows})

    @classmethod
    def of(cls, text: bytes | str) -> Published:
        data = json.loads(text)
        return cls(data["period"], datetime.fromisoformat(data["built_at"]), data["rows"])


def protect(period: str, cells: dict[Cell, dict[str, int]], organisations: Iterable[str],
            territories: Iterable[str], k: int = K_ANONYMITY) -> Publication:
    """Primary suppression (below k) and the complements (domain/disclosure.py `suppress`: no
    relation holds a single withheld cell, the withheld children of a published parent count k
    or more, no combination of relations isolates one), for each family."""
    cells = {cell: counters for cell, counters in cells.items() if cell[0] == period and cell[1] in KINDS}
    organisations = {*organisations, *(scope for (_, kind, scope) in cells if kind == ORGANISATION_KIND)}
    territories = {*territories, *(scope for (_, kind, scope) in cells if kind == TERRITORY_KIND)}
    rels = relations(period, organisations, territories)
    everything = {cell for relation in rels for cell in (relation[0], *relation[1])} | set(cells)
    publication = Publication(period, cells, scopes=sorted({(kind, scope) for (_, kind, scope) in everything}))
    for family, base in FAMILIES.items():
        values = {cell: cells.get(cell, {}).get(base, 0) for cell in everything}
        publication.withheld[family] = disclosure.suppress(values, rels, k)
    return publication
