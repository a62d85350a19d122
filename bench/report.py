"""docs/performance.md from the figures `make bench` just wrote (build/bench/*.json), with the
cost model: the measured units, durations and memory, and the emails and SMS segments of a
case, in euros per case and per year at national scale.

The prices are list prices written down with their date and source: this machine cannot
reach AWS's price list, so they are to be checked again before any budget is built on them.
"""
from __future__ import annotations

import json
import platform
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from harness import FIGURES, figure  # noqa: E402

OUTPUT = ROOT / "docs" / "performance.md"
YEARLY_CASES = 9_000_000          # "about 9 million requests a year" (the national rollout)
LAMBDA_MB = 256
# Invocations per lifecycle (bench/flow.py), at worst (nothing shares a batch): 3 API requests,
# 1 inbound email (SNS), 4 stream batches (one per step), 4 more for the results entries they
# journal (services/results.py), and 3 SMS queue messages.
INVOCATIONS = 15
PRICES_DATE = "2025-11 (AWS public price pages, eu-west-3 Paris, on-demand; not re-checked from here)"
USD_TO_EUR = 0.86
PRICES_USD = {
    "dynamodb_write_per_million": 0.7625,     # on-demand write request units
    "dynamodb_read_per_million": 0.1525,      # on-demand read request units
    "lambda_gb_second": 0.0000166667,         # x86
    "lambda_per_million_requests": 0.20,
    "api_gateway_per_million": 3.50,          # REST API, first 333 M
    "ses_per_thousand_emails": 0.10,          # outbound, and inbound messages alike
    "sms_france_per_segment": 0.0778,         # SNS / End User Messaging, France, transactional
}
ORDER = ["lifecycle", "request", "cold_start", "reminders", "inbound", "inbound_memory", "memory", "simulation",
         "national_day", "results", "experiences", "cost"]
TITLES = {
    "lifecycle": "Capacity units per case lifecycle",
    "request": "Request overhead",
    "cold_start": "Cold start",
    "reminders": "Reminder sweep",
    "inbound": "Inbound email",
    "inbound_memory": "ReceiveEmail's memory by message size",
    "memory": "Memory",
    "simulation": "Simulation: a territory-year",
    "national_day": "Simulation: a national day (the scheduled jobs' units)",
    "results": "Results page",
    "experiences": "Services Publics+ experiences: lists and open data",
    "cost": "Cost model",
}
EXPLAINED = {
    "lifecycle": [
        "",
        "**How the writes stay near the floor.**",
        "",
        "- Results cells are 45 % of the items written. They take no transaction: the stream writes "
        "each change once as an entry of one of 4 lanes (a put refused when there), and the lane's "
        "entries come back on the stream in order, summed per cell: one `ADD` per cell, batch and "
        "lane, conditioned on the cell's mark for the lane (services/results.py). At national volume "
        "a batch holds many changes to the same cells, so the national cell is written once per "
        "batch and lane.",
        "- A request's own change, its audit event and its outbox notification stay in one "
        "transaction: AWS bills their table writes twice (prepare and commit). Their index copies are "
        "billed once: a transaction's changes propagate to the GSIs after it commits.",
        "- GSI1 and GSI2 copy what the lists read, not a case's description nor an escalation's "
        "question (up to 5,000 characters each): a case told at length costs little more than a "
        "short one (the second figure).",
        "- What is left above the floor: those transactions, and the index copies of cases and "
        "escalations (a status change moves the item's GSI1 or GSI2 entry: a delete and a put).",
        "",
        "Reads are beside the goal: the read and write figure adds the requests' reads, mostly the "
        "case's bundle and the directory.",
        "",
        "DynamoDB Local reports a transaction as if it held its first item only (2 units for 1, "
        "2 or 4 small items): the billed figure is computed per item from the table's index "
        "definitions (bench/harness.py), the reported one is shown beside it.",
    ],
    "simulation": [
        "Lists read one page (50 rows), never the whole partition. At 10 % the agent's cases with "
        "a partner and the referent's queue do not fill their page, at 100 % they do (or nearly): "
        "their cost grows with the rows shown, then stays flat, which the closed cases (a full "
        "page at both loads) show. They are compared per row shown. The referent's queue's cost "
        "is mostly fixed (the partner's names, two queries), so per row it falls.",
        "",
        "The reminder sweep's figure is per escalation it acts on: it reads only the due part of "
        "its index (bench_reminders shows 100 due among 1,000 and among 100,000 cost the same).",
    ],
}


