"""SMS through AWS End User Messaging: what CloudFormation can declare of it.

- `SmsOptOutList`: the opt-out list of Relais's pool. Opt-outs are self-managed
  (`SelfManagedOptOutsEnabled`): Relais reads STOP/ARRET itself (domain/sms_replies.py), records
  the number's opt-out for every case and confirms it in its own words (services/sms.py
  `_opt_out`); a managed list would answer STOP with AWS's keyword message instead, on the
  exact keyword only, and refuse Relais's own confirmation. See docs/sms.md.
- `SmsConfigurationSet`: every SendTextMessage names it; its event destination publishes the
  final SMS events (delivery receipts) to `SmsEventsTopic`, read by the sms_events function.
- `SmsPool`, when the deploy names an origination identity (parameter SmsOriginationIdentity:
  a phone number's ARN, registered by hand, docs/operations.md "SMS origination identities"):
  the pool the SMS leave from, with two-way SMS on the inbound SMS topic (receive_sms).
  Without it, nothing is created and End User Messaging picks among the account's identities.
"""
from __future__ import annotations

from collections.abc import Callable

from infra.names import names

PARAMETER = "SmsOriginationIdentity"
CONDITION = "HasSmsOriginationIdentity"
# The final SMS events (services/sms.py DELIVERY_STATUS); TEXT_QUEUED and TEXT_PENDING would only
# invoke the function for nothing.
RECEIPT_EVENTS = ["TEXT_DELIVERED", "TEXT_SUCCESSFUL", "TEXT_BLOCKED", "TEXT_INVALID", "TEXT_INVALID_MESSAGE",
                  "TEXT_CARRIER_BLOCKED", "TEXT_SPAM", "TEXT_PROTECT_BLOCKED", "TEXT_UNREACHABLE",
                  "TEXT_CARRIER_UNREACHABLE", "TEXT_TTL_EXPIRED", "TEXT_UNKNOWN"]
# AWS requires them; with self-managed opt-outs AWS does not send them (Relais answers STOP itself).
KEYWORD_ANSWERS = {
    "STOP": "Relais SP+ : vous ne recevrez plus de SMS de Relais.",
    "HELP": "Relais SP+ : SMS sur votre demande auprès d'un point Services Publics+. STOP pour ne plus en recevoir.",
}


def parameters() -> dict:
    return {PARAMETER: {
        "Type": "String", "Default": "", "AllowedPattern": r"^$|^arn:aws[a-z-]*:sms-voice:\S+$",
        "Description": "The ARN of the End User Messaging phone number (or sender id) the SMS leave from, "
                       "registered by hand (docs/operations.md, SMS origination identities); empty: no pool"}}


def conditions() -> dict:
    return {CONDITION: {"Fn::Not": [{"Fn::Equals": [{"Ref": PARAMETER}, ""]}]}}


def resources(stage: str, topic: Callable[[str, str, str | None], dict]) -> dict:
    """`topic` makes an encrypted topic that a service may publish to (template._topic)."""
    n = names(stage)
    return {
        **topic("SmsEventsTopic", n["sms_events"], "sms-voice.amazonaws.com"),
        "SmsOptOutList": {"Type": "AWS::SMSVOICE::OptOutList", "Properties": {"OptOutListName": n["table"]}},
        "SmsConfigurationSet": {
            "Type": "AWS::SMSVOICE::ConfigurationSet", "DependsOn": "SmsEventsTopicPolicy",
            "Properties": {"ConfigurationSetName": n["configuration_set"], "EventDestinations": [{
                "EventDestinationName": "delivery-receipts", "Enabled": True,
                "MatchingEventTypes": RECEIPT_EVENTS,
                "SnsDestination": {"TopicArn": {"Ref": "SmsEventsTopic"}}}]}},
        "SmsPool": {
            "Type": "AWS::SMSVOICE::Pool", "Condition": CONDITION, "DependsOn": "InboundSmsTopicPolicy",
            "Properties": {
                "OriginationIdentities": [{"Ref": PARAMETER}],
                "TwoWay": {"Enabled": True, "ChannelArn": {"Ref": "InboundSmsTopic"}},
                "OptOutListName": {"Ref": "SmsOptOutList"}, "SelfManagedOptOutsEnabled": True,
                "SharedRoutesEnabled": False, "DeletionProtectionEnabled": stage == "prod",
                "MandatoryKeywords": {keyword: {"Message": answer} for keyword, answer in KEYWORD_ANSWERS.items()}}},
    }


def environment() -> dict:
    """What each function reads (chalicelib/environment.py); empty is unset."""
    return {"RELAIS_SMS_ORIGINATION_IDENTITY": {"Fn::If": [CONDITION, {"Fn::GetAtt": ["SmsPool", "Arn"]}, ""]},
            "RELAIS_SMS_CONFIGURATION_SET": {"Ref": "SmsConfigurationSet"}}


def send_statements() -> list[dict]:
    """SendTextMessage on the pool, its phone number, the configuration set and the opt-out list."""
    return [{"Action": ["sms-voice:SendTextMessage"], "Resource": [
        {"Fn::If": [CONDITION, {"Fn::GetAtt": ["SmsPool", "Arn"]}, {"Ref": "AWS::NoValue"}]},
        {"Fn::If": [CONDITION, {"Ref": PARAMETER}, {"Ref": "AWS::NoValue"}]},
        {"Fn::GetAtt": ["SmsConfigurationSet", "Arn"]},
        {"Fn::GetAtt": ["SmsOptOutList", "Arn"]}]}]
