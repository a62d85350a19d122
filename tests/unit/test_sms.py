"""Every SMS fits one GSM-7 segment, with the longest realistic values."""
import csv
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib.domain import sms
from chalicelib.domain.models import Case, CaseStatus, Escalation, EscalationStatus, LifeSituation, Usager

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


# --- characters with no GSM-7 form (issue 19) -------------------------------------------------------

@pytest.mark.parametrize("source, expected", [
    ("Łódź", "Lodz"),                                  # no decomposition: spelled by anyascii
    ("Kırıkkale", "Kirikkale"),                        # dotless i
    ("Đakovo", "Dakovo"),
    ("Ærøskøbing Straße", "Ærøskøbing Straße"),        # Æ, ø, ß are GSM-7: kept
    ("Mairie\tde\tBellême", "Mairie de Belleme"),      # tabs become spaces
    ("France\u200bServices", "FranceServices"),        # zero-width space: dropped
    ("Mairie\u00a0de\u202fBellême", "Mairie de Belleme"),
    ("Mairie 🏛️ de Bellême 😊👍🏽", "Mairie de Belleme "),  # emoji dropped, spaces collapsed
    ("⭐⭐⭐⭐", ""),
    ("Пункт Москва", "Punkt Moskva"),                   # another script, in Latin letters
    ("Mairie\x1b[31m", "Mairie[31m"),                  # ESC would open GSM-7's extension table
    ("Cafe\u0301 \u2116 3", "Café No 3"),              # combining accent composed; № spelled
    ("Qui ? Pourquoi ?", "Qui ? Pourquoi ?"),          # a « ? » of the source stays
])
def test_to_gsm7_spells_drops_or_keeps_each_character_never_a_question_mark(source, expected):
    assert sms.to_gsm7(source) == expected
    assert sms.is_gsm7(sms.to_gsm7(source))


# Long real-world names of France Services and town halls, and names as they get pasted.
POINT_NAMES = [
    LONGEST_POINT,
    "Mairie de Bretoncelles",
    "France Services de la Communauté de communes Cœur de Chartreuse",
    "Espace France Services de la Communauté d'agglomération du Grand Sénonais",
    "France Services itinérante de la Communauté de communes du Minervois au Caroux",
    "Maison France Services de Saint-Rémy-en-Bouzemont-Saint-Genest-et-Isson",
    "France Services – Bus itinérant du Pays de Saint-Pons-de-Thomières",
    "France Services de la Communauté de communes des Vallées du Haut-Anjou – antenne de "
    "Châteauneuf-sur-Sarthe",
    "Mairie (antenne de Saint-Martin-du-Vieux-Bellême) de la Communauté de communes des Collines du Perche",
    "Maison France Services 🏛️ de Sainte-Marie-aux-Mines 😊👍🏽",
    "Point d'accueil de Łódź, Kırıkkale et Đakovo",
    "Mairie\tde\tMortagne-au-Perche",
    "France\u200bServices de L'Aigle\u200d",
    "Пункт обслуживания Москва",
    "Centre social « Qui ? » de Flers",
    "A" * 190,                                         # one 190-letter word: nothing to keep
]
PHONES = ["", "   ", "02 33 25 00 00", WORST_PHONE]
ABOUTS = ["", "CAF", "Finances publiques, Intercommunalité"]


def _words(text: str) -> set[str]:
    return {w.strip(".,:;()\"'") for w in re.sub(r"\{\w+\}", " ", text).split()} - {""}


@pytest.mark.parametrize("name", POINT_NAMES)
@pytest.mark.parametrize("template", sorted(sms.TEMPLATES))
def test_every_template_is_one_gsm7_segment_for_every_name_with_no_word_cut(template, name):
    for phone in PHONES:
        for about in ABOUTS:
            text = sms.render(template, ref=WORST_REF, point=name, phone=phone, day="24/11", about=about)
            assert sms.is_gsm7(text) and sms.segments(text) == 1, text
            pattern = sms.TEMPLATES[template]
            assert text.count("?") <= pattern.count("?") + name.count("?"), text
            # Every word of the text is a whole word of what it was made of: no "Communaut."
            sources = " ".join([pattern, sms.WITHOUT_PHONE.get(template, ""), WORST_REF, phone,
                                "du 24/11", about, name, sms.ANY_POINT])
            assert _words(text) <= _words(sms.to_gsm7(sources)), (_words(text) - _words(sms.to_gsm7(sources)), text)


def test_a_shortened_name_keeps_its_first_whole_words_and_ends_on_none_of_de_la():
    name = "France Services de la Communauté de communes des Vallées du Haut-Anjou – antenne de Châteauneuf"
    text = sms.render("closed_standalone", ref=WORST_REF, point=name, day="24/11", about="CAF")
    assert text.startswith("France Services de la Communauté de communes: votre demande"), text
    text = sms.render("closed", ref=WORST_REF, point="Maison " + name, day="24/11")
    assert "Communaut." not in text and " de." not in text and " la." not in text, text


