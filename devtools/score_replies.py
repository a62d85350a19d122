"""Score reply extraction on the corpora, per class, beside the reference parsers.

    .venv/bin/python devtools/score_replies.py [--failures]

For each message of tests/corpus/replies (issue 24) and the accepted replies of
tests/corpus/email (class "legacy"), the visible text must hold every `contains` fragment, in
order, and none of the `excludes`. "lost" counts messages where a `contains` fragment (answer
text) is missing: the worst failure. Relais is scored on what the agent sees
(`mailparse.parse(...).text`); mail-parser-reply and quotequail on the same decoded body
(`full_text`), each keeping what it calls the reply.
"""
from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chalicelib.adapters import mailparse  # noqa: E402
from tests.corpus import email_corpus, replies_corpus  # noqa: E402


def verdict(entry: dict, text: str, ordered: bool = True) -> str:
    """ok | lost (answer text missing) | noisy (history, header or signature kept) | order.
    The legacy corpus's fragments were not written in order: they are checked unordered."""
    visible = replies_corpus.squeeze(text)
    position = 0
    for fragment in entry.get("contains", []):
        found = visible.find(replies_corpus.squeeze(fragment), position if ordered else 0)
        if found < 0:
            return "lost" if replies_corpus.squeeze(fragment) not in visible else "order"
        position = found
    if any(replies_corpus.squeeze(f) in visible for f in entry.get("excludes", [])):
        return "noisy"
    return "ok"


def relais(parsed: mailparse.ParsedEmail) -> str:
    return parsed.text


def mail_parser_reply(parsed: mailparse.ParsedEmail) -> str:
    from mailparser_reply import EmailReplyParser

    languages = ["fr", "en", "de", "nl", "da", "sv", "pl", "es", "it", "cs"]
    return EmailReplyParser(languages=languages).parse_reply(text=parsed.full_text) or ""


def quotequail(parsed: mailparse.ParsedEmail) -> str:
    import quotequail as qq

    return "\n".join(text for shown, text in qq.quote(parsed.full_text) if shown)


PARSERS = {"relais": relais, "mail-parser-reply": mail_parser_reply, "quotequail": quotequail}


def messages():
    for entry in replies_corpus.entries():
        yield entry["class"], entry, replies_corpus.raw(entry)
    for entry in email_corpus.entries():
        if entry["expect"] == "accepted":
            yield "legacy", entry, email_corpus.raw(entry, "a" * 26, "61-K7M-4QX", "0100018c-test-000000")


def score(parsers=PARSERS) -> dict[str, dict[str, dict[str, list[str]]]]:
    """{parser: {class: {verdict: [files]}}}."""
    results: dict = {name: defaultdict(lambda: defaultdict(list)) for name in parsers}
    for klass, entry, raw in messages():
        parsed = mailparse.parse(raw)
        for name, parser in parsers.items():
            try:
                text = parser(parsed)
            except Exception:  # noqa: BLE001 - a reference parser that raises scores "lost"
                text = ""
            results[name][klass][verdict(entry, text, ordered=klass != "legacy")].append(entry["file"])
    return results


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    arguments.add_argument("--failures", action="store_true", help="list Relais's failures")
    show_failures = arguments.parse_args().failures
    results = score()
    classes = [*replies_corpus.CLASSES, "legacy"]
    names = list(PARSERS)
    print(f"{'class':22}" + "".join(f"{name + ' ok/n (lost)':>30}" for name in names))
    totals = {name: [0, 0, 0] for name in names}
    for klass in classes:
        row = f"{klass:22}"
        for name in names:
            verdicts = results[name][klass]
            n = sum(len(files) for files in verdicts.values())
            ok, lost = len(verdicts["ok"]), len(verdicts["lost"])
            totals[name] = [totals[name][0] + ok, totals[name][1] + n, totals[name][2] + lost]
            row += f"{f'{ok}/{n} ({lost})':>30}"
        print(row)
    print(f"{'all':22}" + "".join(f"{f'{ok}/{n} ({lost})':>30}" for ok, n, lost in totals.values()))
    if show_failures:
        for klass in classes:
            for verdict_name, files in results["relais"][klass].items():
                if verdict_name != "ok" and files:
                    print(f"relais {klass} {verdict_name}: {' '.join(files)}")


if __name__ == "__main__":
    main()
