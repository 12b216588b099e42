"""Auto-message attachments: presigned uploads to S3 (moto), published on save with the
media type and disposition we write, served by key, deleted when no message uses them;
and everything an uploader could get wrong or try on purpose."""

import json

import boto3
import pytest

from chalicelib.config import get_settings
from tests.functional.uploads import start, upload

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
BUCKET = "test-attachments"


@pytest.fixture
def owner(platform):
    return platform.sign_up(project_name="Shop")


@pytest.fixture
def s3(aws):
    return boto3.client("s3", region_name="us-east-1")


def _proactive(attachments):
    return {
        "name": "Catalogue",
        "type": "proactive",
        "content": {"text": "Our new catalogue", "attachments": attachments},
    }


def _create(platform, who, body):
    return platform.post(f"/projects/{who.project_id}/auto-messages", body, who.auth)


def _patch(platform, who, message_id, body):
    return platform.client.http.patch(
        f"/projects/{who.project_id}/auto-messages/{message_id}",
        headers=who.auth,
        body=json.dumps(body),
    )


def _keys(s3, prefix):
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def test_an_upload_is_published_on_save_with_our_type_and_disposition(platform, owner, s3):
    # Given a picture and a PDF uploaded as drafts
    picture = upload(platform, owner, "Façade été.png", "image/png", PNG)
    prices = upload(platform, owner, "prices.pdf", "application/pdf", b"%PDF-1.7")
    assert picture["key"].startswith(f"drafts/{owner.project_id}/")
    assert picture["key"].endswith("/Fa_ade_t_.png")  # safe for a key; the name is kept

    # When an auto message is saved with them
    created = _create(
        platform,
        owner,
        _proactive([{"key": a["key"], "name": a["name"]} for a in (picture, prices)]),
    )

    # Then both are published under attachments/ and served by their public URL
    assert created.status_code == 201, created.json_body
    stored = created.json_body["auto_message"]["content"]["attachments"]
    assert [(a["name"], a["content_type"], a["size"]) for a in stored] == [
        ("Façade été.png", "image/png", len(PNG)),
        ("prices.pdf", "application/pdf", 8),
    ]
    assert stored[0]["key"].endswith("/Fa_ade_t_.png")
    for attachment in stored:
        assert attachment["key"].startswith(f"attachments/{owner.project_id}/")
        assert attachment["url"] == f"https://cdn.example.test/{attachment['key']}"
    # A picture shows inline; anything else downloads, whatever the uploader said
    image = s3.head_object(Bucket=BUCKET, Key=stored[0]["key"])
    pdf = s3.head_object(Bucket=BUCKET, Key=stored[1]["key"])
    assert image["ContentType"] == "image/png"
    assert image["ContentDisposition"] == "inline; filename*=UTF-8''Fa%C3%A7ade%20%C3%A9t%C3%A9.png"
    assert pdf["ContentDisposition"] == "attachment; filename*=UTF-8''prices.pdf"
    assert s3.get_object(Bucket=BUCKET, Key=stored[0]["key"])["Body"].read() == PNG


def test_the_widget_gets_the_attachments_with_their_urls(platform, owner):
    draft = upload(platform, owner, "menu.pdf", "application/pdf", b"%PDF menu")
    created = _create(platform, owner, _proactive([{"key": draft["key"], "name": "Menu"}]))
    assert created.status_code == 201, created.json_body

    session = platform.post("/widget/session", {"project_id": owner.project_id})

    assert session.status_code == 200, session.json_body
    [candidate] = session.json_body["auto_messages"]
    [attachment] = candidate["content"]["attachments"]
    assert attachment["name"] == "Menu"
    assert attachment["url"].startswith(f"https://cdn.example.test/attachments/{owner.project_id}/")


def test_removing_an_attachment_or_the_message_deletes_its_file(platform, owner, s3):
    first = upload(platform, owner, "a.png", "image/png", PNG)
    second = upload(platform, owner, "b.png", "image/png", PNG)
    created = _create(
        platform, owner, _proactive([{"key": a["key"], "name": a["name"]} for a in (first, second)])
    )
    message = created.json_body["auto_message"]
    kept, dropped = message["content"]["attachments"]

    # When the message is saved back as the panel does (views included) without one
    changed = _patch(
        platform, owner, message["id"], {"content": {"attachments": [kept], "text": "New"}}
    )

    # Then the kept one is untouched and the dropped one's file is gone
    assert changed.status_code == 200, changed.json_body
    assert changed.json_body["auto_message"]["content"]["attachments"] == [kept]
    published = f"attachments/{owner.project_id}/"
    assert _keys(s3, published) == [kept["key"]]

    # And deleting the message deletes the rest
    deleted = platform.client.http.delete(
        f"/projects/{owner.project_id}/auto-messages/{message['id']}", headers=owner.auth
    )
    assert deleted.status_code == 204
    assert _keys(s3, published) == []


