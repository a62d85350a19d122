"""The S3 adapter against botocore's Stubber (requests checked against S3's service model): a
read S3 refuses with 403, as it does for a missing key to a role without s3:ListBucket on its
prefix, is a missing object, like a 404."""
import pytest

from chalicelib.adapters.documents import Documents
from chalicelib.adapters.errors import NotStored

STUBBED = "s3"        # the stubbed fixture (tests/unit/conftest.py)
KEY = "uploads/61-ABC-DEF/0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("code", ["403", "404"])
def test_a_head_refused_or_missing_is_not_stored(stubbed, code):
    client, stubber = stubbed
    stubber.add_client_error("head_object", code, "", http_status_code=int(code),
                             expected_params={"Bucket": "mail", "Key": KEY})
    with pytest.raises(NotStored):
        Documents(lambda: client, lambda: None, "mail").head(KEY)


@pytest.mark.parametrize("code", ["AccessDenied", "NoSuchKey"])
def test_a_get_refused_or_missing_is_not_stored(stubbed, code):
    client, stubber = stubbed
    stubber.add_client_error("get_object", code, "", http_status_code=403 if code == "AccessDenied" else 404,
                             expected_params={"Bucket": "mail", "Key": "imports/" + "0" * 32})
    with pytest.raises(NotStored):
        Documents(lambda: client, lambda: None, "mail").fetch("imports/" + "0" * 32)


def test_a_copy_from_a_missing_upload_is_not_stored_and_other_errors_go_up(stubbed):
    client, stubber = stubbed
    documents = Documents(lambda: client, lambda: None, "mail")
    for code in ("NoSuchKey", "SlowDown"):
        stubber.add_client_error("copy_object", code, "", expected_params={
            "Bucket": "mail", "Key": "attachments/x", "CopySource": {"Bucket": "mail", "Key": KEY},
            "ContentType": "application/pdf", "MetadataDirective": "REPLACE", "ServerSideEncryption": "AES256"})
    with pytest.raises(NotStored):
        documents.copy("mail", KEY, "attachments/x", "application/pdf")
    with pytest.raises(client.exceptions.ClientError, match="SlowDown"):
        documents.copy("mail", KEY, "attachments/x", "application/pdf")
