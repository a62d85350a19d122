"""Services Publics+ experiences at the service level, on DynamoDB Local: posted and scrubbed,
rate-limited, moderated (published, edited, refused), routed to the most local responder
team, answered and the answer moderated, listed by facet; filed from a case (SMS, phone)."""
from __future__ import annotations

import pytest

from chalicelib.domain.authz import Principal
from chalicelib.domain.commands import ExperienceModeration, ExperiencePost
from chalicelib.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound, TooManyRequests
from chalicelib.domain.models import ExperienceChannel, ModerationStatus, ResponderLevel, Role
from chalicelib.services import experiences
from chalicelib.services.experiences import Filters
from tests.clock import TUESDAY_MORNING
from tests.conftest import CASE, whole_table

pytestmark = pytest.mark.instant(TUESDAY_MORNING)

COORDINATOR_61 = Principal("coord-61", Role.COORDINATOR, territory_codes=frozenset({"61"}))
MODERATOR_61 = Principal("mod-61", Role.MODERATOR, territory_codes=frozenset({"61"}))
MODERATOR_62 = Principal("mod-62", Role.MODERATOR, territory_codes=frozenset({"62"}))
CAF_61 = Principal("caf-61", Role.RESPONDER, group_ids=frozenset({"caf-61-experiences"}))
AGENT = Principal("agent-1", Role.AGENT, point_ids=frozenset({"61-mairie-bretoncelles"}))
TEXT = ("Ma prime d'activité est bloquée depuis trois mois. J'ai appelé au 06 12 34 56 78 sans "
        "réponse, mon numéro allocataire 1234567. Madame Lefèvre de la CAF n'a pas rappelé.")
PUBLISH = ExperienceModeration(decision="publish")


def post(demo, address="198.51.100.7", **fields):
    body = {"territory_code": "61", "organisation_id": "caf", "situation": "precarite",
            "sentiment": "negative", "procedure": "Prime d'activité", "text": TEXT,
            "contact_email": "jeanne.martin@example.org", **fields}
    return experiences.post_public(demo, ExperiencePost(**body), client_address=address)


def test_a_posted_experience_keeps_only_its_scrubbed_text_and_waits_for_moderation(demo):
    before = {str(item) for item in whole_table(demo)}
    experience = post(demo)
    assert experience.status is ModerationStatus.PENDING and experience.channel is ExperienceChannel.WEB
    assert "06 12" not in experience.text and "1234567" not in experience.text
    assert "Lefèvre" not in experience.text and "[téléphone retiré]" in experience.text
    assert set(experience.removed) >= {"phone", "file_number", "name"}
    stored = str([item for item in whole_table(demo) if str(item) not in before])
    assert "EXPERIENCE_POSTED" in stored
    assert "06 12 34 56 78" not in stored and "1234567" not in stored and "Lefèvre" not in stored
    page = experiences.moderation_queue(demo, MODERATOR_61, "61")
    assert [e.id for e in page.items] == [experience.id]
    assert experiences.published(demo, Filters()).items == []          # nothing unmoderated is public


def test_posting_is_limited_per_address_and_hour(demo):
    for _ in range(demo.settings.experience_posts_per_hour):
        post(demo)
    with pytest.raises(TooManyRequests):
        post(demo)
    post(demo, address="203.0.113.9")                                   # another address still posts
    assert "198.51.100.7" not in str(whole_table(demo))


def test_an_unknown_organisation_or_a_desk_field_is_refused_and_nothing_is_written(demo):
    before = len(whole_table(demo))
    with pytest.raises(InvalidInput) as error:
        post(demo, organisation_id="inconnu")
    assert error.value.field == "organisation_id"
    with pytest.raises(InvalidInput) as error:
        post(demo, point_id="61-mairie-bretoncelles")
    assert error.value.field == "point_id"
    assert len(whole_table(demo)) == before


def test_publishing_routes_to_the_most_local_team_and_sets_the_week_deadline(demo):
    caf = experiences.moderate(demo, MODERATOR_61, post(demo).id, PUBLISH)
    assert caf.team_id == "caf-61-experiences" and caf.level is ResponderLevel.LOCAL
    assert (caf.due_at - caf.published_at).days == 7
    cpam = experiences.moderate(demo, COORDINATOR_61, post(demo, organisation_id="cpam").id, PUBLISH)
    assert cpam.team_id == "cpam-normandie-experiences" and cpam.level is ResponderLevel.REGIONAL
    dgfip = experiences.moderate(demo, MODERATOR_61, post(demo, organisation_id="dgfip").id, PUBLISH)
    assert dgfip.level is ResponderLevel.NATIONAL
    nobody = experiences.moderate(demo, MODERATOR_61, post(demo, organisation_id=None).id, PUBLISH)
    assert nobody.team_id is None                                      # the territory's coordination
    inbox = experiences.team_inbox(demo, CAF_61, "caf-61-experiences", "61")
    assert [e.id for e in inbox.items] == [caf.id]
    coordination = experiences.team_inbox(demo, COORDINATOR_61, None, "61")
    assert [e.id for e in coordination.items] == [nobody.id]


