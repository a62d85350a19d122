"""The table definition, read from table.json, shaped for CreateTable or CloudFormation."""
from __future__ import annotations

import json
from pathlib import Path

DEFINITION_PATH = Path(__file__).with_name("table.json")


def definition() -> dict:
    return json.loads(DEFINITION_PATH.read_text(encoding="utf-8"))


def create_table_kwargs(table_name: str) -> dict:
    spec = definition()
    return {
        "TableName": table_name,
        "KeySchema": spec["KeySchema"],
        "AttributeDefinitions": spec["AttributeDefinitions"],
        "GlobalSecondaryIndexes": spec["GlobalSecondaryIndexes"],
        "BillingMode": spec["BillingMode"],
        "StreamSpecification": spec["StreamSpecification"],
    }


def create_table(client, table_name: str, stream: bool = True) -> None:
    """Create the table and switch TTL on, as the deployed stack does. Idempotent.

    stream=False leaves the stream off: tests that never send a notification use it, because
    DynamoDB Local keeps the records of every stream, deleted tables' included, and slows down."""
    kwargs = create_table_kwargs(table_name)
    if not stream:
        kwargs.pop("StreamSpecification")
    try:
        client.create_table(**kwargs)
    except client.exceptions.ResourceInUseException:
        return
    client.get_waiter("table_exists").wait(TableName=table_name,
                                           WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    client.update_time_to_live(TableName=table_name, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": definition()["TimeToLiveAttribute"]})


def cloudformation_resource() -> dict:
    """The AWS::DynamoDB::Table resource that infra deploys."""
    spec = definition()
    return {
        "Type": "AWS::DynamoDB::Table",
        # Kept when the stack is deleted or the table leaves it, except by the rollback of the
        # create that made it: a failed first deploy leaves no table to block the next one.
        "DeletionPolicy": "RetainExceptOnCreate",
        "Properties": {
            "KeySchema": spec["KeySchema"],
            "AttributeDefinitions": spec["AttributeDefinitions"],
            "GlobalSecondaryIndexes": spec["GlobalSecondaryIndexes"],
            "BillingMode": spec["BillingMode"],
            # The outbox: the stream hands every new Notification item to the sender.
            "StreamSpecification": {"StreamViewType": spec["StreamSpecification"]["StreamViewType"]},
            "TimeToLiveSpecification": {"AttributeName": spec["TimeToLiveAttribute"], "Enabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True},
        },
    }
