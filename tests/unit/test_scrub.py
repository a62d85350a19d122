"""Personal data taken out of an experience's free text (domain/scrub.py): each kind, the
text around it kept, and ordinary figures (amounts, dates, durations) left alone."""
from __future__ import annotations

import pytest

from chalicelib.domain.scrub import scrub


def nir_with_key(body: str) -> str:
    return body + f"{97 - int(body) % 97:02d}"


NIR = nir_with_key("2850578006084")

REMOVED = [
    ("Appelez-moi au 06 12 34 56 78 svp", "06 12", "phone"),
    ("mon portable +33 6 12 34 56 78", "6 12 34", "phone"),
    ("au 0612345678 le soir", "0612345678", "phone"),
    ("fixe 02.33.12.34.56", "02.33", "phone"),
    ("écrivez à jeanne.martin+caf@gmail.com merci", "jeanne.martin", "email"),
    (f"mon numéro de sécu {NIR[0]} {NIR[1:3]} {NIR[3:5]} {NIR[5:7]} {NIR[7:10]} {NIR[10:13]} {NIR[13:]}", NIR[7:10], "nir"),
    (f"NIR {NIR}", NIR, "nir"),
    ("IBAN FR76 3000 6000 0112 3456 7890 189 pour le virement", "3000 6000", "iban"),
    ("RIB DE89370400440532013000", "DE89", "iban"),
    ("numéro allocataire 1234567", "1234567", "file_number"),
    ("mon dossier CAF n° 7654321 est bloqué", "7654321", "file_number"),
    ("la référence 61-2026-00012 du dossier", "00012", "number"),
    ("J'habite 12 bis rue des Lilas, 61000 Alençon depuis 2019", "Lilas", "address"),
    ("au 3 avenue du Général de Gaulle", "Gaulle", "address"),
    ("Madame Lefèvre ne m'a pas rappelé", "Lefèvre", "name"),
    ("M. Dupont-Moreau était absent", "Dupont-Moreau", "name"),
    ("je m'appelle Jeanne Martin et", "Martin", "name"),
    ("mon fils Kevin attend sa bourse", "Kevin", "name"),
    ("Cordialement, Paul Durand", "Durand", "name"),
    ("Jean DUPONT est passé", "DUPONT", "name"),
]


@pytest.mark.parametrize(("text", "secret", "kind"), REMOVED)
def test_each_kind_of_personal_data_is_taken_out_and_named(text, secret, kind):
    result = scrub(text)
    assert secret not in result.text, result.text
    assert kind in result.removed, result.removed


KEPT = [
    "La CAF de l'Orne a mis 3 mois à répondre, j'ai reçu 1 250 € le 12/03/2026.",
    "Le RSA est versé le 5 du mois, merci à France Services de Mortagne.",
    "Il faut me rappeler avant le 15 mai : 2 enfants, 45 jours d'attente.",
    "M. le maire et Mme la directrice ont été très aimables.",
    "J'ai attendu 20 minutes au guichet de la CPAM, l'agent était très gentil.",
]


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_words_and_figures_stay(text):
    result = scrub(text)
    assert result.text == text and result.removed == ()


def test_the_names_a_case_knows_are_taken_out_wherever_they_are():
    result = scrub("Merci de la part de jeanne martin-dupré, très contente", ("Jeanne", "Martin-Dupré"))
    assert "jeanne" not in result.text.lower() and "dupré" not in result.text.lower()
    assert result.removed == ("name",)


def test_an_invalid_nir_key_is_still_removed_as_a_number():
    body = "2850578006084"
    wrong = body + f"{(97 - int(body) % 97 + 1) % 97:02d}"
    result = scrub(f"numéro {wrong} merci")
    assert wrong not in result.text and result.removed


def test_a_long_text_is_bounded():
    result = scrub("06 12 34 56 78 " * 3000)
    assert "06 12" not in result.text[:1000]
