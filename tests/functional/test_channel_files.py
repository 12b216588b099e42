"""A messenger customer's documents, voice notes, audio and videos: fetched from the fake
platform (Telegram's getFile and file download; Messenger's CDN link), kept in our bucket
with their name and content type, linked from the message as its ``files``. Too large or
refused: a note saying so, and nothing stored. A replayed webhook stores one object."""

import boto3

from infra.local import fake_messenger_customers

CDN = "https://cdn.example.test/"
BUCKET = "test-attachments"
MB = 1024 * 1024


def _s3():
    return boto3.client("s3", region_name="us-east-1")


def _stored_files(project_id) -> list[str]:
    """The keys of customers' files (not their profile pictures) in the bucket."""
    prefix = f"attachments/{project_id}/channels/"
    listed = _s3().list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return [o["Key"] for o in listed if not o["Key"].startswith(prefix + "customers/")]


def _only_message(channels, owner):
    [chat] = channels.chats(owner)
    [message] = channels.messages(owner, chat["id"])
    return message


def _object(url: str) -> dict:
    assert url.startswith(CDN), url
    return _s3().get_object(Bucket=BUCKET, Key=url[len(CDN) :])


def _fake_bytes(channels, name: str) -> bytes:
    """The bytes of the newest file the fake holds whose path ends with ``name``."""
    return [data for path, (_, data) in channels.fake.files.items() if path.endswith(name)][-1]


def _telegram_bytes(channels) -> bytes:
    """The customer's newest file at the fake Telegram (not a profile picture)."""
    paths = [p for p in channels.fake.telegram_files.values() if not p.startswith("profile")]
    return channels.fake.files[paths[-1]][1]


def test_a_telegram_document_is_kept_with_its_name_type_and_caption(platform, channels):
    owner = platform.sign_up()
    bot, _ = channels.connect_telegram(owner)
    channels.fake.telegram_customer_says(bot.token, "Ada", "document", "my order, attached")

    message = _only_message(channels, owner)
    assert message["text"] == "my order, attached"
    assert message.get("image_url") is None
    [file] = message["files"]
    assert file["name"] == "order-1234.pdf"
    assert file["url"].startswith(f"{CDN}attachments/{owner.project_id}/channels/")
    assert file["url"].endswith("/order-1234.pdf")
    stored = _object(file["url"])
    assert stored["ContentType"] == "application/pdf"
    assert stored["ContentDisposition"] == "attachment; filename*=UTF-8''order-1234.pdf"
    assert stored["Body"].read() == _telegram_bytes(channels)


def test_a_telegram_voice_note_is_kept_as_audio_named_for_what_it_is(platform, channels):
    owner = platform.sign_up()
    bot, _ = channels.connect_telegram(owner)
    channels.fake.telegram_customer_says(bot.token, "Ada", "voice")

    message = _only_message(channels, owner)
    assert message["text"] == "[voice message]"
    [file] = message["files"]
    assert file["name"] == "voice message.ogg"
    stored = _object(file["url"])
    assert stored["ContentType"] == "audio/ogg"
    assert stored["ContentDisposition"].startswith("attachment;")
    assert stored["Body"].read() == _telegram_bytes(channels)


def test_a_telegram_animation_is_one_file_though_it_comes_as_a_document_too(platform, channels):
    owner = platform.sign_up()
    bot, _ = channels.connect_telegram(owner)
    channels.fake.telegram_customer_says(bot.token, "Ada", "animation")

    message = _only_message(channels, owner)
    assert message["text"] == "[GIF]"
    [file] = message["files"]
    assert file["name"] == "dance.gif.mp4"
    assert _object(file["url"])["ContentType"] == "video/mp4"


