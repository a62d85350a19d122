"""The inbound email corpus: realistic replies written for the tests, with what each must give.

Files are in email/, described by email/manifest.json. {{TOKEN}}, {{REF}} and {{SES_ID}} stand
for the escalation's reply token, the case reference and the SES id of the email replied to.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

FOLDER = Path(__file__).with_name("email")
KIND_OF_KEYWORD = {None: "answer", "wrong_recipient": "wrong_recipient", "needs_info": "needs_info"}


def entries() -> list[dict]:
    return json.loads((FOLDER / "manifest.json").read_text(encoding="utf-8"))


def raw(entry: dict, token: str, ref: str, ses_id: str) -> bytes:
    data = (FOLDER / entry["file"]).read_bytes()
    return (data.replace(b"{{TOKEN}}", token.encode()).replace(b"{{REF}}", ref.encode())
            .replace(b"{{SES_ID}}", ses_id.encode()))


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
