"""One table definition: what infra deploys is what the local stack and the tests create."""
from infra import table, template


def test_cloudformation_and_create_table_come_from_the_same_definition():
    resource = template.template()["Resources"]["RelaisTable"]["Properties"]
    created = table.create_table_kwargs("relais-dev")
    for field in ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode"):
        assert resource[field] == created[field] == table.definition()[field]
    assert resource["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert resource["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_every_index_key_attribute_is_defined():
    spec = table.definition()
    defined = {a["AttributeName"] for a in spec["AttributeDefinitions"]}
    used = {k["AttributeName"] for k in spec["KeySchema"]}
    used |= {k["AttributeName"] for index in spec["GlobalSecondaryIndexes"] for k in index["KeySchema"]}
    assert used == defined


def test_the_outbox_stream_is_on_everywhere_with_both_images():
    resource = template.template()["Resources"]["RelaisTable"]["Properties"]
    created = table.create_table_kwargs("relais-dev")
    assert created["StreamSpecification"] == {"StreamEnabled": True,
                                              "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert resource["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_the_sms_queue_has_a_dead_letter_queue_with_an_alarm():
    resources = template.template()["Resources"]
    redrive = resources["SmsQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["SmsDeadLetterQueue", "Arn"]}
    assert redrive["maxReceiveCount"] >= 6          # quiet hours over a long weekend
    alarm = resources["SmsDeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"][0]["Value"] == resources["SmsDeadLetterQueue"]["Properties"]["QueueName"]
