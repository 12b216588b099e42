"""Conversations by e-mail in the traffic stack: the mail-token secret, the private
inbound bucket that SES receiving writes replies to, the bucket's notification that
invokes the traffic app's ``receive_email`` Lambda, and the SES receipt rule set + rule.

Why the notification is here and not ``@app.on_s3_event``: ``chalice package`` refuses
S3 events ("CloudFormation does not support modifying the event notifications of
existing buckets"), so the app declares a plain ``lambda_function`` and this template
creates the bucket with its notification. The bucket has a fixed name (stack name and
account: both lower case, deploy.sh checks the stage), so the invoke permission can
name it without a circular reference (bucket -> function <- permission -> bucket).

SES receiving needs the domain's MX record pointing at SES's inbound endpoint and the
rule set made active (one active rule set per account and region): see the README.
Without ``InboundMailDomain`` no receipt rule is made (the bucket and function stay).
"""

from __future__ import annotations

from infra.cfn import get_att, ref, sub

FUNCTION = "ReceiveEmail"  # Chalice's logical id of the lambda_function "receive_email"
PREFIX = "inbound/"
BUCKET_NAME = "${AWS::StackName}-inbound-mail-${AWS::AccountId}"
RULE_SET = "${AWS::StackName}-inbound"
RULE = "replies"
HAS_DOMAIN = "HasInboundMailDomain"
KEPT_DAYS = 30


def parameters() -> dict:
    return {
        "InboundMailDomain": {
            "Type": "String",
            "Default": "",
            "Description": "Domain SES receives replies for (reply+<token>@<domain>); "
            "its MX record must point at SES's inbound endpoint (empty: no replies by e-mail)",
        }
    }


def conditions() -> dict:
    return {HAS_DOMAIN: {"Fn::Not": [{"Fn::Equals": [ref("InboundMailDomain"), ""]}]}}


def environment() -> dict:
    return {
        "MAIL_TOKEN_SECRET": sub("{{resolve:secretsmanager:${MailTokenSecret}:SecretString}}"),
        "INBOUND_MAIL_DOMAIN": ref("InboundMailDomain"),
        # By name, not Ref: the function must not depend on the bucket (see above).
        "INBOUND_MAIL_BUCKET": sub(BUCKET_NAME),
    }


def policy_statements() -> list[dict]:
    return [
        {
            # The inbound Lambda reads the mail SES wrote.
            "Sid": "InboundMail",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": sub("arn:${AWS::Partition}:s3:::" + BUCKET_NAME + "/" + PREFIX + "*"),
        }
    ]


def resources() -> dict[str, dict]:
    bucket_arn = "arn:${AWS::Partition}:s3:::" + BUCKET_NAME
    rule_arn = (
        "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:receipt-rule-set/"
        + RULE_SET
        + ":receipt-rule/"
        + RULE
    )
    return {
        "MailTokenSecret": {
            "Type": "AWS::SecretsManager::Secret",
            # A new key voids the reply addresses and unsubscribe links already mailed.
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "Description": sub("${AWS::StackName}: HMAC key of reply and unsubscribe tokens"),
                "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
            },
        },
        "InboundMailInvokePermission": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": get_att(FUNCTION, "Arn"),
                "Principal": "s3.amazonaws.com",
                "SourceAccount": ref("AWS::AccountId"),
                "SourceArn": sub(bucket_arn),
            },
        },
        "InboundMailBucket": {
            "Type": "AWS::S3::Bucket",
            "DependsOn": "InboundMailInvokePermission",
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
            "Properties": {
                "BucketName": sub(BUCKET_NAME),
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                    ]
                },
                # Posted replies are in the chat; the raw mail is kept a month for support.
                "LifecycleConfiguration": {
                    "Rules": [
                        {"Id": "expire-mail", "Status": "Enabled", "ExpirationInDays": KEPT_DAYS}
                    ]
                },
                "NotificationConfiguration": {
                    "LambdaConfigurations": [
                        {
                            "Event": "s3:ObjectCreated:*",
                            "Function": get_att(FUNCTION, "Arn"),
                            "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": PREFIX}]}},
                        }
                    ]
                },
            },
        },
        "InboundMailBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": ref("InboundMailBucket"),
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            # Only this stack's receipt rule may write, and only mail.
                            "Sid": "SesWritesReceivedMail",
                            "Effect": "Allow",
                            "Principal": {"Service": "ses.amazonaws.com"},
                            "Action": "s3:PutObject",
                            "Resource": sub("${InboundMailBucket.Arn}/" + PREFIX + "*"),
                            "Condition": {
                                "StringEquals": {"AWS:SourceAccount": ref("AWS::AccountId")},
                                "ArnLike": {"AWS:SourceArn": sub(rule_arn)},
                            },
                        },
                        {
                            "Sid": "TlsOnly",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [
                                get_att("InboundMailBucket", "Arn"),
                                sub("${InboundMailBucket.Arn}/*"),
                            ],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        },
                    ],
                },
            },
        },
        "InboundMailRuleSet": {
            "Type": "AWS::SES::ReceiptRuleSet",
            "Condition": HAS_DOMAIN,
            "Properties": {"RuleSetName": sub(RULE_SET)},
        },
        "InboundMailRule": {
            "Type": "AWS::SES::ReceiptRule",
            "Condition": HAS_DOMAIN,
            "DependsOn": "InboundMailBucketPolicy",
            "Properties": {
                "RuleSetName": ref("InboundMailRuleSet"),
                "Rule": {
                    "Name": RULE,
                    "Enabled": True,
                    "ScanEnabled": True,
                    "TlsPolicy": "Optional",
                    "Recipients": [ref("InboundMailDomain")],
                    "Actions": [
                        {
                            "S3Action": {
                                "BucketName": ref("InboundMailBucket"),
                                "ObjectKeyPrefix": PREFIX,
                            }
                        }
                    ],
                },
            },
        },
    }


def outputs() -> dict:
    return {
        "MailTokenSecretArn": {
            "Description": "The clock app's continuity e-mails sign reply addresses with it",
            "Value": ref("MailTokenSecret"),
        },
        "InboundMailBucketName": {"Value": ref("InboundMailBucket")},
    }
