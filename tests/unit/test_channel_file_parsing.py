"""Reading a file out of a Telegram Update and a Messenger messaging event: which kind
it is, its name, declared type and size; stickers and locations stay notes."""

from chalicelib.services import messenger, telegram
from chalicelib.services.channel_events import IncomingFile


def _update(**content) -> dict:
    sender = {"id": 42, "is_bot": False, "first_name": "Ada"}
    message = {"message_id": 1, "from": sender, "chat": {"id": 42, "type": "private"}, **content}
    return {"update_id": 7, "message": message}


def _event(attachment: dict) -> dict:
    message = {"mid": "m_1", "attachments": [attachment]}
    event = {"sender": {"id": "24"}, "recipient": {"id": "PAGE"}, "message": message}
    return {"object": "page", "entry": [{"id": "PAGE", "messaging": [event]}]}


def test_a_telegram_document_keeps_its_name_type_size_and_caption():
    document = {"file_id": "BQ1", "file_name": "scan.pdf", "mime_type": "application/pdf"}
    incoming = telegram.parse_update(_update(document={**document, "file_size": 99}, caption="x"))
    assert incoming.text == "x"
    assert incoming.file == IncomingFile(
        "document", file_id="BQ1", name="scan.pdf", content_type="application/pdf", size=99
    )


def test_telegram_voice_and_round_videos_get_their_types_when_none_is_given():
    voice = telegram.parse_update(_update(voice={"file_id": "V1", "duration": 2}))
    round_video = telegram.parse_update(_update(video_note={"file_id": "N1", "length": 240}))
    assert (voice.text, voice.file.kind, voice.file.content_type) == (
        "[voice message]",
        "voice",
        "audio/ogg",
    )
    assert (round_video.text, round_video.file.content_type) == ("[video message]", "video/mp4")
    assert voice.file.name is None and voice.file.size is None


def test_a_telegram_animation_is_read_as_one_not_as_its_document_twin():
    gif = {"file_id": "A1", "file_name": "dance.mp4", "mime_type": "video/mp4"}
    incoming = telegram.parse_update(_update(animation=gif, document=dict(gif)))
    assert (incoming.text, incoming.file.kind) == ("[GIF]", "animation")


def test_telegram_stickers_locations_and_contacts_stay_notes_without_a_file():
    for content in (
        {"sticker": {"file_id": "S1", "emoji": "👍"}},
        {"location": {"latitude": 1, "longitude": 2}},
        {"contact": {"phone_number": "+1"}},
    ):
        incoming = telegram.parse_update(_update(**content))
        assert incoming.file is None and incoming.text.startswith("[")


def test_messenger_files_audio_and_video_are_named_from_their_cdn_path():
    for kind, url, name in (
        ("file", "https://cdn.fbsbx.com/v/t59/123_n.pdf/Price%20list.pdf?oh=1", "Price list.pdf"),
        ("audio", "https://cdn.fbsbx.com/v/t59/audioclip-17.mp4?oh=1", "audioclip-17.mp4"),
        ("video", "https://video.xx.fbcdn.net/v/t42/?oh=1", None),
    ):
        [incoming] = messenger.parse_body(_event({"type": kind, "payload": {"url": url}}), "PAGE")
        assert incoming.file == IncomingFile(kind, url=url, name=name)
        assert incoming.text == {"file": "[file]", "audio": "[audio]", "video": "[video]"}[kind]


def test_messenger_stickers_locations_and_shared_links_keep_no_file():
    sticker = {"type": "image", "payload": {"url": "https://x/s.png", "sticker_id": 1}}
    for attachment in (
        sticker,
        {"type": "location", "payload": {"coordinates": {}}},
        {"type": "fallback", "payload": {"url": "https://example.com"}},
    ):
        [incoming] = messenger.parse_body(_event(attachment), "PAGE")
        assert incoming.file is None and incoming.text.startswith("[")
