"""ReceiveEmail's memory against the size of the message (goal: SES's largest, 40 MB, within the
function's memory, with margin).

For each size, a fresh interpreter starts the local stack (DynamoDB Local, moto's S3), opens a
case and escalates it, uploads a referent's reply of that size (text and PDF attachments, as a
mail client sends them: base64) to S3 straight from a file, then hands SES's notification to
`inbound.handle_ses_notification`, the function's own path. Printed: the interpreter's resident memory
before the message plus the peak of what handling it allocated (tracemalloc), and what became of
it. A message over
inbound.MAX_MESSAGE_BYTES is never read whole: only its first 64 KB (quarantined, too large).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from email.message import EmailMessage
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from harness import figure, record  # noqa: E402

SIZES_MB = (1, 10, 19, 39)
sys.path.insert(0, str(HERE.parent))
from infra.template import FUNCTION_MEMORY  # noqa: E402

FUNCTION_MB = FUNCTION_MEMORY["receive_email"]
GOAL_SHARE = 0.25           # the largest unit of work within a quarter of its function's memory
ATTACHMENT_MB = 9           # one document at most 10 MB (attachments.MAX_BYTES)
PLACEHOLDER = "T" * 26      # a reply token's length
CHILD = """
import json, os, resource, sys
sys.path.insert(0, {here!r})
PLACEHOLDER = {placeholder!r}
import flow
from harness import local_aws, session_cookie
with local_aws():
    from chalice.test import Client
    import app as relais
    from chalicelib import bootstrap
    from chalicelib.services import inbound
    with Client(relais.app, stage_name="dev") as client:
        agent = session_cookie(flow.AGENT)
        ref = flow.post(client, agent, "/api/cases", flow.CASE)["ref"]
        flow.post(client, agent, f"/api/cases/{{ref}}/escalations", flow.QUESTION)
        deps = bootstrap.deps()
        token = next(iter(deps.repo.get_bundle(ref).escalations.values())).reply_token
        # SES stores the message; the function never held it: upload it from the file, in parts.
        with open({path!r}, "r+b") as file:
            head = file.read(4096)
            file.seek(0)
            assert len(token) == len(PLACEHOLDER), token
            file.write(head.replace(PLACEHOLDER.encode(), token.encode()))
        import subprocess
        subprocess.run([sys.executable, "-c", "import boto3, sys; boto3.client('s3').upload_file(*sys.argv[1:])",
                        {path!r}, deps.settings.mail_bucket, "inbound/bench"], check=True)
        import gc, tracemalloc
        gc.collect()
        current = int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
        tracemalloc.start()
        notification = {{"receipt": {{"recipients": [f"reponse+{{token}}@{{deps.settings.inbound_domain}}"],
                                    "spfVerdict": {{"status": "PASS"}}, "dkimVerdict": {{"status": "PASS"}},
                                    "spamVerdict": {{"status": "PASS"}}, "virusVerdict": {{"status": "PASS"}},
                                    "dmarcVerdict": {{"status": "PASS"}},
                                    "action": {{"type": "S3", "bucketName": deps.settings.mail_bucket,
                                               "objectKey": "inbound/bench"}}}},
                        "mail": {{"source": flow.REFERENT}}}}
        outcome = inbound.handle_ses_notification(deps, notification)
        allocated = tracemalloc.get_traced_memory()[1] // 1024
        print("RESULT", json.dumps({{"before": current, "allocated": allocated, "outcome": outcome.as_dict()}}))
"""


def message_of(megabytes: int) -> bytes:
    """A referent's reply of about `megabytes` on the wire (base64 attachments of ATTACHMENT_MB
    or less), addressed to the reply address (TOKEN is replaced in the child)."""
    sys.path.insert(0, str(HERE.parent))
    import flow

    message = EmailMessage()
    message["From"] = f"Sophie Martin <{flow.REFERENT}>"
    message["To"] = f"reponse+{PLACEHOLDER}@in.relais.example.org"
    message["Subject"] = "RE: Demande d'un usager"
    message["Message-ID"] = f"<bench-{megabytes}@example.org>"
    message.set_content("Bonjour,\n\nVoici les pièces du dossier.\n\nCordialement,\nSophie Martin")
    left = int(megabytes * 1024 * 1024 * 3 / 4)          # base64 grows the bytes by 4/3
    number = 0
    while left > 0:
        size = min(left, ATTACHMENT_MB * 1024 * 1024)
        body = b"%PDF-1.4\n" + os.urandom(size)
        message.add_attachment(body, maintype="application", subtype="pdf", filename=f"piece-{number}.pdf")
        left -= size
        number += 1
    return bytes(message)


def run(megabytes: int) -> dict:
    import json

    with tempfile.NamedTemporaryFile(suffix=".eml", delete=False) as file:
        file.write(message_of(megabytes))
        path = file.name
    try:
        env = {**os.environ, "AWS_DEFAULT_REGION": "eu-west-3", "AWS_ACCESS_KEY_ID": "bench",
               "AWS_SECRET_ACCESS_KEY": "bench"}
        result = subprocess.run([sys.executable, "-c", CHILD.format(here=str(HERE), path=path, placeholder=PLACEHOLDER)],
                                capture_output=True, text=True, cwd=HERE.parent, env=env)
        if result.returncode:
            raise SystemExit(result.stderr[-3000:])
        line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT"))
        return {**json.loads(line.split(" ", 1)[1]), "bytes": os.path.getsize(path)}
    finally:
        os.unlink(path)


def main() -> None:
    print(f"ReceiveEmail, memory by message size ({FUNCTION_MB} MB function):")
    figures = []
    for megabytes in SIZES_MB:
        measured = run(megabytes)
        peak = (measured["before"] + measured["allocated"]) / 1024
        figures.append(figure(
            f"a {measured['bytes'] / 1024 / 1024:.0f} MB reply ({measured['outcome']['outcome']})",
            f"{peak:.0f} MB ({measured['before'] / 1024:.0f} MB resident before it, "
            f"{measured['allocated'] / 1024:.0f} MB allocated at the peak of its handling)",
            f"<= {GOAL_SHARE:.0%} of {FUNCTION_MB} MB", peak <= FUNCTION_MB * GOAL_SHARE))
    record("inbound_memory", figures)


if __name__ == "__main__":
    main()
