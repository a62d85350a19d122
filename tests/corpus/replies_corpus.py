"""The reply-extraction corpus (issue 24): replies written any way, with the text that must show.

Files are in replies/, described by replies/manifest-*.json (one manifest per author, merged
here). Placeholders as in email_corpus: {{TOKEN}}, {{REF}}, {{SES_ID}}. Each entry:
    file        the .eml file
    class       one of CLASSES
    client      the client and its language setting, e.g. "Outlook 2016 (de-DE)"
    language    the language of the reply header (ISO 639-1), e.g. "de"
    description what is special about it
    contains    fragments that must be visible to the agent, IN THIS ORDER
    excludes    fragments (quoted history, reply headers, signatures) that must not be visible
    forwarded   true when the message forwards another one, whose content must be kept
"""
from __future__ import annotations

import json
import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

FOLDER = Path(__file__).with_name("replies")
CLASSES = (
    "header-language",       # "On … wrote:" in another language
    "header-outlook-block",  # Outlook-style From/Sent/To/Subject blocks and separators, any language
    "header-split",          # headers over several lines, on the reply's line, dated, encoded...
    "forward",               # forwarded messages: content kept and marked
    "html",                  # HTML-only or HTML-decided layouts
    "bottom-post",           # the answer written below the quote
    "inline",                # answers between quoted blocks
    "trap",                  # layouts that lost answers: ">>> url <<<", "Hi," above a quote...
    "signature",             # sign-offs and signatures removed, never answer text
)


def entries() -> list[dict]:
    found: list[dict] = []
    for manifest in sorted(FOLDER.glob("manifest-*.json")):
        found.extend(json.loads(manifest.read_text(encoding="utf-8")))
    return found


def raw(entry: dict, token: str = "a" * 26, ref: str = "61-K7M-4QX",
        ses_id: str = "0100018c-test-000000") -> bytes:
    data = (FOLDER / entry["file"]).read_bytes()
    return (data.replace(b"{{TOKEN}}", token.encode()).replace(b"{{REF}}", ref.encode())
            .replace(b"{{SES_ID}}", ses_id.encode()))


def decoded_parts(entry: dict) -> str:
    """Every text part of the message, decoded, HTML tags and entities crudely removed: what
    any fragment of the entry must be found in."""
    import html

    message = BytesParser(policy=policy.default).parsebytes(raw(entry))
    texts = []
    for part in message.walk():
        if part.get_content_maintype() == "text" and not part.is_multipart():
            content = part.get_content()
            if part.get_content_subtype() == "html":
                content = html.unescape(re.sub(r"<[^>]+>", " ", content))
            texts.append(content)
    return squeeze("\n".join(texts))


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()
