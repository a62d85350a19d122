"""Every SMS fits one GSM-7 segment, with the longest realistic values."""
import csv
from pathlib import Path

import pytest

from chalicelib.domain import sms

DEMO = Path(__file__).resolve().parents[2] / "demo"
LONGEST_POINT = max((row["name"] for row in csv.DictReader(
    (DEMO / "contact_points.csv").open(encoding="utf-8"), delimiter=";")), key=len)
WORST_REF = "974-WXY-ZWX"                 # overseas: three-digit département
WORST_PHONE = "+590 590 12 34 56"        # overseas number, written in full


@pytest.mark.parametrize("template", sorted(sms.TEMPLATES))
def test_every_template_fits_one_gsm7_segment_with_worst_case_values(template):
    text = sms.render(template, ref=WORST_REF, point=LONGEST_POINT, phone=WORST_PHONE)
    assert sms.is_gsm7(text) and sms.segments(text) == 1, (len(text), text)
    assert not set(text) & set("êçô’«»œ"), text
    assert WORST_REF in text


@pytest.mark.parametrize("template", sorted(sms.TEMPLATES))
def test_the_directory_s_longest_point_name_is_kept_whole(template):
    text = sms.render(template, ref=WORST_REF, point=LONGEST_POINT, phone=WORST_PHONE)
    assert sms.to_gsm7(LONGEST_POINT) in text


@pytest.mark.parametrize("template", sorted(sms.TEMPLATES))
def test_an_absurdly_long_name_is_shortened_rather_than_billed_twice(template):
    name = "Maison France Services de la communauté de communes Cœur du Perche – Rémalard-en-Perche " * 3
    text = sms.render(template, ref=WORST_REF, point=name, phone=WORST_PHONE)
    assert sms.segments(text) == 1 and sms.is_gsm7(text)


@pytest.mark.parametrize("text, expected", [
    ("a" * 160, 1),
    ("a" * 161, 2),                      # 153 per part once split
    ("a" * 306, 2),
    ("a" * 307, 3),
    ("€" * 80, 1),                       # extension characters count double
    ("€" * 81, 2),
    ("ê" * 70, 1),                       # one non-GSM character: UCS-2, 70 per segment
    ("ê" * 71, 2),                       # then 67 per part
    ("ê" * 135, 3),
])
def test_segments_are_counted_like_the_operator(text, expected):
    assert sms.segments(text) == expected


def test_to_gsm7_keeps_gsm_letters_and_spells_the_others():
    assert sms.to_gsm7("Élodie à Rémalard, fenêtre, ça, l’œuvre « Noël »") == \
        "Élodie à Rémalard, fenetre, ca, l'oeuvre \"Noel\""


@pytest.mark.parametrize("now, expected", [
    ("2026-11-24T10:00:00+01:00", "2026-11-24T10:00:00+01:00"),   # Tuesday morning: now
    ("2026-11-24T19:59:00+01:00", "2026-11-24T19:59:00+01:00"),
    ("2026-11-24T20:00:00+01:00", "2026-11-25T08:00:00+01:00"),   # evening: tomorrow 08:00
    ("2026-11-25T06:30:00+01:00", "2026-11-25T08:00:00+01:00"),   # early morning: today 08:00
    ("2026-11-28T21:00:00+01:00", "2026-11-30T08:00:00+01:00"),   # Saturday night: Monday
    ("2026-11-29T12:00:00+01:00", "2026-11-30T08:00:00+01:00"),   # Sunday noon: Monday
    ("2026-11-10T21:00:00+01:00", "2026-11-12T08:00:00+01:00"),   # eve of Armistice Day
    ("2026-12-24T22:00:00+01:00", "2026-12-26T08:00:00+01:00"),   # Christmas; Saturday is open
])
def test_quiet_hours_hold_sms_until_the_morning(now, expected):
    from datetime import datetime

    assert sms.send_after(datetime.fromisoformat(now)) == datetime.fromisoformat(expected)


def test_saint_stephen_is_quiet_in_alsace_moselle_only():
    from datetime import datetime

    night = datetime.fromisoformat("2026-12-25T21:00:00+01:00")
    assert sms.send_after(night, "57") == datetime.fromisoformat("2026-12-28T08:00:00+01:00")
    assert sms.send_after(night, "61") == datetime.fromisoformat("2026-12-26T08:00:00+01:00")
