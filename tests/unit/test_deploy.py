"""`make deploy`'s steps against moto's S3, CloudFormation and SES (AWS itself is not reachable
from here): artefacts by hash in a private bucket, a change set, SES receiving switched on."""
import json
import uuid
from datetime import UTC

import boto3
import pytest
from moto import mock_aws

from devtools import deploy

TEMPLATE = {"Resources": {"SmsQueue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "relais-test-sms"}}},
            "Outputs": {"QueueArn": {"Value": {"Fn::GetAtt": ["SmsQueue", "Arn"]}}}}


@pytest.fixture
def stage():
    """A stage of its own: moto's state may be shared with the rest of the suite."""
    return f"t{uuid.uuid4().hex[:8]}"


@pytest.fixture
def session(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.Session(region_name="eu-west-3")


def package(tmp_path, template=TEMPLATE):
    (tmp_path / "deployment.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    (tmp_path / "sam.json").write_text(json.dumps(template), encoding="utf-8")
    return tmp_path


def test_a_deploy_uploads_by_hash_applies_a_change_set_and_activates_receiving(session, stage, tmp_path):
    session.client("ses").create_receipt_rule_set(RuleSetName=f"relais-{stage}-inbound")
    result = deploy.deploy(session, stage, package(tmp_path))
    assert result["result"] == "created", result
    queues = session.client("sqs").list_queues()["QueueUrls"]
    assert any(url.endswith("/relais-test-sms") for url in queues)
    assert session.client("ses").describe_active_receipt_rule_set()["Metadata"]["Name"] == f"relais-{stage}-inbound"
    s3 = session.client("s3")
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(f"relais-{stage}-artefacts-"))
    blocked = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(blocked.values())
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    deploy.deploy(session, stage, package(tmp_path))           # the same artefacts: not uploaded again
    assert {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]} == keys


def test_every_function_runs_the_uploaded_code():
    template = {"Resources": {"Api": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "./deployment.zip"}},
                              "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}}}}
    moved = deploy.with_code_in_s3(template, "bucket", "abc.zip")
    assert moved["Resources"]["Api"]["Properties"]["CodeUri"] == "s3://bucket/abc.zip"
    assert template["Resources"]["Api"]["Properties"]["CodeUri"] == "./deployment.zip"     # a copy


def test_a_missing_package_says_what_to_run(session, stage, tmp_path):
    with pytest.raises(SystemExit, match="make package"):
        deploy.deploy(session, stage, tmp_path)


class Asked(Exception):
    pass


def test_a_parameter_set_once_is_kept_by_the_next_deploy(session, stage, tmp_path):
    template = {**TEMPLATE, "Parameters": {"Threshold": {"Type": "Number", "Default": 50}}}
    template["Resources"] = {"SmsQueue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"relais-{stage}-q"}}}
    session.client("ses").create_receipt_rule_set(RuleSetName=f"relais-{stage}-inbound")
    deploy.deploy(session, stage, package(tmp_path, template), parameters={"Threshold": "80"})
    cloudformation = session.client("cloudformation")
    asked = []

    def recording(**kwargs):             # what the next deploy asks CloudFormation, then stop
        asked.append(kwargs["Parameters"])
        raise Asked

    cloudformation.create_change_set = recording
    with pytest.raises(Asked):
        deploy.apply(cloudformation, f"relais-{stage}", "https://example.org/t.json", {}, wait=False)
    assert asked == [[{"ParameterKey": "Threshold", "UsePreviousValue": True}]]
    assert cloudformation.describe_stacks(StackName=f"relais-{stage}")["Stacks"][0]["Parameters"] == [
        {"ParameterKey": "Threshold", "ParameterValue": "80"}]


# The stack's states, one test each, against botocore's Stubber: every request is checked against
# CloudFormation's own service model, and the calls must come in the order the stubs say.
STACK, URL = "relais-prod", "https://artefacts.example/t.json"
STUBBED = "cloudformation"        # the stubbed fixture (tests/unit/conftest.py)




def described(status: str, parameters=()) -> dict:
    from datetime import datetime

    return {"Stacks": [{"StackName": STACK, "StackStatus": status, "CreationTime": datetime(2026, 1, 5, tzinfo=UTC),
                        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters]}]}


def stack_is(stubber, status: str | None, parameters=()):
    if status is None:
        stubber.add_client_error("describe_stacks", "ValidationError", f"Stack with id {STACK} does not exist",
                                 expected_params={"StackName": STACK})
    else:
        stubber.add_response("describe_stacks", described(status, parameters), {"StackName": STACK})


def change_set_runs(stubber, kind: str, parameters: list[dict]):
    """A change set of that kind created with those parameters, executed, and the stack done."""
    from botocore.stub import ANY

    stubber.add_response("create_change_set", {"Id": "arn:cs", "StackId": "arn:stack"}, {
        "StackName": STACK, "ChangeSetName": ANY, "ChangeSetType": kind, "TemplateURL": URL,
        "Capabilities": deploy.CAPABILITIES, "Parameters": parameters})
    stubber.add_response("describe_change_set", {"Status": "CREATE_COMPLETE", "Changes": []},
                         {"StackName": STACK, "ChangeSetName": ANY})
    stubber.add_response("execute_change_set", {}, {"StackName": STACK, "ChangeSetName": ANY})
    stack_is(stubber, f"{kind}_COMPLETE")


def test_no_stack_yet_is_created(stubbed):
    client, stubber = stubbed
    stack_is(stubber, None)
    change_set_runs(stubber, "CREATE", [{"ParameterKey": "OnCallEmail", "ParameterValue": "a@b.fr"}])
    assert deploy.apply(client, STACK, URL, {"OnCallEmail": "a@b.fr"}) == "created"


def test_a_stack_in_review_is_created_without_its_previous_parameters(stubbed):
    client, stubber = stubbed
    stack_is(stubber, "REVIEW_IN_PROGRESS", [("OnCallEmail", "")])
    change_set_runs(stubber, "CREATE", [{"ParameterKey": "TableDeletionProtection", "ParameterValue": "false"}])
    assert deploy.apply(client, STACK, URL, {}, on_create={"TableDeletionProtection": "false"}) == "created"


def test_a_first_create_rolled_back_is_deleted_then_created_again(stubbed):
    client, stubber = stubbed
    stack_is(stubber, "ROLLBACK_COMPLETE", [("OnCallEmail", "")])
    stubber.add_response("delete_stack", {}, {"StackName": STACK})
    stack_is(stubber, None)                     # the delete waiter: the stack is gone
    change_set_runs(stubber, "CREATE", [{"ParameterKey": "TableDeletionProtection", "ParameterValue": "false"}])
    assert deploy.apply(client, STACK, URL, {}, on_create={"TableDeletionProtection": "false"}) == "created"


@pytest.mark.parametrize("status", ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"])
def test_a_stable_stack_is_updated_keeping_its_parameters(stubbed, status):
    client, stubber = stubbed
    stack_is(stubber, status, [("OnCallEmail", "a@b.fr"), ("TableDeletionProtection", "true")])
    change_set_runs(stubber, "UPDATE", [{"ParameterKey": "OnCallEmail", "UsePreviousValue": True},
                                        {"ParameterKey": "TableDeletionProtection", "UsePreviousValue": True}])
    assert deploy.apply(client, STACK, URL, {}, on_create={"TableDeletionProtection": "false"}) == "updated"


@pytest.mark.parametrize("status", ["CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS",
                                    "DELETE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS",
                                    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"])
def test_a_stack_busy_with_another_operation_is_left_alone(stubbed, status):
    client, stubber = stubbed
    stack_is(stubber, status)
    with pytest.raises(deploy.StackStateError, match=f"{status}: another operation is running"):
        deploy.apply(client, STACK, URL, {})


@pytest.mark.parametrize(("status", "step"), [
    ("UPDATE_ROLLBACK_FAILED", f"aws cloudformation continue-update-rollback --stack-name {STACK}"),
    ("ROLLBACK_FAILED", f"aws cloudformation delete-stack --stack-name {STACK}"),
    ("DELETE_FAILED", f"aws cloudformation delete-stack --stack-name {STACK}` again"),
    ("CREATE_FAILED", "docs/operations.md"),
])
def test_a_failed_stack_stops_the_deploy_with_the_runbook_step(stubbed, status, step):
    client, stubber = stubbed
    stack_is(stubber, status)
    with pytest.raises(deploy.StackStateError) as refused:
        deploy.apply(client, STACK, URL, {})
    assert f"{STACK} is {status}" in str(refused.value) and step in str(refused.value)


def test_a_describe_that_fails_otherwise_is_not_taken_for_a_missing_stack(stubbed):
    client, stubber = stubbed
    stubber.add_client_error("describe_stacks", "AccessDenied", "not authorized to perform cloudformation:DescribeStacks")
    with pytest.raises(client.exceptions.ClientError, match="AccessDenied"):
        deploy.apply(client, STACK, URL, {})


def test_a_first_deploy_creates_the_table_unprotected_then_protects_it(session, stage, tmp_path):
    template = {**TEMPLATE, "Parameters": {"TableDeletionProtection": {
        "Type": "String", "AllowedValues": ["true", "false"], "Default": "true"}}}
    template["Resources"] = {"SmsQueue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"relais-{stage}-q"}}}
    session.client("ses").create_receipt_rule_set(RuleSetName=f"relais-{stage}-inbound")
    cloudformation = session.client("cloudformation")
    asked = []
    create_change_set = cloudformation.create_change_set

    def recording(**kwargs):
        asked.append((kwargs["ChangeSetType"], kwargs["Parameters"]))
        return create_change_set(**kwargs)

    cloudformation.create_change_set = recording
    clients = session.client
    session.client = lambda name, **kw: cloudformation if name == "cloudformation" else clients(name, **kw)
    assert deploy.deploy(session, stage, package(tmp_path, template))["result"] == "created"
    assert asked == [("CREATE", [{"ParameterKey": "TableDeletionProtection", "ParameterValue": "false"}]),
                     ("UPDATE", [{"ParameterKey": "TableDeletionProtection", "ParameterValue": "true"}])]
