"""A contact point's results as its wall poster says them: four figures in plain words, for
someone who never uses the internet (« 72 sur 100 », never « 72,4 % »; no acronym, no jargon).

The figures are the published ones (domain/results.py `Figures`, after domain/disclosure.py):
a figure withheld there is withheld here, and the poster says why in words.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .results import K_ANONYMITY, Figures, quarter_months

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre"]
RULE = "Les chiffres trop petits ne sont pas affichés, pour que personne ne puisse être reconnu."
RULE_DETAIL = (f"Un chiffre n'est pas affiché quand il concerne moins de {K_ANONYMITY} personnes, "
               "ou quand il permettrait de retrouver un chiffre caché.")
WITHHELD = "Pas affiché"
WITHHELD_WORDS = "pour que personne ne puisse être reconnu."
NOTHING_SHOWN = "Ce trimestre, il y a eu trop peu de demandes ici pour afficher des chiffres."


@dataclass(frozen=True)
class Line:
    """One figure of the poster: what it counts, the figure in big type (None: withheld), and
    the sentence under it."""
    subject: str
    figure: str | None
    words: str


def out_of_100(rate: float) -> int:
    """A share (0 to 100, as published) said « N sur 100 »: rounded, but never « 0 sur 100 »
    for some nor « 100 sur 100 » for not all."""
    rounded = int(Decimal(str(rate)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if 0 < rate < 100:
        return min(max(rounded, 1), 99)
    return rounded


def _count(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")          # 1 234: a narrow no-break space


def _share(rate: float | None) -> str | None:
    return None if rate is None else f"{out_of_100(rate)} sur 100"


def lines(figures: Figures) -> list[Line]:
    """The poster's four figures: requests handled, solved at the desk, answers on time,
    satisfaction."""
    found = [
        Line("Demandes traitées", None if figures.cases is None else _count(figures.cases),
             "demandes traitées ici ce trimestre."),
        Line("Demandes réglées sur place", _share(figures.desk_rate),
             "demandes terminées ont été réglées ici même, sans vous envoyer ailleurs."),
        Line("Réponses des organismes à temps", _share(figures.ontime_rate),
             "questions posées pour vous à un organisme (caisse d'allocations familiales, "
             "assurance maladie, impôts…) ont reçu une réponse dans le délai prévu."),
        Line("Personnes satisfaites", _share(figures.satisfied_rate),
             "personnes qui ont donné leur avis par SMS sont satisfaites."),
    ]
    return [line if line.figure is not None else Line(line.subject, None, WITHHELD_WORDS) for line in found]


def period_words(quarter: str) -> str:
    """'2026-T1' -> 'de janvier à mars 2026'."""
    first, *_, last = quarter_months(quarter)
    return f"de {MONTHS[int(first[5:]) - 1]} à {MONTHS[int(last[5:]) - 1]} {quarter[:4]}"


def quarter_label(quarter: str) -> str:
    """'2026-T1' -> '1er trimestre 2026'."""
    number = quarter[-1]
    return f"{number}{'er' if number == '1' else 'e'} trimestre {quarter[:4]}"
