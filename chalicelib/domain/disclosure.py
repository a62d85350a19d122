"""Disclosure control of the published results: primary and secondary (complementary) suppression.

A figure built on fewer than K_ANONYMITY answers is withheld (primary suppression). That alone
leaks: a territory's total minus its published points gives the withheld point, a quarter minus
two published months gives the third. So, as statistical offices do for linked hierarchical
tables, withheld cells get company (secondary suppression) until no withheld value can be
derived from the published ones by adding and subtracting:

- The cells: every scope of the directory (every point, territory, network, referent group and
  the country, active or not: a point with no case is withheld like a point with 3), in the
  quarter and each of its three months. A period is always protected with the other periods of
  its quarter, so the month and the quarter pages agree.
- The additive relations (parent = sum of children), in each period: country = its
  territories; territory = its points; and for escalations also territory = its referent
  groups, network = its groups, country = its networks. Over time: quarter = its three months.
- A *family* is a count and what is published with it (a share's numerator is its share times
  its denominator): cases; closed (solved at the desk); closing judged useful; SMS answers
  (their marks); escalations; escalations due (answered on time); answers (their time buckets).
  Each family gets its own pattern, since each has its own denominator.

Rules, applied to each family until nothing changes:
1. primary: a cell whose count is below k is withheld;
2. no relation holds exactly one withheld cell (it would be its parent minus the others);
3. in a relation whose parent is published, the withheld children together count at least k
   (their total is derivable: it must not itself be a small figure, nor 0, which would tell
   that each had nothing);
4. then an exact check: Gaussian elimination (modulo a large prime) of every relation over the
   withheld cells finds any withheld cell that a combination of relations isolates (a chain
   through several levels, a cycle through months and territories); each one found gets one
   more cell withheld beside it, and the rules run again.
The complement chosen is the published child with the smallest count (the least loss), or the
parent when no child is left. The result depends only on the cells of the quarter: every page
and file of one period withholds the same cells.

Limits: differencing between two publications of a period still in progress (today's figures
minus yesterday's) is not prevented; bounds (a withheld cell lies between 0 and its parent) are
not hidden; shares are rounded to 0.1 %, which gives the numerator exactly.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from .results import K_ANONYMITY, NATIONAL, Cell, Figures, figures, quarter_months, quarter_of

# family -> its count (the denominator of its shares, the threshold's base)
FAMILIES: dict[str, str] = {"cases": "cases", "closed": "closed", "useful": "useful_known", "sat": "sat",
                            "esc": "esc", "due": "due", "answered": "answered"}
CASE_FAMILIES = ("cases", "closed", "useful", "sat")
ESCALATION_FAMILIES = ("esc", "due", "answered")
_PRIME = (1 << 61) - 1
_KIND_ORDER = {"point": 0, "group": 1, "territory": 2, "network": 3, "national": 4}

Relation = tuple[Cell, tuple[Cell, ...]]


@dataclass(frozen=True)
class Structure:
    """The directory as the relations need it."""
    points: dict[str, str]                      # point id -> territory code
    groups: dict[str, tuple[str, str]]          # group id -> (territory code, organisation id)
    territories: frozenset[str] = frozenset()
    networks: frozenset[str] = frozenset()


def relations(structure: Structure, periods: list[str], escalations: bool) -> list[Relation]:
    """Every additive relation of the published levels, in each period and over the quarter
    (periods[0] is the quarter, the others its months)."""
    territories = sorted(structure.territories | set(structure.points.values())
                         | {t for t, _ in structure.groups.values()})
    networks = sorted(structure.networks | {o for _, o in structure.groups.values()})
    points_of, groups_of_territory, groups_of_network = defaultdict(list), defaultdict(list), defaultdict(list)
    for point, territory in sorted(structure.points.items()):
        points_of[territory].append(point)
    for group, (territory, network) in sorted(structure.groups.items()):
        groups_of_territory[territory].append(group)
        groups_of_network[network].append(group)
    out: list[Relation] = []
    for period in periods:
        national = (period, "national", NATIONAL)
        out.append((national, tuple((period, "territory", t) for t in territories)))
        out += [((period, "territory", t), tuple((period, "point", p) for p in points_of[t]))
                for t in territories]
        if escalations:
            out.append((national, tuple((period, "network", n) for n in networks)))
            out += [((period, "territory", t), tuple((period, "group", g) for g in groups_of_territory[t]))
                    for t in territories]
            out += [((period, "network", n), tuple((period, "group", g) for g in groups_of_network[n]))
                    for n in networks]
    scopes = ([("national", NATIONAL)] + [("territory", t) for t in territories]
              + [("point", p) for p in sorted(structure.points)])
    if escalations:
        scopes += [("network", n) for n in networks] + [("group", g) for g in sorted(structure.groups)]
    quarter, months = periods[0], periods[1:]
    out += [((quarter, kind, scope), tuple((month, kind, scope) for month in months)) for kind, scope in scopes]
    return [(parent, children) for parent, children in out if children]


def _order(values: dict[Cell, int], cell: Cell):
    return values.get(cell, 0), _KIND_ORDER.get(cell[1], 9), cell


def determined(withheld: set[Cell], rels: Iterable[Relation]) -> set[Cell]:
    """The withheld cells that some combination of the relations isolates, whatever the values:
    reduced row echelon form of the relations over the withheld cells (modulo a prime: the
    coefficients are 0, 1 and -1). A pivot row left with a single cell gives that cell."""
    pivots: dict[Cell, dict[Cell, int]] = {}
    where: dict[Cell, set[Cell]] = defaultdict(set)      # cell -> the pivot rows holding it

    def subtract(target: dict[Cell, int], factor: int, row: dict[Cell, int], owner: Cell | None) -> None:
        for c, a in row.items():
            value = (target.get(c, 0) - factor * a) % _PRIME
            if value:
                target[c] = value
                if owner is not None:
                    where[c].add(owner)
            else:
                target.pop(c, None)
                if owner is not None:
                    where[c].discard(owner)

    for parent, children in rels:
        row: dict[Cell, int] = {}
        for cell, sign in ((parent, 1), *((child, _PRIME - 1) for child in children)):
            if cell in withheld:
                row[cell] = (row.get(cell, 0) + sign) % _PRIME
        row = {c: a for c, a in row.items() if a}
        for pivot in [c for c in row if c in pivots]:
            factor = row.get(pivot, 0)
            if factor:
                subtract(row, factor, pivots[pivot], None)
        if not row:
            continue
        pivot = min(row, key=lambda c: (len(where.get(c, ())), c))      # the least fill-in
        inverse = pow(row[pivot], _PRIME - 2, _PRIME)
        row = {c: a * inverse % _PRIME for c, a in row.items()}
        for other in list(where.get(pivot, ())):
            subtract(pivots[other], pivots[other][pivot], row, other)
        pivots[pivot] = row
        for c in row:
            where[c].add(pivot)
    return {pivot for pivot, row in pivots.items() if len(row) == 1}


def suppress(values: dict[Cell, int], rels: list[Relation], k: int = K_ANONYMITY) -> set[Cell]:
    """The cells to withhold: below k (primary), then the complements the rules ask for."""
    withheld = {cell for cell, value in values.items() if value < k}
    for parent, children in rels:
        for cell in (parent, *children):
            if values.get(cell, 0) < k:
                withheld.add(cell)
    by_cell: dict[Cell, list[Relation]] = defaultdict(list)
    for relation in rels:
        for cell in (relation[0], *relation[1]):
            by_cell[cell].append(relation)

    def complement(relation: Relation) -> Cell | None:
        parent, children = relation
        published = [c for c in children if c not in withheld]
        if published:
            return min(published, key=lambda c: _order(values, c))
        return parent if parent not in withheld else None

    while True:
        changed = True
        while changed:
            changed = False
            for relation in rels:
                parent, children = relation
                hidden_children = [c for c in children if c in withheld]
                count = len(hidden_children) + (parent in withheld)
                if count == 0:
                    continue
                small = (parent not in withheld
                         and sum(values.get(c, 0) for c in hidden_children) < k)
                if count == 1 or small:
                    extra = complement(relation)
                    if extra is not None:
                        withheld.add(extra)
                        changed = True
        isolated = determined(withheld, rels)
        if not isolated:
            return withheld
        for cell in sorted(isolated):
            extra = _beside(cell, withheld, by_cell, values)
            if extra is not None:
                withheld.add(extra)


def _beside(cell: Cell, withheld: set[Cell], by_cell, values) -> Cell | None:
    """The smallest published cell sharing a relation with `cell`, looking further along the
    withheld cells when its own relations have none left."""
    seen, frontier = {cell}, [cell]
    while frontier:
        candidates = [member for current in frontier for parent, children in by_cell[current]
                      for member in (parent, *children) if member not in withheld]
        if candidates:
            return min(candidates, key=lambda c: _order(values, c))
        frontier = [member for current in frontier for parent, children in by_cell[current]
                    for member in (parent, *children) if member not in seen]
        seen.update(frontier)
    return None


# --- a publication ----------------------------------------------------------------------------

@dataclass
class Publication:
    """What may be published for one period: the stored cells of its quarter and months, and,
    per cell, the families withheld."""
    period: str
    cells: dict[Cell, dict[str, int]]
    structure: Structure
    withheld: dict[str, set[Cell]] = field(default_factory=dict)

    def hidden(self, kind: str, scope_id: str, period: str | None = None) -> frozenset[str]:
        cell = (period or self.period, kind, scope_id)
        return frozenset(family for family, cells in self.withheld.items() if cell in cells)

    def figures(self, kind: str, scope_id: str, period: str | None = None) -> Figures:
        cell = (period or self.period, kind, scope_id)
        return figures(self.cells.get(cell, {}), hidden=self.hidden(kind, scope_id, period))

    def scopes(self, kind: str) -> list[str]:
        """Every scope of that kind: the directory's, and any other with figures."""
        listed = {"point": set(self.structure.points), "group": set(self.structure.groups),
                  "territory": set(self.structure.territories) | set(self.structure.points.values()),
                  "network": set(self.structure.networks), "national": {NATIONAL}}[kind]
        return sorted(listed | {scope for (_, cell_kind, scope) in self.cells if cell_kind == kind})


