"""Documents on a case: the browser posts the file straight to S3 (a presigned POST), S3 sends it
back to the app, which checks the real type and adds the document to the thread; readers get it
through a short-lived link.

S3 is moto's server in this process (chalicelib/dev/s3_server.py): it shares the in-process mock's
state and checks the POST policy, so the upload below is a real multipart POST over HTTP with
`requests`, exactly what a browser sends from templates/pages/_upload_form.html.
"""
from __future__ import annotations

import base64
import io
import json
import secrets
import zipfile
from html.parser import HTMLParser
from urllib.parse import unquote, urlencode, urlsplit

import pytest
import requests

from tests.clock import TUESDAY_MORNING
from tests.conftest import CASE, login

pytestmark = pytest.mark.instant(TUESDAY_MORNING)

AGENT = "agent.bretoncelles@example.org"
REFERENT = "referent.61-caf@example.org"
OTHER_REFERENT = "referent.61-cpam@example.org"
OTHER_AGENT = "agent.mortagne@example.org"
COORDINATOR = "coordination.61@example.org"
LABEL = "Avis d'imposition 2025"
FILE_NAME = "Jeanne-Martin-avis.pdf"     # personal data: must appear in no URL


def minimal_pdf() -> bytes:
    """A valid one-page PDF: header, three objects, cross-reference table and trailer."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"]
    pdf, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return pdf


PDF = minimal_pdf()


@pytest.fixture
def agent(client):
    return login(client, AGENT)


@pytest.fixture
def escalated(client, agent):
    """A case of the Bretoncelles agent, escalated to the CAF."""
    ref = client.http.post("/api/cases", headers=agent, body=json.dumps(CASE)).json_body["ref"]
    response = client.http.post(f"/api/cases/{ref}/escalations", headers=agent, body=json.dumps(
        {"group_ids": ["61-caf"], "question": "Le RSA est bloqué : voici son avis d'imposition."}))
    assert response.status_code == 201, response.body
    return ref


def principal_of(deps, email: str):
    from chalicelib.domain.authz import Principal

    return Principal.of(deps.repo.get_user_by_email(email))


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.form: dict[str, str] = {}
        self.inputs: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "form":
            self.form = dict(attrs)
        elif tag == "input":
            self.inputs.append(dict(attrs))


def rendered_form(upload) -> _Inputs:
    from chalicelib.adapters.templates import render

    parser = _Inputs()
    parser.feed(render("pages/_upload_form.html", upload=upload))
    return parser


def browser_upload(upload, data: bytes, label: str = LABEL, file_name: str = FILE_NAME,
                   **overrides) -> requests.Response:
    """What a browser sends from the rendered form: every field in order, the file last."""
    page = rendered_form(upload)
    fields = {i["name"]: i.get("value") or "" for i in page.inputs if i.get("type") != "file"}
    fields.update({"x-amz-meta-label": label, **overrides})
    return requests.post(page.form["action"], data=fields, timeout=10, allow_redirects=False,
                         files={"file": (file_name, data, "application/octet-stream")})


def back_from_s3(client, s3_response, headers) -> tuple[str, object]:
    """Follow S3's redirect into the app, as the browser does (with its session cookie)."""
    assert s3_response.status_code == 303, s3_response.text
    location = urlsplit(s3_response.headers["Location"])
    path = f"{location.path}?{location.query}"
    return path, client.http.get(path, headers={"Cookie": headers["Cookie"]})


def case_of(client, ref: str, headers) -> dict:
    response = client.http.get(f"/api/cases/{ref}", headers=headers)
    assert response.status_code == 200, response.body
    return response.json_body