def test_moderation_belongs_to_the_territory_and_happens_once(demo):
    experience = post(demo)
    with pytest.raises(NotAllowed):
        experiences.moderate(demo, MODERATOR_62, experience.id, PUBLISH)
    with pytest.raises(NotAllowed):
        experiences.moderate(demo, AGENT, experience.id, PUBLISH)
    refused = experiences.moderate(demo, MODERATOR_61, experience.id,
                                   ExperienceModeration(decision="refuse", reason="abuse"))
    assert refused.status is ModerationStatus.REFUSED and refused.refusal.value == "abuse"
    with pytest.raises(Conflict):
        experiences.moderate(demo, MODERATOR_61, experience.id, PUBLISH)
    assert experiences.moderation_queue(demo, MODERATOR_61, "61").items == []
    with pytest.raises(NotFound):
        experiences.get_published(demo, experience.id)


def test_a_moderator_edits_out_and_the_edit_is_scrubbed_again(demo):
    experience = post(demo)
    edited = experiences.moderate(demo, MODERATOR_61, experience.id, ExperienceModeration(
        decision="publish", text="Ma prime d'activité est bloquée depuis trois mois, écrire à a@b.fr"))
    assert edited.edited and "a@b.fr" not in edited.text


def test_the_answer_is_moderated_then_published_beside_the_experience(demo):
    experience = experiences.moderate(demo, MODERATOR_61, post(demo).id, PUBLISH)
    with pytest.raises(NotFound):
        experiences.answer(demo, Principal("x", Role.RESPONDER, group_ids=frozenset({"cpam-normandie-experiences"})),
                           experience.id, "Nous avons regardé votre dossier.")
    answered = experiences.answer(demo, CAF_61, experience.id,
                                  "Votre dossier est débloqué, appelez le 01 23 45 67 89 si besoin.")
    assert answered.answer_status is ModerationStatus.PENDING and "01 23" not in answered.answer
    assert experiences.get_published(demo, experience.id).answer_status is ModerationStatus.PENDING
    assert [e.id for e in experiences.moderation_queue(demo, MODERATOR_61, "61", answers=True).items] == [experience.id]
    published = experiences.moderate_answer(demo, MODERATOR_61, experience.id, PUBLISH)
    assert published.answer_status is ModerationStatus.PUBLISHED
    assert experiences.moderation_queue(demo, MODERATOR_61, "61", answers=True).items == []
    assert experiences.team_inbox(demo, CAF_61, "caf-61-experiences", "61").items == []
    assert [e.id for e in experiences.team_inbox(demo, CAF_61, "caf-61-experiences", "61",
                                                 answered=True).items] == [experience.id]


def test_published_experiences_are_listed_by_facet_and_filter(demo):
    caf = experiences.moderate(demo, MODERATOR_61, post(demo).id, PUBLISH)
    cpam = experiences.moderate(demo, MODERATOR_61, post(demo, organisation_id="cpam", sentiment="positive",
                                                        situation="sante", procedure="Carte Vitale").id, PUBLISH)
    post(demo)                                                          # pending: never listed

    def ids(**filters):
        return {e.id for e in experiences.published(demo, Filters(**filters)).items}
    assert ids() == {caf.id, cpam.id} == ids(territory_code="61")
    assert ids(organisation_id="caf") == {caf.id} and ids(territory_code="61", organisation_id="cpam") == {cpam.id}
    assert ids(sentiment="positive") == {cpam.id} and ids(situation="precarite") == {caf.id}
    assert ids(procedure="carte vitale") == {cpam.id} and ids(territory_code="62") == set()
    first = experiences.published(demo, Filters(), limit=1)
    second = experiences.published(demo, Filters(), limit=1, cursor=first.cursor)
    assert {first.items[0].id, second.items[0].id} == {caf.id, cpam.id}


def test_an_opinion_from_a_case_carries_its_place_and_nothing_personal(demo):
    from chalicelib.domain.commands import CaseCreate
    from chalicelib.services import cases

    agent = Principal("agent-1", Role.AGENT, point_ids=frozenset({"61-mairie-bretoncelles"}))
    view = cases.create_case(demo, agent, CaseCreate(**CASE))
    case = demo.repo.get_case(view.ref)
    experience = experiences.file_from_case(demo, case, "Merci Jeanne Martin ici, très bien reçue !",
                                            ExperienceChannel.SMS)
    assert experience.point_id == case.point_id and experience.territory_code == "61"
    assert experience.situation is case.situation and experience.contact_phone is None
    assert "Martin" not in experience.text and "Jeanne" not in experience.text
    assert view.ref not in experience.model_dump_json()
    with pytest.raises(InvalidInput):
        experiences.file_from_case(demo, case, " ok ", ExperienceChannel.SMS)


def test_the_contact_for_a_private_reply_is_wiped_after_the_retention_period(demo):
    from datetime import timedelta

    from chalicelib import jobs

    experience = experiences.moderate(demo, MODERATOR_61, post(demo, contact_phone="06 98 76 54 32").id, PUBLISH)
    silent = post(demo, contact_email=None)                              # no contact: no marker
    posted = experience.created_at
    assert demo.repo.get_experience(experience.id).contact_phone == "+33698765432"
    assert jobs.run_inline("retention", demo, posted + timedelta(days=150))["purged"] == 0
    assert jobs.run_inline("retention", demo, posted + timedelta(days=186))["purged"] == 1
    assert jobs.run_inline("retention", demo, posted + timedelta(days=187))["purged"] == 0
    wiped = demo.repo.get_experience(experience.id)
    assert wiped.contact_phone is None and wiped.contact_email is None and wiped.contact_wiped_at
    assert wiped.text == experience.text and wiped.status is ModerationStatus.PUBLISHED
    assert "jeanne.martin@example.org" not in str(whole_table(demo)) and "+33698765432" not in str(whole_table(demo))
    assert demo.repo.get_experience(silent.id).contact_email is None
