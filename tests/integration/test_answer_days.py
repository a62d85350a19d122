"""A referent group's own answer time (`answer_days` in the directory import, 1 to 30 business
days, default 4): an escalation to the group is due at the end of that many business days,
counted in Europe/Paris without weekends and public holidays."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import CASE, login, post_json

PARIS = ZoneInfo("Europe/Paris")
AGENT = "agent.bretoncelles@example.org"
ADMIN = "admin@example.org"
# Three groups of the Orne: one answers in 2 business days, one in 10, one leaves the column
# empty (the default, 4).
GROUPS = (
    "id;organisation_id;territory_code;name;member_emails;shared_mailbox;answer_days;manager_email\n"
    "61-msa-urgences;msa;61;MSA Mayenne-Orne-Sarthe (urgences);referent.61-msa-urgences@example.org;;2;\n"
    "61-banque-de-france;banque-de-france;61;Banque de France (surendettement);referent.61-bdf@example.org;;10;\n"
    "61-mission-locale-perche;mission-locale;61;Mission locale du Perche;referent.61-ml-perche@example.org;;;\n"
)
DAYS = {"61-msa-urgences": 2, "61-banque-de-france": 10, "61-mission-locale-perche": 4}


def import_and_escalate(client) -> dict[str, dict]:
    admin = {**login(client, ADMIN), "Content-Type": "text/csv"}
    response = client.http.post("/api/admin/directory/referent_groups", headers=admin, body=GROUPS.encode())
    assert response.status_code == 200, response.body
    agent = login(client, AGENT)
    ref = post_json(client, agent, "/api/cases", CASE)["ref"]
    seen = post_json(client, agent, f"/api/cases/{ref}/escalations",
                     {"group_ids": list(DAYS), "question": "Pouvez-vous regarder ce dossier ?"})
    return {e["group_id"]: e for e in seen["escalations"]}


# Each case: the instant the agent escalates, then each group's last day to answer.
@pytest.mark.parametrize("due", [
    pytest.param({   # Tuesday 24 November 2026, 10:00 Paris
        "61-msa-urgences": ("2026-11-26", "jeudi 26 novembre"),             # Wed 25, Thu 26
        "61-mission-locale-perche": ("2026-11-30", "lundi 30 novembre"),    # ..., Fri 27, (weekend), Mon 30
        "61-banque-de-france": ("2026-12-08", "mardi 8 décembre"),          # two weekends crossed
    }, marks=pytest.mark.instant("2026-11-24T10:00:00+01:00"), id="november"),
    pytest.param({   # Wednesday 23 December 2026, 10:00 Paris: Christmas and New Year's Day are not counted
        "61-msa-urgences": ("2026-12-28", "lundi 28 décembre"),             # Thu 24, (Fri 25, weekend), Mon 28
        "61-mission-locale-perche": ("2026-12-30", "mercredi 30 décembre"),
        "61-banque-de-france": ("2027-01-08", "vendredi 8 janvier"),        # ..., Thu 31, (Fri 1), Mon 4 ... Fri 8
    }, marks=pytest.mark.instant("2026-12-23T10:00:00+01:00"), id="christmas"),
])
def test_the_due_date_follows_the_groups_answer_days(client, deps, due):
    escalations = import_and_escalate(client)
    assert {g.id: g.answer_days for g in deps.repo.get_groups(DAYS).values()} == DAYS
    for group_id, (day, words) in due.items():
        escalation = escalations[group_id]
        assert (escalation["due_date"], escalation["due_in_words"]) == (day, words), group_id
        # Due at midnight at the end of that day, Paris time.
        midnight = datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(0), tzinfo=PARIS)
        assert datetime.fromisoformat(escalation["due_at"]) == midnight, group_id
        assert deps.repo.get_bundle(escalation["case_ref"]).escalations[group_id].due_at == midnight


@pytest.mark.instant("2026-11-24T10:00:00+01:00")
def test_the_ladder_follows_the_groups_deadline(client):
    """The reminder goes out the business day before each group's own deadline, at 08:00."""
    escalations = import_and_escalate(client)
    ref = escalations["61-msa-urgences"]["case_ref"]

    def run(now: str) -> int:
        response = client.http.post(f"/_dev/run/reminders?now={now.replace('+', '%2B')}")
        assert response.status_code == 200, response.body
        return response.json_body["fired"]

    def stages() -> dict[str, int]:
        from chalicelib import bootstrap

        bundle = bootstrap.deps().repo.get_bundle(ref)
        return {group_id: e.ladder_stage for group_id, e in bundle.escalations.items()}

    assert run("2026-11-25T07:59:00+01:00") == 0
    assert run("2026-11-25T08:00:00+01:00") == 1            # 2 days: due Thursday 26
    assert stages() == {"61-msa-urgences": 1, "61-mission-locale-perche": 0, "61-banque-de-france": 0}
    run("2026-11-27T07:59:00+01:00")                        # 2 days: the breach, at midnight
    assert stages() == {"61-msa-urgences": 2, "61-mission-locale-perche": 0, "61-banque-de-france": 0}
    run("2026-11-27T08:00:00+01:00")                        # 4 days: due Monday 30
    assert stages() == {"61-msa-urgences": 2, "61-mission-locale-perche": 1, "61-banque-de-france": 0}
    run("2026-12-07T07:59:00+01:00")
    assert stages()["61-banque-de-france"] == 0
    run("2026-12-07T08:00:00+01:00")                        # 10 days: due Tuesday 8 December
    assert stages()["61-banque-de-france"] == 1