@pytest.mark.parametrize("template", sorted(t for t, text in sms.TEMPLATES.items() if "{phone}" in text))
def test_a_point_without_a_phone_gets_a_whole_sentence(template):
    assert template in sms.WITHOUT_PHONE
    for phone in ("", "  "):
        text = sms.render(template, ref=WORST_REF, point="Mairie de Bretoncelles", phone=phone)
        assert "Mairie de Bretoncelles" in text
        assert ", ." not in text and not text.rstrip(". ").endswith((" au", ",")), text
    assert "vous recontacte" in sms.render(template, ref=WORST_REF, point="Mairie de Bretoncelles") or \
        template == "case_created"


def test_with_a_phone_the_texts_give_it():
    for template in ("case_created", "answered", "needs_info"):
        assert "02 33 25 00 00" in sms.render(template, ref=WORST_REF, point="Mairie de Bretoncelles",
                                              phone="02 33 25 00 00")


# --- the closing SMS names the case in words ------------------------------------------------------

def test_the_closing_names_the_day_the_point_and_the_partners():
    text = sms.render("closed", ref="61-ABC-DEF", point="Mairie de Bretoncelles", day="24/11",
                      about=sms.about(LifeSituation.PRECARITE, ["CAF", "CPAM", "MSA"]))
    assert text == ("Relais SP+: dossier 61-ABC-DEF clos. Demande du 24/11 (CAF, CPAM) à Mairie de "
                    "Bretoncelles. Satisfait ? Répondez de 1 (pas du tout) à 5 (tout à fait)")


def test_the_closing_to_a_usager_who_never_had_the_reference_stands_on_its_own():
    text = sms.render("closed_standalone", ref="61-ABC-DEF", point="Mairie de Bretoncelles", day="24/11",
                      about=sms.about(LifeSituation.RETRAITE, []))
    assert text == ("Mairie de Bretoncelles: votre demande du 24/11 (retraite) est traitée, dossier "
                    "61-ABC-DEF clos. Satisfait ? Répondez de 1 (pas du tout) à 5 (tout à fait)")


@pytest.mark.parametrize("situation, partners, expected", [
    (LifeSituation.PRECARITE, ["CAF"], "CAF"),
    (LifeSituation.PRECARITE, ["CAF", "CPAM", "MSA"], "CAF, CPAM"),     # two at most
    (LifeSituation.PRECARITE, ["CAF", "CAF"], "CAF"),
    (LifeSituation.RETRAITE, [], "retraite"),                        # no partner: the situation
    (LifeSituation.AUTRE, [], ""),
    (LifeSituation.AUTRE, [""], ""),                                 # an organisation gone from the directory
])
def test_what_the_case_is_about(situation, partners, expected):
    assert sms.about(situation, partners) == expected


def test_the_partners_named_are_those_asked_first_not_those_who_handed_back():
    cpam = _escalation("cpam", EscalationStatus.ANSWERED, at=TEN)
    caf = _escalation("caf", EscalationStatus.SENT, at=NINE)
    wrong = _escalation("msa", EscalationStatus.WRONG_RECIPIENT, at=NINE)
    assert sms.partners_asked([cpam, wrong, caf]) == ["caf", "cpam"]


# --- an SMS released after the night hold says where the case stands ------------------------------

NINE = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)        # the evening before
TEN = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
MORNING = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)      # 08:00 in Paris


def _case(status: CaseStatus = CaseStatus.OPEN, **changes) -> Case:
    return Case(ref="61-ABC-DEF", point_id="61-mairie-bretoncelles", territory_code="61",
                created_by="agent", situation=LifeSituation.PRECARITE, description="RSA",
                consent_attested=True, created_at=NINE, updated_at=NINE, status=status,
                usager=Usager(first_name="Jeanne", last_name="Martin", phone="06 12 34 56 78"),
                **changes)


def _escalation(organisation: str, status: EscalationStatus, at: datetime = NINE,
                paused_at: datetime | None = None) -> Escalation:
    if status is EscalationStatus.NEEDS_INFO and paused_at is None:
        paused_at = at
    return Escalation(case_ref="61-ABC-DEF", group_id=f"61-{organisation}", organisation_id=organisation,
                      territory_code="61", point_id="61-mairie-bretoncelles", status=status,
                      question="?", due_at=MORNING, created_at=at, updated_at=at, paused_at=paused_at)


SENT, ASKED, ANSWERED = EscalationStatus.SENT, EscalationStatus.NEEDS_INFO, EscalationStatus.ANSWERED
ESCALATED, CLOSED = CaseStatus.ESCALATED, CaseStatus.CLOSED
CONFIRMED = {"consent_confirmed_at": TEN}

