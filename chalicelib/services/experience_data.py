"""Services Publics+ experiences as public figures and open data.

- The indicators (how the organisations answer), per quarter: read from the cells the stream
  sums (services/results.py `experience_publication`), O(organisations x levels + territories),
  never the experiences; protected against small cells and differencing.
- The open data: one row per experience published in a quarter, a page at a time (PAGE_ROWS,
  newest first, an opaque cursor to the next page): never the contact details, the author or
  who answered; the contact point only when the quarter holds K_ANONYMITY experiences of it or
  more (counted apart, `exp-point` cells).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from ..bootstrap import Deps
from ..domain import experience_indicators as figures
from ..domain import results as periods
from ..domain.collation import french_sorted
from ..domain.deadlines import PARIS
from ..domain.errors import InvalidInput
from ..domain.models import Experience, ModerationStatus
from ..domain.territories import DEPARTEMENTS
from . import results

PAGE_ROWS = 1000
COLUMNS = ["date_publication", "territoire", "organisme", "echelon_reponse", "situation", "ressenti",
           "canal", "demarche", "point_de_contact", "texte", "repondue", "reponse", "date_reponse"]


@dataclass(frozen=True)
class IndicatorRow:
    code: str
    name: str
    indicators: figures.Indicators


@dataclass(frozen=True)
class IndicatorsView:
    """What the results page and the quarterly report show of a quarter."""
    quarter: str
    national: figures.Indicators
    organisations: list[IndicatorRow]
    levels: list[IndicatorRow]                  # one per organisation and level of answer
    publication: figures.Published

    def territory(self, code: str) -> figures.Indicators:
        return self.publication.indicators(figures.TERRITORY_KIND, code)


def organisation_names(deps: Deps) -> dict[str, str]:
    names = {o.id: o.short_name for o in deps.repo.list_organisations()}
    return names | {figures.NO_ORGANISATION: "Organisme non précisé"}


def indicators(deps: Deps, period: str, cached: bool = True) -> IndicatorsView:
    """The indicators of the period's quarter (a month shows its quarter's), as published
    (services/results.py `experience_published`: cached like the results)."""
    publication = results.experience_published(deps, period, cached)
    names = organisation_names(deps)
    organisations = french_sorted([IndicatorRow(code, name, publication.indicators(figures.ORGANISATION_KIND, code))
                                   for code, name in names.items()], lambda row: row.name)
    levels = [IndicatorRow(figures.level_scope(row.code, level), f"{row.name} – échelon {figures.LEVEL_LABELS[level]}",
                           publication.indicators(figures.LEVEL_KIND, figures.level_scope(row.code, level)))
              for row in organisations for level in figures.LEVELS]
    return IndicatorsView(publication.period, publication.indicators(figures.NATIONAL_KIND, periods.NATIONAL),
                          organisations, levels, publication)


# --- open data --------------------------------------------------------------------------------

def quarter_window(quarter: str) -> tuple[datetime, datetime]:
    start, end = periods.quarter_bounds(quarter)
    return datetime.combine(start, time(0), tzinfo=PARIS), datetime.combine(end, time(0), tzinfo=PARIS)


def _day(moment: datetime | None) -> str | None:
    return moment.astimezone(PARIS).date().isoformat() if moment else None


def open_row(experience: Experience, point_shown: bool, names: dict[str, str]) -> dict:
    """One published experience as open data: what its public page shows, nothing more."""
    answered = experience.answer_status is ModerationStatus.PUBLISHED
    level = experience.level.value if experience.level else figures.COORDINATION
    return dict(zip(COLUMNS, [
        _day(experience.published_at), experience.territory_code,
        names.get(experience.organisation_id or figures.NO_ORGANISATION, experience.organisation_id),
        figures.LEVEL_LABELS[level], experience.situation.value,
        experience.sentiment.value if experience.sentiment else None, experience.channel.value,
        experience.procedure, experience.point_id if point_shown else None, experience.text,
        "oui" if answered else "non", experience.answer if answered else None,
        _day(experience.answered_at) if answered else None], strict=True))


BAD_CURSOR = "Ce lien de suite ne correspond pas à cette période : repartez de la première page."


def open_data(deps: Deps, quarter: str, cursor: str | None) -> tuple[list[dict], str | None]:
    """A page of the quarter's published experiences (newest first) and the next page's cursor."""
    start, end = quarter_window(quarter)
    try:
        page = deps.repo.published_page(None, None, filters={}, limit=PAGE_ROWS, cursor=cursor,
                                        since=start, until=end)
    except InvalidInput as exc:         # the adapter checks that the cursor is of this very query
        raise InvalidInput(BAD_CURSOR, field="suite") from exc
    experiences = [e for e in page.items if e.status is ModerationStatus.PUBLISHED]
    points = sorted({e.point_id for e in experiences if e.point_id})
    counts = deps.repo.get_results([(quarter, figures.POINT_KIND, p) for p in points]) if points else {}
    shown = {p for p in points
             if counts.get((quarter, figures.POINT_KIND, p), {}).get("published", 0) >= periods.K_ANONYMITY}
    names = organisation_names(deps)
    return [open_row(e, e.point_id in shown, names) for e in experiences], page.cursor


def territory_names() -> dict[str, str]:
    return dict(french_sorted(DEPARTEMENTS.items(), lambda t: t[1]))
