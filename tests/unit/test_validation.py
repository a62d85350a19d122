import pytest
from pydantic import ValidationError

from chalicelib.domain.commands import CaseCreate
from chalicelib.domain.models import Identifiers, Usager
from chalicelib.domain.validation import french_errors, normalize_phone


@pytest.mark.parametrize("typed, e164", [
    ("06 12 34 56 78", "+33612345678"),
    ("+33 7 81 23 45 67", "+33781234567"),
    ("0692 12 34 56", "+262692123456"),     # La Réunion, written the national way
    ("0690 12 34 56", "+590690123456"),     # Guadeloupe
    ("+596 696 12 34 56", "+596696123456"),  # Martinique
])
def test_phone_numbers_are_normalised_to_e164(typed, e164):
    assert normalize_phone(typed) == e164


def test_a_landline_cannot_receive_sms_but_is_fine_without():
    with pytest.raises(ValidationError) as error:
        Usager(first_name="Jean", last_name="Dupont", phone="01 45 67 89 12", sms_opt_in=True)
    [problem] = french_errors(error.value.errors())
    assert problem["field"] == "phone" and "fixe" in problem["message"]
    usager = Usager(first_name="Jean", last_name="Dupont", phone="01 45 67 89 12", sms_opt_in=False)
    assert usager.phone == "+33145678912"


@pytest.mark.parametrize("nir, valid", [
    ("1 85 05 78 006 084 91", True),
    ("185057800608437", False),     # wrong key
    ("2 69 05 2A 123 456 19", None),  # Corsica: key computed below
    ("12345", False),
])
def test_nir_key_is_checked(nir, valid):
    if valid is None:
        body = nir.replace(" ", "")[:13]
        key = 97 - int(body.replace("2A", "19")) % 97
        nir = body + f"{key:02d}"
        valid = True
    if valid:
        assert Identifiers(nir=nir).nir == nir.replace(" ", "")
    else:
        with pytest.raises(ValidationError):
            Identifiers(nir=nir)


def test_names_refuse_digits_and_keep_accents_and_hyphens():
    assert Usager(first_name="  Marie-Hélène ", last_name="N'Diaye", phone="0612345678").first_name == "Marie-Hélène"
    with pytest.raises(ValidationError):
        Usager(first_name="R2D2", last_name="X", phone="0612345678")


def test_errors_are_french_and_name_the_field():
    with pytest.raises(ValidationError) as error:
        CaseCreate.model_validate({"point_id": "61-mairie-bretoncelles", "usager": {
            "first_name": "Jean", "last_name": "Dupont", "phone": "0612345678"},
            "situation": "loisirs", "description": "", "consent_attested": False})
    problems = {p["field"]: p["message"] for p in french_errors(error.value.errors())}
    assert set(problems) == {"situation", "description", "consent_attested"}
    assert "Choisissez" in problems["situation"] and "' ou '" in problems["situation"]
    assert problems["description"] == "Ce champ est obligatoire."
    assert "accord" in problems["consent_attested"]
