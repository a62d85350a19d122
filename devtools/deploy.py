"""Deploy a stage: `make deploy STAGE=prod` (after `make package`), with the AWS credentials of
the shell (AWS_PROFILE or the usual variables).

1. The deployment zip and the template go to the stage's artefacts bucket (created once:
   private, encrypted), named by their content's hash, so that a deploy is reproducible.
2. CloudFormation applies the template through a change set (SAM transform, IAM roles): a run
   with nothing to change changes nothing. The stack's state decides (`apply`): a first create
   that rolled back is deleted and created again; a stack that needs someone (an operation in
   progress, a failed rollback or deletion) stops the deploy with the runbook's step. A first
   create turns the table's deletion protection on once it succeeded.
3. SES receiving is switched to the stack's receipt rule set (CloudFormation cannot do it).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from infra.names import names

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "build" / "package"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
PROTECTION = "TableDeletionProtection"          # the template's parameter (infra/template.py)


def artefacts_bucket(s3, stage: str, account: str, region: str) -> str:
    """The stage's artefacts bucket, created on the first deploy."""
    name = f"relais-{stage}-artefacts-{account}-{region}"
    try:
        s3.head_bucket(Bucket=name)
        return name
    except s3.exceptions.ClientError:
        pass
    config = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **config)
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    return name


def upload(s3, bucket: str, path: Path, suffix: str) -> str:
    """Put a file under its content's hash (once); returns its key."""
    data = path.read_bytes()
    key = f"{hashlib.sha256(data).hexdigest()[:20]}{suffix}"
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except s3.exceptions.ClientError:
        s3.put_object(Bucket=bucket, Key=key, Body=data)
    return key


def with_code_in_s3(template: dict, bucket: str, key: str) -> dict:
    """The template with every function's CodeUri (chalice writes ./deployment.zip) in S3."""
    template = json.loads(json.dumps(template))
    for resource in template["Resources"].values():
        if resource.get("Type") in ("AWS::Serverless::Function", "AWS::Serverless::LayerVersion"):
            field = "CodeUri" if resource["Type"] == "AWS::Serverless::Function" else "ContentUri"
            resource["Properties"][field] = f"s3://{bucket}/{key}"
    return template


# A stack's states (CloudFormation's StackStatus) and what a deploy does in each.
# A first create rolled back: the stack holds nothing (the table and the bucket are
# RetainExceptOnCreate, so the rollback deleted them too) and cannot be updated: delete, then create.
RECREATE = {"ROLLBACK_COMPLETE"}
CREATE = {"REVIEW_IN_PROGRESS", "DELETE_COMPLETE"}    # a first change set never executed; a stack gone
UPDATE = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE",
          "IMPORT_ROLLBACK_COMPLETE"}
# Every other state needs someone: what to do, from docs/operations.md (section 2, "A deploy that
# stops on the stack's state").
REFUSED = {
    "UPDATE_ROLLBACK_FAILED": "an update failed and so did its rollback. Run `aws cloudformation "
                              "continue-update-rollback --stack-name {stack}` (add `--resources-to-skip` for a "
                              "resource that cannot roll back), wait for UPDATE_ROLLBACK_COMPLETE, then deploy again",
    "ROLLBACK_FAILED": "the first create failed and its rollback could not delete everything. See the stack's "
                       "events, remove what blocks (a mail bucket that is not empty), run `aws cloudformation "
                       "delete-stack --stack-name {stack}`, then deploy again",
    "DELETE_FAILED": "a deletion of the stack failed. See the stack's events, remove what blocks, run `aws "
                     "cloudformation delete-stack --stack-name {stack}` again, then deploy",
}


class StackStateError(RuntimeError):
    """The stack is in a state a deploy does not act on by itself."""


def state(cloudformation, stack: str) -> dict:
    """The stack as CloudFormation describes it; {} when there is none (never created, or deleted)."""
    try:
        return cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    except cloudformation.exceptions.ClientError as error:
        if "does not exist" in str(error):
            return {}
        raise


def _kind(cloudformation, stack: str, status: str | None) -> str:
    """CREATE or UPDATE for the stack's state, after deleting a first create that rolled back."""
    if status is None or status in CREATE:
        return "CREATE"
    if status in UPDATE:
        return "UPDATE"
    if status in RECREATE:
        print(f"{stack} is {status} (its first create failed): deleting it, then creating it again.",
              file=sys.stderr)
        cloudformation.delete_stack(StackName=stack)
        cloudformation.get_waiter("stack_delete_complete").wait(
            StackName=stack, WaiterConfig={"Delay": 10, "MaxAttempts": 180})
        return "CREATE"
    if status.endswith("_IN_PROGRESS"):
        raise StackStateError(f"{stack} is {status}: another operation is running. Wait for it to end "
                              "(CloudFormation → the stack → Events), then deploy again.")
    advice = REFUSED.get(status, "see the stack's events (docs/operations.md, section 2)")
    raise StackStateError(f"{stack} is {status}: {advice.format(stack=stack)}.")


