"""CloudFormation building blocks shared by both apps' merge templates (infra/template.py):
intrinsic functions, the stack parameters, log groups and the function access policy."""

from __future__ import annotations

DEFAULT_TABLE_PREFIX = "livechat-dev-"

# What PynamoDB issues on request paths and in jobs. Transactions need no actions of
# their own: TransactWriteItems is authorised per item (Put/Update/Delete/ConditionCheck).
# No Scan: nothing may scan (DESIGN.md, Data), and the policy enforces it.
DYNAMODB_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
]


def ref(name: str) -> dict:
    return {"Ref": name}


def sub(text: str) -> dict:
    return {"Fn::Sub": text}


def get_att(resource: str, attribute: str) -> dict:
    return {"Fn::GetAtt": [resource, attribute]}


def websocket_url(scheme: str, api_stage: str) -> dict:
    return sub(
        f"{scheme}://${{WebsocketAPI}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{api_stage}"
    )


def table_prefix_parameter() -> dict:
    return {
        "Type": "String",
        "Default": DEFAULT_TABLE_PREFIX,
        "AllowedPattern": "[a-zA-Z0-9_.-]{1,200}",
        "Description": "Prefix of every DynamoDB table name (the app's TABLE_PREFIX)",
    }


# Billing settings (chalicelib/config.py) and the stack parameters that set them. The
# Stripe keys are NoEcho parameters: set them at deploy (infra/README.md). Empty keys
# leave billing off, and an empty webhook secret makes every webhook refused.
BILLING_SETTINGS = {
    "STRIPE_SECRET_KEY": "StripeSecretKey",
    "STRIPE_WEBHOOK_SECRET": "StripeWebhookSecret",
    "PLAN_CATALOGUE": "PlanCatalogue",
    "BILLING_RETURN_URL": "BillingReturnUrl",
    "MAIL_FROM": "MailFrom",
}


def billing_parameters() -> dict:
    def text(description: str, secret: bool = False) -> dict:
        parameter = {"Type": "String", "Default": "", "Description": description}
        if secret:
            parameter["NoEcho"] = True
        return parameter

    return {
        "StripeSecretKey": text("Stripe secret API key (sk_live_...)", secret=True),
        "StripeWebhookSecret": text("Stripe webhook signing secret (whsec_...)", secret=True),
        "PlanCatalogue": text("The plan catalogue as JSON (empty: chalicelib/plans.json)"),
        "BillingReturnUrl": text("The panel's billing page (Checkout returns there)"),
        "MailFrom": text("SES-verified sender of quota warnings (empty: not sent)"),
    }


LOG_RETENTION_DAYS = 30


def log_groups(functions: tuple[str, ...]) -> dict[str, dict]:
    """A log group per function, so logs expire (Lambda's own never do). Chalice's
    ``log_retention_in_days`` would do this, but 1.34 names the REST function
    ``ApiHandler`` there and ``APIHandler`` in the function itself: cfn-lint fails it."""
    return {
        f"{function}LogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": sub("/aws/lambda/${" + function + "}"),
                "RetentionInDays": LOG_RETENTION_DAYS,
            },
        }
        for function in functions
    }


def managed_policy(description: str, roles: tuple[str, ...], statements: list[dict]) -> dict:
    return {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {
            "Description": description,
            "Roles": [ref(role) for role in roles],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
        },
    }
