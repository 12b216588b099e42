"""The traffic template's part for SES's bounces and complaints (infra/mail_feedback.py):
a configuration set publishing them to a topic only SES may publish to, the
``mail_feedback`` function subscribed to that topic, and every mail naming the set;
packaging and cfn-lint of the whole are tests/unit/test_infra.py's."""

import pytest

from chalicelib.mail import SesMailer
from infra import mail_feedback, template


@pytest.fixture(scope="module")
def traffic() -> dict:
    return template.traffic_template()


def test_the_configuration_set_publishes_bounces_and_complaints_to_the_topic(traffic):
    resources = traffic["Resources"]
    assert resources["MailConfigurationSet"]["Type"] == "AWS::SES::ConfigurationSet"
    destination = resources["MailFeedbackDestination"]
    assert destination["Type"] == "AWS::SES::ConfigurationSetEventDestination"
    properties = destination["Properties"]
    assert properties["ConfigurationSetName"] == {"Ref": "MailConfigurationSet"}
    event = properties["EventDestination"]
    assert event["Enabled"] is True
    assert sorted(event["MatchingEventTypes"]) == ["bounce", "complaint"]
    assert event["SnsDestination"] == {"TopicARN": {"Ref": "MailFeedbackTopic"}}
    assert destination["DependsOn"] == "MailFeedbackTopicPolicy"
    assert resources["MailFeedbackTopic"]["Type"] == "AWS::SNS::Topic"


def test_only_ses_of_this_account_and_configuration_set_may_publish(traffic):
    policy = traffic["Resources"]["MailFeedbackTopicPolicy"]["Properties"]
    assert policy["Topics"] == [{"Ref": "MailFeedbackTopic"}]
    [statement] = policy["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "ses.amazonaws.com"}
    assert statement["Action"] == "sns:Publish"
    assert statement["Condition"]["StringEquals"] == {
        "AWS:SourceAccount": {"Ref": "AWS::AccountId"}
    }
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"]["Fn::Sub"].endswith(
        ":configuration-set/${AWS::StackName}-mail"
    )


def test_the_feedback_function_is_subscribed_to_this_stacks_topic(traffic):
    function = traffic["Resources"]["MailFeedback"]
    events = function["Properties"]["Events"]
    # SAM turns this event source into the AWS::SNS::Subscription and the
    # AWS::Lambda::Permission for sns.amazonaws.com.
    assert events == {
        "MailFeedbackSnsSubscription": {"Properties": {"Topic": {"Ref": "MailFeedbackTopic"}}}
    }


def test_both_apps_send_through_the_set_and_may_name_it():
    traffic = template.traffic_template()
    scheduled = template.scheduled_template()
    for built, expected in [
        (traffic, {"Ref": "MailConfigurationSet"}),
        (scheduled, {"Ref": "MailConfigurationSet"}),
    ]:
        env = built["Globals"]["Function"]["Environment"]["Variables"]
        assert env["MAIL_CONFIGURATION_SET"] == expected
        statements = built["Resources"]["FunctionAccessPolicy"]["Properties"]["PolicyDocument"][
            "Statement"
        ]
        [sending] = [s for s in statements if "ses:SendRawEmail" in s["Action"]]
        assert any("configuration-set/" in r["Fn::Sub"] for r in sending["Resource"])
    assert "MailConfigurationSet" in scheduled["Parameters"]
    assert traffic["Outputs"]["MailConfigurationSet"]["Value"] == {"Ref": "MailConfigurationSet"}


class RecordingSes:
    def __init__(self):
        self.calls = []

    def send_email(self, **kwargs):
        self.calls.append(("send_email", kwargs))

    def send_raw_email(self, **kwargs):
        self.calls.append(("send_raw_email", kwargs))


def test_every_send_names_the_configuration_set_when_there_is_one():
    from email.message import EmailMessage

    client = RecordingSes()
    mailer = SesMailer(client, "chat@acme.example", configuration_set="livechat-dev-mail")
    mailer.send("jane@example.org", "Hi", "Text")
    message = EmailMessage()
    message["To"] = "jane@example.org"
    message.set_content("Text")
    mailer.send_message(message, display_name="Acme")
    assert [c[1]["ConfigurationSetName"] for c in client.calls] == ["livechat-dev-mail"] * 2
    plain = RecordingSes()
    SesMailer(plain, "chat@acme.example").send("jane@example.org", "Hi", "Text")
    assert "ConfigurationSetName" not in plain.calls[0][1]


def test_the_subscription_needs_the_function():
    from infra.app_graph import AppInfo

    info = AppInfo(roles=(), functions=("APIHandler",), api_stage="api", has_websocket=True)
    with pytest.raises(ValueError, match="mail_feedback"):
        mail_feedback.subscription(info)


def test_the_deploy_hands_the_configuration_set_to_the_scheduled_stack():
    from pathlib import Path

    deploy = (Path(template.__file__).parent / "deploy.sh").read_text()
    assert '"MailConfigurationSet=$(stack_output MailConfigurationSet)"' in deploy
