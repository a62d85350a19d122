"""AVIS by SMS (issue 25), through `/_dev/inbound-sms` and the real table: an opinion is filed as
an experience and thanked with one SMS at once; a mark with words after the satisfaction
question counts, and its words are filed too (and still reach the agent). Every refusal path:
« AVIS » alone, « AVIS 4 », STOP, an unknown number, the daily limit, a replay."""
from __future__ import annotations

import pytest

from tests.clock import TUESDAY_MORNING
from tests.integration.test_sms import PHONE, TUESDAY_21H, create, inbound, set_clock, texts
from tests.integration.test_sms_replies import agent, close  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.outbox, pytest.mark.instant(TUESDAY_MORNING)]


@pytest.fixture
def filed(monkeypatch) -> list[dict]:
    """The experiences filed, at their one call site (services/opinions.file_experience)."""
    from chalicelib.services import opinions

    calls: list[dict] = []

    def record(deps, case, text, channel, *, sentiment=None, author_id=None):
        calls.append({"ref": case.ref, "text": text, "channel": channel, "sentiment": sentiment,
                      "author_id": author_id})

    monkeypatch.setattr(opinions, "file_experience", record)
    return calls


def thanks() -> list[str]:
    return [t["text"] for t in texts() if "merci pour votre avis" in t["text"]]


def thread(client, agent, ref: str) -> list[str]:  # noqa: F811
    return [m["body"] for m in client.http.get(f"/api/cases/{ref}", headers=agent).json_body["messages"]]


def test_avis_is_filed_thanked_at_once_and_not_posted_to_the_agent(client, agent, deps, filed):  # noqa: F811
    from chalicelib.domain import sms

    ref = create(client, agent)
    set_clock(TUESDAY_21H)                                  # quiet hours: the usager just wrote
    result = inbound(client, "Avis : accueil très agréable, merci Mme Martin !")
    assert result == {"outcome": "opinion", "case_ref": ref, "opinion": "filed"}
    assert filed == [{"ref": ref, "text": "accueil très agréable, merci Mme Martin !", "channel": "sms",
                      "sentiment": None, "author_id": None}]
    [text] = thanks()
    assert ref in text and sms.is_gsm7(text) and sms.segments(text) == 1 and "Martin" not in text
    assert thread(client, agent, ref) == []
    assert [e.code for e in deps.repo.get_bundle(ref).events if e.code.startswith("SMS_OPINION")] == ["SMS_OPINION"]


def test_a_mark_with_words_after_the_question_counts_and_its_words_are_filed(client, agent, deps, filed):  # noqa: F811
    ref = create(client, agent)
    close(client, agent, ref)
    result = inbound(client, "4 merci, très bien reçu")
    assert result == {"outcome": "satisfaction", "case_ref": ref, "opinion": "filed"}
    assert deps.repo.get_case(ref).satisfaction == 4
    assert [f["text"] for f in filed] == ["4 merci, très bien reçu"]
    assert thread(client, agent, ref) == ["4 merci, très bien reçu"]        # the agent still reads it
    assert len(thanks()) == 1


def test_avis_with_a_mark_on_a_closed_case_records_both_words_not_in_the_thread(client, agent, deps, filed):  # noqa: F811
    ref = create(client, agent)
    close(client, agent, ref)
    assert inbound(client, "AVIS 5 super accueil")["outcome"] == "satisfaction"
    assert deps.repo.get_case(ref).satisfaction == 5
    assert [f["text"] for f in filed] == ["5 super accueil"] and thread(client, agent, ref) == []


@pytest.mark.parametrize("written, outcome", [("AVIS 4", "satisfaction"), ("5", "satisfaction"),
                                              ("4 très bien", "satisfaction"), ("avis", "message"),
                                              ("3 ou 4", "message")])
def test_a_mark_alone_or_avis_alone_is_no_opinion(client, agent, deps, filed, written, outcome):  # noqa: F811
    ref = create(client, agent)
    close(client, agent, ref)
    assert inbound(client, written) == {"outcome": outcome, "case_ref": ref}
    assert filed == [] and thanks() == []


