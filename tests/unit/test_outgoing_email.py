"""The MIME message Relais sends (adapters/email.py), read back as a mail client reads it."""
from email import policy
from email.parser import BytesParser

import pytest

from chalicelib.adapters.email import OutgoingEmail, build_mime

pytestmark = pytest.mark.instant("2026-11-24T10:00:00+01:00")     # the Date header

SUBJECTS = [
    "[Relais 61-N7K-4QX] CAF de l'Orne demande des informations complémentaires",
    "[Relais 971-A2B-3CD] Direction départementale des finances publiques de la Guadeloupe indique ne "
    "pas être le bon interlocuteur",
    "Rappel : à traiter au plus tard le vendredi 27 novembre",
]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_a_long_french_subject_reads_back_exactly(subject):
    raw = build_mime(OutgoingEmail(to=["agent@mairie.fr"], subject=subject, text="Bonjour"),
                     "Relais SP+ <ne-pas-repondre@relais.example.org>").as_bytes()
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert str(parsed["Subject"]) == subject
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
