"""A territory-year in DynamoDB Local: the cost per request stays flat as the data grows.

About 30,000 cases over a year at the Perche's 8 contact points (the demo directory), each
with its lookups (name, phone), events, and for 60 % an escalation to one of the territory's
16 partners with its messages; the results cells they add up to. The data is loaded at 10 %
(every tenth case, so the year keeps its shape), measured, then at 100 %, measured again:

- the agent's dashboard (GET /tableau-de-bord): the cases waiting for a partner, and the
  closed ones (thousands: the first page);
- the referent's queue (GET /file);
- the reminder sweep (the hourly job), in units per escalation it acts on;
- the public results page (GET /resultats), as prod serves it: from the period's published
  document in S3 (RELAIS_RESULTS_CACHE_SECONDS=600), built by the view before.

Each figure is the read capacity DynamoDB Local reports for the whole request; for the public
page, plus the S3 bytes it reads, counted as DynamoDB counts reads (a unit per 4 KB). Goal: the
ratio 100 % / 10 % close to 1 (flat); for a list, per row shown, since the 10 % load may not
fill a page that the 100 % load fills (a list reads one page, never the partition).
"""
from __future__ import annotations

import dataclasses
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Meter, figure, local_aws, record, session_cookie  # noqa: E402

CASES = 30_000
YEAR_END = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
YEAR = timedelta(days=365)
AGENT = "agent.bretoncelles@example.org"
REFERENT = "referent.61-caf@example.org"
FLAT = 1.1


def generate(deps, numbers: range, step: int, start: int) -> tuple[list[dict], list]:
    """The items of the cases numbered start, start + step, ... and the entities for the results."""
    from chalicelib.adapters.dynamo import (
        case_write,
        escalation_write,
        event_write,
        message_write,
        name_search_writes,
        phone_case_write,
    )
    from chalicelib.domain import ladder
    from chalicelib.domain.models import Case, Escalation, Event, Message, Usager

    points, groups = deps.repo.territory_directory("61")
    items, entities = [], []
    for number in numbers[start::step]:
        rng = random.Random(number)
        created = YEAR_END - YEAR + YEAR * number / CASES
        point = points[number % len(points)]
        age = YEAR_END - created
        closed = age > timedelta(days=20) or rng.random() < 0.3
        ref = f"61-{number // 1296 % 36:X}{number // 36 % 36:X}{number % 36:X}-SIM"
        case = Case(ref=ref, point_id=point.id, territory_code="61", created_by="u-sim",
                    usager=Usager(first_name="Jeanne", last_name=f"Martin{chr(97 + number % 26)}",
                                  phone=f"06{number:08d}"),
                    situation=rng.choice(["precarite", "emploi", "retraite", "sante", "logement"]),
                    description="Son RSA n'est plus versé depuis deux mois, après une mise à jour de sa situation.",
                    consent_attested=True, status="closed" if closed else "escalated",
                    outcome="solved_with_partner" if closed else None, useful=True if closed else None,
                    created_at=created, updated_at=created,
                    closed_at=created + timedelta(days=rng.randint(1, 15)) if closed else None, version=3)
        writes = [case_write(case, None), phone_case_write(f"+336{number:08d}", created, ref),
                  *name_search_writes(case)]
        writes += [event_write(Event(id=f"{number:06d}{k:06d}", code=code, actor_id="u-sim", at=created,
                                     case_ref=ref)) for k, code in enumerate(("CASE_CREATED", "CASE_VIEWED", "CASE_CLOSED"))]
        entities.append(case)
        if rng.random() < 0.6:
            group = rng.choice(groups)
            answered = closed or rng.random() < 0.5
            escalation = Escalation(
                case_ref=ref, group_id=group.id, organisation_id=group.organisation_id, territory_code="61",
                point_id=point.id, question="Pouvez-vous vérifier le droit au RSA ?",
                due_at=created + timedelta(days=6), created_at=created, updated_at=created,
                status="closed" if closed else "answered" if answered else "sent",
                answered_at=created + timedelta(hours=rng.randint(2, 150)) if answered else None,
                reply_token=f"{number:026d}"[-26:], version=2)
            next_action = None if answered else ladder.next_action_at(escalation, deps.settings.ladder)
            writes.append(escalation_write(escalation, None, next_action))
            writes += [message_write(Message(id=f"m{number:07d}{k}", case_ref=ref, group_id=group.id,
                                             author_id="u-sim", author_role="referent" if k else "agent",
                                             channel="email", kind="answer" if k else "note",
                                             body="Le droit est rétabli, le rappel sera versé sous 8 jours.",
                                             created_at=created + timedelta(hours=k)))
                       for k in range(2 if answered else 1)]
            entities.append(escalation)
        items += [write.item for write in writes]
    return items, entities