def apply(cloudformation, stack: str, template_url: str, parameters: dict[str, str], wait=True,
          on_create: dict[str, str] | None = None) -> str:
    """Create or update the stack through a change set, by the stack's state; returns what happened.
    A create takes on_create over the parameters."""
    existing = state(cloudformation, stack)
    kind = _kind(cloudformation, stack, existing.get("StackStatus"))
    if kind == "CREATE":
        existing, parameters = {}, {**parameters, **(on_create or {})}
    # A parameter not given keeps the value it has (an alarm threshold set by ops stays set).
    kept = [{"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}
            for p in existing.get("Parameters", []) if p["ParameterKey"] not in parameters]
    name = f"relais-{hashlib.sha256((template_url + json.dumps(parameters, sort_keys=True)).encode()).hexdigest()[:12]}"
    cloudformation.create_change_set(
        StackName=stack, ChangeSetName=name, ChangeSetType=kind, TemplateURL=template_url,
        Capabilities=CAPABILITIES,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()] + kept)
    try:
        if wait:
            cloudformation.get_waiter("change_set_create_complete").wait(
                StackName=stack, ChangeSetName=name, WaiterConfig={"Delay": 5, "MaxAttempts": 120})
    except Exception:  # noqa: BLE001 - the waiter fails on "no changes", which is not an error
        described = cloudformation.describe_change_set(StackName=stack, ChangeSetName=name)
        reason = described.get("StatusReason", "")
        # Deleted either way, so that the same template can be deployed again once fixed.
        cloudformation.delete_change_set(StackName=stack, ChangeSetName=name)
        if "didn't contain changes" in reason or "No updates" in reason:
            return "unchanged"
        raise RuntimeError(f"the change set failed: {reason}") from None
    cloudformation.execute_change_set(StackName=stack, ChangeSetName=name)
    if wait:
        waiter = "stack_create_complete" if kind == "CREATE" else "stack_update_complete"
        cloudformation.get_waiter(waiter).wait(StackName=stack, WaiterConfig={"Delay": 10, "MaxAttempts": 180})
    return kind.lower() + "d"


def outputs(cloudformation, stack: str) -> dict[str, str]:
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def deploy(session, stage: str, package_dir: Path = PACKAGE, parameters: dict[str, str] | None = None) -> dict:
    sam = package_dir / "sam.json"
    if not sam.exists():
        raise SystemExit(f"{sam} is missing: run `make package STAGE={stage}` first.")
    region = session.region_name
    account = session.client("sts").get_caller_identity()["Account"]
    s3, cloudformation = session.client("s3"), session.client("cloudformation")
    bucket = artefacts_bucket(s3, stage, account, region)
    code_key = upload(s3, bucket, package_dir / "deployment.zip", ".zip")
    template = with_code_in_s3(json.loads(sam.read_text(encoding="utf-8")), bucket, code_key)
    rendered = package_dir / f"deploy-{stage}.json"
    rendered.write_text(json.dumps(template, indent=1), encoding="utf-8")
    template_key = upload(s3, bucket, rendered, ".json")
    stack, url, parameters = f"relais-{stage}", f"https://{bucket}.s3.{region}.amazonaws.com/{template_key}", parameters or {}
    # The table's deletion protection comes on once the stack exists: a first create that rolls
    # back must be able to delete the table it made (a protected table cannot be deleted). Every
    # deploy sets it back to the template's default unless told otherwise (to delete the stack).
    declared = template.get("Parameters", {}).get(PROTECTION)
    if declared:
        parameters = {PROTECTION: declared["Default"], **parameters}
    happened = apply(cloudformation, stack, url, parameters, on_create={PROTECTION: "false"} if declared else {})
    if happened == "created" and parameters.get(PROTECTION) == "true":
        apply(cloudformation, stack, url, parameters)
    found = outputs(cloudformation, stack)
    session.client("ses").set_active_receipt_rule_set(RuleSetName=names(stage)["rule_set"])
    return {"stack": stack, "result": happened, "outputs": found}


def main() -> None:
    import boto3

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--region", default=None, help="defaults to AWS_DEFAULT_REGION")
    parser.add_argument("--parameter", action="append", default=[], metavar="KEY=VALUE",
                        help="a template parameter, e.g. LateEscalationsThreshold=80")
    args = parser.parse_args()
    parameters = dict(p.split("=", 1) for p in args.parameter)
    try:
        result = deploy(boto3.Session(region_name=args.region), args.stage, parameters=parameters)
    except StackStateError as refused:
        raise SystemExit(f"Not deployed: {refused}") from None
    print(json.dumps(result, indent=2))
    if result["result"] == "unchanged":
        print("Nothing to change.", file=sys.stderr)


if __name__ == "__main__":
    main()
