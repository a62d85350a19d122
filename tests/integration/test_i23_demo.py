"""The demo's cases (devtools/demo_cases.py, issue 23 point 0): seeded through the services,
every state a role's list is for is there, dated in the past, and the previous quarter's
results are published."""
from __future__ import annotations

import pytest

from chalicelib.domain import deadlines
from chalicelib.domain.authz import Principal
from chalicelib.domain.events import EventCode
from chalicelib.domain.models import CaseStatus, EscalationStatus, Outcome
from devtools import demo_cases
from tests.clock import STACK_INSTANT

pytestmark = [pytest.mark.instant(STACK_INSTANT), pytest.mark.outbox]


def test_the_demo_seed(demo):
    """One seed (some 12 s alone, 40 s beside another worker) checked three ways."""
    now = demo.now()
    seeded = now, demo_cases.seed_and_settle(demo, now)
    every_state_is_seeded_through_the_services_in_the_past(demo, seeded)
    the_previous_quarter_is_published(demo, seeded)
    the_demo_experiences_fill_every_list_of_the_public_side(demo, seeded)


def principal(deps, email: str) -> Principal:
    user = deps.repo.get_user_by_email(email)
    assert user is not None, email
    return Principal.of(user)


def every_state_is_seeded_through_the_services_in_the_past(demo, seeded):
    from chalicelib.services import cases, oversight

    now, result = seeded
    assert list(result.live) == [state for state, _ in demo_cases.STATES]
    bundles = {state: demo.repo.get_bundle(ref) for state, ref in result.live.items()}
    for state, bundle in bundles.items():
        case = bundle.case
        assert case.point_id == demo_cases.DEMO_POINT, state
        assert case.created_at < now and case.updated_at <= now, state
        # Through the services: each case has its audit trail, the first event its creation.
        codes = [e.code for e in sorted(bundle.events, key=lambda e: e.at)]
        assert codes and codes[0] is EventCode.CASE_CREATED, (state, codes)

    def escalation(state: str):
        [only] = bundles[state].escalations.values()
        return only

    # Deterministic: the same fictional usager for each story on every run.
    assert bundles["open"].case.usager == demo_cases.people(1)[0]
    assert bundles["open"].case.status is CaseStatus.OPEN and not bundles["open"].escalations
    assert bundles["desk_closed"].case.outcome is Outcome.SOLVED_AT_DESK
    assert bundles["partner_closed"].case.outcome is Outcome.SOLVED_WITH_PARTNER
    for state in ("waiting", "due_soon", "late_manager", "late_coordinator", "info_supplied"):
        assert escalation(state).status is EscalationStatus.SENT, state
    assert deadlines.lateness(escalation("waiting").due_at, now) is None
    assert deadlines.lateness(escalation("due_soon").due_at, now) == "due_soon"
    stages = {stage.name: stage for stage in demo.settings.ladder}
    from chalicelib.domain.ladder import stage_time

    manager, coordinator = escalation("late_manager"), escalation("late_coordinator")
    assert stage_time(stages["manager"], manager.due_at, "61") <= now < stage_time(stages["coordinator"], manager.due_at, "61")
    assert stage_time(stages["coordinator"], coordinator.due_at, "61") <= now
    assert escalation("needs_info").status is EscalationStatus.NEEDS_INFO
    assert EventCode.ESCALATION_NEEDS_INFO in {e.code for e in bundles["info_supplied"].events}
    assert bundles["answered"].case.status is CaseStatus.ANSWERED
    assert escalation("handed_back").status is EscalationStatus.WRONG_RECIPIENT
    # Documents went through the attachment service: in the thread, and readable from S3.
    for state in ("waiting", "info_supplied"):
        documents = [a for m in bundles[state].messages for a in m.attachments]
        assert [d.content_type for d in documents] == ["application/pdf"], state
        assert demo.documents.read(documents[0].key) == demo_cases.PDF

    # What each role's list shows.
    agent = principal(demo, demo_cases.DEMO_AGENT)
    listed = {status: {c.ref for c in cases.list_cases(demo, agent, None, status, 200, None).items}
              for status in CaseStatus}
    assert result.live["open"] in listed[CaseStatus.OPEN] and result.live["handed_back"] in listed[CaseStatus.OPEN]
    assert result.live["late_coordinator"] in listed[CaseStatus.ESCALATED]
    assert result.live["answered"] in listed[CaseStatus.ANSWERED]
    assert result.live["desk_closed"] in listed[CaseStatus.CLOSED]
    referent = principal(demo, demo_cases.DEMO_REFERENT)
    for status in (EscalationStatus.SENT, EscalationStatus.NEEDS_INFO, EscalationStatus.ANSWERED):
        assert cases.referent_queue(demo, referent, None, status, 50, None).items, status
    overview = oversight.territory_overview(demo, principal(demo, "coordination.61@example.org"), "61")
    late = {e.case_ref for e in overview.late}
    assert {result.live["late_manager"], result.live["late_coordinator"]} <= late
    assert result.live["due_soon"] not in late


