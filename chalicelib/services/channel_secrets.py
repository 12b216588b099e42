"""Channel tokens and secrets, kept in AWS Secrets Manager (moto locally), one secret per
channel named ``<table prefix>channels/<channel id>``.

Why Secrets Manager rather than a KMS envelope in the channel's item: the values are
encrypted at rest with a KMS key without any crypto code of ours, the functions' policy
names exactly these secrets (infra/template.py), a value never sits in a table that
backups, exports and streams copy, and disconnecting erases it. Its cost (a
GetSecretValue per cold container and version) is kept off the webhook's hot path by a
per-container cache keyed by the version the channel's record names: a reconnection is a
new version, so the cache is never stale.

Nothing here logs a value, and errors name the channel, never the secret.
"""

from __future__ import annotations

import json
from functools import lru_cache

import boto3
from botocore.exceptions import ClientError

from chalicelib.config import get_settings
from chalicelib.errors import TemporarilyUnavailable

_cache: dict[tuple[str, str], dict] = {}


@lru_cache(maxsize=1)
def _client():
    # AWS_ENDPOINT_URL_SECRETS_MANAGER points it at moto locally (botocore reads it).
    return boto3.client("secretsmanager", region_name=get_settings().region)


def reset() -> None:
    """Tests: forget the client (a new moto) and the cache."""
    _client.cache_clear()
    _cache.clear()


def secret_name(channel_id: str) -> str:
    return f"{get_settings().table_prefix}channels/{channel_id}"


def store(channel_id: str, values: dict) -> str:
    """Store ``values`` as the channel's current secret; returns its version id."""
    client, name = _client(), secret_name(channel_id)
    text = json.dumps(values)
    try:
        return client.create_secret(Name=name, SecretString=text)["VersionId"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceExistsException":
            raise TemporarilyUnavailable("could not store the channel's token; try again") from None
    try:
        return client.put_secret_value(SecretId=name, SecretString=text)["VersionId"]
    except ClientError:
        raise TemporarilyUnavailable("could not store the channel's token; try again") from None


def load(channel_id: str, version: str) -> dict:
    key = (channel_id, version)
    if key not in _cache:
        try:
            answer = _client().get_secret_value(SecretId=secret_name(channel_id), VersionId=version)
        except ClientError:
            raise TemporarilyUnavailable("the channel's token could not be read") from None
        _cache[key] = json.loads(answer["SecretString"])
    return _cache[key]


def erase(channel_id: str) -> None:
    """Disconnecting: the tokens are not needed any more (the history stays). The secret
    is overwritten with an empty value rather than deleted: a deleted name stays taken
    for a while in AWS, and reconnecting must not wait for it."""
    for key in [k for k in _cache if k[0] == channel_id]:
        del _cache[key]
    try:
        _client().put_secret_value(SecretId=secret_name(channel_id), SecretString="{}")
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise TemporarilyUnavailable("could not erase the channel's token; try again") from None
