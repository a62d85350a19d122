"""Parsing inbound email, on the corpus of realistic replies (tests/corpus/email)."""
from __future__ import annotations

import pytest

from chalicelib.adapters import mailparse
from tests.corpus import email_corpus as corpus

OWN = {"ne-pas-repondre@relais.example.org"}
ENTRIES = corpus.entries()


def parse(entry: dict) -> mailparse.ParsedEmail:
    return mailparse.parse(corpus.raw(entry, "a" * 26, "61-K7M-4QX", "0100018c-test-000000"), OWN)


def test_the_corpus_is_large_and_covers_every_outcome():
    assert len(ENTRIES) >= 25
    assert {e["expect"] for e in ENTRIES} == {"accepted", "auto_reply", "bounce", "quarantined"}
    files = {p.name for p in corpus.FOLDER.glob("*.eml")}
    assert files == {e["file"] for e in ENTRIES}


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e["expect"] in ("accepted", "quarantined")],
                         ids=lambda e: e["file"])
def test_new_text_keeps_the_reply_and_drops_the_history(entry):
    parsed = parse(entry)
    assert parsed.auto_reply is None and not parsed.bounce
    text = corpus.squeeze(parsed.text)
    for fragment in entry.get("contains", []):
        assert corpus.squeeze(fragment) in text, f"{fragment!r} missing from {text!r}"
    for fragment in entry.get("excludes", []):
        assert corpus.squeeze(fragment) not in text, f"{fragment!r} kept in {text!r}"


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e["expect"] == "accepted"], ids=lambda e: e["file"])
def test_status_keywords_are_read_in_the_new_text_only(entry):
    parsed = parse(entry)
    assert corpus.KIND_OF_KEYWORD[mailparse.status_keyword(parsed.text)] == entry.get("kind", "answer")


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.get("attachments") or e.get("rejected_attachments")],
                         ids=lambda e: e["file"])
def test_attachments_are_kept_or_refused(entry):
    parsed = parse(entry)
    kept = sorted((a.name, a.content_type) for a in parsed.attachments)
    assert kept == sorted((a["name"], a["content_type"]) for a in entry.get("attachments", []))
    refused = {r.name for r in parsed.refused}
    assert set(entry.get("rejected_attachments", [])) <= refused


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e["expect"] == "auto_reply"], ids=lambda e: e["file"])
def test_automatic_messages_are_recognised(entry):
    assert parse(entry).auto_reply is not None


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e["expect"] == "bounce"], ids=lambda e: e["file"])
def test_delivery_reports_are_recognised_as_bounces(entry):
    parsed = parse(entry)
    assert parsed.bounce and parsed.text == ""


def test_html_is_sanitized_before_any_text_is_taken():
    html = ('<p>Bonjour<script>alert(1)</script></p><img src=x onerror=alert(2)>'
            '<p>Dossier <b>réglé</b>.</p><blockquote type="cite">ancien message</blockquote>')
    text = mailparse.html_to_text(html)
    assert "alert" not in text
    assert "Bonjour" in text and "Dossier réglé." in text
    assert "> ancien message" in text and mailparse.new_text(text) == "Bonjour\n\nDossier réglé."


def test_the_authors_own_blockquote_is_content_and_a_quote_after_an_attribution_is_not():
    html = ('<div>Voici l\'article applicable :</div><blockquote>Art. L. 262-2 : toute personne '
            'résidant en France…</blockquote><div>Le droit est donc ouvert.</div>'
            '<div>Le 26/11/2026 à 10:12, Relais SP+ a écrit :</div><blockquote>Question de l\'agent</blockquote>')
    text = mailparse.new_text(mailparse.html_to_text(html))
    assert "Art. L. 262-2" in text and "Le droit est donc ouvert." in text
    assert "Question de l'agent" not in text and "a écrit" not in text


@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\x\\rapport.pdf", "rapport.pdf"),
    ("\x00\x1f.pdf", "pdf"),
    ("", "piece-jointe"),
    ("a" * 300 + ".pdf", "a" * 120),
])
def test_attachment_names_lose_their_path_and_control_characters(name, expected):
    assert mailparse.safe_filename(name) == expected