def test_words_without_a_mark_and_without_avis_still_go_to_the_agent_only(client, agent, filed):  # noqa: F811
    ref = create(client, agent)
    close(client, agent, ref)
    assert inbound(client, "J'ai encore une question sur mes papiers") == {"outcome": "message", "case_ref": ref}
    assert filed == [] and thanks() == []


def test_stop_is_never_an_opinion_and_an_opted_out_number_is_filed_but_not_thanked(client, agent, filed):  # noqa: F811
    ref = create(client, agent)
    assert inbound(client, "avis stop")["outcome"] == "opted_out"
    assert filed == []
    assert inbound(client, "AVIS très bonne écoute") == {"outcome": "opinion", "case_ref": ref, "opinion": "filed"}
    assert len(filed) == 1 and thanks() == []


def test_an_unknown_number_s_avis_is_ignored(client, agent, filed):  # noqa: F811
    assert inbound(client, "AVIS très bien", sender="+33611111111") == {"outcome": "unknown_number"}
    assert filed == [] and texts() == []


def test_a_replay_files_and_thanks_once_and_the_daily_limit_applies(client, agent, filed):  # noqa: F811
    from chalicelib import bootstrap
    from chalicelib.services import sms

    ref = create(client, agent)
    d = bootstrap.deps()
    assert sms.receive(d, PHONE, "AVIS bon accueil", "in-1")["opinion"] == "filed"
    assert sms.receive(d, PHONE, "AVIS bon accueil", "in-1") == {"outcome": "duplicate", "case_ref": ref,
                                                                 "opinion": "filed"}
    assert len(filed) == 1 and len(thanks()) == 1
    assert sms.receive(d, PHONE, "SUIVI", "in-2")["outcome"] == "follow_up"        # SUIVI shares the limit
    assert sms.receive(d, PHONE, "AVIS encore merci", "in-3")["opinion"] == "filed"
    assert sms.receive(d, PHONE, "AVIS et encore", "in-4")["opinion"] == "limited"
    assert len(filed) == 2 and len(thanks()) == 2


# --- end to end: the experience as the core stores it ----------------------------------------------

def pending_experiences(deps) -> list:
    from chalicelib.domain.authz import Principal
    from chalicelib.domain.models import Role
    from chalicelib.services import experiences

    moderator = Principal("mod-61", Role.MODERATOR, territory_codes=frozenset({"61"}))
    return experiences.moderation_queue(deps, moderator, "61").items


def test_an_sms_opinion_is_stored_scrubbed_with_the_case_s_point_and_situation_only(client, agent, deps):  # noqa: F811
    ref = create(client, agent)
    close(client, agent, ref)
    result = inbound(client, "4 merci Jeanne Martin, très bien reçue")
    assert result == {"outcome": "satisfaction", "case_ref": ref, "opinion": "filed"}
    result = inbound(client, "AVIS Jeanne Martin: on m'a rappelée au 06 12 34 56 78, parfait")
    assert result == {"outcome": "opinion", "case_ref": ref, "opinion": "filed"}
    marked, said = sorted(pending_experiences(deps), key=lambda e: e.id)
    case = deps.repo.get_case(ref)
    for experience in (marked, said):
        assert experience.channel == "sms" and experience.point_id == case.point_id
        assert experience.territory_code == case.territory_code and experience.situation == case.situation
        for personal in ("Jeanne", "Martin", "06 12 34 56 78", ref, PHONE):
            assert personal not in experience.text and personal not in experience.model_dump_json()
        assert experience.contact_phone is None and experience.contact_email is None
    assert marked.sentiment == "positive"                           # from the mark, 4
    assert "très bien reçue" in marked.text and "parfait" in said.text


def test_a_too_short_avis_is_neither_filed_nor_thanked(client, agent, deps):  # noqa: F811
    ref = create(client, agent)
    assert inbound(client, "AVIS ok") == {"outcome": "opinion", "case_ref": ref, "opinion": "too_short"}
    assert pending_experiences(deps) == [] and thanks() == []
