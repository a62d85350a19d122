"""An attacker of the published results: differencing across levels and periods.

It takes every value published for a quarter and its three months (every level: point,
territory, network, national; a share times its published denominator gives its numerator),
writes every additive relation it knows (parent = sum of children, quarter = sum of its months)
and solves for the values that were withheld:
- by subtraction: an equation with one unknown left gives it, and again, chains included;
- by elimination: any combination of the equations (exact Gaussian elimination over the
  rationals) that isolates one unknown;
- by sign: an equation whose unknown counts all count the same way and add up to 0 makes
  each 0 (a count is never negative).

It knows nothing of the app's suppression code: the relations come from the test's own
directory. `recover` returns {(cell, counter): value} of the withheld values it could derive.
"""
from __future__ import annotations

from fractions import Fraction

K = 5
Cell = tuple[str, str, str]              # (period, kind, scope id)
# Case counters do not go through networks.
CASE_COUNTERS = ("cases", "closed", "desk", "sat", "sat45", "net")
ESCALATION_COUNTERS = ("esc", "due", "ontime", "answered")
# The counts k-anonymity is about. The sign rule is tried on them only: a share's numerator
# whose withheld remainder is 0 (the parent's share says "0 %") tells that each withheld cell's
# share is 0 % too; that is attribute disclosure about a group of at least k cases, which
# suppression does not prevent (README, "Disclosure control").
COUNTS = ("cases", "closed", "esc", "due", "answered", "sat")


def counters_of(values: dict) -> dict[str, Fraction | None]:
    """What one published row gives, by counter (None: not published). `values` holds the
    open data's columns, or a Figures' fields under the same names."""
    def count(column):
        value = values.get(column)
        return Fraction(value) if value is not None and value >= K else None     # 0: a masked count

    def product(rate_column, whole):
        rate = values.get(rate_column)
        if rate is None or whole is None:
            return None
        return Fraction(round(Fraction(str(rate)) * whole / 100))

    out = {"cases": count("demandes"), "closed": count("nb_dossiers_clos"), "esc": count("saisines"),
           "due": count("nb_saisines_echues"), "answered": count("nb_reponses"), "sat": count("nb_avis_sms")}
    out["desk"] = product("taux_resolu_au_guichet", out["closed"])
    out["ontime"] = product("taux_reponse_dans_le_delai", out["due"])
    out["sat45"] = product("taux_satisfaits", out["sat"])
    out["net"] = product("satisfaction_nette", out["sat"])
    return out


def from_figures(figures) -> dict[str, Fraction | None]:
    return counters_of({
        "demandes": figures.cases, "nb_dossiers_clos": figures.closed, "saisines": figures.escalations,
        "nb_saisines_echues": figures.due, "nb_reponses": figures.answered,
        "nb_avis_sms": figures.satisfaction_answers, "taux_resolu_au_guichet": figures.desk_rate,
        "taux_reponse_dans_le_delai": figures.ontime_rate, "taux_satisfaits": figures.satisfied_rate,
        "satisfaction_nette": figures.net_satisfaction})


def relations(months: list[str], quarter: str, territories: dict[str, list[str]],
              networks: list[str], escalations: bool,
              groups: dict[str, tuple[str, str]] | None = None) -> list[tuple[Cell, list[Cell]]]:
    """Every additive relation the published levels obey, in each period, and over time.
    `groups` (group -> (territory, network)): referent groups, when they are published too."""
    groups = groups or {}
    out = []
    periods = [quarter, *months]
    for period in periods:
        national = (period, "national", "FR")
        out.append((national, [(period, "territory", t) for t in territories]))
        for territory, points in territories.items():
            out.append(((period, "territory", territory), [(period, "point", p) for p in points]))
        if escalations:
            out.append((national, [(period, "network", n) for n in networks]))
            if groups:
                for territory in territories:
                    out.append(((period, "territory", territory),
                                [(period, "group", g) for g, (t, _) in groups.items() if t == territory]))
                for network in networks:
                    out.append(((period, "network", network),
                                [(period, "group", g) for g, (_, n) in groups.items() if n == network]))
    scopes = ([("national", "FR")] + [("territory", t) for t in territories]
              + [("point", p) for points in territories.values() for p in points]
              + ([("network", n) for n in networks] + [("group", g) for g in groups] if escalations else []))
    for kind, scope in scopes:
        out.append(((quarter, kind, scope), [(month, kind, scope) for month in months]))
    return out