@pytest.mark.parametrize("text, keyword", [
    ("Je ne suis pas le bon interlocuteur.", "wrong_recipient"),
    ("PAS LA BONNE INTERLOCUTRICE", "wrong_recipient"),
    ("J’ai besoin d’informations complémentaires", "needs_info"),
    ("besoin d'information complementaire svp", "needs_info"),
    ("Le dossier est réglé.", None),
])
def test_status_keywords(text, keyword):
    assert mailparse.status_keyword(text) == keyword


QUOTE = ("\r\n\r\nLe mar. 24 nov. 2026 à 10:00, Relais <ne-pas-repondre@relais.example.org> a écrit :\r\n"
         "> Le RSA est bloqué.\r\n")
SIGNATURE = "\r\n-- \r\nKarim Benali\r\nCAF de l'Orne\r\n"


@pytest.mark.parametrize("raw, text", [
    pytest.param(b"", "", id="empty"),
    pytest.param(b"\x00\xff\xfe garbage without headers", "\x00\ufffd\ufffd garbage without headers",
                 id="no-headers"),
    pytest.param(b"From: <<<@@@>>>\r\nTo: ,,,\r\nSubject: =?utf-8?q?=ZZ?=\r\nContent-Type: multipart/mixed\r\n\r\n"
                 b"no boundary", "", id="multipart-without-boundary"),
    pytest.param(b"From: <<<@@@>>>\r\nTo: ,,,\r\nSubject: =?utf-8?q?=ZZ?=\r\nContent-Type: text/plain; charset=utf-8\r\n"
                 b"Content-Transfer-Encoding: 8bit\r\n\r\n" + f"C'est réglé.{QUOTE}{SIGNATURE}".encode(),
                 "C'est réglé.", id="broken-addresses-and-subject"),
    pytest.param(b"From: a@example.org\r\nContent-Type: text/plain; charset=x-unknown-charset\r\n"
                 b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!", "!!!not base64!!!", id="bad-base64"),
    pytest.param(b"From: a@example.org\r\nContent-Type: text/plain; charset=x-unknown-charset\r\n"
                 b"Content-Transfer-Encoding: 8bit\r\n\r\n" + f"Réglé ce matin.{QUOTE}{SIGNATURE}".encode("latin-1"),
                 "Réglé ce matin.", id="unknown-charset-read-as-latin-1"),
    pytest.param(b"From: a@example.org\r\nContent-Type: text/plain; charset=utf-8\r\n"
                 b"Content-Transfer-Encoding: quoted-printable\r\n\r\nR=C3=A9gl=C3=A9 =ZZ ce matin.=\r\n"
                 + f"{QUOTE}{SIGNATURE}".encode(), "Réglé =ZZ ce matin.", id="bad-quoted-printable"),
    pytest.param(b"From: a@example.org\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n"
                 b"Content-Type: text/html\r\n\r\n<div><blockquote type=cite><p>unclosed", mailparse.FOLD,
                 id="html-only-an-unclosed-quote"),
    pytest.param(b"From: a@example.org\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n"
                 b"Content-Type: text/html\r\n\r\n<div><blockquote><p>unclosed", "unclosed",
                 id="html-only-the-authors-own-unclosed-blockquote"),
    pytest.param(b"From: a@example.org\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n"
                 b"Content-Type: text/html; charset=utf-8\r\n\r\n"
                 + "<div>Réglé ce matin.<br>-- <br>Karim<blockquote><p>Le RSA est bloqué.".encode(),
                 "Réglé ce matin.", id="html-reply-signature-and-unclosed-quote"),
])
def test_malformed_messages_parse_to_their_new_text(raw, text):
    """Whatever is broken, the parse does not raise, and keeps the new text without the quoted
    history or the signature."""
    assert mailparse.parse(raw, OWN).text == text


def test_format_flowed_is_read_as_typed():
    text = "Le versement est \r\nparti ce matin.\r\n From here.\r\n-- \r\nKarim\r\n> Le RSA est \r\n> bloqu\u00e9.\r\n"
    assert mailparse.unflow(text) == ("Le versement est parti ce matin.\nFrom here.\n-- \nKarim\n"
                                      "> Le RSA est bloqué.\n")
    assert mailparse.unflow("mot-\r\nsuite\r\n") == "mot-\nsuite\n"
    assert mailparse.unflow("Bonjour \r\ntout le monde\r\n", delsp=True) == "Bonjourtout le monde\n"
