"""The SMS adapter against End User Messaging's own service model: botocore's Stubber checks
every request's parameters against pinpoint-sms-voice-v2 (moto does not emulate it), and each
of SendTextMessage's errors becomes a PermanentError or a TransientError."""
import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from chalicelib.adapters.errors import PermanentError, TransientError
from chalicelib.adapters.sms import EndUserMessagingSmsSender

POOL = "arn:aws:sms-voice:eu-west-3:123456789012:pool/pool-0123456789abcdef0123456789abcdef"
PHONE = "+33612345678"


@pytest.fixture
def client():
    return boto3.client("pinpoint-sms-voice-v2", region_name="eu-west-3",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def test_an_sms_leaves_from_the_pool_with_the_configuration_set_as_transactional(client):
    with Stubber(client) as stub:
        stub.add_response("send_text_message", {"MessageId": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"}, {
            "DestinationPhoneNumber": PHONE, "MessageBody": "Bonjour", "MessageType": "TRANSACTIONAL",
            "OriginationIdentity": POOL, "ConfigurationSetName": "relais-prod"})
        sent = EndUserMessagingSmsSender(client, POOL, "relais-prod").send(PHONE, "Bonjour")
        stub.assert_no_pending_responses()
    assert sent == "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def test_without_an_identity_nor_a_configuration_set_the_service_chooses(client):
    with Stubber(client) as stub:
        stub.add_response("send_text_message", {"MessageId": "m-1"}, {
            "DestinationPhoneNumber": PHONE, "MessageBody": "Bonjour", "MessageType": "TRANSACTIONAL"})
        assert EndUserMessagingSmsSender(client, None, None).send(PHONE, "Bonjour") == "m-1"


@pytest.mark.parametrize("code, fields, error, reported", [
    ("ValidationException", {"Reason": "CANNOT_PARSE"}, PermanentError, "ValidationException:CANNOT_PARSE"),
    ("ValidationException", {"Reason": "INVALID_IDENTITY_FOR_DESTINATION_COUNTRY"}, PermanentError,
     "ValidationException:INVALID_IDENTITY_FOR_DESTINATION_COUNTRY"),
    ("ConflictException", {"Reason": "DESTINATION_PHONE_NUMBER_OPTED_OUT", "ResourceType": "opt-out-list",
                           "ResourceId": "relais-prod"}, PermanentError,
     "ConflictException:DESTINATION_PHONE_NUMBER_OPTED_OUT"),
    ("AccessDeniedException", {"Reason": "ACCOUNT_DISABLED"}, PermanentError, "AccessDeniedException:ACCOUNT_DISABLED"),
    ("ResourceNotFoundException", {"ResourceType": "pool", "ResourceId": "pool-x"}, PermanentError,
     "ResourceNotFoundException"),
    ("ThrottlingException", {}, TransientError, "ThrottlingException"),
    ("ServiceQuotaExceededException", {"Reason": "MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT"}, TransientError,
     "ServiceQuotaExceededException:MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT"),
    ("ServiceQuotaExceededException", {"Reason": "DAILY_DESTINATION_CALL_LIMIT"}, TransientError,
     "ServiceQuotaExceededException:DAILY_DESTINATION_CALL_LIMIT"),
    ("InternalServerException", {"RequestId": "r-1"}, TransientError, "InternalServerException"),
])
def test_each_error_is_permanent_or_transient_and_says_its_reason(client, code, fields, error, reported):
    status = {"ThrottlingException": 429, "InternalServerException": 500, "AccessDeniedException": 403,
              "ResourceNotFoundException": 404, "ConflictException": 409, "ServiceQuotaExceededException": 402}
    with Stubber(client) as stub:
        stub.add_client_error("send_text_message", service_error_code=code, service_message="refused",
                              http_status_code=status.get(code, 400), modeled_fields={"Message": "refused", **fields},
                              expected_params={"DestinationPhoneNumber": PHONE, "MessageBody": "Bonjour",
                                               "MessageType": "TRANSACTIONAL", "OriginationIdentity": POOL})
        with pytest.raises(error) as raised:
            EndUserMessagingSmsSender(client, POOL, None).send(PHONE, "Bonjour")
    assert type(raised.value) is error and raised.value.code == reported
    assert isinstance(raised.value.__cause__, ClientError)
    assert PHONE not in str(raised.value)


def test_the_worker_reads_a_throttled_send_as_throttled(client):
    """services/sms.py puts a throttled SMS back on the queue later rather than failing it."""
    from chalicelib.services.sms import _throttled

    with Stubber(client) as stub:
        stub.add_client_error("send_text_message", service_error_code="ThrottlingException", http_status_code=429)
        with pytest.raises(TransientError) as raised:
            EndUserMessagingSmsSender(client, POOL, None).send(PHONE, "Bonjour")
    assert _throttled(raised.value)


def test_a_request_the_service_model_refuses_never_leaves(client):
    """The Stubber validates against the real model: a message body the API cannot take fails."""
    from botocore.exceptions import ParamValidationError

    with Stubber(client) as stub:
        stub.add_response("send_text_message", {"MessageId": "m-1"})
        with pytest.raises(ParamValidationError):
            EndUserMessagingSmsSender(client, POOL, None).send(PHONE, "")