def test_a_messenger_file_and_video_are_kept_named_from_their_links(platform, channels):
    owner = platform.sign_up()
    page, _ = channels.connect_messenger(owner)
    channels.fake.messenger_customer_says(page.id, "Bob", "file")
    channels.fake.messenger_customer_says(page.id, "Bob", "video")

    [chat] = channels.chats(owner)
    document, video = channels.messages(owner, chat["id"])
    assert (document["text"], video["text"]) == ("[file]", "[video]")
    [pdf], [clip] = document["files"], video["files"]
    assert (pdf["name"], clip["name"]) == ("order-1234.pdf", "clip.mp4")
    stored_pdf, stored_clip = _object(pdf["url"]), _object(clip["url"])
    assert stored_pdf["ContentType"] == "application/pdf"
    assert stored_clip["ContentType"] == "video/mp4"
    assert stored_pdf["Body"].read() == _fake_bytes(channels, "/order-1234.pdf")
    assert stored_clip["Body"].read() == _fake_bytes(channels, "/clip.mp4")
    assert len(_stored_files(owner.project_id)) == 2


def test_a_file_over_the_limit_is_a_note_and_nothing_is_stored(platform, channels, monkeypatch):
    owner = platform.sign_up()
    bot, _ = channels.connect_telegram(owner)
    page, _ = channels.connect_messenger(owner)
    asked = []
    telegram = channels.fake.telegram

    def counted(token, method, params):
        if method == "getFile":
            asked.append(params.get("file_id"))
        return telegram(token, method, params)

    monkeypatch.setattr(channels.fake, "telegram", counted)
    channels.fake.telegram_customer_says(bot.token, "Ada", "document", "the scan", size=11 * MB)
    # Messenger says no size: the download stops past the limit.
    channels.fake.messenger_customer_says(page.id, "Bob", "video", size=10 * MB + 1)

    by_name = {c["visitor_name"]: c for c in channels.chats(owner)}
    [ada] = channels.messages(owner, by_name["Ada"]["id"])
    [bob] = channels.messages(owner, by_name["Bob"]["id"])
    assert ada["text"].startswith("[file “order-1234.pdf”: not kept here, it is 11.0 MB")
    assert "at most 10 MB" in ada["text"] and ada["text"].endswith("\nthe scan")
    assert bob["text"].startswith("[video “clip.mp4”: not kept here")
    assert "larger than the 10 MB" in bob["text"]
    assert not ada.get("files") and not bob.get("files")
    # Its size was in the update: Telegram was not asked for it (only for Ada's picture).
    assert asked and all(file_id.startswith("AgACprofile") for file_id in asked)
    assert _stored_files(owner.project_id) == []


def test_a_file_telegram_refuses_is_a_note_saying_so(platform, channels, monkeypatch):
    """Telegram's getFile refuses files over 20 MB to bots (its file_size may be absent)."""
    owner = platform.sign_up()
    bot, _ = channels.connect_telegram(owner)
    telegram = channels.fake.telegram

    def refusing(token, method, params):
        # The customer's file, not their profile picture.
        if method == "getFile" and not str(params.get("file_id")).startswith("AgACprofile"):
            return 400, {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: file is too big",
            }
        return telegram(token, method, params)

    monkeypatch.setattr(channels.fake, "telegram", refusing)
    channels.fake.telegram_customer_says(bot.token, "Ada", "video")

    message = _only_message(channels, owner)
    assert message["text"].startswith("[video “clip.mp4”: not kept here, the platform would not")
    assert "file is too big" in message["text"]
    assert not message.get("files")
    assert _stored_files(owner.project_id) == []


def test_a_replayed_update_with_a_file_is_stored_once_as_one_object(platform, channels):
    owner = platform.sign_up()
    bot, _ = channels.connect_telegram(owner)
    page, _ = channels.connect_messenger(owner)
    channels.fake.telegram_customer_says(bot.token, "Ada", "document")
    channels.fake.deliver_telegram(bot.token, again=True)
    channels.fake.messenger_customer_says(page.id, "Bob", "audio")
    channels.fake.deliver_messenger(page.id)  # the same body again

    for chat in channels.chats(owner):
        [message] = channels.messages(owner, chat["id"])
        assert len(message["files"]) == 1
    assert len(_stored_files(owner.project_id)) == 2


