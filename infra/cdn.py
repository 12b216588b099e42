"""The private S3 buckets and the CloudFront distribution in front of them (traffic
stack): the widget and the panel (StaticBucket), and auto-message attachments
(AttachmentsBucket, uploaded straight from the panel; only published ones are served)."""

from __future__ import annotations

from infra.cfn import get_att, ref, sub

# Managed CloudFront policies (fixed ids, the same in every account).
CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED_POLICY_ID = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
SECURITY_HEADERS_POLICY_ID = "67f7725a-6f25-4be0-a7e0-26d5d7daf0e3"


# Every bucket: no public access of any kind, owner-enforced objects, encrypted at rest.
PRIVATE_BUCKET = {
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
}


def tls_only(bucket: str) -> dict:
    """A bucket policy statement refusing every request not made over TLS."""
    return {
        "Sid": "TlsOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [get_att(bucket, "Arn"), sub(f"${{{bucket}.Arn}}/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def cdn_resources() -> dict[str, dict]:
    return {
        "StaticBucket": {"Type": "AWS::S3::Bucket", "Properties": {**PRIVATE_BUCKET}},
        "AttachmentsBucket": _attachments_bucket(),
        # Published files only: drafts are never served.
        "AttachmentsBucketPolicy": _read_by_distribution(
            "AttachmentsBucket", "OnlyThisDistributionReadsPublished", "attachments/*"
        ),
        "StaticOriginAccessControl": {
            "Type": "AWS::CloudFront::OriginAccessControl",
            "Properties": {
                "OriginAccessControlConfig": {
                    "Name": sub("${AWS::StackName}-static"),
                    "Description": "CloudFront reads the widget and panel bucket",
                    "OriginAccessControlOriginType": "s3",
                    "SigningBehavior": "always",
                    "SigningProtocol": "sigv4",
                }
            },
        },
        "StaticDistribution": _distribution(),
        "StaticBucketPolicy": _read_by_distribution(
            "StaticBucket", "OnlyThisDistributionReads", "*"
        ),
    }


def _attachments_bucket() -> dict:
    return {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",  # customers' files: never lost with a stack
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            **PRIVATE_BUCKET,
            # The panel posts files straight here. Any origin: the signed policy
            # is what authorises an upload, CORS only lets the page read the answer.
            "CorsConfiguration": {
                "CorsRules": [
                    {
                        "AllowedMethods": ["POST"],
                        "AllowedOrigins": ["*"],
                        "AllowedHeaders": ["*"],
                        "MaxAge": 3600,
                    }
                ]
            },
            # A draft is published (copied) when its message is saved; one never
            # saved is deleted after a day.
            "LifecycleConfiguration": {
                "Rules": [
                    {
                        "Id": "ForgetUnsavedDrafts",
                        "Status": "Enabled",
                        "Prefix": "drafts/",
                        "ExpirationInDays": 1,
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                    }
                ]
            },
        },
    }


def _read_by_distribution(bucket: str, sid: str, objects: str) -> dict:
    """The bucket's policy: only this stack's distribution reads ``objects``, over TLS."""
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": ref(bucket),
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": sid,
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudfront.amazonaws.com"},
                        "Action": "s3:GetObject",
                        "Resource": sub(f"${{{bucket}.Arn}}/{objects}"),
                        "Condition": {
                            "StringEquals": {
                                "AWS:SourceArn": sub(
                                    "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}"
                                    ":distribution/${StaticDistribution}"
                                )
                            }
                        },
                    },
                    tls_only(bucket),
                ],
            },
        },
    }


def _s3_origin(origin_id: str, bucket: str) -> dict:
    return {
        "Id": origin_id,
        "DomainName": get_att(bucket, "RegionalDomainName"),
        "OriginAccessControlId": get_att("StaticOriginAccessControl", "Id"),
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }


def _cached(origin_id: str) -> dict:
    return {
        "TargetOriginId": origin_id,
        "ViewerProtocolPolicy": "redirect-to-https",
        "Compress": True,
        "AllowedMethods": ["GET", "HEAD"],
        "CachedMethods": ["GET", "HEAD"],
        "CachePolicyId": CACHING_OPTIMIZED_POLICY_ID,
        "ResponseHeadersPolicyId": SECURITY_HEADERS_POLICY_ID,
    }


# The panel's service worker and manifest: never kept at the edges. A browser looks for a
# new worker on every load (sw.js names every shell file's digest, infra/panel_build.py);
# an edge copy would hold the previous deploy's shell for its whole TTL. deploy.sh uploads
# both with Cache-Control: no-cache for the browsers' own caches.
UNCACHED_PANEL_FILES = ("panel/sw.js", "panel/manifest.webmanifest")


def _uncached(path: str) -> dict:
    return {"PathPattern": path, **_cached("static"), "CachePolicyId": CACHING_DISABLED_POLICY_ID}


def _distribution() -> dict:
    return {
        "Type": "AWS::CloudFront::Distribution",
        "Properties": {
            "DistributionConfig": {
                "Comment": sub("${AWS::StackName}: widget and panel"),
                "Enabled": True,
                "HttpVersion": "http2and3",
                "IPV6Enabled": True,
                "PriceClass": "PriceClass_100",
                "Origins": [
                    _s3_origin("static", "StaticBucket"),
                    _s3_origin("attachments", "AttachmentsBucket"),
                ],
                # Auto-message attachments; their keys never change content. The
                # security headers policy adds nosniff: a file is what S3 says.
                "CacheBehaviors": [
                    {"PathPattern": "attachments/*", **_cached("attachments")},
                    *(_uncached(path) for path in UNCACHED_PANEL_FILES),
                ],
                "DefaultCacheBehavior": _cached("static"),
            }
        },
    }
