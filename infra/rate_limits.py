"""Rate limits per client address on the widget's endpoints: one table, read by the
CloudFormation template (AWS WAF rate-based rules on the REST API's stage) and by the
local stack's limiter (infra/local/rate_limiter.py), so tests see the same 429.

Why per address, on top of allowed origins and counting on real activity: a script can
forge an allowed ``Origin`` and come back with its token, so each counted visitor costs it
two requests; these limits bound what one address can do (120 page views in 5 minutes is
one every 2.5 s, far beyond a person, and well above an office behind one NAT browsing one
site). WAF counts over a sliding window of ``window_seconds`` and blocks the address while
it is over the limit. The WebSocket API cannot have a web ACL; its stage's throttling and
the per-frame token checks cover it.
"""

from __future__ import annotations

from dataclasses import dataclass

SLOW_DOWN = (
    '{"error": {"code": "slow_down", "message": "Too many requests from this address: '
    'wait a few minutes and try again"}}'
)


@dataclass(frozen=True)
class RateLimit:
    name: str  # WAF rule name and metric
    path_part: str  # the request path contains this
    limit: int  # requests per address per window
    window_seconds: int = 300
    parameter: str = ""  # the stack parameter that can change ``limit``

    def applies_to(self, path: str) -> bool:
        return self.path_part in path


RATE_LIMITS = (
    # A page view: the call a quota-burning script needs most.
    RateLimit("widget-session-per-address", "/widget/session", 120, parameter="SessionRateLimit"),
    # Every widget call together: heartbeats, events, identify, contact, history, page views.
    RateLimit("widget-calls-per-address", "/widget/", 600, parameter="WidgetRateLimit"),
)


def parameters() -> dict:
    return {
        rule.parameter: {
            "Type": "Number",
            "Default": rule.limit,
            "MinValue": 10,  # WAF's own minimum for a rate-based rule
            "Description": f"Widget calls matching {rule.path_part} allowed per client "
            f"address in {rule.window_seconds // 60} minutes (then 429)",
        }
        for rule in RATE_LIMITS
    }


def _rule(rule: RateLimit, priority: int) -> dict:
    return {
        "Name": rule.name,
        "Priority": priority,
        "Statement": {
            "RateBasedStatement": {
                "Limit": {"Ref": rule.parameter},
                "EvaluationWindowSec": rule.window_seconds,
                "AggregateKeyType": "IP",
                "ScopeDownStatement": {
                    "ByteMatchStatement": {
                        "SearchString": rule.path_part,
                        "FieldToMatch": {"UriPath": {}},
                        "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}],
                        "PositionalConstraint": "CONTAINS",
                    }
                },
            }
        },
        "Action": {
            "Block": {"CustomResponse": {"ResponseCode": 429, "CustomResponseBodyKey": "slow-down"}}
        },
        "VisibilityConfig": {
            "SampledRequestsEnabled": True,
            "CloudWatchMetricsEnabled": True,
            "MetricName": rule.name,
        },
    }


def waf_resources(rest_api: str = "RestAPI") -> dict:
    """A regional web ACL with one rate-based rule per limit, on the REST API's stage."""
    return {
        "WidgetWebACL": {
            "Type": "AWS::WAFv2::WebACL",
            "Properties": {
                "Name": {"Fn::Sub": "${AWS::StackName}-widget-limits"},
                "Description": "Rate limits per client address on the chat widget calls",
                "Scope": "REGIONAL",
                "DefaultAction": {"Allow": {}},
                "CustomResponseBodies": {
                    "slow-down": {"ContentType": "APPLICATION_JSON", "Content": SLOW_DOWN}
                },
                "Rules": [_rule(rule, i) for i, rule in enumerate(RATE_LIMITS)],
                "VisibilityConfig": {
                    "SampledRequestsEnabled": True,
                    "CloudWatchMetricsEnabled": True,
                    "MetricName": "widget-limits",
                },
            },
        },
        "WidgetWebACLAssociation": {
            "Type": "AWS::WAFv2::WebACLAssociation",
            "Properties": {
                "ResourceArn": {
                    "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/"
                    f"${{{rest_api}}}/stages/${{{rest_api}.Stage}}"
                },
                "WebACLArn": {"Fn::GetAtt": ["WidgetWebACL", "Arn"]},
            },
        },
    }
