"""Services Publics+ experiences by email (issue 25), on DynamoDB Local and moto: the team is
emailed when an experience is published, answers by replying (the referents' inbound pipeline:
token, verdicts, quarantine, quote stripping, replay guard), is reminded by the ladder, and the
usager who left a contact hears of the published answer (email, or one SMS)."""
from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from chalicelib.domain.authz import Principal
from chalicelib.domain.commands import ExperienceModeration, ExperiencePost
from chalicelib.domain.models import ModerationStatus, Role
from chalicelib.services import experiences
from tests.clock import TUESDAY_MORNING
from tests.conftest import outbox

pytestmark = [pytest.mark.outbox, pytest.mark.instant(TUESDAY_MORNING)]

MODERATOR_61 = Principal("mod-61", Role.MODERATOR, territory_codes=frozenset({"61"}))
TEAM = "reponses.caf-61@example.org"
COORDINATION = "coordination.61@example.org"
CONTACT = "jeanne.martin@example.org"
TEXT = ("Ma prime d'activité est bloquée depuis trois mois. J'ai appelé au 06 12 34 56 78 sans "
        "réponse, mon numéro allocataire 1234567.")
REPLY_TO = re.compile(r"^reponse\+([a-z2-7]{26})@in\.relais\.example\.org$")
PUBLISH = ExperienceModeration(decision="publish")


def drain(deps) -> None:
    """What the dev stage does after each request: the table's stream, then the SMS queue."""
    from chalicelib.dev import queue_drain, streams
    from chalicelib.routes import events

    streams.drain(deps, events.handle_stream_event, written=True)
    queue_drain.drain(deps, deps.settings.sms_queue, events.handle_sms_event)


def publish(deps, **fields):
    body = {"territory_code": "61", "organisation_id": "caf", "situation": "precarite",
            "sentiment": "negative", "procedure": "Prime d'activité", "text": TEXT,
            "contact_email": CONTACT, **fields}
    posted = experiences.post_public(deps, ExperiencePost(**body), client_address="198.51.100.7")
    published = experiences.moderate(deps, MODERATOR_61, posted.id, PUBLISH)
    drain(deps)
    return published


def team_emails(experience_id: str, words: str = "") -> list[dict]:
    return [m for m in outbox() if m["channel"] == "email"
            and (m.get("headers") or {}).get("X-Relais-Experience") == experience_id
            and words in (m["subject"] or "")]


