"""Reading an inbound email: who sent it, what it answers, its new text and its attachments.

Pure: raw RFC 5322 bytes in, a ParsedEmail out. No AWS, no storage. HTML is sanitized by nh3
before any text is taken from it, its quote containers written as '>' lines; the new text is
then taken by adapters/replies.py (quoted history, reply headers in every EU language,
signatures), which declines to cut when it is not sure (ParsedEmail.review).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from pathlib import PurePosixPath

from .replies import FOLD, Segment, extract, folded, segments

__all__ = ["FOLD", "Segment", "folded", "segments"]

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 10

# Extension -> (content type we store, magic prefixes the bytes must start with; None: any).
ALLOWED_TYPES: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    "pdf": ("application/pdf", (b"%PDF",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "webp": ("image/webp", (b"RIFF",)),
    "heic": ("image/heic", None),
    "tif": ("image/tiff", (b"II*\x00", b"MM\x00*")),
    "tiff": ("image/tiff", (b"II*\x00", b"MM\x00*")),
    "doc": ("application/msword", (b"\xd0\xcf\x11\xe0",)),
    "xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0",)),
    "ppt": ("application/vnd.ms-powerpoint", (b"\xd0\xcf\x11\xe0",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK",)),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (b"PK",)),
    "odt": ("application/vnd.oasis.opendocument.text", (b"PK",)),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", (b"PK",)),
    "odp": ("application/vnd.oasis.opendocument.presentation", (b"PK",)),
    "rtf": ("application/rtf", (b"{\\rtf",)),
    "txt": ("text/plain", None),
    "csv": ("text/csv", None),
}
TNEF_NAMES = {"winmail.dat", "win.dat"}


@dataclass
class InboundAttachment:
    name: str
    content_type: str
    data: bytes


@dataclass
class RefusedAttachment:
    name: str
    reason: str      # type | size | count | content


@dataclass
class ParsedEmail:
    sender: str                      # the one address of From, lower-cased ("" if not exactly one)
    recipients: list[str]            # To, Cc, Delivered-To, X-Original-To, lower-cased
    subject: str
    message_id: str | None
    thread_ids: list[str]            # In-Reply-To then References, without brackets
    text: str                        # the new text only
    full_text: str                   # the whole body as text (quotes included)
    attachments: list[InboundAttachment] = field(default_factory=list)
    refused: list[RefusedAttachment] = field(default_factory=list)
    auto_reply: str | None = None    # why it is an automatic message, or None
    bounce: bool = False
    bounced_recipients: list[str] = field(default_factory=list)
    sender_problem: str | None = None   # why From is not exactly one well-formed address
    from_header: str = ""            # From as written (decoded), for the agent: never logged
    authentication: AuthenticationResults | None = None   # SES's own Authentication-Results
    # Extraction declined to cut (it would have left nothing, a greeting, or much less than the
    # text outside recognised quotes): `text` is then the whole message with its quotes folded,
    # and the agent is asked to check it (« réponse à vérifier »).
    review: bool = False


# --- the sender ---------------------------------------------------------------------------

# An address we accept as a sender: ASCII local part (dot-atom characters) and a host name.
_ADDRESS = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                      r"@[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+")


def single_sender(message: EmailMessage) -> tuple[str, str | None, str]:
    """(address, None, From as written) if the message has exactly one From header holding exactly
    one well-formed address, and nothing else in it that reads as an address (a display name or a
    comment naming another one); else ("", why, From as written). Never parseaddr's guess: it
    picks one address out of two, or the member's out of a malformed header."""
    values = message.get_all("From") or []
    # As written (the header registry rewrites a malformed value as what it could read of it).
    raw_values = [re.sub(r"\s*\r?\n\s*", " ", str(v)).strip() for k, v in message.raw_items()
                  if k.lower() == "from"]
    written = " | ".join(raw_values)[:254]
    if not values:
        return "", "no_from", written
    if len(values) > 1:
        return "", "several_from", written
    header = values[0]
    try:
        defects, groups = list(header.defects), list(header.groups)
        addresses = [a for g in groups for a in g.addresses]
    except Exception:  # noqa: BLE001 - a header the registry cannot read is malformed
        return "", "malformed_from", written
    if defects or any(g.display_name is not None for g in groups):
        return "", "malformed_from", written
    if len(addresses) != 1:
        return "", "several_addresses" if addresses else "malformed_from", written
    address = addresses[0].addr_spec.strip().lower()
    if not _ADDRESS.fullmatch(address):
        return "", "malformed_from", written
    # Anything else shaped like an address (display name, comment, encoded word, once decoded).
    if any("@" in text.lower().replace(address, "") for text in (str(header), *raw_values)):
        return "", "display_name_address", written
    return address, None, written


