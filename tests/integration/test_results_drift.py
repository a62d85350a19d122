"""The weekly results check, through its Lambda entry point and the job queue's worker: the
metric results_cells_drifted (an EMF line in namespace Relais, one per unit) counts the cells
that drifted from the source data, and is 0, not missing, when none did, so that an alarm can
tell a clean check from a check that never ran."""
from __future__ import annotations

import json

import pytest

from chalicelib.domain import results as domain
from tests.conftest import CASE, login, post_json

pytestmark = [pytest.mark.outbox, pytest.mark.instant("2026-11-24T10:00:00+01:00")]
AGENT = "agent.bretoncelles@example.org"
OTHER_AGENT = "agent.remalard@example.org"


def activity(client) -> None:
    """Three cases: at Bretoncelles, one solved at the desk and one escalated to the CAF; one at
    Rémalard."""
    agent = login(client, AGENT)
    desk = post_json(client, agent, "/api/cases", CASE)["ref"]
    post_json(client, agent, f"/api/cases/{desk}/close", {"outcome": "solved_at_desk", "useful": True})
    escalated = post_json(client, agent, "/api/cases", {**CASE, "usager": {**CASE["usager"], "phone": "06 12 34 56 01"}})["ref"]
    post_json(client, agent, f"/api/cases/{escalated}/escalations", {"group_ids": ["61-caf"], "question": "Le RSA ?"})
    post_json(client, login(client, OTHER_AGENT), "/api/cases", {**CASE, "point_id": "61-mairie-remalard"})


def check(client, capsys) -> tuple[dict, list[float]]:
    """Run the scheduled function as EventBridge does; its answer, and every value of the
    metric in the EMF lines it printed."""
    capsys.readouterr()
    event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                            resources=["arn:aws:events:eu-west-3:1:rule/results_check"])
    answer = client.lambda_.invoke("results_check", event).payload
    client.http.get("/api/me")             # the dev stage's worker runs the queued units
    values = []
    for line in capsys.readouterr().out.splitlines():
        try:
            emf = json.loads(line)
        except ValueError:
            continue
        if not isinstance(emf, dict) or "_aws" not in emf:
            continue
        directives = emf["_aws"]["CloudWatchMetrics"]
        names = {m["Name"]: m.get("Unit") for d in directives for m in d["Metrics"]}
        if "results_cells_drifted" in names:
            assert names["results_cells_drifted"] == "Count"
            assert all(d["Namespace"] == "Relais" for d in directives) and emf["service"] == "relais"
            value = emf["results_cells_drifted"]
            values += value if isinstance(value, list) else [value]
    return answer, values


def key(period: str, kind: str, scope_id: str) -> dict:
    from chalicelib.adapters import keys

    return {k: {"S": v} for k, v in keys.results_cell(period, kind, scope_id).items()}


def test_the_metric_counts_the_drifted_cells_and_is_zero_when_none_drifted(client, deps, capsys, monkeypatch):
    from chalicelib.services import results

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    activity(client)
    answer, values = check(client, capsys)
    assert answer["units"] >= 3 and len(values) == answer["units"] and set(values) == {0}

    period = domain.quarter(deps.now())
    stored = results.stored(deps, period)
    assert {(period, "point", "61-mairie-bretoncelles"), (period, "territory", "61"),
            (period, "point", "61-mairie-remalard")} <= set(stored)
    table, ddb = deps.settings.table_name, deps.dynamodb
    # Four cells drift: two counted wrong, one lost, one that should not exist.
    ddb.update_item(TableName=table, Key=key(period, "point", "61-mairie-bretoncelles"),
                    UpdateExpression="ADD cases :one", ExpressionAttributeValues={":one": {"N": "1"}})
    ddb.update_item(TableName=table, Key=key(period, "territory", "61"),
                    UpdateExpression="ADD closed :n", ExpressionAttributeValues={":n": {"N": "-1"}})
    ddb.delete_item(TableName=table, Key=key(period, "point", "61-mairie-remalard"))
    ddb.put_item(TableName=table, Item={**key(period, "point", "61-mairie-berdhuis"),
                                        "type": {"S": "ResultsCell"}, "cases": {"N": "2"}})
    assert results.stored(deps, period) != stored

    answer, values = check(client, capsys)
    # 61's check sees the four, its recount sees them again and repairs them. The quarter's
    # national unit, run before the repair, set the national cell to the territories' drifted
    # sum; the recount's own national unit, after it, set it back: 1 and 1 more (8 only if the
    # queue hands the national unit over after the recount).
    assert values.count(4) == 2 and sum(values) in (8, 10) and len(values) > answer["units"]
    assert results.stored(deps, period) == stored            # repaired

    answer, values = check(client, capsys)
    assert len(values) == answer["units"] and set(values) == {0}
