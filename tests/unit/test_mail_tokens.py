"""Reply and unsubscribe tokens (chalicelib/auth/mail_tokens.py)."""

import pytest

from chalicelib.auth.mail_tokens import REPLY_LIFETIME_SECONDS, MailTokens
from chalicelib.errors import Unauthorized

SECRET = "s" * 40
PROJECT, CHAT = "p_0123456789ab", "v_0123456789abcdef0123-7"


def test_a_reply_token_fits_an_address_local_part_and_names_the_chat():
    token = MailTokens(SECRET).reply_token(PROJECT, CHAT)
    assert len("reply+" + token) <= 64 and token == token.lower()
    address = MailTokens(SECRET).verify_reply(token)
    assert (address.project_id, address.visitor_id, address.chat_id) == (
        PROJECT,
        "v_0123456789abcdef0123",
        CHAT,
    )
    assert MailTokens(SECRET).verify_reply(token.upper()) == address  # case changed in transit


def test_a_changed_character_another_key_or_an_old_token_is_refused():
    token = MailTokens(SECRET).reply_token(PROJECT, CHAT)
    flipped = token[:10] + ("a" if token[10] != "a" else "b") + token[11:]
    with pytest.raises(Unauthorized):
        MailTokens(SECRET).verify_reply(flipped)
    with pytest.raises(Unauthorized):
        MailTokens("t" * 40).verify_reply(token)
    later = MailTokens(SECRET, clock=lambda: 2_000_000_000 + REPLY_LIFETIME_SECONDS + 1)
    old = MailTokens(SECRET, clock=lambda: 2_000_000_000).reply_token(PROJECT, CHAT)
    with pytest.raises(Unauthorized, match="expired"):
        later.verify_reply(old)
    for junk in ["", "abc", "1" * 53, None]:
        with pytest.raises(Unauthorized):
            MailTokens(SECRET).verify_reply(junk)


def test_ids_of_another_shape_get_no_token():
    assert MailTokens(SECRET).reply_token("project-x", CHAT) is None
    assert MailTokens(SECRET).reply_token(PROJECT, "chat-1") is None


def test_an_unsubscribe_token_is_not_a_reply_token_and_keeps_its_address():
    tokens = MailTokens(SECRET)
    token = tokens.unsubscribe_token(PROJECT, "Jane@Example.org")
    assert tokens.verify_unsubscribe(token) == (PROJECT, "jane@example.org")
    with pytest.raises(Unauthorized):
        tokens.verify_reply(token)
    with pytest.raises(Unauthorized):
        MailTokens("t" * 40).verify_unsubscribe(token)
    with pytest.raises(ValueError):
        MailTokens("short")
