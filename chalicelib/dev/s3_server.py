"""S3 as a browser reaches it, in the dev stage and the tests: moto's server, in the app's process.

A ThreadedMotoServer started in the process that runs moto's in-process mock acts on the same
state (moto's server-mode documentation: "the ThreadedMotoServer and the decorators act on the
same state"), so an object a browser POSTs to this server is the object the app's boto3 client
then reads, and a download link signed for it serves what the app stored.

moto 5.2 stores a browser's POST upload and honours `success_action_redirect` (appending bucket
and key, but not etag), yet checks nothing of the POST policy. Relais relies on the policy (the
size range, the exact key, the redirect), so this server checks it first, as S3 does: the
expiration, every condition (exact match, starts-with, content-length-range) and that every
form field is covered by one. The signature itself is not checked.
"""
from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime
from http import HTTPStatus
from xml.sax.saxutils import escape

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

# Form fields that no policy condition needs to cover (S3's POST rules).
_EXEMPT = {"policy", "x-amz-signature", "file"}


def policy_refusal(fields: dict[str, str], file_size: int, bucket: str,
                   now: datetime) -> tuple[int, str, str] | None:
    """(HTTP status, S3 error code, message) if S3 would refuse this POST upload, else None."""
    fields = {name.lower(): value for name, value in fields.items()}
    try:
        policy = json.loads(base64.b64decode(fields["policy"]))
        expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
        conditions = policy["conditions"]
    except (KeyError, TypeError, ValueError):
        return 400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON."
    if expiration <= now:
        return 403, "AccessDenied", "Invalid according to Policy: Policy expired."
    values = {**fields, "bucket": bucket}
    covered: set[str] = set()
    for condition in conditions:
        if isinstance(condition, dict):
            ((name, expected),) = condition.items()
            operator = "eq"
        elif condition[0] == "content-length-range":
            if file_size < int(condition[1]):
                return 400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"
            if file_size > int(condition[2]):
                return 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"
            continue
        else:
            operator, name, expected = condition
            name = name.removeprefix("$")
        name = name.lower()
        covered.add(name)
        actual = values.get(name)
        if actual is None or not (actual == expected if operator == "eq" else actual.startswith(expected)):
            return 403, "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)}"
    extra = sorted(name for name in fields
                   if name not in covered and name not in _EXEMPT and not name.startswith("x-ignore-"))
    if extra:
        return 403, "AccessDenied", f"Invalid according to Policy: Extra input fields: {', '.join(extra)}"
    return None


class _PostPolicyCheck:
    """WSGI middleware: a browser's form upload meets its policy before moto stores it."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if (environ.get("REQUEST_METHOD") != "POST"
                or not environ.get("CONTENT_TYPE", "").startswith("multipart/form-data")):
            return self.app(environ, start_response)
        from werkzeug.formparser import parse_form_data

        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        _, form, files = parse_form_data(environ)
        file_size = len(files["file"].read()) if "file" in files else len(form.get("file", "").encode())
        environ["wsgi.input"] = io.BytesIO(body)      # moto reads the body again
        bucket = environ.get("PATH_INFO", "/").strip("/").split("/")[0]
        refusal = policy_refusal(form.to_dict(), file_size, bucket, datetime.now(UTC))
        if refusal is None:
            return self.app(environ, start_response)
        status, code, message = refusal
        xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
               f"<Message>{escape(message)}</Message></Error>").encode()
        start_response(f"{status} {HTTPStatus(status).phrase}",
                       [("Content-Type", "application/xml"), ("Content-Length", str(len(xml)))])
        return [xml]


class _QuietRequestHandler(MotoRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


class PublicS3Server(ThreadedMotoServer):
    """moto's threaded server with the POST policy check, quiet, and failing loudly when its port
    is taken (moto's own would wait forever)."""

    error: OSError | None = None

    def _server_entry(self) -> None:
        from werkzeug.serving import make_server

        try:
            self._server = make_server(self._ip_address, self._port,
                                       _PostPolicyCheck(DomainDispatcherApplication(create_backend_app)),
                                       True, request_handler=_QuietRequestHandler)
        except OSError as exc:
            self.error = exc
            self._server_ready_event.set()
            return
        self._server_ready_event.set()
        self._server.serve_forever()
