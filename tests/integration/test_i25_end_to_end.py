"""Issue 25 end to end, through the pages and the email loop as people use them: a usager posts
an experience on the public form; its personal data is scrubbed; the Orne's moderator publishes
it; it is routed to the CAF de l'Orne's team, which is emailed; the team answers by replying to
that email (real MIME, quotes and all); the moderator publishes the answer; the experience and its
answer are public, in the open data and the usager is told at the address they left, which no
public page shows."""
from __future__ import annotations

import pytest

from chalicelib.domain.models import ModerationStatus, ResponderLevel
from tests.clock import TUESDAY_MORNING
from tests.conftest import outbox
from tests.integration.test_experience_email import drain, post_inbound, reply, team_emails
from tests.integration.test_pages import Browser, text

pytestmark = [pytest.mark.outbox, pytest.mark.instant(TUESDAY_MORNING)]

CONTACT = "jeanne.martin@example.org"
STORY = ("Ma prime d'activité est bloquée depuis trois mois. J'ai appelé au 06 12 34 56 78 sans "
         "réponse, mon numéro allocataire 1234567. Madame Lefèvre n'a pas rappelé.")
FORM = {"territory_code": "61", "organisation_id": "caf", "procedure": "Prime d'activité",
        "situation": "precarite", "sentiment": "negative", "text": STORY, "contact_email": CONTACT}
TEAM = "reponses.caf-61@example.org"
ANSWER = "Nous avons débloqué votre prime d'activité : le versement arrive le 5 du mois."


def test_posted_scrubbed_moderated_routed_answered_by_email_and_published(client, demo):
    visitor, moderator = Browser(client, None), Browser(client, "moderation.61@example.org")
    posted = visitor.post("/experiences/nouvelle", FORM)
    assert posted.status_code == 303, text(posted)
    sent = text(visitor.get(posted.headers["Location"]))
    assert "numéro de téléphone" in sent and "nom" in sent              # what was taken out, in words

    [pending] = demo.repo.moderation_queue("61", 20, None).items
    assert "06 12" not in pending.text and "1234567" not in pending.text and "Lefèvre" not in pending.text
    assert pending.id not in visitor.get("/experiences").body.decode()  # nothing unmoderated is public

    queue = text(moderator.get("/moderation/61"))
    assert "Prime d'activité" in queue and CONTACT not in queue
    assert moderator.post(f"/moderation/61/{pending.id}", {"decision": "publish"}).status_code == 303
    routed = demo.repo.get_experience(pending.id)
    assert routed.team_id == "caf-61-experiences" and routed.level is ResponderLevel.LOCAL
    drain(demo)

    [mail] = team_emails(pending.id, "à répondre au plus tard")
    assert mail["to"] == [TEAM] and CONTACT not in mail["text"]
    quoted = "\n".join("> " + line for line in mail["text"].splitlines())
    raw = reply(f"CAF de l'Orne <{TEAM}>", mail["reply_to"],
                f"Bonjour,\n\n{ANSWER}\n\nCordialement,\nLe service\n\n"
                f"Le mar. 10 mars 2026 à 10:12, Relais SP+ <ne-pas-repondre@relais.example.org> a écrit :\n{quoted}\n")
    assert post_inbound(client, raw)["outcome"] == "accepted"
    answered = demo.repo.get_experience(pending.id)
    assert answered.answer_status is ModerationStatus.PENDING and ANSWER in answered.answer
    assert "a écrit" not in answered.answer and "Ma prime" not in answered.answer
    assert ANSWER not in visitor.get(f"/experiences/{pending.id}").body.decode()   # not before moderation

    assert ANSWER in text(moderator.get("/moderation/61?vue=reponses"))
    assert moderator.post(f"/moderation/61/{pending.id}/reponse", {"decision": "publish"}).status_code == 303
    drain(demo)

    page = visitor.get(f"/experiences/{pending.id}")
    assert page.status_code == 200 and ANSWER in text(page) and "Prime d'activité" in text(page)
    listed = visitor.get("/experiences?territoire=61&organisme=caf&ressenti=negative").body.decode()
    assert pending.id in listed and CONTACT not in listed
    data = client.http.get("/experiences/donnees.json?periode=2026-T4")
    assert data.status_code == 200, data.body
    [row] = data.json_body["lignes"]
    assert ANSWER in row["reponse"] and row["organisme"] == "CAF" and row["echelon_reponse"] == "départemental"
    assert "[téléphone retiré]" in row["texte"] and row["repondue"] == "oui"
    assert CONTACT not in data.body.decode()
    [told] = [m for m in outbox() if m["to"] == [CONTACT]]
    assert ANSWER in told["text"] and f"/experiences/{pending.id}" in told["text"]
