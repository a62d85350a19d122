"""Documents on a case: uploaded by the browser straight to S3, read through short-lived links.

API Gateway caps a request body at 10 MB, so a file never goes through Lambda: the case page
carries a plain HTML form whose action is the bucket (a presigned POST, no script). S3 checks
the policy (size, exact key, redirect), stores the object under uploads/<ref>/<random id> and
sends the browser back to the app, which reads the first bytes to learn the real type and adds
the document to the thread. File names are personal data: no key and no URL carries one.

An accepted document moves to attachments/<ref>/<random id> (a server-side copy, then the upload
is deleted), where the case's documents stay until retention purges them; uploads/ holds only
uploads not yet confirmed, which the bucket expires after a day (infra/template.py).
"""
from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from aws_lambda_powertools import Logger

from ..adapters.errors import NotStored
from ..adapters.mailparse import ALLOWED_TYPES
from ..bootstrap import Deps
from ..domain import authz
from ..domain.authz import Principal
from ..domain.commands import MessageCreate
from ..domain.errors import Conflict, FileRefused, InvalidInput, NotFound
from ..domain.events import EventCode
from ..domain.models import Attachment, CaseStatus, Role
from ..views import CaseView
from . import cases
from .common import event

logger = Logger(service="relais", child=True)

MAX_BYTES = 10 * 1024 * 1024
UPLOAD_SECONDS = 15 * 60
DOWNLOAD_SECONDS = 5 * 60
HEAD_BYTES = 8192                  # what filetype reads to recognise a file
LABEL_MAX = 120
DEFAULT_LABEL = "Document"
UPLOADS = "uploads/"
ATTACHMENTS = "attachments/"          # where an accepted upload is kept (as inbound email's documents)
_UPLOAD_KEY = re.compile(r"^uploads/(?P<ref>[0-9AB]{2,3}-[0-9A-Z]{3}-[0-9A-Z]{3})/(?P<id>[0-9a-f]{32})$")

DOCUMENT_NOT_FOUND = "Ce document est introuvable."
CASE_CLOSED = "Ce dossier est clos : on ne peut plus y ajouter de document."
TYPE_REFUSED = ("Ce type de fichier n'est pas accepté : le document n'a pas été ajouté. Envoyez un "
                "PDF, une image (JPEG, PNG, GIF, WEBP, HEIC) ou un document bureautique (Word, Excel, "
                "PowerPoint, LibreOffice).")
TOO_LARGE = ("Ce document dépasse 10 Mo : il n'a pas été ajouté. Réduisez-le (par exemple en le "
             "numérisant en noir et blanc) ou envoyez-le en plusieurs parties.")

# The file name a download gets: its extension, by the content type stored with the attachment
# (inbound email's list, which covers every type accepted here).
_EXTENSIONS = {content_type: extension for extension, (content_type, _) in reversed(ALLOWED_TYPES.items())}


def _accepted_matchers():
    """The types a browser upload may be, recognised from their bytes (filetype's matchers)."""
    from filetype.types import archive, document, image

    return [archive.Pdf(), image.Png(), image.Jpeg(), image.Gif(), image.Webp(), image.Heic(),
            document.Docx(), document.Xlsx(), document.Pptx(), document.Odt(), document.Ods(),
            document.Doc(), document.Xls()]


ACCEPT = ".pdf,.png,.jpg,.jpeg,.gif,.webp,.heic,.docx,.xlsx,.pptx,.odt,.ods,.doc,.xls"


@dataclass(frozen=True)
class UploadForm:
    """What the case page needs to render the form that posts a file straight to S3."""

    url: str
    fields: dict[str, str]
    key: str
    accept: str = ACCEPT

    @property
    def origin(self) -> str:
        """For the page's Content-Security-Policy form-action."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"


def upload_form(deps: Deps, principal: Principal, ref: str, group_id: str | None = None) -> UploadForm:
    """A presigned POST for one document, valid 15 minutes: the case's agent, an open case."""
    authz.require_role(principal, Role.AGENT)
    ref = cases.case_ref(ref)
    bundle = deps.repo.get_bundle(ref)
    authz.require_agent_of_case(principal, bundle.case)
    if bundle.case.status is CaseStatus.CLOSED:
        raise Conflict(CASE_CLOSED)
    if group_id is not None and group_id not in bundle.escalations:
        raise InvalidInput("Ce dossier n'a pas été transmis à cet organisme.", field="group_id")
    key = f"{UPLOADS}{ref}/{secrets.token_hex(16)}"
    redirect = f"{deps.settings.base_url}/dossiers/{ref}/pieces-jointes/ajout"
    fields = {"success_action_redirect": redirect, "x-amz-server-side-encryption": "AES256"}
    conditions: list = [["content-length-range", 1, MAX_BYTES], {"success_action_redirect": redirect},
                        {"x-amz-server-side-encryption": "AES256"},
                        ["starts-with", "$x-amz-meta-label", ""]]
    if group_id is not None:
        fields["x-amz-meta-group"] = group_id
        conditions.append({"x-amz-meta-group": group_id})
    else:   # the form lets the agent choose the thread (empty: a note); checked on the way back
        conditions.append(["starts-with", "$x-amz-meta-group", ""])
    # In AWS: the bucket's virtual-hosted address in its region. A form post is no script
    # request, so the bucket needs no CORS; issue 8 adds its policy (public access blocked).
    post = deps.documents.presign_upload(key, fields, conditions, UPLOAD_SECONDS)
    return UploadForm(url=post["url"], fields=post["fields"], key=key)