def test_a_file_whose_bytes_are_a_web_page_is_kept_only_as_a_download(
    platform, channels, monkeypatch
):
    """The bucket is served from the panel's domain: a customer's HTML must never be served
    as HTML, whatever the platform says it is."""
    monkeypatch.setitem(
        fake_messenger_customers._SAMPLES,
        "document",
        ("invoice.html", "text/html", b"<html><script>alert(document.cookie)</script>"),
    )
    owner = platform.sign_up()
    bot, _ = channels.connect_telegram(owner)
    channels.fake.telegram_customer_says(bot.token, "Ada", "document")

    [file] = _only_message(channels, owner)["files"]
    assert file["name"] == "invoice.html"
    stored = _object(file["url"])
    assert stored["ContentType"] == "application/octet-stream"
    assert stored["ContentDisposition"].startswith("attachment;")


def test_the_fakes_customer_api_sends_a_voice_note_and_a_sized_document(platform, channels):
    """The fake's JSON API (what its page posts): Messenger's name for a voice note is audio."""
    import json
    import urllib.request

    owner = platform.sign_up()
    bot, _ = channels.connect_telegram(owner)
    page, _ = channels.connect_messenger(owner)

    def say(target, kind, size_mb=""):
        body = {"target": target, "name": "Cy", "kind": kind, "text": "", "size_mb": size_mb}
        request = urllib.request.Request(
            f"{channels.fake.base_url}/ui/say",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    assert say(f"messenger:{page.id}", "voice")["results"][0]["status"] == 200
    assert say(f"telegram:{bot.token}", "document", "0.5")["results"][0]["status"] == 200
    by_kind = {c["channel"]["kind"]: c for c in channels.chats(owner)}
    [voice] = channels.messages(owner, by_kind["messenger"]["id"])
    [document] = channels.messages(owner, by_kind["telegram"]["id"])
    assert voice["text"] == "[audio]" and voice["files"][0]["name"].startswith("audioclip-")
    stored = _object(document["files"][0]["url"])
    assert stored["ContentLength"] == MB // 2


def test_a_messenger_message_with_several_attachments_keeps_each_and_counts_once(
    platform, channels
):
    from chalicelib.clock import utcnow
    from chalicelib.models.usage import UsageModel
    from chalicelib.services import quotas
    from chalicelib.services.projects import require_project

    owner = platform.sign_up()
    page, _ = channels.connect_messenger(owner)
    channels.fake.messenger_customer_says(page.id, "Bob", "text", "Two photos and the invoice:")
    fake_page = channels.fake.pages[page.id]
    psid = fake_page.customers["Bob"]
    # One message, three attachments, as Messenger sends several photos picked at once.
    parts = [
        channels.fake._messaging_event(fake_page, psid, kind, "", echo=False)
        for kind in ("photo", "photo", "file")
    ]
    event = parts[0]
    event["message"]["attachments"] = [p["message"]["attachments"][0] for p in parts]
    body = channels.fake._envelope(fake_page, event)
    channels.fake.deliver_messenger(page.id, body)
    channels.fake.deliver_messenger(page.id)  # the same body again: nothing new

    [chat] = channels.chats(owner)
    messages = channels.messages(owner, chat["id"])[1:]
    assert [m["text"] for m in messages] == ["[photo]", "[photo]", "[file]"]
    assert all(m["image_url"].startswith(CDN) for m in messages[:2])
    assert messages[0]["image_url"] != messages[1]["image_url"]
    assert messages[2]["files"][0]["name"] == "order-1234.pdf"
    assert len(_stored_files(owner.project_id)) == 3
    period = quotas.period_of(require_project(owner.project_id), utcnow())
    usage = UsageModel.get(owner.project_id, period.key)
    assert int(usage.messenger_messages) == 2  # the text, and the one message with three