def stored(deps, key: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        deps.s3.head_object(Bucket=deps.settings.mail_bucket, Key=key)
        return True
    except ClientError:
        return False


def test_the_form_posts_to_s3_with_the_file_last_and_no_file_name(deps, escalated):
    from chalicelib.services import attachments

    upload = attachments.upload_form(deps, principal_of(deps, AGENT), escalated, group_id="61-caf")
    page = rendered_form(upload)
    assert page.form["action"] == upload.url and page.form["enctype"] == "multipart/form-data"
    assert page.form["method"] == "post"
    names = [i["name"] for i in page.inputs]
    assert names[-1] == "file" and "x-amz-meta-label" in names
    label = next(i for i in page.inputs if i["name"] == "x-amz-meta-label")
    assert label["maxlength"] == "120" and "required" in label
    assert upload.key.startswith(f"uploads/{escalated}/") and len(upload.key.rsplit("/", 1)[1]) == 32
    assert upload.fields["key"] == upload.key and upload.fields["x-amz-meta-group"] == "61-caf"
    assert upload.fields["success_action_redirect"] == (
        f"http://relais.test/dossiers/{escalated}/pieces-jointes/ajout")
    policy = json.loads(base64.b64decode(upload.fields["policy"]))
    assert ["content-length-range", 1, 10 * 1024 * 1024] in policy["conditions"]
    assert ["starts-with", "$x-amz-meta-label", ""] in policy["conditions"]


def test_an_agent_uploads_a_pdf_that_lands_in_the_thread_once(client, deps, agent, escalated):
    from chalicelib.services import attachments

    upload = attachments.upload_form(deps, principal_of(deps, AGENT), escalated, group_id="61-caf")
    s3_response = browser_upload(upload, PDF)
    confirm_path, response = back_from_s3(client, s3_response, agent)
    assert confirm_path.startswith(f"/dossiers/{escalated}/pieces-jointes/ajout?")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/dossiers/{escalated}?envoye=piece"

    messages = case_of(client, escalated, agent)["messages"]
    assert len(messages) == 1
    message = messages[0]
    assert message["body"] == f"Document ajouté : {LABEL}" and message["kind"] == "note"
    assert message["group_id"] == "61-caf" and message["author_role"] == "agent"
    # Kept under attachments/ (uploads/ expires): a server-side copy, the upload deleted.
    kept = f"attachments/{escalated}/{upload.key.rsplit('/', 1)[1]}"
    assert message["attachments"] == [{"name": f"{LABEL}.pdf", "size": len(PDF),
                                       "content_type": "application/pdf", "key": kept}]
    got = deps.s3.get_object(Bucket=deps.settings.mail_bucket, Key=kept)
    assert got["Body"].read() == PDF and got["ContentType"] == "application/pdf"
    assert not stored(deps, upload.key)

    again = client.http.get(confirm_path, headers={"Cookie": agent["Cookie"]})   # reloaded
    assert again.status_code == 303 and again.headers["Location"] == f"/dossiers/{escalated}?envoye=piece"
    assert len(case_of(client, escalated, agent)["messages"]) == 1

    for url in [upload.url, *upload.fields.values(), s3_response.headers["Location"], confirm_path]:
        assert "Jeanne" not in unquote(url) and "avis" not in unquote(url).lower()


def test_a_concurrent_second_confirmation_adds_nothing(client, deps, agent, escalated, monkeypatch):
    """Two confirmations that both read the case before either wrote: the upload's marker item,
    written with the message, makes the second one lose, read again and find the document."""
    import dataclasses

    from chalicelib.services import attachments

    principal = principal_of(deps, AGENT)
    upload = attachments.upload_form(deps, principal, escalated)
    back_from_s3(client, browser_upload(upload, PDF), agent)
    message_id = f"u{upload.key.rsplit('/', 1)[1]}"
    original, stale_reads = deps.repo.get_bundle, [2]   # confirm_upload's read, post_message's first

    def read_before_the_first_wrote(ref):
        bundle = original(ref)
        if stale_reads[0]:
            stale_reads[0] -= 1
            return dataclasses.replace(bundle, messages=[m for m in bundle.messages if m.id != message_id])
        return bundle

    monkeypatch.setattr(deps.repo, "get_bundle", read_before_the_first_wrote)
    # The second also read the upload before the first moved it to attachments/.
    deps.s3.put_object(Bucket=deps.settings.mail_bucket, Key=upload.key, Body=PDF)
    view = attachments.confirm_upload(deps, principal, escalated, upload.key)
    assert stale_reads == [0] and [m.id for m in view.messages] == [message_id]
    assert len(case_of(client, escalated, agent)["messages"]) == 1


def test_the_referent_of_the_thread_downloads_through_a_short_lived_link(client, deps, agent, escalated):
    from chalicelib.services import attachments

    upload = attachments.upload_form(deps, principal_of(deps, AGENT), escalated, group_id="61-caf")
    back_from_s3(client, browser_upload(upload, PDF), agent)
    message_id = case_of(client, escalated, agent)["messages"][0]["id"]
    link = f"/dossiers/{escalated}/pieces-jointes/{message_id}/0"

    for reader in (REFERENT, AGENT):
        response = client.http.get(link, headers={"Cookie": login(client, reader)["Cookie"]})
        assert response.status_code == 303, response.body
        url = response.headers["Location"]
        assert "Jeanne" not in unquote(url) and "avis" not in unquote(url).lower()
        assert "X-Amz-Expires=300" in url
        document = requests.get(url, timeout=10)
        assert document.status_code == 200 and document.content == PDF
        assert document.headers["Content-Disposition"] == 'attachment; filename="piece-jointe-1.pdf"'
        assert document.headers["Content-Type"] == "application/pdf"

    for stranger in (OTHER_REFERENT, OTHER_AGENT, COORDINATOR):
        response = client.http.get(link, headers={"Cookie": login(client, stranger)["Cookie"]})
        assert response.status_code == 404 and "Page introuvable" in response.body.decode()
        assert "piece-jointe" not in response.body.decode() and ".amazonaws.com" not in response.body.decode()
    for missing in (f"/dossiers/{escalated}/pieces-jointes/{message_id}/1",
                    f"/dossiers/{escalated}/pieces-jointes/u{'0' * 32}/0",
                    f"/dossiers/{escalated}/pieces-jointes/{message_id}/-1"):
        response = client.http.get(missing, headers={"Cookie": login(client, REFERENT)["Cookie"]})
        assert response.status_code == 404
    assert client.http.get(link).headers["Location"] == "/connexion?" + urlencode({"suite": link})  # back once signed in


def test_a_note_without_a_thread_is_not_shown_to_the_referent(client, deps, agent, escalated):
    from chalicelib.services import attachments

    upload = attachments.upload_form(deps, principal_of(deps, AGENT), escalated)   # no group: a note
    back_from_s3(client, browser_upload(upload, PDF), agent)
    message = case_of(client, escalated, agent)["messages"][0]
    assert message["group_id"] is None
    link = f"/dossiers/{escalated}/pieces-jointes/{message['id']}/0"
    assert client.http.get(link, headers={"Cookie": login(client, REFERENT)["Cookie"]}).status_code == 404
    assert client.http.get(link, headers={"Cookie": agent["Cookie"]}).status_code == 303


def test_a_file_that_is_not_an_accepted_type_is_refused_and_deleted(client, deps, agent, escalated):
    from chalicelib.services import attachments

    upload = attachments.upload_form(deps, principal_of(deps, AGENT), escalated)
    program = b"MZ\x90\x00\x03\x00\x00\x00" + secrets.token_bytes(2000)
    confirm_path, response = back_from_s3(client, browser_upload(upload, program, file_name="facture.pdf"), agent)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/dossiers/{escalated}?erreur=piece-type"
    assert not stored(deps, upload.key)
    assert case_of(client, escalated, agent)["messages"] == []
    # Reloaded: the upload is gone, the page says so (S3's 403 without s3:ListBucket too:
    # tests/unit/test_documents.py).
    again = client.http.get(confirm_path, headers={"Cookie": agent["Cookie"]})
    assert again.status_code == 404, again.status_code


def test_a_confirmation_that_finds_its_upload_moved_meanwhile_shows_the_case(
        client, deps, agent, escalated, monkeypatch):
    """A second confirmation that read the case before the first wrote, and reached S3 after the
    first moved the upload: it reads the case again and finds the document."""
    import dataclasses

    from chalicelib.services import attachments

    principal = principal_of(deps, AGENT)
    upload = attachments.upload_form(deps, principal, escalated)
    back_from_s3(client, browser_upload(upload, PDF), agent)
    original, stale_reads = deps.repo.get_bundle, [1]

    def read_before_the_first_wrote(ref):
        bundle = original(ref)
        if stale_reads[0]:
            stale_reads[0] -= 1
            return dataclasses.replace(bundle, messages=[])
        return bundle

    monkeypatch.setattr(deps.repo, "get_bundle", read_before_the_first_wrote)
    view = attachments.confirm_upload(deps, principal, escalated, upload.key)
    assert stale_reads == [0]
    assert [m.id for m in view.messages] == [f"u{upload.key.rsplit('/', 1)[1]}"]


def test_s3_itself_refuses_a_file_over_10_mb_and_a_changed_key(deps, escalated):
    from chalicelib.services import attachments

    upload = attachments.upload_form(deps, principal_of(deps, AGENT), escalated)
    too_large = browser_upload(upload, PDF + b"\0" * (10 * 1024 * 1024 + 1 - len(PDF)))
    assert too_large.status_code == 400 and "<Code>EntityTooLarge</Code>" in too_large.text
    other_key = f"uploads/{escalated}/{secrets.token_hex(16)}"
    moved = browser_upload(upload, PDF, key=other_key)
    assert moved.status_code == 403 and "<Code>AccessDenied</Code>" in moved.text
    extra = browser_upload(upload, PDF, **{"x-amz-meta-owner": "someone"})    # not in this form's policy
    assert extra.status_code == 403 and "Extra input fields: x-amz-meta-owner" in extra.text
    assert not stored(deps, upload.key) and not stored(deps, other_key)


def test_an_object_over_10_mb_that_reached_s3_is_refused_and_deleted(client, deps, agent, escalated):
    key = f"uploads/{escalated}/{secrets.token_hex(16)}"
    deps.s3.put_object(Bucket=deps.settings.mail_bucket, Key=key, Body=PDF + b"\0" * (10 * 1024 * 1024),
                       Metadata={"label": "Gros"})
    response = client.http.get(f"/dossiers/{escalated}/pieces-jointes/ajout?key={key}",
                               headers={"Cookie": agent["Cookie"]})
    assert response.headers["Location"] == f"/dossiers/{escalated}?erreur=piece-taille"
    assert not stored(deps, key)


def test_a_key_of_another_case_or_outside_uploads_is_refused(client, deps, agent, escalated):
    from chalicelib.services import attachments

    other = client.http.post("/api/cases", headers=agent, body=json.dumps(CASE)).json_body["ref"]
    upload = attachments.upload_form(deps, principal_of(deps, AGENT), other)
    assert browser_upload(upload, PDF).status_code == 303
    inbound_key = f"attachments/{escalated}/m0000000000/1"
    deps.s3.put_object(Bucket=deps.settings.mail_bucket, Key=inbound_key, Body=PDF)
    for key in (upload.key, inbound_key, f"uploads/{escalated}/../{upload.key.rsplit('/', 1)[1]}"):
        response = client.http.get(f"/dossiers/{escalated}/pieces-jointes/ajout?key={key}",
                                   headers={"Cookie": agent["Cookie"]})
        assert response.status_code == 404
    # Nor may another point's agent add it to the case it was made for.
    response = client.http.get(f"/dossiers/{other}/pieces-jointes/ajout?key={upload.key}",
                               headers={"Cookie": login(client, OTHER_AGENT)["Cookie"]})
    assert response.status_code == 404
    assert case_of(client, escalated, agent)["messages"] == case_of(client, other, agent)["messages"] == []
    assert stored(deps, upload.key)


def test_only_the_agent_of_an_open_case_gets_a_form(client, deps, agent, escalated):
    from chalicelib.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
    from chalicelib.services import attachments

    with pytest.raises(NotAllowed):
        attachments.upload_form(deps, principal_of(deps, REFERENT), escalated)
    with pytest.raises(NotFound):
        attachments.upload_form(deps, principal_of(deps, OTHER_AGENT), escalated)
    with pytest.raises(InvalidInput):
        attachments.upload_form(deps, principal_of(deps, AGENT), escalated, group_id="61-cpam")
    upload = attachments.upload_form(deps, principal_of(deps, AGENT), escalated)
    assert browser_upload(upload, PDF).status_code == 303
    closed = client.http.post(f"/api/cases/{escalated}/close", headers=agent,
                              body=json.dumps({"outcome": "solved_with_partner", "useful": True}))
    assert closed.status_code == 200, closed.body
    with pytest.raises(Conflict):
        attachments.upload_form(deps, principal_of(deps, AGENT), escalated)
    # A document posted just before the case was closed is not kept.
    response = client.http.get(f"/dossiers/{escalated}/pieces-jointes/ajout?key={upload.key}",
                               headers={"Cookie": agent["Cookie"]})
    assert response.headers["Location"] == f"/dossiers/{escalated}?erreur=piece-clos"
    assert not stored(deps, upload.key)


def test_a_referents_email_attachment_is_downloaded_the_same_way(client, deps, agent, escalated):
    from email.message import EmailMessage

    # The escalation's own reply address: the subject's tag alone never acts on a case.
    [token] = [e.reply_token for e in deps.repo.get_bundle(escalated).escalations.values()]
    message = EmailMessage()
    message["From"] = REFERENT
    message["To"] = f"reponse+{token}@in.relais.example.org"
    message["Subject"] = f"RE: [Relais {escalated}] demande"
    message.set_content("Voici l'attestation.")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="attestation Martin.pdf")
    response = client.http.post("/_dev/inbound-email", body=bytes(message),
                                headers={"Content-Type": "message/rfc822"})
    assert response.json_body["outcome"] == "accepted", response.body
    answer = case_of(client, escalated, agent)["messages"][-1]
    assert answer["attachments"][0]["key"].startswith(f"attachments/{escalated}/")
    response = client.http.get(f"/dossiers/{escalated}/pieces-jointes/{answer['id']}/0",
                               headers={"Cookie": agent["Cookie"]})
    assert response.status_code == 303 and "Martin" not in unquote(response.headers["Location"])
    assert requests.get(response.headers["Location"], timeout=10).content == PDF


