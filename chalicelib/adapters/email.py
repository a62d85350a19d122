"""Outbound email through SES v2, as a MIME message we build, so it is sent exactly as shown."""
from __future__ import annotations

from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid


@dataclass
class OutgoingEmail:
    to: list[str]
    subject: str
    text: str
    html: str | None = None
    reply_to: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


# Headers folded at RFC 5322's hard limit only. At the default 78, Python folds a subject just
# before its first encoded word ("... informations" / " =?utf-8?q?compl=C3=A9mentaires?=") and
# keeps the space on both sides of the fold: every client then shows two spaces there.
MIME_POLICY = policy.default.clone(max_line_length=998)


def build_mime(mail: OutgoingEmail, sender: str) -> EmailMessage:
    message = EmailMessage(policy=MIME_POLICY)
    message["From"] = sender
    message["To"] = ", ".join(mail.to)
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    domain = getaddresses([sender])[0][1].rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    # RFC 3834: tells auto-responders not to answer system mail.
    message["Auto-Submitted"] = "auto-generated"
    for name, value in mail.headers.items():
        message[name] = value
    message.set_content(mail.text, cte="quoted-printable")
    if mail.html:
        message.add_alternative(mail.html, subtype="html", cte="quoted-printable")
    return message


class SesMailer:
    def __init__(self, client, sender: str, configuration_set: str | None = None):
        self._client = client
        self._sender = sender
        self._configuration_set = configuration_set

    @property
    def sender_address(self) -> str:
        return Address(addr_spec=getaddresses([self._sender])[0][1]).addr_spec

    def send(self, mail: OutgoingEmail) -> str:
        """Send and return the message id SES assigned (SES rewrites Message-ID)."""
        raw = build_mime(mail, self._sender).as_bytes()
        request = {"FromEmailAddress": self.sender_address,
                   "Destination": {"ToAddresses": mail.to},
                   "Content": {"Raw": {"Data": raw}}}
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        return self._client.send_email(**request)["MessageId"]
