"""Uploading a file as the panel does: ask the API for a presigned POST, then post the
form to S3 (moto answers it, as S3 would)."""

import requests


def start(platform, who, name, content_type, size):
    return platform.post(
        f"/projects/{who.project_id}/attachments",
        {"name": name, "content_type": content_type, "size": size},
        who.auth,
    )


def upload(platform, who, name, content_type, data: bytes) -> dict:
    """The draft attachment ({key, name, content_type, size}) once the file is in S3."""
    started = start(platform, who, name, content_type, len(data))
    assert started.status_code == 201, started.json_body
    form = started.json_body["upload"]
    posted = requests.post(
        form["url"], data=form["fields"], files={"file": (name, data)}, timeout=10
    )
    assert posted.status_code == 204, posted.text
    return started.json_body["attachment"]