def load() -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(FIGURES.glob("*.json"))}


def cost_model(sections: dict[str, dict]) -> dict:
    life, memory = sections["lifecycle"]["data"], sections["memory"]["data"]
    euro = {name: price * USD_TO_EUR for name, price in PRICES_USD.items()}
    lines = {
        "DynamoDB writes": life["billed"] * euro["dynamodb_write_per_million"] / 1e6,
        "DynamoDB reads": life["read"] * euro["dynamodb_read_per_million"] / 1e6,
        "Lambda compute": life["seconds"] * LAMBDA_MB / 1024 * euro["lambda_gb_second"],
        "Lambda requests": INVOCATIONS * euro["lambda_per_million_requests"] / 1e6,
        "API Gateway": 3 * euro["api_gateway_per_million"] / 1e6,
        "SES (emails out, reply in)": (life["emails"] + 1) * euro["ses_per_thousand_emails"] / 1e3,
        "SMS": life["segments"] * euro["sms_france_per_segment"],
    }
    per_case = sum(lines.values())
    print("cost model (euros, list prices of " + PRICES_DATE + "):")
    figures = [figure(name, f"{value * 1e3:.3f} € per thousand cases; "
                            f"{value * YEARLY_CASES:,.0f} € a year for {YEARLY_CASES:,} cases".replace(",", " "))
               for name, value in lines.items()]
    figures.append(figure("total per case", f"{per_case:.4f} €"))
    figures.append(figure("total a year, national scale", f"{per_case * YEARLY_CASES:,.0f} €".replace(",", " ")))
    notes = [
        f"Prices: {PRICES_DATE}; 1 $ = {USD_TO_EUR} €. " + "; ".join(f"{k} {v} $" for k, v in PRICES_USD.items()) + ".",
        f"Each of the {YEARLY_CASES:,} yearly requests".replace(",", " ") + " is counted as a full lifecycle "
        "with an escalation, three SMS and four emails: an upper bound, as most requests are solved at the desk.",
        f"Lambda compute is the lifecycle's estimated duration ({life['seconds'] * 1000:.0f} ms: the CPU time "
        f"measured plus 8 ms per AWS call) at {LAMBDA_MB} MB; peak memory measured: {memory['peak_mb']:.0f} MB.",
        "SMS dominate: the SMS to the usager are the price of reaching the one in five with no internet. "
        "Not counted: storage (items are small and personal data is wiped after 6 months), CloudWatch "
        "logs and metrics, S3 for raw emails and documents, data transfer.",
    ]
    paragraphs = [line for note in notes for line in (note, "")][:-1]
    return {"section": "cost", "figures": figures, "notes": paragraphs, "data": {"per_case": per_case}}


def render(sections: dict[str, dict]) -> str:
    out = ["# Performance: Relais against its floor", "",
           f"Written by `make bench` on {date.today().isoformat()} ({platform.machine()}, "
           f"{platform.python_version()}, 2 cores, shared and noisy: timings are ratios measured side "
           "by side in one run). DynamoDB figures are DynamoDB Local's ConsumedCapacity. Do not edit: "
           "run `make bench`.", "",
           "| Figure | Measured | Goal | |", "|---|---|---|---|"]
    for name in ORDER:
        for item in sections.get(name, {}).get("figures", []):
            if item["goal"]:
                out.append(f"| {TITLES[name]}: {item['figure']} | {item['value']} | {item['goal']} | "
                           f"{'met' if item['met'] else '**missed**'} |")
    for name in ORDER:
        if name not in sections:
            continue
        out += ["", f"## {TITLES[name]}", ""]
        out += [f"- {item['figure']}: {item['value']}" + (f" (goal {item['goal']}: {'met' if item['met'] else 'missed'})"
                                                         if item["goal"] else "")
                for item in sections[name]["figures"]]
        notes = sections[name].get("notes", []) + EXPLAINED.get(name, [])
        if notes:
            out += ["", *notes]
    return "\n".join(out) + "\n"


def main() -> None:
    sections = load()
    missing = [name for name in ORDER[:-1] if name not in sections]
    if missing:
        raise SystemExit(f"no figures for {', '.join(missing)}: run every bench/bench_*.py first (make bench)")
    sections["cost"] = cost_model(sections)
    OUTPUT.write_text(render(sections), encoding="utf-8")
    print(f"written: {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