def the_previous_quarter_is_published(demo, seeded):
    from chalicelib.services import results

    now, result = seeded
    assert result.quarter == "2026-T3" and len(result.quarter_refs) >= 10
    assert all(demo.repo.get_case(ref).status is CaseStatus.CLOSED for ref in result.quarter_refs)
    published = results.publication(demo, result.quarter, now)
    national = published.figures("national", "FR")
    assert national.cases == len(result.quarter_refs) and national.ontime_rate is not None
    assert national.desk_rate is not None and national.median_hours is not None
    territory = published.figures("territory", "62")
    assert territory.cases is not None and territory.escalations is not None
    groups = [g for g in published.scopes("group") if published.figures("group", g).ontime_rate is not None]
    points = [p for p in published.scopes("point") if published.figures("point", p).cases is not None]
    assert groups and points, (groups, points)


def the_demo_experiences_fill_every_list_of_the_public_side(demo, seeded):
    """Issue 25: `make run` shows experiences waiting for the moderator, in the teams' inboxes,
    answered in public; the refused one and the contact details never public."""
    from chalicelib.domain.models import ExperienceChannel, ModerationStatus
    from chalicelib.services import experiences
    from tests.conftest import outbox

    now, _ = seeded
    moderator = principal(demo, demo_cases.DEMO_MODERATOR)
    waiting = experiences.moderation_queue(demo, moderator, "61").items
    fates = [fate for *_, fate, _ in demo_cases.EXPERIENCES]
    assert len(waiting) == fates.count("waiting")
    assert all("06 12 34 56 78" not in e.text for e in waiting)            # scrubbed on posting
    assert [e.procedure for e in experiences.moderation_queue(demo, moderator, "61", answers=True).items] == [
        "Aide au logement"]
    public = experiences.published(demo, experiences.Filters(territory_code="61"), limit=50).items
    assert len(public) == fates.count("published") + fates.count("answered") + fates.count("public")
    assert all(e.published_at and e.published_at < now for e in public)
    answered = [e for e in public if e.answer_status is ModerationStatus.PUBLISHED]
    assert sorted(e.procedure for e in answered) == ["Déclaration de revenus", "Prime d'activité"]
    assert any(e.channel is ExperienceChannel.DESK for e in answered)
    cpam = principal(demo, "reponses.cpam-normandie@example.org")
    inbox = experiences.team_inbox(demo, cpam, "cpam-normandie-experiences", "61").items
    assert [e.procedure for e in inbox] == ["Carte Vitale"]
    # The team with an experience still to answer was emailed (the others had answered before
    # the outbox ran: no stale email); the usagers who left an address, of the published answers.
    sent_to = {address for mail in outbox() for address in mail["to"]}
    assert {"reponses.cpam-normandie@example.org", "usager.0@example.org", "usager.1@example.org"} <= sent_to
