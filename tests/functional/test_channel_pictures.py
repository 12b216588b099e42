"""A messenger customer's picture: asked of the platform with their first message only
(Telegram's getUserProfilePhotos + getFile; the Messenger profile's profile_pic, in the
same read that names them), copied to our bucket, kept on the visitor and shown where the
panel draws the chat's avatar. A platform without one leaves the message unharmed."""

from collections import Counter

import boto3

from chalicelib.models.visitor import VisitorModel
from chalicelib.services.channel_inbound import customer_visitor_id

CDN = "https://cdn.example.test/"


def _count_calls(channels, monkeypatch) -> Counter:
    """The platform calls the app makes, by Bot API method or Graph path."""
    calls = Counter()
    fake = channels.fake
    telegram, graph = fake.telegram, fake.graph

    def counted_telegram(token, method, params):
        calls[method] += 1
        return telegram(token, method, params)

    def counted_graph(method, path, params):
        calls[f"{method} {path.rsplit('/', 1)[-1]}"] += 1
        return graph(method, path, params)

    monkeypatch.setattr(fake, "telegram", counted_telegram)
    monkeypatch.setattr(fake, "graph", counted_graph)
    return calls


def _stored_png(url: str) -> bytes:
    assert url.startswith(CDN)
    stored = boto3.client("s3", region_name="us-east-1").get_object(
        Bucket="test-attachments", Key=url[len(CDN) :]
    )
    assert stored["ContentType"] == "image/png"
    return stored["Body"].read()


def test_a_telegram_customers_picture_is_fetched_once_and_stored_once(
    platform, channels, monkeypatch
):
    owner = platform.sign_up()
    bot, channel = channels.connect_telegram(owner)
    calls = _count_calls(channels, monkeypatch)
    say = channels.fake.telegram_customer_says
    say(bot.token, "Ada", "text", "one")
    say(bot.token, "Ada", "text", "two")
    channels.fake.deliver_telegram(bot.token, again=True)  # a replay

    assert calls["getUserProfilePhotos"] == 1
    assert calls["getFile"] == 1
    [chat] = channels.chats(owner)
    url = chat["visitor_picture_url"]
    assert url.startswith(f"{CDN}attachments/{owner.project_id}/channels/customers/")
    assert _stored_png(url).startswith(b"\x89PNG")
    user_id = bot.customers["Ada"]
    visitor = VisitorModel.get(owner.project_id, customer_visitor_id(channel["id"], str(user_id)))
    assert visitor.picture_url == url
    # The avatar's size, not the largest: the 160 px one.
    assert _stored_png(url) == channels.fake.files[f"profile_photos/{user_id}_160.png"][1]

    # The next chat after a close shows it too, without asking again.
    platform.post(f"/projects/{owner.project_id}/chats/{chat['id']}/close", {}, owner.auth)
    say(bot.token, "Ada", "text", "three")
    newest = next(c for c in channels.chats(owner) if c["state"] != "closed")
    assert newest["visitor_picture_url"] == url
    assert calls["getUserProfilePhotos"] == 1


def test_a_messenger_customers_picture_comes_with_the_profile_read_that_names_them(
    platform, channels, monkeypatch
):
    owner = platform.sign_up()
    page, _ = channels.connect_messenger(owner, "Acme Outdoor")
    calls = _count_calls(channels, monkeypatch)
    channels.fake.messenger_customer_says(page.id, "Bob Stone", "text", "Hello?")
    channels.fake.messenger_customer_says(page.id, "Bob Stone", "text", "Anyone?")

    psid = page.customers["Bob Stone"]
    assert calls[f"GET {psid}"] == 1  # one read, for the name and the picture
    [chat] = channels.chats(owner)
    assert chat["visitor_name"] == "Bob Stone"
    stored = _stored_png(chat["visitor_picture_url"])
    assert stored == channels.fake.files[f"fb-cdn/profile_{psid}.png"][1]


def test_without_a_picture_the_message_is_stored_all_the_same(platform, channels, monkeypatch):
    owner = platform.sign_up()
    bot, _ = channels.connect_telegram(owner)
    telegram = channels.fake.telegram

    def no_photos(token, method, params):
        if method == "getUserProfilePhotos":
            return 200, {"ok": True, "result": {"total_count": 0, "photos": []}}
        return telegram(token, method, params)

    monkeypatch.setattr(channels.fake, "telegram", no_photos)
    channels.fake.telegram_customer_says(bot.token, "Grace", "text", "hi")
    [chat] = channels.chats(owner)
    assert "visitor_picture_url" not in chat
    assert [m["text"] for m in channels.messages(owner, chat["id"])] == ["hi"]


def test_a_picture_that_is_not_an_image_is_not_kept(platform, channels, monkeypatch):
    owner = platform.sign_up()
    page, _ = channels.connect_messenger(owner)
    fake = channels.fake

    def html_picture(page_, psid):
        fake.files[f"fb-cdn/profile_{psid}.png"] = ("image/png", b"<script>alert(1)</script>")
        return f"{fake.base_url}/fb-cdn/profile_{psid}.png"

    monkeypatch.setattr(fake, "profile_picture", html_picture)
    fake.messenger_customer_says(page.id, "Eve", "text", "hi")
    [chat] = channels.chats(owner)
    assert chat["visitor_name"] == "Eve"
    assert "visitor_picture_url" not in chat
