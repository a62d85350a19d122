"""`make deploy`'s steps against moto's S3, CloudFormation and SES (AWS itself is not reachable
from here): artefacts by hash in a private bucket, a change set, SES receiving switched on."""
import json
import uuid

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