# --- authentication: what SES itself wrote ---------------------------------------------------

AUTHSERV_ID = "amazonses.com"


@dataclass
class AuthenticationResults:
    """SES's Authentication-Results header (RFC 8601): the first one of the message, written by
    amazonses.com. SES prepends its own above the message's headers, so one further down (a
    forged one) is never read."""
    spf: str | None = None              # pass | fail | ...
    envelope_from: str | None = None    # the SMTP MAIL FROM SES checked SPF on
    dkim_pass_domains: list[str] = field(default_factory=list)
    dmarc: str | None = None
    dmarc_from: str | None = None       # header.from: the From domain DMARC was evaluated on


def _domain(value: str) -> str:
    return value.strip().strip(";").rsplit("@", 1)[-1].strip().lower().rstrip(".")


def authentication_results(message: EmailMessage) -> AuthenticationResults | None:
    values = message.get_all("Authentication-Results") or []
    if not values:
        return None
    first = str(values[0])
    server, _, rest = first.partition(";")
    if server.strip().lower() != AUTHSERV_ID:
        return None
    found = AuthenticationResults()
    for clause in rest.split(";"):
        clause = re.sub(r"\([^)]*\)", " ", clause).strip()     # comments out
        match = re.match(r"(spf|dkim|dmarc)\s*=\s*([a-z]+)\b(.*)$", clause, re.IGNORECASE | re.DOTALL)
        if match:
            method, result, properties = match[1].lower(), match[2].lower(), match[3]
            props = dict((k.lower(), v) for k, v in re.findall(r"([a-z.-]+)\s*=\s*([^\s;]+)", properties,
                                                              re.IGNORECASE))
            if method == "spf":
                found.spf = result
                mail_from = props.get("smtp.mailfrom") or props.get("envelope-from")
                if mail_from:
                    found.envelope_from = mail_from.lower()
            elif method == "dkim" and result == "pass":
                signer = props.get("header.d") or props.get("header.i")
                if signer:
                    found.dkim_pass_domains.append(_domain(signer))
            elif method == "dmarc":
                found.dmarc = result
                if props.get("header.from"):
                    found.dmarc_from = _domain(props["header.from"])
        else:   # SES writes some properties as their own clause: "envelope-from=...;"
            props = dict((k.lower(), v) for k, v in re.findall(r"([a-z.-]+)\s*=\s*([^\s;]+)", clause,
                                                              re.IGNORECASE))
            if found.envelope_from is None and (props.get("envelope-from") or props.get("smtp.mailfrom")):
                found.envelope_from = (props.get("envelope-from") or props.get("smtp.mailfrom")).lower()
    return found


# --- automatic messages --------------------------------------------------------------------

_AUTO_SUBJECT = re.compile(
    r"^\s*(r[ée]ponse automatique|r[ée]ponse auto\b|message automatique|automatic reply|auto[- ]?reply|"
    r"autoreply|auto[- ]?response|out of (the )?office|absence du bureau|absent du bureau|"
    r"message d'absence|je suis absente?|(?:en )?cong[ée]s?\s*:|absence\s*:|absent\s*:|"
    r"abwesenheitsnotiz|fuera de la oficina|respuesta autom[áa]tica)",
    re.IGNORECASE)
_BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}


def automatic_reason(message: EmailMessage, own_addresses: set[str]) -> str | None:
    """Why a message was written by a machine rather than a person, or None (RFC 3834)."""
    sender = parseaddr(str(message.get("From", "")))[1].lower()
    if sender in own_addresses:
        return "own_message"
    submitted = str(message.get("Auto-Submitted", "")).strip().lower()
    if submitted and submitted != "no":
        return "auto_submitted"
    if str(message.get("Precedence", "")).strip().lower() in _BULK_PRECEDENCE:
        return "precedence"
    for header in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply"):
        if header in message:
            return "autoreply_header"
    if "List-Id" in message or "List-Unsubscribe" in message:
        return "mailing_list"
    if _AUTO_SUBJECT.search(str(message.get("Subject", ""))):
        return "out_of_office_subject"
    return None


