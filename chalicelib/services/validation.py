"""Small checks on client input, raising domain errors with a message a developer can act on."""

from __future__ import annotations

import re

from chalicelib.errors import BadRequest, NotFound, TooLarge

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Conservative on purpose: the characters of an ordinary address (dot-atom local part,
# host names of letters, digits and hyphens), so nothing that could be markup or a
# header gets stored as an address and shown or mailed to later. (Operators' sign-in
# addresses keep the looser check above: an account made with one must still log in.)
_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
_ULID = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")


def require_object(body) -> dict:
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def text_field(body: dict, name: str, max_chars: int, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string")
    if len(value) > max_chars:
        raise TooLarge(f"'{name}' is longer than {max_chars} characters")
    if required and not value.strip():
        raise BadRequest(f"'{name}' must not be empty")
    return value


# Control characters (but newline and tab) render as boxes and have no place in a chat.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def message_text(body: dict, max_chars: int) -> str:
    text = _CONTROL.sub("", text_field(body, "text", max_chars)).strip()
    if not text:
        raise BadRequest("'text' must not be empty")
    return text


def client_message_id(body: dict) -> str:
    value = body.get("client_id")
    if not isinstance(value, str) or not _CLIENT_ID.fullmatch(value):
        raise BadRequest("'client_id' must be 8-64 characters of letters, digits, _ . : -")
    return value


def email(body: dict) -> str:
    value = text_field(body, "email", 254)
    value = value.strip().lower()
    if not _EMAIL.fullmatch(value):
        raise BadRequest("'email' must be an e-mail address such as ada@example.com")
    return value


def optional_email(body: dict, name: str = "email") -> str | None:
    """An address as given (trimmed), or None when absent or blank."""
    value = text_field(body, name, 254, required=False)
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not _ADDRESS.fullmatch(value):
        raise BadRequest(f"'{name}' must be an e-mail address such as ada@example.com")
    return value


def display_name(body: dict, name: str = "name", max_chars: int = 100) -> str | None:
    """A person's name shown to the team: one line, 1..max_chars after trimming; None
    when absent or blank."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string")
    value = value.strip()
    if not value:
        return None
    if len(value) > max_chars or _CONTROL.search(value) or "\n" in value or "\t" in value:
        raise BadRequest(f"'{name}' must be 1-{max_chars} characters on one line")
    return value


def optional_cursor(value, name: str = "after") -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not _ULID.fullmatch(value):
        raise BadRequest(f"'{name}' must be a message id")
    return value


_CHAT_ID = re.compile(r"v_[0-9a-f]{1,64}-[0-9]{1,9}")


def chat_id(value, required: bool = True) -> str | None:
    """A dialogue id as the API hands them out; anything else cannot name a dialogue."""
    if value is None and not required:
        return None
    if not isinstance(value, str) or not _CHAT_ID.fullmatch(value):
        raise NotFound("no such dialogue")
    return value


def limit(value, default: int, maximum: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadRequest("'limit' must be an integer") from None
    if not 1 <= number <= maximum:
        raise BadRequest(f"'limit' must be between 1 and {maximum}")
    return number