def _solve(equations: list[tuple[dict[Cell, int], Fraction]], by_sign: bool = True) -> dict[Cell, Fraction]:
    """The unknowns that the equations (sum of coefficient * unknown = constant) determine."""
    found: dict[Cell, Fraction] = {}
    # 1. subtraction, in chains
    progress = True
    while progress:
        progress = False
        for terms, constant in equations:
            left = {c: a for c, a in terms.items() if c not in found}
            if len(left) == 1:
                (cell, a), = left.items()
                found[cell] = (constant - sum(terms[c] * found[c] for c in terms if c in found)) / a
                progress = True
            # 3. by sign: unknowns of one sign adding up to 0 are each 0
            elif by_sign and left and len({a > 0 for a in left.values()}) == 1:
                rest = constant - sum(terms[c] * found[c] for c in terms if c in found)
                if rest == 0:
                    found.update(dict.fromkeys(left, Fraction(0)))
                    progress = True
    # 2. elimination: reduced row echelon form; a row with a single unknown gives it
    pivots: dict[Cell, tuple[dict[Cell, Fraction], Fraction]] = {}
    for terms, constant in equations:
        row = {c: Fraction(a) for c, a in terms.items() if c not in found}
        value = constant - sum(a * found[c] for c, a in terms.items() if c in found)
        for pivot, (prow, pvalue) in pivots.items():
            if pivot in row:
                factor = row[pivot]
                for c, a in prow.items():
                    row[c] = row.get(c, 0) - factor * a
                    if row[c] == 0:
                        del row[c]
                value -= factor * pvalue
        if not row:
            continue
        pivot = min(row)
        factor = row[pivot]
        row = {c: a / factor for c, a in row.items()}
        value /= factor
        for other, (prow, pvalue) in list(pivots.items()):
            if pivot in prow:
                f = prow[pivot]
                new = dict(prow)
                for c, a in row.items():
                    new[c] = new.get(c, 0) - f * a
                    if new[c] == 0:
                        del new[c]
                pivots[other] = (new, pvalue - f * value)
        pivots[pivot] = (row, value)
    for pivot, (row, value) in pivots.items():
        if len(row) == 1:
            found[pivot] = value
    return found


def recover(published: dict[Cell, dict[str, Fraction | None]],
            case_relations: list[tuple[Cell, list[Cell]]],
            escalation_relations: list[tuple[Cell, list[Cell]]]) -> dict[tuple[Cell, str], Fraction]:
    """Every withheld value the published ones give away. A cell absent from `published` is
    taken as 0 (no row: no activity), as an attacker would."""
    recovered = {}
    for counters, rels in ((CASE_COUNTERS, case_relations), (ESCALATION_COUNTERS, escalation_relations)):
        for counter in counters:
            def known(cell, counter=counter):
                if cell not in published:
                    return Fraction(0)
                return published[cell].get(counter)

            equations = []
            for parent, children in rels:
                terms: dict[Cell, int] = {}
                constant = Fraction(0)
                for cell, sign in [(parent, 1), *((c, -1) for c in children)]:
                    value = known(cell)
                    if value is None:
                        terms[cell] = terms.get(cell, 0) + sign
                    else:
                        constant -= sign * value
                if terms:
                    equations.append((terms, constant))
            for cell, value in _solve(equations, by_sign=counter in COUNTS).items():
                recovered[(cell, counter)] = value
    return recovered