def confirm_upload(deps: Deps, principal: Principal, ref: str, key: str) -> CaseView:
    """The browser is back from S3 with the object's key: check the object, then add it to the
    thread once. A file that is too large or of a refused type is deleted."""
    authz.require_role(principal, Role.AGENT)
    ref = cases.case_ref(ref)
    match = _UPLOAD_KEY.match(key or "")
    if match is None or match["ref"] != ref:
        raise NotFound(DOCUMENT_NOT_FOUND)
    upload_id = match["id"]
    message_id = f"u{upload_id}"
    bundle = deps.repo.get_bundle(ref)
    authz.require_agent_of_case(principal, bundle.case)
    if any(m.id == message_id for m in bundle.messages):
        return cases.get_case(deps, principal, ref)       # the redirect was reloaded
    try:
        head = deps.documents.head(key)
    except NotStored:
        return _moved_meanwhile(deps, principal, ref, message_id)
    if bundle.case.status is CaseStatus.CLOSED:
        _delete(deps, key, ref, "case_closed")
        raise Conflict(CASE_CLOSED)
    size = head.size
    if size > MAX_BYTES:
        _delete(deps, key, ref, "size")
        raise FileRefused(TOO_LARGE, "size")
    import filetype

    # An empty object has no first bytes to read (S3 answers InvalidRange); it is of no type.
    first_bytes = deps.documents.read(key, first_bytes=HEAD_BYTES) if size else b""
    kind = filetype.match(first_bytes, matchers=_accepted_matchers()) if first_bytes else None
    if kind is None:
        _delete(deps, key, ref, "type")
        raise FileRefused(TYPE_REFUSED, "type")
    metadata = {name.lower(): value for name, value in head.metadata.items()}
    label = document_label(metadata.get("label"))
    group_id = metadata.get("group")
    kept = ATTACHMENTS + key.removeprefix(UPLOADS)
    try:
        deps.documents.copy(deps.documents.bucket, key, kept, content_type=kind.mime)
    except NotStored:
        return _moved_meanwhile(deps, principal, ref, message_id)
    attachment = Attachment(name=f"{label}.{kind.extension}", size=size, content_type=kind.mime, key=kept)
    command = MessageCreate(body=f"Document ajouté : {label}",
                            group_id=group_id if group_id in bundle.escalations else None)
    try:
        view = cases.post_agent_message(deps, principal, ref, command, cases.Posting(
            message_id=message_id, attachments=[attachment],
            also=lambda uow: uow.marks.upload(upload_id, deps.now(), ref, message_id)))
    except Conflict:        # closed meanwhile: the document belongs to no case
        deps.documents.delete(kept)
        _delete(deps, key, ref, "case_closed")
        raise
    # Kept under attachments/ now. A failure here leaves the upload to the bucket's expiry.
    deps.documents.delete(key)
    logger.info("document uploaded", extra={"case_ref": ref, "message_id": message_id,
                                            "content_type": kind.mime, "size": size})
    return view


def download_url(deps: Deps, principal: Principal, ref: str, message_id: str, index: int) -> str:
    """A link to one attachment, valid 5 minutes, for whoever may read its message: the case's
    agent, or a referent whose group's thread holds it (the case view's own rules)."""
    view = cases.read_case(deps, principal, ref)        # ATTACHMENT_READ below is its audit
    message = next((m for m in view.messages if m.id == message_id), None)
    if message is None or not 0 <= index < len(message.attachments):
        raise NotFound(DOCUMENT_NOT_FOUND)
    attachment = message.attachments[index]
    extension = _EXTENSIONS.get(attachment.content_type, "bin")
    # A generic name: the document's title is personal data and would travel in the URL.
    url = deps.documents.download_url(
        attachment.key, attachment.content_type,
        f'attachment; filename="piece-jointe-{index + 1}.{extension}"', DOWNLOAD_SECONDS)
    deps.repo.add_event(event(EventCode.ATTACHMENT_READ, principal.user_id, deps.now(), view.ref,
                              message.group_id, message_id=message_id, index=str(index)))
    return url


def document_label(raw: str | None) -> str:
    """The title the agent typed, as stored in the object's metadata: one line, 120 characters."""
    text = unicodedata.normalize("NFC", _metadata_text(raw or ""))
    text = " ".join("".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text).split())
    return text[:LABEL_MAX].strip() or DEFAULT_LABEL


def _metadata_text(value: str) -> str:
    """S3 hands non-ASCII metadata back RFC 2047-encoded, or as UTF-8 bytes read as Latin-1."""
    if value.startswith("=?"):
        from email.errors import HeaderParseError
        from email.header import decode_header, make_header

        try:
            return str(make_header(decode_header(value)))
        except (HeaderParseError, LookupError, UnicodeDecodeError, ValueError):
            return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _moved_meanwhile(deps: Deps, principal: Principal, ref: str, message_id: str) -> CaseView:
    """The upload is gone: kept by a confirmation that ran meanwhile (moved to attachments/), or
    refused and deleted (then not found)."""
    if any(m.id == message_id for m in deps.repo.get_bundle(ref).messages):
        return cases.get_case(deps, principal, ref)
    raise NotFound(DOCUMENT_NOT_FOUND)


def _delete(deps: Deps, key: str, ref: str, reason: str) -> None:
    deps.documents.delete(key)
    logger.info("uploaded document refused and deleted", extra={"case_ref": ref, "reason": reason})