def reply(sender: str, to: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "RE: Expérience d'un usager"
    message["Message-ID"] = make_msgid(domain="example.org")
    message.set_content(body)
    return bytes(message)


def post_inbound(client, raw: bytes, **query) -> dict:
    suffix = "&".join(f"{k}={v}" for k, v in query.items())
    response = client.http.post(f"/_dev/inbound-email{'?' + suffix if suffix else ''}",
                                headers={"Content-Type": "message/rfc822"}, body=raw)
    assert response.status_code == 200, response.body
    return response.json_body


def token_of(experience_id: str) -> str:
    [mail] = team_emails(experience_id, "à répondre au plus tard")
    return REPLY_TO.match(mail["reply_to"]).group(1)


# --- published: the team is told -----------------------------------------------------------

def test_a_published_experience_emails_its_team_once_with_a_reply_address(client, deps):
    experience = publish(deps)
    [mail] = team_emails(experience.id)
    assert mail["to"] == [TEAM]
    assert mail["subject"] == "Expérience d'un usager : à répondre au plus tard le mardi 1er décembre"
    assert REPLY_TO.match(mail["reply_to"])
    for part in (mail["text"], mail["html"]):
        assert "Ma prime d'activité est bloquée depuis trois mois" in part
        assert "06 12 34 56 78" not in part and "1234567" not in part       # the scrubbed text only
        assert CONTACT not in part                                          # the contact is never sent
        assert f"http://relais.test/reponses/{experience.id}" in part
        assert "mardi 1er décembre" in part
    assert "Répondez simplement à cet e-mail" in mail["text"]
    listed = client.http.get("/api/experiences").body.decode()
    assert experience.id in listed and REPLY_TO.match(mail["reply_to"]).group(1) not in listed


def test_a_replayed_stream_sends_no_second_email(client, deps):
    from chalicelib.dev import streams
    from chalicelib.routes import events

    experience = publish(deps)
    assert streams.replay_all(deps, events.handle_stream_event) > 0
    assert len(team_emails(experience.id)) == 1


def test_without_a_team_the_territory_coordination_is_emailed(client, deps):
    experience = publish(deps, organisation_id=None)
    assert experience.team_id is None
    assert [m["to"] for m in team_emails(experience.id)] == [[COORDINATION]]


def test_a_refused_experience_emails_nobody(client, deps):
    posted = experiences.post_public(deps, ExperiencePost(
        territory_code="61", organisation_id="caf", situation="precarite", sentiment="negative",
        text=TEXT), client_address="198.51.100.7")
    experiences.moderate(deps, MODERATOR_61, posted.id,
                         ExperienceModeration(decision="refuse", reason="off_topic"))
    drain(deps)
    assert team_emails(posted.id) == []


# --- the team replies by email ---------------------------------------------------------------

def test_the_teams_reply_becomes_the_answer_quotes_stripped_and_scrubbed(client, deps):
    experience = publish(deps)
    [mail] = team_emails(experience.id)
    quoted = "\n".join("> " + line for line in mail["text"].splitlines())
    raw = reply(f"CAF de l'Orne <{TEAM}>", mail["reply_to"],
                "Bonjour,\n\nNous avons débloqué le versement, qui arrivera le 5. Appelez Mme Dupont "
                "au 01 23 45 67 89 si besoin.\n\nCordialement,\nLe service\n\n"
                f"Le mar. 24 nov. 2026 à 10:12, Relais SP+ <ne-pas-repondre@relais.example.org> a écrit :\n{quoted}\n")
    result = post_inbound(client, raw)
    assert result["outcome"] == "accepted" and result["experience_id"] == experience.id
    stored = deps.repo.get_experience(experience.id)
    assert stored.answer_status is ModerationStatus.PENDING
    assert "Nous avons débloqué le versement, qui arrivera le 5." in stored.answer
    assert "01 23 45 67 89" not in stored.answer and "Dupont" not in stored.answer
    assert "a écrit" not in stored.answer and "Ma prime" not in stored.answer
    assert stored.next_reminder_at is None
    queue = experiences.moderation_queue(deps, MODERATOR_61, "61", answers=True)
    assert [e.id for e in queue.items] == [experience.id]
    # The same email delivered again is no second answer.
    assert post_inbound(client, raw)["outcome"] == "duplicate"
    assert deps.repo.get_experience(experience.id).version == stored.version


def test_without_a_team_the_coordination_answers_by_email(client, deps):
    experience = publish(deps, organisation_id=None)
    to = f"reponse+{token_of(experience.id)}@in.relais.example.org"
    assert post_inbound(client, reply(TEAM, to, "Une réponse d'ailleurs."))["reason"] == "foreign_sender"
    assert post_inbound(client, reply(COORDINATION, to, "La coordination a relancé le service."))["outcome"] == "accepted"
    assert deps.repo.get_experience(experience.id).answer == "La coordination a relancé le service."


@pytest.mark.parametrize("sender, query, reason", [
    ("inconnu@gmail.com", {}, "foreign_sender"),
    ("referent.61-caf@example.org", {}, "foreign_sender"),        # a CAF referent, not of the team
    (TEAM, {"spf": "FAIL"}, "verdict"),
    (TEAM, {"dmarc": "FAIL"}, "verdict"),
    (TEAM, {"spam": "FAIL"}, "verdict"),
    (TEAM, {"dmarc": "GRAY", "spf": "GRAY"}, "unauthenticated"),
])
def test_a_reply_that_fails_a_check_is_quarantined_and_nothing_is_written(client, deps, sender, query, reason):
    experience = publish(deps)
    before = deps.repo.get_experience(experience.id)
    sent = len(outbox())
    raw = reply(sender, f"reponse+{token_of(experience.id)}@in.relais.example.org", "Réponse douteuse, à publier.")
    result = post_inbound(client, raw, **query)
    assert (result["outcome"], result["reason"]) == ("quarantined", reason)
    after = deps.repo.get_experience(experience.id)
    assert after.answer is None and after.version == before.version
    kept = deps.s3.list_objects_v2(Bucket=deps.settings.mail_bucket, Prefix=f"quarantine/experiences/{experience.id}/")
    assert kept["KeyCount"] == 1
    drain(deps)
    assert len(outbox()) == sent                     # nobody told: no backscatter


def test_a_reply_after_the_answer_is_published_is_refused_politely(client, deps):
    experience = publish(deps)
    to = f"reponse+{token_of(experience.id)}@in.relais.example.org"
    assert post_inbound(client, reply(TEAM, to, "Le versement est débloqué."))["outcome"] == "accepted"
    experiences.moderate_answer(deps, MODERATOR_61, experience.id, PUBLISH)
    result = post_inbound(client, reply(TEAM, to, "Un complément : tout est réglé."))
    assert (result["outcome"], result["reason"]) == ("refused", "experience_answered")
    assert deps.repo.get_experience(experience.id).answer == "Le versement est débloqué."
    drain(deps)
    [notice] = [m for m in outbox() if m["to"] == [TEAM] and "n'a pas été transmis" in (m["subject"] or "")]
    assert "déjà publiée" in notice["text"]


# --- the answer published: the usager is told --------------------------------------------------

def _answer_and_publish(client, deps, experience) -> None:
    to = f"reponse+{token_of(experience.id)}@in.relais.example.org"
    assert post_inbound(client, reply(TEAM, to, "Le versement est débloqué, il arrive le 5."))["outcome"] == "accepted"
    experiences.moderate_answer(deps, MODERATOR_61, experience.id, PUBLISH)
    drain(deps)


def test_the_published_answer_is_emailed_to_the_usagers_contact_once(client, deps, capsys):
    from chalicelib.dev import streams
    from chalicelib.routes import events

    experience = publish(deps)
    _answer_and_publish(client, deps, experience)
    [mail] = [m for m in outbox() if m["to"] == [CONTACT]]
    assert mail["subject"] == "Services Publics+ : une réponse à votre expérience"
    assert "Le versement est débloqué, il arrive le 5." in mail["text"]
    assert f"http://relais.test/experiences/{experience.id}" in mail["text"]
    assert mail["reply_to"] is None
    streams.replay_all(deps, events.handle_stream_event)
    assert len([m for m in outbox() if m["to"] == [CONTACT]]) == 1
    logs = capsys.readouterr()
    assert CONTACT not in logs.out + logs.err


def test_the_published_answer_is_one_sms_to_the_usagers_phone(client, deps):
    from chalicelib.domain import sms

    experience = publish(deps, contact_email=None, contact_phone="06 98 76 54 32")
    _answer_and_publish(client, deps, experience)
    [text] = [m for m in outbox() if m["channel"] == "sms"]
    assert text["to"] == ["+33698765432"]
    assert f"http://relais.test/experiences/{experience.id}" in text["text"]
    assert sms.is_gsm7(text["text"]) and sms.segments(text["text"]) == 1


def test_no_sms_to_a_number_that_said_stop(client, deps):
    from datetime import UTC, datetime

    deps.repo.opt_out("+33698765432", datetime(2026, 11, 1, tzinfo=UTC))
    experience = publish(deps, contact_email=None, contact_phone="06 98 76 54 32")
    _answer_and_publish(client, deps, experience)
    assert [m for m in outbox() if m["channel"] == "sms"] == []


def test_no_contact_no_message(client, deps):
    experience = publish(deps, contact_email=None)
    sent = len(outbox())
    _answer_and_publish(client, deps, experience)
    assert len(outbox()) == sent


# --- the reminder ladder ----------------------------------------------------------------------

def run_reminders(client, deps, now: str) -> int:
    response = client.http.post(f"/_dev/run/reminders?now={now.replace('+', '%2B')}")
    assert response.status_code == 200, response.body
    drain(deps)
    return response.json_body["fired"]


def test_the_ladder_reminds_the_team_before_and_at_the_deadline_then_the_coordination(client, deps):
    experience = publish(deps)                  # at 10:00 (the clock ticks): due Tuesday 1 December, 10:00
    assert run_reminders(client, deps, "2026-11-27T12:00:00+01:00") == 0
    # 1. the business day before the deadline, from 08:00 Paris
    assert run_reminders(client, deps, "2026-11-30T07:59:00+01:00") == 0
    assert run_reminders(client, deps, "2026-11-30T08:00:00+01:00") == 1
    assert run_reminders(client, deps, "2026-11-30T09:00:00+01:00") == 0
    [reminder] = team_emails(experience.id, "Rappel")
    assert reminder["to"] == [TEAM] and REPLY_TO.match(reminder["reply_to"])
    # 2. at the deadline
    assert run_reminders(client, deps, "2026-12-01T09:55:00+01:00") == 0
    assert run_reminders(client, deps, "2026-12-01T10:05:00+01:00") == 1
    assert [m["to"] for m in team_emails(experience.id, "Délai dépassé")] == [[TEAM]]
    # 3. three business days late (end of Friday 4 December): the territory's coordination
    assert run_reminders(client, deps, "2026-12-04T23:00:00+01:00") == 0
    assert run_reminders(client, deps, "2026-12-05T00:00:00+01:00") == 1
    [late] = team_emails(experience.id, "sans réponse")
    assert late["to"] == [COORDINATION] and CONTACT not in late["text"]
    # done: nothing more, ever
    assert run_reminders(client, deps, "2027-01-05T00:00:00+01:00") == 0
    assert len(team_emails(experience.id)) == 4


def test_an_answered_experience_is_not_chased(client, deps):
    experience = publish(deps)
    to = f"reponse+{token_of(experience.id)}@in.relais.example.org"
    post_inbound(client, reply(TEAM, to, "Le versement est débloqué."))
    assert run_reminders(client, deps, "2026-12-05T00:00:00+01:00") == 0
    assert len(team_emails(experience.id)) == 1