def periods_of(period: str) -> list[str]:
    """The periods protected together: the quarter first, then its months."""
    quarter = quarter_of(period)
    return [quarter, *quarter_months(quarter)]


def protect(period: str, cells: dict[Cell, dict[str, int]], structure: Structure,
            current_month: str | None = None, k: int = K_ANONYMITY) -> Publication:
    """`cells`: the stored cells of the period's quarter and of its months (others ignored).
    `current_month` ('2026-11'): a later month has not begun, and everyone knows it holds no
    case, closing, answer or SMS yet (escalations *due* in it, though, are already counted): it
    is left out of the quarter's relation for those families, as a known 0."""
    periods = periods_of(period)
    cells = {cell: counters for cell, counters in cells.items() if cell[0] in periods}
    # Scopes with figures but not in the directory (a territory or a network without its
    # directory entry) are published too: they take part. A point or a group outside the
    # directory is never published: treated as known, it only makes the rules stricter.
    structure = Structure(points=structure.points, groups=structure.groups,
                          territories=structure.territories | {s for (_, kind, s) in cells if kind == "territory"},
                          networks=structure.networks | {s for (_, kind, s) in cells if kind == "network"})
    publication = Publication(period=period, cells=cells, structure=structure)
    patterns: dict[tuple, set[Cell]] = {}
    built: dict[tuple, list[Relation]] = {}
    for escalations, families in ((False, CASE_FAMILIES), (True, ESCALATION_FAMILIES)):
        for family in families:
            begun = [p for p in periods[1:] if current_month is None or family == "due" or p <= current_month]
            if (escalations, tuple(begun)) not in built:
                built[(escalations, tuple(begun))] = relations(structure, [periods[0], *begun], escalations)
            rels = built[(escalations, tuple(begun))]
            base = FAMILIES[family]
            values = {cell: counters.get(base, 0) for cell, counters in cells.items()}
            key = (escalations, tuple(begun), tuple(sorted(values.items())))
            if key not in patterns:         # families with the same counts share a pattern
                patterns[key] = suppress(values, rels, k)
            publication.withheld[family] = patterns[key]
    return publication