def _bounce(message: EmailMessage) -> tuple[bool, list[str]]:
    """A delivery status notification (RFC 3464), and the recipients it reports failed."""
    is_report = (message.get_content_type() == "multipart/report"
                 and message.get_param("report-type", "").lower() == "delivery-status")
    sender = parseaddr(str(message.get("From", "")))[1].lower()
    from_daemon = sender.split("@")[0] in {"mailer-daemon", "postmaster"}
    if not (is_report or from_daemon):
        return False, []
    failed = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in part.get_payload() if part.is_multipart() else []:
            recipient = str(block.get("Final-Recipient", "") or block.get("Original-Recipient", ""))
            if str(block.get("Action", "")).strip().lower() == "failed" and ";" in recipient:
                failed.append(recipient.split(";", 1)[1].strip().lower())
    return True, failed


# --- text ----------------------------------------------------------------------------------

class _HtmlText(HTMLParser):
    """Text of sanitized HTML. Quoted history becomes '> ' lines, as a plain-text client would
    write it, so that one reader (adapters/replies.py) decides for both kinds of body:
    - quote containers (Gmail, Yahoo, Proton, Thunderbird, Apple Mail `type=cite`) are quotes;
    - Outlook's reply header (divRplyFwdMsg, appendonsend, Outlook for Mac's
      OLK_SRC_BODY_SECTION) opens the history: everything after it is quoted;
    - a plain `<blockquote>` is the author's own unless a reply attribution is right above it;
    - `<hr>` is written as a rule of underscores (a separator only if a header block follows)."""

    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "table", "ul", "ol", "blockquote", "pre"}
    QUOTE_MARKERS = ("gmail_quote", "yahoo_quoted", "protonmail_quote", "moz-cite-prefix", "cite")
    HISTORY_MARKERS = ("divrplyfwdmsg", "appendonsend", "olk_src_body_section", "x_divrplyfwdmsg",
                       "mail-editor-reference-message-container")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[list[str]] = [[]]      # lines, each a list of pieces
        self.quoted: list[bool] = [False]       # whether each line is inside a quote
        self.stack: list[tuple[str, bool]] = []  # open tags, and whether each opened a quote
        self.depth = 0                           # quotes open
        self.history = False                     # Outlook's header seen: the rest is quoted
        self.pre = 0                             # inside <pre>: line breaks are lines

    def _newline(self):
        self.lines.append([])
        self.quoted.append(self.history or self.depth > 0)

    def handle_starttag(self, tag, attrs):
        attributes = {name: (value or "").lower() for name, value in attrs}
        marker = " ".join((attributes.get("class", ""), attributes.get("id", ""), attributes.get("type", "")))
        if any(m in marker for m in self.HISTORY_MARKERS):
            self.history = True
        if tag == "br":
            self._newline()
            return
        if tag == "hr":
            self._newline()
            self.lines[-1].append("_" * 32)
            self._newline()
            return
        opens = any(m in marker for m in self.QUOTE_MARKERS) or (
            tag == "blockquote" and (self.depth > 0 or self._after_attribution()))
        self.stack.append((tag, opens))
        self.pre += tag == "pre"
        if tag in self.BLOCKS:
            self._newline()
        if opens:
            self.depth += 1
            self.quoted[-1] = True

    def _after_attribution(self) -> bool:
        from .replies import attribution_end, header_block_end

        filled: list[str] = []
        for parts in reversed(self.lines):       # the last 4 lines written, not the whole page
            line = "".join(parts).strip()
            if line:
                filled.insert(0, line)
                if len(filled) == 4:
                    break
        return any(attribution_end(filled, i) == len(filled) or header_block_end(filled, i)
                   for i in range(len(filled)))

    def handle_endtag(self, tag):
        if tag not in (t for t, _ in self.stack):
            return
        while self.stack:
            open_tag, opened = self.stack.pop()
            if opened:
                self.depth -= 1
            if open_tag == "pre":
                self.pre -= 1
            if open_tag == tag:
                break
        if tag in self.BLOCKS:
            self._newline()

    def handle_data(self, data):
        if self.pre and "\n" in data:
            first, *others = data.split("\n")
            self.handle_data(first)
            for other in others:
                self._newline()
                self.handle_data(other)
            return
        if not self.lines[-1] and (self.history or self.depth > 0):
            self.quoted[-1] = True
        self.lines[-1].append(data)

    def text(self) -> str:
        out: list[str] = []
        for parts, quoted in zip(self.lines, self.quoted, strict=True):
            line = re.sub(r"\s+", " ", "".join(parts).replace("\xa0", " ")).strip()
            line = "-- " if line == "--" else line     # the signature delimiter keeps its space
            out.append(f"> {line}" if quoted and line else line)
        text = "\n".join(out)
        return re.sub(r"\n{3,}", "\n\n", text).strip()


