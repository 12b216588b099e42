"""What the visitor wrote in an e-mail reply: the newest text, without the quoted
original, the client's "On ... wrote:" / "From: ... Sent:" header or the signature.

The MIME message is parsed with the standard library's ``email`` package; the text part
is preferred, an HTML-only mail is turned into text here (the standard library's
``html.parser``, dropping quoted blocks: ``<blockquote>``, Gmail's ``gmail_quote``,
Outlook's ``divRplyFwdMsg``/``appendonsend``). Quotes and signatures are then cut by
``mail-parser-reply`` (imported on the first reply only: no other handler pays for it).
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from html.parser import HTMLParser

_QUOTE_CLASSES = {"gmail_quote", "yahoo_quoted", "moz-cite-prefix", "protonmail_quote"}
_QUOTE_IDS = {"appendonsend", "divrplyfwdmsg", "mail-editor-reference-message-container"}
# Mail clients' header lines ("On ... wrote:") in these languages are recognised.
LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "sv", "da", "pl", "cs")
_FORWARD_MARKER = re.compile(
    r"^\s*(?:-{2,}\s*(?:Forwarded message|Original Message)\s*-*|Begin forwarded message:)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "table", "hr"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base", "source"}


class _Text(HTMLParser):
    """HTML to text, skipping scripts, styles and quoted blocks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0  # >0 while inside a skipped element
        self._stack: list[bool] = []  # per open element: does it start a skip?

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        classes = set((values.get("class") or "").lower().split())
        skip = (
            tag in {"script", "style", "head", "title", "blockquote"}
            or bool(classes & _QUOTE_CLASSES)
            or (values.get("id") or "").lower() in _QUOTE_IDS
        )
        if tag in _BLOCKS and not self._skip_depth:
            self.parts.append("\n")
        if tag in _VOID:
            return
        self._stack.append(skip)
        self._skip_depth += skip

    def handle_endtag(self, tag):
        if tag in _VOID or not self._stack:
            return
        self._skip_depth -= self._stack.pop()
        if tag in _BLOCKS and not self._skip_depth:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip_depth:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def body_text(message: EmailMessage) -> str:
    """The message's text: its text/plain part, else its HTML as text."""
    part = message.get_body(preferencelist=("plain",))
    if part is not None:
        return part.get_content()
    part = message.get_body(preferencelist=("html",))
    return html_to_text(part.get_content()) if part is not None else ""


def latest_reply(text: str) -> str:
    """The newest part of a reply's text: quoted text and signature cut."""
    from mailparser_reply.parser import EmailMessage as Parsed  # noqa: PLC0415 - lazily

    # A visitor's "- item" list is not a signature (the library's default thinks so).
    parsed = Parsed(text=text, languages=list(LANGUAGES), keep_hyphen_lists=True).read()
    if parsed.replies:
        reply = parsed.replies[0]
        text = reply.body if reply.content else ""
    # A forward's marker line the library leaves behind: what follows is not theirs.
    text = _FORWARD_MARKER.split(text, maxsplit=1)[0]
    # Whatever quoting is left ("> ..." lines the library did not cut) is the original.
    kept = [line for line in text.splitlines() if not line.lstrip().startswith(">")]
    return "\n".join(kept).strip()


def reply_of(message: EmailMessage) -> str:
    return latest_reply(body_text(message))
