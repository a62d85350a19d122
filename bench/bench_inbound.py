"""Inbound email: parsing and threading a 50 KB reply (the issue sets no goal: median and p95).

Runs against DynamoDB Local (the token lookup is a real GetItem) with the demo directory.
Prints the median and the 95th percentile of N runs of `mailparse.parse` + `find_target`.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from harness import figure, record  # noqa: E402

RUNS = 200


def reply_of_50kb(token: str) -> bytes:
    """An Outlook-style top-posted reply: new text, signature, a long quoted history, HTML."""
    history = "\n".join(
        f"> Ligne {i} de l'historique : le dossier de l'usager a été transmis au service compétent, "
        f"merci de votre retour rapide." for i in range(200))
    text = ("Bonjour,\n\nLe dossier est régularisé depuis le 24/11, le versement arrive sous 48 h.\n\n"
            "Cordialement,\nSophie Martin\nConseillère service SP+\nCAF de l'Orne\n\n"
            "De : Relais SP+ <ne-pas-repondre@relais.example.org>\nEnvoyé : jeudi 26 novembre 2026 10:12\n"
            "À : Sophie Martin\nObjet : [Relais 61-K7M-4QX] Demande d'un usager\n\n" + history)
    html = ("<html><body><p>Bonjour,</p><p>Le dossier est régularisé depuis le 24/11.</p>"
            "<div id='divRplyFwdMsg'>De : Relais SP+</div>"
            + "".join(f"<p class='MsoNormal'>Historique {i}</p>" for i in range(520)) + "</body></html>")
    message = EmailMessage()
    message["From"] = "Sophie Martin <referent.61-caf@example.org>"
    message["To"] = f"reponse+{token}@in.relais.example.org"
    message["Subject"] = "RE: [Relais 61-K7M-4QX] Demande d'un usager"
    message["Message-ID"] = "<bench@example.org>"
    message["In-Reply-To"] = "<0100018c-bench-000000@eu-west-3.amazonses.com>"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return bytes(message)


def main() -> None:
    from devtools import stack

    port = stack.free_port()
    process = stack.start_dynamodb(port)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        stack.create_table(endpoint, "relais-bench")
        os.environ.update({**stack.LOCAL_CREDENTIALS, "RELAIS_DYNAMODB_ENDPOINT": endpoint,
                           "RELAIS_TABLE": "relais-bench", "RELAIS_STAGE": "dev"})
        os.environ.pop("RELAIS_AWS_EMULATION", None)
        from chalicelib import bootstrap
        from chalicelib.adapters import mailparse
        from chalicelib.adapters.dynamo import reply_token_write
        from chalicelib.services import inbound

        deps = bootstrap.deps()
        token = "b" * 26
        deps.repo.transact([reply_token_write(token, "61-K7M-4QX", "61-caf")])
        raw = reply_of_50kb(token)
        own = {"ne-pas-repondre@relais.example.org"}
        timings = []
        for _ in range(RUNS):
            start = time.perf_counter()
            parsed = mailparse.parse(raw, own)
            target, how = inbound.find_target(deps, parsed, [])
            timings.append((time.perf_counter() - start) * 1000)
        assert target is not None and how == "token" and "régularisé" in parsed.text
        timings.sort()
        median, p95 = statistics.median(timings), timings[int(RUNS * 0.95)]
        print(f"inbound email: parse + thread a {len(raw) / 1024:.0f} KB reply, {RUNS} runs:")
        figures = [figure(f"parse and thread a {len(raw) / 1024:.0f} KB reply (median, p95)",
                          f"{median:.1f} ms, {p95:.1f} ms")]
        parse_only = []
        for _ in range(RUNS):
            start = time.perf_counter()
            mailparse.parse(raw, own)
            parse_only.append((time.perf_counter() - start) * 1000)
        figures.append(figure("of which parsing alone (median)", f"{statistics.median(parse_only):.1f} ms"))
        # Issue 24: the reply extraction alone, the new one beside the one it replaced, in
        # alternation on the same decoded body (the target: at or below the old median).
        import legacy_reply

        from chalicelib.adapters import replies

        body, subject = parsed.full_text, parsed.subject
        new, old = [], []
        for _ in range(RUNS):
            start = time.perf_counter()
            replies.extract(body, subject)
            new.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            legacy_reply.new_text(body)
            old.append((time.perf_counter() - start) * 1000)
        figures.append(figure("reply extraction of that reply (median): issue 24's, the previous one",
                              f"{statistics.median(new):.2f} ms, {statistics.median(old):.2f} ms "
                              f"(ratio {statistics.median(new) / statistics.median(old):.2f})"))
        record("inbound", figures)
    finally:
        stack.stop_process(process)


if __name__ == "__main__":
    main()