def html_to_text(html: str) -> str:
    import nh3

    clean = nh3.clean(html, tags={"p", "div", "br", "blockquote", "li", "ul", "ol", "tr", "td",
                                  "table", "tbody", "span", "a", "b", "i", "strong", "em", "hr",
                                  "h1", "h2", "h3", "h4", "pre"},
                      attributes={"div": {"class", "id"}, "blockquote": {"class", "type"},
                                  "span": {"class", "id"}, "p": {"class"}, "pre": {"class"}},
                      link_rel=None)
    parser = _HtmlText()
    parser.feed(clean)
    parser.close()
    return parser.text()


def new_text(text: str) -> str:
    """The part of a reply its author wrote now: no quoted history, signature or footer."""
    return extract(text).text


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("latin-1")
    if part.get_content_type() == "text/html":
        return html_to_text(content)
    if str(part.get_param("format", "")).lower() == "flowed":
        return unflow(content, delsp=str(part.get_param("delsp", "")).lower() == "yes")
    return content


def unflow(text: str, delsp: bool = False) -> str:
    """A format=flowed text (RFC 3676) as its author typed it: a line ending in a space goes on
    on the next line of the same quote depth; the space-stuffing is removed; "-- " stays."""
    out: list[str] = []
    pending: str | None = None
    pending_depth = 0
    for raw in text.replace("\r\n", "\n").split("\n"):
        depth = len(raw) - len(raw.lstrip(">"))
        content = raw[depth:]
        content = content[1:] if content.startswith(" ") else content
        if pending is not None and depth == pending_depth:
            pending += content
        else:
            if pending is not None:
                out.append((">" * pending_depth + " " if pending_depth else "") + pending)
            pending, pending_depth = content, depth
        if content.endswith(" ") and content != "-- ":
            pending = pending[:-1] if delsp else pending
            continue
        out.append((">" * pending_depth + " " if pending_depth else "") + pending)
        pending = None
    if pending is not None:
        out.append((">" * pending_depth + " " if pending_depth else "") + pending)
    return "\n".join(out)


# --- attachments ---------------------------------------------------------------------------

def safe_filename(name: str | None, fallback: str = "piece-jointe") -> str:
    """A file name with no path, no control characters and a sane length."""
    name = unicodedata.normalize("NFC", name or "")
    name = PurePosixPath(name.replace("\\", "/")).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    return (name or fallback)[:120]