def load(deps, items: list[dict]) -> float:
    started = time.perf_counter()
    chunks = [items[i:i + 2500] for i in range(0, len(items), 2500)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(deps.repo.put_many, chunks))
    return time.perf_counter() - started


def write_results(deps, entities: list) -> int:
    from collections import Counter

    from chalicelib.domain import results
    from chalicelib.domain.models import Case

    total: Counter = Counter()
    for entity in entities:
        total.update(results.case_contribution(entity) if isinstance(entity, Case)
                     else results.escalation_contribution(entity))
    cells = {cell: {k: v for k, v in counters.items() if v} for cell, counters in results.by_cell(total).items()}
    deps.repo.replace_results({cell: counters for cell, counters in cells.items() if counters})
    return len(cells)


def measure(client, deps, sweep_at: datetime) -> dict[str, float]:
    from chalicelib import jobs

    figures = {}
    for name, headers, path in (("agent's dashboard, cases with a partner", session_cookie(AGENT),
                                 "/tableau-de-bord?vue=en-attente"),
                                ("agent's dashboard, closed cases (first page)", session_cookie(AGENT),
                                 "/tableau-de-bord?vue=clos"),
                                ("referent's queue", session_cookie(REFERENT), "/file"),
                                ("public results", {}, "/resultats")):
        cached = path == "/resultats"
        settings = deps.settings
        if cached:
            deps.settings = dataclasses.replace(settings, results_cache_seconds=600)
        client.http.get(path, headers=headers)               # warm: directory names, first reads
        meter = Meter()
        with meter.on():
            page = client.http.get(path, headers=headers)
        assert page.status_code == 200, (path, page.status_code)
        figures[name] = meter.read + meter.s3_bytes / 4096
        deps.settings = settings
        figures[f"_rows {name}"] = max(0, page.body.count(b"<tr") - 1)
    meter = Meter()
    with meter.on():
        done = jobs.run_inline("reminders", deps, sweep_at)
    acted = max(1, done["fired"])
    figures["reminder sweep, per escalation acted on"] = meter.read / acted
    figures["_fired"] = done["fired"]
    return figures


def main() -> None:
    with local_aws(table="relais-sim", stream=False):
        from chalice.test import Client

        import app as relais
        from chalicelib import bootstrap

        deps = bootstrap.deps()
        deps.clock = lambda: YEAR_END
        numbers = range(CASES)
        phases, entities, loaded_items = {}, [], 0
        with Client(relais.app, stage_name="dev") as client:
            for label, starts, sweep_at in (("10 %", [0], YEAR_END),
                                            ("100 %", range(1, 10), YEAR_END + timedelta(minutes=1))):
                seconds = 0.0
                for start in starts:
                    items, new = generate(deps, numbers, 10, start)
                    seconds += load(deps, items)
                    entities += new
                    loaded_items += len(items)
                cells = write_results(deps, entities)
                phases[label] = measure(client, deps, sweep_at)
                cases = sum(1 for e in entities if hasattr(e, "usager"))
                print(f"{label}: {cases} cases, {loaded_items} items loaded in {seconds:.0f} s, {cells} results cells;"
                      f" the sweep acted on {phases[label]['_fired']} escalations")
    small, large = phases["10 %"], phases["100 %"]
    print("read capacity per request, a territory-year at 10 % and 100 % (DynamoDB Local):")
    figures = []
    for name in small:
        if name.startswith("_"):
            continue
        rows = f"_rows {name}"
        if rows in small and small[rows] and large[rows]:
            # A list's page costs what it shows: compared per row shown, as the 10 % load may
            # not fill the page the 100 % load fills.
            ratio = (large[name] / large[rows]) / (small[name] / small[rows])
            value = (f"{small[name]:.1f} units for {small[rows]} rows at 10 %, {large[name]:.1f} units for "
                     f"{large[rows]} rows at 100 %: ratio per row shown {ratio:.2f}")
        else:
            ratio = large[name] / small[name]
            value = f"{small[name]:.1f} units at 10 %, {large[name]:.1f} at 100 %: ratio {ratio:.2f}"
        figures.append(figure(name, value, f"<= {FLAT}", ratio <= FLAT))
    record("simulation", figures, [f"{CASES:,} cases, {loaded_items:,} items; the reminder sweep acted on "
                                   f"{small['_fired']} escalations at 10 % and {large['_fired']} at 100 %."])


if __name__ == "__main__":
    main()