def _zip(entries: list[tuple[str, bytes]], stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number, (name, data) in enumerate(entries):
            kind = zipfile.ZIP_STORED if stored_first and number == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=kind)
    return buffer.getvalue()


def _ooxml(part: str) -> bytes:     # the entries in the order Word and Excel write them
    return _zip([("[Content_Types].xml", b"<Types/>"), ("_rels/.rels", b"<Relationships/>"),
                 (part, b"<document/>")])


def _ole(sector_one: bytes) -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + sector_one + b"\0" * 1024


def _odf(mime: bytes) -> bytes:
    return _zip([("mimetype", mime), ("content.xml", b"<office/>")], stored_first=True)


KINDS = {
    "pdf": (PDF, "application/pdf"),
    "png": (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + b"\0" * 40, "image/png"),
    "jpg": (b"\xff\xd8\xff\xe0\0\x10JFIF\0" + b"\0" * 40, "image/jpeg"),
    "gif": (b"GIF89a\x01\0\x01\0" + b"\0" * 40, "image/gif"),
    "webp": (b"RIFF\x24\0\0\0WEBPVP8 " + b"\0" * 40, "image/webp"),
    "heic": (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 40, "image/heic"),
    "docx": (_ooxml("word/document.xml"),
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": (_ooxml("xl/workbook.xml"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": (_ooxml("ppt/presentation.xml"),
             "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "odt": (_odf(b"application/vnd.oasis.opendocument.text"), "application/vnd.oasis.opendocument.text"),
    "ods": (_odf(b"application/vnd.oasis.opendocument.spreadsheet"),
            "application/vnd.oasis.opendocument.spreadsheet"),
    "doc": (_ole(b"\xec\xa5\xc1\x00"), "application/msword"),
    "xls": (_ole(b"\x09\x08\x10\x00\x00\x06\x05\x00"), "application/vnd.ms-excel"),
}
REFUSED = {
    "exe": b"MZ\x90\x00" + b"\0" * 100,
    "zip": _zip([("facture.exe", b"MZ\x90\x00")]),
    "html": b"<!doctype html><script>alert(1)</script>",
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "msi": _ole(b"\0" * 8),
    "empty": b"",
}


def _confirm_stored(client, deps, agent, ref: str, data: bytes, label: str = "Piece"):
    key = f"uploads/{ref}/{secrets.token_hex(16)}"
    deps.s3.put_object(Bucket=deps.settings.mail_bucket, Key=key, Body=data, Metadata={"label": label})
    response = client.http.get(f"/dossiers/{ref}/pieces-jointes/ajout?key={key}",
                               headers={"Cookie": agent["Cookie"]})
    return key, response


def test_each_accepted_type_is_recognised_from_its_bytes(client, deps, agent, escalated):
    for extension, (data, content_type) in KINDS.items():
        _, response = _confirm_stored(client, deps, agent, escalated, data)
        assert response.headers["Location"] == f"/dossiers/{escalated}?envoye=piece", extension
        attachment = case_of(client, escalated, agent)["messages"][-1]["attachments"][0]
        assert (attachment["name"], attachment["content_type"]) == (f"Piece.{extension}", content_type)


def test_other_types_are_refused_and_deleted(client, deps, agent, escalated):
    for kind, data in REFUSED.items():
        key, response = _confirm_stored(client, deps, agent, escalated, data)
        assert response.headers["Location"] == f"/dossiers/{escalated}?erreur=piece-type", kind
        assert not stored(deps, key), kind
    assert case_of(client, escalated, agent)["messages"] == []


def test_the_label_is_one_line_of_120_characters_or_document(client, deps, agent, escalated):
    from chalicelib.services.attachments import document_label

    assert document_label("  Relevé\tde   compte\n ") == "Relevé de compte"
    assert document_label("=?UTF-8?B?UmVsZXbDqSBDQUY=?=") == "Relevé CAF"        # RFC 2047, as S3 returns it
    assert document_label("RelevÃ© CAF") == "Relevé CAF"                        # UTF-8 read as Latin-1
    assert document_label("x" * 300) == "x" * 120
    assert document_label("   ") == document_label(None) == "Document"
    _, response = _confirm_stored(client, deps, agent, escalated, PDF, label="  ")
    assert case_of(client, escalated, agent)["messages"][-1]["attachments"][0]["name"] == "Document.pdf"


def test_a_non_ascii_label_survives_the_browser_post(client, deps, agent, escalated):
    from chalicelib.services import attachments

    upload = attachments.upload_form(deps, principal_of(deps, AGENT), escalated)
    back_from_s3(client, browser_upload(upload, PDF, label="Relevé de situation – CAF"), agent)
    message = case_of(client, escalated, agent)["messages"][-1]
    assert message["attachments"][0]["name"] == "Relevé de situation – CAF.pdf"


def test_the_page_allows_its_form_to_post_to_s3(deps, escalated):
    from chalicelib.services import attachments
    from chalicelib.web import pages

    upload = attachments.upload_form(deps, principal_of(deps, AGENT), escalated)
    assert upload.origin.startswith("http://127.0.0.1:") and upload.url.startswith(upload.origin + "/")
    policy = pages.page("_upload_form.html", upload=upload, form_targets=[upload.origin]).headers[
        "Content-Security-Policy"]
    assert f"form-action 'self' {upload.origin};" in policy
    assert "form-action 'self';" in pages.page("_upload_form.html", upload=upload).headers[
        "Content-Security-Policy"]


def test_s3_policy_rules_as_the_dev_server_applies_them():
    from datetime import UTC, datetime, timedelta

    from chalicelib.dev.s3_server import policy_refusal

    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def policy(conditions, expires=now + timedelta(minutes=15)):
        document = {"expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"), "conditions": conditions}
        return base64.b64encode(json.dumps(document).encode()).decode()

    rules = [{"bucket": "b"}, {"key": "k"}, ["starts-with", "$x-amz-meta-label", ""],
             ["content-length-range", 1, 10]]
    fields = {"key": "k", "x-amz-meta-label": "Avis", "policy": policy(rules), "x-amz-signature": "s"}
    assert policy_refusal(fields, 5, "b", now) is None
    assert policy_refusal(fields, 11, "b", now)[1] == "EntityTooLarge"
    assert policy_refusal(fields, 0, "b", now)[1] == "EntityTooSmall"
    assert policy_refusal({**fields, "key": "k2"}, 5, "b", now)[1] == "AccessDenied"
    assert policy_refusal(fields, 5, "other-bucket", now)[1] == "AccessDenied"
    assert policy_refusal({**fields, "acl": "public-read"}, 5, "b", now)[2].endswith("Extra input fields: acl")
    assert policy_refusal({**fields, "x-ignore-me": "1"}, 5, "b", now) is None
    without_label = {k: v for k, v in fields.items() if k != "x-amz-meta-label"}
    assert policy_refusal(without_label, 5, "b", now)[1] == "AccessDenied"
    expired = {**fields, "policy": policy(rules, now - timedelta(seconds=1))}
    assert "Policy expired" in policy_refusal(expired, 5, "b", now)[2]