def _check(name: str, data: bytes) -> tuple[str | None, str | None]:
    """(content type, None) if the file is allowed, or (None, why not)."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = ALLOWED_TYPES.get(extension)
    if allowed is None:
        return None, "type"
    if len(data) > MAX_ATTACHMENT_BYTES:
        return None, "size"
    content_type, magics = allowed
    if magics and not any(data.startswith(m) for m in magics):
        return None, "content"
    return content_type, None


def _tnef_files(data: bytes) -> list[tuple[str, bytes]]:
    """The files inside an Outlook winmail.dat (TNEF)."""
    try:
        from tnefparse import TNEF

        tnef = TNEF(data)
    except Exception:  # noqa: BLE001 - a malformed TNEF is one refused attachment, not a failure
        return []
    return [(a.long_filename() or a.name or "piece-jointe", a.data) for a in tnef.attachments]


def _attachments(message: EmailMessage) -> tuple[list[InboundAttachment], list[RefusedAttachment]]:
    kept: list[InboundAttachment] = []
    refused: list[RefusedAttachment] = []
    body = message.get_body(preferencelist=("plain", "html"))
    for part in message.walk():
        if part.is_multipart() or part is body:
            continue
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        if filename is None and disposition != "attachment":
            continue  # an alternative body, or an inline part with no file name
        if part.get_content_type() in {"message/delivery-status", "message/rfc822"} and not filename:
            continue
        data = part.get_payload(decode=True) or b""
        name = safe_filename(filename)
        files = _tnef_files(data) if (name.lower() in TNEF_NAMES
                                      or part.get_content_type() == "application/ms-tnef") else None
        if files is not None:
            if not files:
                refused.append(RefusedAttachment(name, "content"))
            entries = [(safe_filename(n), d) for n, d in files]
        else:
            entries = [(name, data)]
        for entry_name, entry_data in entries:
            content_type, reason = _check(entry_name, entry_data)
            if reason is None and len(kept) >= MAX_ATTACHMENTS:
                reason = "count"
            if reason:
                refused.append(RefusedAttachment(entry_name, reason))
            else:
                kept.append(InboundAttachment(entry_name, content_type, entry_data))
    return kept, refused


# --- the whole message ---------------------------------------------------------------------

_MSGID = re.compile(r"<([^<>\s]+)>")


HEADER_BYTES = 64 * 1024      # what parse_headers reads of a message at most


def _headers(message: EmailMessage, own_addresses) -> ParsedEmail:
    """Everything the headers say; the body is not looked at."""
    sender, problem, written = single_sender(message)
    recipients = [address.strip().lower() for _, address in getaddresses(
        [str(v) for h in ("To", "Cc", "Delivered-To", "X-Original-To") for v in message.get_all(h, [])])
        if address]
    thread_ids = [i for h in ("In-Reply-To", "References")
                  for v in message.get_all(h, []) for i in _MSGID.findall(str(v))]
    is_bounce = (message.get_content_type() == "multipart/report"
                 and message.get_param("report-type", "").lower() == "delivery-status") or (
        parseaddr(str(message.get("From", "")))[1].lower().split("@")[0] in {"mailer-daemon", "postmaster"})
    message_id = _MSGID.search(str(message.get("Message-ID", "")))
    return ParsedEmail(
        sender=sender, recipients=list(dict.fromkeys(recipients)),
        subject=str(message.get("Subject", "")), message_id=message_id.group(1) if message_id else None,
        thread_ids=list(dict.fromkeys(thread_ids)), text="", full_text="",
        auto_reply=None if is_bounce else automatic_reason(message, {a.lower() for a in own_addresses}),
        bounce=is_bounce, sender_problem=problem, from_header=written,
        authentication=authentication_results(message))


def parse_headers(raw: bytes, own_addresses: set[str] | frozenset[str] = frozenset()) -> ParsedEmail:
    """The headers only (BytesHeaderParser: the body stays one unread string), from at most the
    first HEADER_BYTES: who sent it, what it answers, whether a machine wrote it. Text and
    attachments are empty: parse() reads them, once the message is worth reading."""
    message = BytesHeaderParser(policy=policy.default).parsebytes(raw[:HEADER_BYTES])
    return _headers(message, own_addresses)


def parse(raw: bytes, own_addresses: set[str] | frozenset[str] = frozenset()) -> ParsedEmail:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    parsed = _headers(message, own_addresses)
    is_bounce, bounced = _bounce(message)
    full_text = "" if is_bounce else _body(message)
    attachments, refused = ([], []) if is_bounce else _attachments(message)
    parsed.bounce, parsed.bounced_recipients = is_bounce, bounced
    if is_bounce:
        parsed.auto_reply = None
    parsed.full_text = full_text
    if full_text:
        extraction = extract(full_text, parsed.subject)
        parsed.text, parsed.review = extraction.text, extraction.review
        if not parsed.text and full_text.strip() and not attachments:
            # Nothing written but quotes: never a reason to drop it. Kept whole, quotes folded.
            parsed.review, parsed.text = True, folded(segments(full_text, parsed.subject))
    parsed.attachments, parsed.refused = attachments, refused
    return parsed


# --- what the referent meant -----------------------------------------------------------------

def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("’", "'"))
    return re.sub(r"\s+", " ", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


_WRONG_RECIPIENT = re.compile(r"\bpas (le|la) bon(ne)? interlocut(eur|rice)\b|\bwrong recipient\b")
_NEEDS_INFO = re.compile(r"\bbesoin d'(informations?|infos?|elements?) complementaires?\b")


def status_keyword(text: str) -> str | None:
    """'wrong_recipient', 'needs_info' or None, from the new text of a reply."""
    plain = _plain(text)
    if _WRONG_RECIPIENT.search(plain):
        return "wrong_recipient"
    if _NEEDS_INFO.search(plain):
        return "needs_info"
    return None
