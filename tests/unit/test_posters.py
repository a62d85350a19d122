"""Issue 25, « Results on the wall »: the poster's figures in plain words (domain/posters.py)
and its QR code (adapters/qr.py), with no I/O."""
from __future__ import annotations

import re

import pytest
import segno

from chalicelib.adapters import qr
from chalicelib.domain import posters
from chalicelib.domain.results import figures

pytestmark = pytest.mark.instant("2026-03-10T10:00:00+01:00")
ADDRESS = "https://relais.example.gouv.fr/resultats?periode=2026-T1&territoire=61#point-61-mairie-bretoncelles"


def test_published_figures_are_said_in_words_out_of_100():
    counters = {"cases": 1234, "closed": 40, "desk": 29, "due": 20, "ontime": 17, "sat": 10, "sat5": 6, "sat4": 3,
                "sat1": 1, "esc": 20, "useful_known": 40, "useful": 30}
    lines = posters.lines(figures(counters))
    assert [line.subject for line in lines] == ["Demandes traitées", "Demandes réglées sur place",
                                                "Réponses des organismes à temps", "Personnes satisfaites"]
    said = [f"{line.figure} {line.words}" for line in lines]
    assert said[0] == "1\u202f234 demandes traitées ici ce trimestre."
    assert said[1] == "73 sur 100 demandes terminées ont été réglées ici même, sans vous envoyer ailleurs."  # 72.5
    assert said[2].startswith("85 sur 100 questions posées pour vous à un organisme")
    assert said[3] == "90 sur 100 personnes qui ont donné leur avis par SMS sont satisfaites."
    assert not any("%" in text or "," in line.figure for text, line in zip(said, lines, strict=True))


def test_withheld_figures_are_said_withheld_and_why():
    lines = posters.lines(figures({"cases": 12, "closed": 4, "desk": 4, "sat": 7, "sat5": 7}, hidden={"sat"}))
    assert lines[0].figure == "12"
    for line in lines[1:]:       # 4 closings: under k = 5; no escalation due; satisfaction: a complement
        assert line.figure is None and line.words == "pour que personne ne puisse être reconnu."
    assert "trop petits ne sont pas affichés" in posters.RULE and "5 personnes" in posters.RULE_DETAIL


@pytest.mark.parametrize("rate,said", [(0.0, 0), (0.4, 1), (12.5, 13), (50.0, 50), (99.5, 99), (99.9, 99),
                                       (100.0, 100)])
def test_out_of_100_says_neither_none_for_some_nor_all_for_not_all(rate, said):
    assert posters.out_of_100(rate) == said


@pytest.mark.parametrize("quarter,words,label", [
    ("2026-T1", "de janvier à mars 2026", "1er trimestre 2026"),
    ("2026-T4", "de octobre à décembre 2026", "4e trimestre 2026")])
def test_the_period_in_words(quarter, words, label):
    assert posters.period_words(quarter) == words and posters.quarter_label(quarter) == label


def drawn(svg: str) -> list[list[bool]]:
    """The dark modules an SVG from segno draws: one path of horizontal runs ('M x y', 'm dx dy'
    relative moves, 'h n' a run of n modules from the current point, on the row's middle line)."""
    viewbox = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg)
    assert viewbox
    width, height = int(viewbox.group(1)), int(viewbox.group(2))
    grid = [[False] * width for _ in range(height)]
    path = re.search(r' d="([^"]+)"', svg)
    assert path and 'transform="' not in svg           # scale 1: a module is a unit of the viewBox
    x = y = 0.0
    for command, numbers in re.findall(r"([MmHh])([-0-9. ]+)", path.group(1).replace("m", " m").replace("h", " h")):
        values = [float(n) for n in numbers.split()]
        if command == "M":
            x, y = values
        elif command == "m":
            x, y = x + values[0], y + values[1]
        else:
            for column in range(int(x), int(x + values[0])):
                grid[int(y)][column] = True
            x += values[0]
    return grid


def test_the_qr_code_is_inline_svg_of_the_address_and_named_for_screen_readers():
    svg = str(qr.svg(ADDRESS, "Code QR : les résultats de Mairie de « Bretoncelles » & co"))
    assert svg.startswith('<svg role="img" aria-label="Code QR : les résultats de Mairie de « Bretoncelles » &amp; co"')
    assert 'class="relais-qr"' in svg and "style" not in svg and "<?xml" not in svg      # CSP: no inline style
    expected = segno.make(ADDRESS, error="m", micro=False)
    assert expected.designator.endswith("-M")                  # 15 % may be torn and it still reads
    matrix = [[bool(cell) for cell in row] for row in expected.matrix_iter(border=qr.BORDER)]
    assert drawn(svg) == matrix
    # A finder pattern in each of three corners, inside the quiet zone: a QR code, not another drawing.
    b = qr.BORDER
    assert all(drawn(svg)[b][b:b + 7]) and not any(drawn(svg)[b - 1])