@pytest.mark.parametrize(
    "body, problem",
    [
        ({"name": "x.html", "content_type": "text/html", "size": 10}, "content_type"),
        ({"name": "x.svg", "content_type": "image/svg+xml", "size": 10}, "content_type"),
        ({"name": "x.png", "content_type": ["image/png"], "size": 10}, "content_type"),
        ({"name": "x.png", "content_type": "image/png", "size": 0}, "size"),
        ({"name": "x.png", "content_type": "image/png", "size": 10 * 1024 * 1024 + 1}, "size"),
        ({"name": "x.png", "content_type": "image/png", "size": "10"}, "size"),
        ({"name": "x.png", "content_type": "image/png", "size": True}, "size"),
        ({"name": " ", "content_type": "image/png", "size": 10}, "name"),
        ({"name": "a\nb.png", "content_type": "image/png", "size": 10}, "name"),
        ({"content_type": "image/png", "size": 10}, "name"),
    ],
)
def test_an_upload_that_cannot_be_attached_is_refused(platform, owner, s3, body, problem):
    response = platform.post(f"/projects/{owner.project_id}/attachments", body, owner.auth)

    assert response.status_code == 400
    assert response.json_body["error"]["message"].startswith(f"In {problem}: ")
    assert _keys(s3, "") == []


def test_only_leads_of_the_project_may_upload(platform, owner):
    operator = platform.member(owner, "operator", name="Otto")
    stranger = platform.sign_up(project_name="Elsewhere")

    as_operator = start(platform, operator, "a.png", "image/png", 10)
    other_project = platform.post(
        f"/projects/{owner.project_id}/attachments",
        {"name": "a.png", "content_type": "image/png", "size": 10},
        stranger.auth,
    )
    anonymous = platform.post(
        f"/projects/{owner.project_id}/attachments",
        {"name": "a.png", "content_type": "image/png", "size": 10},
    )

    assert as_operator.status_code == 403
    assert other_project.status_code in (403, 404)
    assert anonymous.status_code == 401


def test_a_draft_of_another_project_or_never_uploaded_is_refused_and_nothing_is_kept(
    platform, owner, s3
):
    stranger = platform.sign_up(project_name="Elsewhere")
    theirs = upload(platform, stranger, "theirs.png", "image/png", PNG)
    never = start(platform, owner, "never.png", "image/png", 10).json_body["attachment"]

    foreign = _create(platform, owner, _proactive([{"key": theirs["key"], "name": "x"}]))
    missing = _create(platform, owner, _proactive([{"key": never["key"], "name": "x"}]))

    assert foreign.status_code == 400
    assert foreign.json_body["error"]["message"].startswith("In content.attachments[0].key")
    assert missing.status_code == 400
    assert "did not finish" in missing.json_body["error"]["message"]
    listed = platform.get(f"/projects/{owner.project_id}/auto-messages", owner.auth)
    assert listed.json_body["auto_messages"] == []
    assert _keys(s3, "attachments/") == []
    # and the scenario slot taken for the attempt was given back
    billing = platform.get(f"/projects/{owner.project_id}/billing", owner.auth).json_body
    assert billing["billing"]["usage"]["scenarios"]["used"] == 0


def test_a_file_stored_with_another_type_than_signed_is_not_published(platform, owner, s3):
    # S3 enforces the signed type; if a file got there anyway, saving still refuses it.
    draft = start(platform, owner, "page.png", "image/png", 10).json_body["attachment"]
    s3.put_object(Bucket=BUCKET, Key=draft["key"], Body=b"<script>", ContentType="text/html")

    response = _create(platform, owner, _proactive([{"key": draft["key"], "name": "x"}]))

    assert response.status_code == 400
    assert "cannot be attached" in response.json_body["error"]["message"]
    assert _keys(s3, "attachments/") == []


def test_without_a_bucket_uploads_answer_503(platform, owner, monkeypatch):
    monkeypatch.setenv("ATTACHMENTS_BUCKET", "")
    get_settings.cache_clear()

    response = start(platform, owner, "a.png", "image/png", 10)

    assert response.status_code == 503
    assert "ATTACHMENTS_BUCKET" in response.json_body["error"]["message"]


def test_a_renamed_attachment_downloads_under_its_new_name(platform, owner, s3):
    draft = upload(platform, owner, "prices.pdf", "application/pdf", b"%PDF prices")
    created = _create(platform, owner, _proactive([{"key": draft["key"], "name": "prices.pdf"}]))
    message = created.json_body["auto_message"]
    [before] = message["content"]["attachments"]

    renamed = _patch(
        platform,
        owner,
        message["id"],
        {"content": {"attachments": [{**before, "name": "Prices 2027.pdf"}]}},
    )

    assert renamed.status_code == 200, renamed.json_body
    [after] = renamed.json_body["auto_message"]["content"]["attachments"]
    assert after["name"] == "Prices 2027.pdf" and after["key"].endswith("/Prices_2027.pdf")
    assert after["key"] != before["key"]  # the CDN keeps a key's headers: a new key
    head = s3.head_object(Bucket=BUCKET, Key=after["key"])
    assert head["ContentDisposition"] == "attachment; filename*=UTF-8''Prices%202027.pdf"
    assert _keys(s3, f"attachments/{owner.project_id}/") == [after["key"]]
