"""The traffic template's part for replies by e-mail (infra/inbound_mail.py): a private
bucket only SES's receipt rule writes to, whose new objects invoke ``receive_email``;
packaging and cfn-lint are tests/unit/test_infra.py's."""

import pytest

from infra import template


@pytest.fixture(scope="module")
def traffic() -> dict:
    return template.traffic_template()


def test_the_inbound_bucket_is_private_and_invokes_the_receiving_function(traffic):
    bucket = traffic["Resources"]["InboundMailBucket"]
    block = bucket["Properties"]["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    [notification] = bucket["Properties"]["NotificationConfiguration"]["LambdaConfigurations"]
    assert notification["Function"] == {"Fn::GetAtt": ["ReceiveEmail", "Arn"]}
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "inbound/"}]
    permission = traffic["Resources"]["InboundMailInvokePermission"]["Properties"]
    assert permission["Principal"] == "s3.amazonaws.com"
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert bucket["DependsOn"] == "InboundMailInvokePermission"


def test_only_this_stacks_receipt_rule_may_write_mail(traffic):
    statements = traffic["Resources"]["InboundMailBucketPolicy"]["Properties"]["PolicyDocument"][
        "Statement"
    ]
    allow = next(s for s in statements if s["Effect"] == "Allow")
    assert allow["Principal"] == {"Service": "ses.amazonaws.com"}
    assert allow["Action"] == "s3:PutObject"
    assert allow["Condition"]["ArnLike"]["AWS:SourceArn"]["Fn::Sub"].endswith(
        "receipt-rule-set/${AWS::StackName}-inbound:receipt-rule/replies"
    )
    rule = traffic["Resources"]["InboundMailRule"]
    assert rule["Condition"] == "HasInboundMailDomain"  # no domain: no rule
    [action] = rule["Properties"]["Rule"]["Actions"]
    assert action["S3Action"] == {
        "BucketName": {"Ref": "InboundMailBucket"},
        "ObjectKeyPrefix": "inbound/",
    }


def test_the_scheduled_app_signs_with_the_traffic_stacks_secret_and_may_send_raw_mail():
    scheduled = template.scheduled_template()
    env = scheduled["Globals"]["Function"]["Environment"]["Variables"]
    assert env["MAIL_TOKEN_SECRET"] == {
        "Fn::Sub": "{{resolve:secretsmanager:${MailTokenSecretArn}:SecretString}}"
    }
    statements = scheduled["Resources"]["FunctionAccessPolicy"]["Properties"]["PolicyDocument"][
        "Statement"
    ]
    assert any("ses:SendRawEmail" in s["Action"] for s in statements)
