"""One table definition: what infra deploys is what the local stack and the tests create."""
from infra import functions, iam, names, observability, table, template


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
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["SmsDeadLetterQueue", "QueueName"]}


def test_the_table_is_protected_in_prod_and_encrypted_with_point_in_time_recovery():
    prod = template.template("prod")["Resources"]["RelaisTable"]
    assert prod["Properties"]["DeletionProtectionEnabled"] is True and prod["DeletionPolicy"] == "Retain"
    assert prod["Properties"]["SSESpecification"] == {"SSEEnabled": True}
    assert template.table("dev")["RelaisTable"]["Properties"]["DeletionProtectionEnabled"] is False


def test_the_mail_bucket_is_private_encrypted_tls_only_and_expires_what_it_should():
    resources = template.template()["Resources"]
    bucket = resources["MailBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["inbound-mail"]["Prefix"] == template.INBOUND_PREFIX
    assert rules["inbound-mail"]["ExpirationInDays"] >= 183            # the 6 months after closing
    assert rules["directory-imports"]["ExpirationInDays"] == 1
    assert "VersioningConfiguration" not in bucket                    # a deletion is a deletion
    statements = resources["MailBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    tls, ses = statements
    assert tls["Effect"] == "Deny" and tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert ses["Principal"] == {"Service": "ses.amazonaws.com"} and "AWS:SourceAccount" in ses["Condition"]["StringEquals"]


def test_ses_stores_replies_in_the_bucket_and_notifies_the_inbound_function():
    resources = template.template()["Resources"]
    rule = resources["ReceiptRule"]["Properties"]["Rule"]
    action = rule["Actions"][0]["S3Action"]
    assert action["BucketName"] == {"Ref": "MailBucket"} and action["TopicArn"] == {"Ref": "InboundEmailTopic"}
    assert rule["Recipients"] == [names.stage_settings("prod")["RELAIS_INBOUND_DOMAIN"]]
    assert rule["ScanEnabled"] is True and rule["TlsPolicy"] == "Require"
    receive = resources["ReceiveEmail"]["Properties"]["Events"]
    assert list(receive.values())[0]["Properties"]["Topic"] == {"Ref": "InboundEmailTopic"}
    destination = resources["ConfigurationSetEvents"]["Properties"]["EventDestination"]
    assert {"bounce", "complaint"} <= set(destination["MatchingEventTypes"])
    assert destination["SnsDestination"]["TopicARN"] == {"Ref": "SesEventsTopic"}


def test_every_function_is_wired_has_an_alarm_a_failure_path_and_the_real_names():
    resources = template.template()["Resources"]
    found = functions.functions()
    assert {f.kind for f in found} == {"api", "dynamodb", "sqs", "sns", "schedule"}
    for function in found:
        properties = resources[function.logical_id]["Properties"]
        assert properties["Tracing"] == "Active"
        assert properties["Environment"]["Variables"]["RELAIS_TABLE"] == {"Ref": "RelaisTable"}
        assert f"{function.logical_id}ErrorsAlarm" in resources
        if function.asynchronous:
            failure = properties["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
            assert failure["Destination"] == {"Fn::GetAtt": ["FailedEventsQueue", "Arn"]}
    stream = next(f for f in found if f.kind == "dynamodb")
    source = resources[stream.logical_id]["Properties"]["Events"][stream.event_id]["Properties"]
    assert source["Stream"] == {"Fn::GetAtt": ["RelaisTable", "StreamArn"]}
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert source["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["FailedEventsQueue", "Arn"]}


def test_each_role_allows_only_what_its_function_needs():
    resources = template.template()["Resources"]
    assert set(iam.GRANTS) == {f.name for f in functions.functions()}

    def allowed(role: str) -> set[str]:
        document = resources[role]["Properties"]["Policies"][0]["PolicyDocument"]
        return {a for s in document["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}

    assert "sns:Publish" in allowed("SendSmsRole") and "sns:Publish" not in allowed("ApiHandlerRole")
    assert "ses:SendEmail" in allowed("SendNotificationsRole") and "ses:SendEmail" not in allowed("ReceiveSmsRole")
    assert "dynamodb:GetRecords" in allowed("SendNotificationsRole") and "dynamodb:GetRecords" not in allowed("ApiHandlerRole")
    for role in (r for r in resources if r.endswith("Role")):
        for statement in resources[role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]:
            if statement["Resource"] == "*":         # only where AWS offers no resource to scope to
                assert set(statement["Action"]) <= {"sns:Publish", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}


# boto3 calls in the code, by the IAM action they need (the clients' method names, snake_case).
_ACTIONS = {"put_item": "dynamodb:PutItem", "get_item": "dynamodb:GetItem", "query": "dynamodb:Query",
            "update_item": "dynamodb:UpdateItem", "delete_item": "dynamodb:DeleteItem",
            "transact_write_items": "dynamodb:PutItem", "batch_get_item": "dynamodb:BatchGetItem",
            "batch_write_item": "dynamodb:BatchWriteItem", "send_email": "ses:SendEmail",
            "publish": "sns:Publish", "get_object": "s3:GetObject", "put_object": "s3:PutObject",
            "head_object": "s3:GetObject", "delete_object": "s3:DeleteObject",
            "send_message": "sqs:SendMessage", "get_queue_url": "sqs:GetQueueUrl",
            "change_message_visibility": "sqs:ChangeMessageVisibility",
            "generate_presigned_post": "s3:PutObject", "generate_presigned_url": "s3:GetObject"}


def test_every_aws_call_in_the_code_is_allowed_to_some_function():
    import re
    from pathlib import Path

    resources = template.template()["Resources"]
    allowed = {a for r in resources if r.endswith("Role")
               for s in resources[r]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
               if s["Effect"] == "Allow" for a in s["Action"]}
    calls = set()
    for path in Path("chalicelib").rglob("*.py"):
        if "dev" in path.parts:                                 # the local emulation only
            continue
        calls |= set(re.findall(r"\.(\w+)\(", path.read_text(encoding="utf-8"))) & set(_ACTIONS)
    assert calls, "the scan found no AWS call"
    assert {_ACTIONS[c] for c in calls} <= allowed


def test_alarms_cover_dead_letters_late_escalations_errors_bounces_and_sms_failures():
    resources = template.template()["Resources"]
    alarms = {r["Properties"]["MetricName"] for r in resources.values() if r.get("Type") == "AWS::CloudWatch::Alarm"}
    assert {"ApproximateNumberOfMessagesVisible", "escalations_late", "Errors", "Reputation.BounceRate",
            "sms_failed", "IteratorAge", "5XXError"} <= alarms
    for resource in resources.values():
        if resource.get("Type") == "AWS::CloudWatch::Alarm":
            assert resource["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]
            assert "docs/operations.md" in resource["Properties"]["AlarmDescription"]


def test_the_dashboard_shows_the_metrics_the_code_emits():
    import json
    import re
    from pathlib import Path

    body = json.dumps(observability.dashboard_body("prod"))
    shown = set(re.findall(r'"Relais", "(\w+)"', body))
    emitted = set()
    for path in Path("chalicelib").rglob("*.py"):
        emitted |= set(re.findall(r'count\(\s*"(\w+)"', path.read_text(encoding="utf-8")))
        emitted |= set(re.findall(r'"(answers_by_\w+)"', path.read_text(encoding="utf-8")))
    assert shown <= emitted, shown - emitted
    assert {"cases_created", "escalations_sent", "escalations_late", "answers_by_email", "sms_sent",
            "sms_segments", "emails_bounced"} <= shown


def test_the_inbound_function_may_write_every_prefix_it_writes_and_each_expires_or_is_purged():
    import re
    from pathlib import Path

    source = Path("chalicelib/services/inbound.py").read_text(encoding="utf-8")
    written = set(re.findall(r'_keep_raw\(deps, "(\w+)"', source)) | set(re.findall(r'f"(\w+)/\{case_ref\}', source))
    assert written == {"inbound", "quarantine", "attachments"}
    resources = template.template()["Resources"]
    statements = resources["ReceiveEmailRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    writable = {r["Fn::Sub"] for s in statements if "s3:PutObject" in s["Action"]
                for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])}
    assert {f"${{MailBucket.Arn}}/{prefix}/*" for prefix in written} <= writable
    expiring = {rule.get("Prefix") for rule in resources["MailBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert {"inbound/", "quarantine/"} <= expiring       # raw mail; documents go with the case (retention)