STILL_TRUE = [
    # template, case status, escalations, already sent (template, when), still true
    ("case_created", CaseStatus.OPEN, [], [], True),
    ("case_created", ESCALATED, [SENT], [], True),
    ("case_created", ESCALATED, [ASKED], [], False),            # needs_info says it, with the reference
    ("case_created", CaseStatus.ANSWERED, [ANSWERED], [], False),  # answered says it
    ("case_created", CLOSED, [], [], False),                    # the closing says it
    ("needs_info", ESCALATED, [ASKED], [], True),
    ("needs_info", ESCALATED, [SENT], [], False),               # the agent supplied it overnight
    ("needs_info", CaseStatus.ANSWERED, [ANSWERED], [], False),  # answered since
    ("needs_info", CLOSED, [], [], False),
    ("needs_info", ESCALATED, [ASKED, ASKED], [("needs_info", MORNING)], False),  # told once already
    ("needs_info", ESCALATED, [ASKED], [("needs_info", NINE - timedelta(days=1))], True),  # asked again since
    ("needs_info", CaseStatus.ANSWERED, [ASKED, ANSWERED], [], True),   # one partner still waits
    ("answered", CaseStatus.ANSWERED, [ANSWERED], [], True),
    ("answered", CLOSED, [], [], False),                        # closed since: the closing says it
    ("answered", CaseStatus.OPEN, [], [], False),               # closed then reopened
    ("closed", CLOSED, [], [], True),
    ("closed", CaseStatus.OPEN, [], [], False),                 # reopened: its own closing will come
    ("consent", ESCALATED, [SENT], [], True),
    ("consent", CLOSED, [], [], False),
    ("opted_out", ESCALATED, [SENT], [], True),                 # not about the case's state
]


@pytest.mark.parametrize("template, status, escalations, sent, expected", STILL_TRUE)
def test_a_queued_sms_is_sent_only_while_it_is_still_true(template, status, escalations, sent, expected):
    case = _case(status, closed_at=TEN if status is CLOSED else None)
    partners = [_escalation(f"org{n}", s) for n, s in enumerate(escalations)]
    assert sms.still_true(template, case, partners, sent) is expected


def test_consent_is_no_longer_asked_once_confirmed():
    assert sms.still_true("consent", _case(**CONFIRMED), []) is False


def test_by_day_each_sms_leaves_right_after_its_change():
    """Created at 10:00, answered at 11:00: each is true when it leaves, both are sent."""
    assert sms.still_true("case_created", _case(), [])
    answered = _case(CaseStatus.ANSWERED)
    assert sms.still_true("answered", answered, [_escalation("caf", ANSWERED)], [("case_created", NINE)])


@pytest.mark.parametrize("sent, expected", [
    ([], "closed_standalone"),                        # the usager never received the reference
    ([("case_created", NINE)], "closed"),
])
def test_the_closing_stands_on_its_own_when_no_sms_of_the_case_reached_the_usager(sent, expected):
    assert sms.current_form("closed", _case(CLOSED, closed_at=TEN), [], sent) == expected
    assert sms.current_form("answered", _case(CLOSED, closed_at=TEN), [], sent) is None


# --- SUIVI: the status in plain words (issue 25) ----------------------------------------------------

@pytest.mark.parametrize("status, escalations, expected", [
    (CaseStatus.OPEN, [], "follow_up_open"),
    (ESCALATED, [SENT], "follow_up_escalated"),
    (ESCALATED, [ASKED], "follow_up_needs_info"),
    (CaseStatus.ANSWERED, [ASKED, ANSWERED], "follow_up_needs_info"),    # one partner still waits
    (CaseStatus.ANSWERED, [ANSWERED], "follow_up_answered"),
    (CLOSED, [ASKED], "follow_up_closed"),
])
def test_the_follow_up_says_where_the_case_stands(status, escalations, expected):
    partners = [_escalation(f"org{n}", s) for n, s in enumerate(escalations)]
    assert sms.follow_up_form(_case(status), partners) == expected


@pytest.mark.parametrize("template", sorted(t for t in sms.TEMPLATES if t.startswith("follow_up_")))
def test_the_follow_up_names_the_case_in_words_never_the_usager(template):
    text = sms.render(template, ref=WORST_REF, point=LONGEST_POINT, day="24/11", about="CAF")
    assert sms.segments(text) == 1 and "Jeanne" not in text and "RSA" not in text
    short = sms.render(template, ref=WORST_REF, point="Mairie de Bretoncelles", day="24/11", about="CAF")
    assert " du 24/11 (CAF)" in short, short


def test_the_no_case_answer_is_one_segment_and_names_nobody():
    text = sms.render_no_case()
    assert sms.is_gsm7(text) and sms.segments(text) == 1
    assert "aucune demande" in text and "{" not in text
