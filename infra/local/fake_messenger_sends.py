"""What the team's replies meet on the fake platforms (infra/local/fake_messengers.py):
Telegram's ``sendMessage`` and the Graph API's Send API (``POST /me/messages``), checked
as the platforms check them, each conversation kept so the fake's page shows the team's
replies next to the customer's messages, and the faults a newcomer (or a test) can play:

- "the next send answers 429": Telegram ``429 Too Many Requests: retry after N`` with
  ``parameters.retry_after``; Graph code 613 (its rate limit).
- "revoke the token": every call of that bot answers ``401 Unauthorized``; every call
  with that Page token answers Graph code 190 with subcode 460 (password changed) or
  463 (expired).
- "the customer blocks the bot": Telegram ``403 Forbidden: bot was blocked by the
  user``; Messenger code 551 (subcode 1545041, "this person isn't available").

Messenger's window: a Send API ``RESPONSE`` more than 24 hours after the customer's last
message answers code 10 / subcode 2018278, as Facebook does; ``MESSAGE_TAG`` with
``HUMAN_AGENT`` stretches it to 7 days (no other tag is accepted here). Each message the
Page sends is echoed to the app's webhook (``is_echo``, ``app_id``, ``metadata``), as
Facebook does, right after the Send API answered (``auto_echo``) or when a test calls
``deliver_echoes``.
"""

from __future__ import annotations

import json
import secrets
import threading

TELEGRAM_MAX_TEXT = 4096
GRAPH_MAX_TEXT = 2000
WINDOW_SECONDS = 24 * 3600
HUMAN_AGENT_SECONDS = 7 * 24 * 3600


def _json_param(value):
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


class SendSide:
    """Mixed into ``FakeMessengers`` (its state: bots, pages, lock, log, transport)."""

    # --- faults, as the page's controls play them -------------------------------------
    def fault_rate_limit(self, target: str, retry_after: int, after_sends: int = 0) -> dict:
        """The next send to this bot (``telegram:<token>``) or Page answers a rate limit
        (or the one after ``after_sends`` more that go through)."""
        with self.lock:
            holder = self._target(target)
            holder.faults["rate_limit"] = max(1, int(retry_after))
            holder.faults["rate_limit_after"] = max(0, int(after_sends))
        return {"fault": "rate_limit", "retry_after": int(retry_after)}

    @staticmethod
    def _rate_limited(holder) -> int | None:
        """The wait to answer with, once the sends let through first are used up."""
        if "rate_limit" not in holder.faults:
            return None
        if holder.faults.get("rate_limit_after"):
            holder.faults["rate_limit_after"] -= 1
            return None
        holder.faults.pop("rate_limit_after", None)
        return holder.faults.pop("rate_limit")

    def fault_revoke(self, target: str, subcode: int = 463) -> dict:
        with self.lock:
            holder = self._target(target)
            holder.faults["revoked"] = int(subcode)
        return {"fault": "revoked"}

    def fault_block(self, target: str, name: str) -> dict:
        with self.lock:
            holder = self._target(target)
            customer = holder.customers.get(name)
            if customer is None:
                raise KeyError(f"customer {name!r} has not written yet")
            holder.blocked.add(str(customer))
        return {"fault": "blocked", "customer": str(customer)}

    def reissue_token(self, target: str) -> str:
        """BotFather's /revoke or a new Page token: the old one stops working, the new
        one works (paste it into the panel to reconnect)."""
        with self.lock:
            holder = self._target(target)
            holder.faults.pop("revoked", None)
            if target.startswith("telegram:"):
                del self.bots[holder.token]
                holder.token = f"{holder.id}:{secrets.token_urlsafe(26)}"
                self.bots[holder.token] = holder
                return holder.token
            holder.page_token = "EAAG" + secrets.token_urlsafe(40)
            return holder.page_token

    def _target(self, target: str):
        platform, _, key = target.partition(":")
        if platform == "telegram":
            return self.bots[key]
        if platform == "messenger":
            return self.pages[key]
        raise KeyError(target)

    def conversation(self, target: str, name: str) -> list[dict]:
        """The customer's conversation as the customer sees it: ``{"from", "text"}``."""
        with self.lock:
            holder = self._target(target)
            customer = holder.customers.get(name)
            return list(holder.conversations.get(str(customer), ())) if customer else []

    def note_customer_line(self, holder, customer, text: str) -> None:
        with self.lock:
            holder.conversations.setdefault(str(customer), []).append(
                {"from": "customer", "text": text, "at": self.clock()}
            )
            holder.last_customer_at[str(customer)] = self.clock()

    # --- Telegram: sendMessage --------------------------------------------------------
    def telegram_send(self, bot, params: dict) -> tuple[int, dict]:
        chat_id = str(params.get("chat_id", ""))
        text = params.get("text")
        wait = self._rate_limited(bot)
        if wait is not None:
            return 429, {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {wait}",
                "parameters": {"retry_after": wait},
            }
        if chat_id not in {str(c) for c in bot.customers.values()}:
            return self._bad("chat not found")
        if chat_id in bot.blocked:
            return 403, {
                "ok": False,
                "error_code": 403,
                "description": "Forbidden: bot was blocked by the user",
            }
        if not isinstance(text, str) or not text.strip():
            return self._bad("message text is empty")
        if len(text) > TELEGRAM_MAX_TEXT:
            return self._bad("message is too long")
        bot.sent_count += 1
        message_id = 5_000 + bot.sent_count
        bot.conversations.setdefault(chat_id, []).append(
            {"from": "bot", "text": text, "at": self.clock(), "message_id": message_id}
        )
        return self._ok(
            {
                "message_id": message_id,
                "from": {"id": bot.id, "is_bot": True, "username": bot.username},
                "chat": {"id": int(chat_id), "type": "private"},
                "date": int(self.clock()),
                "text": text,
            }
        )

    # --- Graph: POST /me/messages -----------------------------------------------------
    def graph_send(self, page, params: dict) -> tuple[int, dict]:
        recipient = _json_param(params.get("recipient"))
        message = _json_param(params.get("message"))
        psid = str(recipient.get("id", "")) if isinstance(recipient, dict) else ""
        kind, tag = params.get("messaging_type"), params.get("tag")
        if self._rate_limited(page) is not None:
            return self._graph_error("(#613) Calls to this api have exceeded the rate limit.", 613)
        if not isinstance(message, dict) or not isinstance(message.get("text"), str):
            return self._graph_error("(#100) The parameter message is required", 100)
        text = message["text"]
        if kind not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            return self._graph_error("(#100) Param messaging_type must be one of ...", 100)
        if kind == "MESSAGE_TAG" and tag != "HUMAN_AGENT":
            return self._graph_error("(#100) Param tag must be one of {HUMAN_AGENT}", 100)
        if psid not in page.customers.values():
            return self._graph_error(
                "(#100) No matching user found", 100, subcode=2018001, kind="OAuthException"
            )
        if psid in page.blocked:
            return self._graph_error(
                "(#551) This person isn't available right now.", 551, subcode=1545041
            )
        if not text or len(text) > GRAPH_MAX_TEXT:
            return self._graph_error(
                f"(#100) Length of param message[text] must be less than or equal to "
                f"{GRAPH_MAX_TEXT}",
                100,
            )
        since = self.clock() - page.last_customer_at.get(psid, 0)
        allowed = HUMAN_AGENT_SECONDS if kind == "MESSAGE_TAG" else WINDOW_SECONDS
        if since > allowed:
            return self._graph_error(
                "(#10) This message is sent outside of allowed window.", 10, subcode=2018278
            )
        mid = "m_" + secrets.token_urlsafe(30)
        page.conversations.setdefault(psid, []).append(
            {"from": "page", "text": text, "at": self.clock(), "mid": mid, "tag": tag}
        )
        echo = {"mid": mid, "is_echo": True, "app_id": int(page.app_id), "text": text}
        if isinstance(message.get("metadata"), str):
            echo["metadata"] = message["metadata"]
        event = {
            "sender": {"id": page.id},
            "recipient": {"id": psid},
            "timestamp": int(self.clock() * 1000),
            "message": echo,
        }
        self.pending_echoes.append((page.id, self._envelope(page, event)))
        if self.auto_echo:  # after this answer went out, as Facebook's echo follows it
            threading.Timer(0.05, self.deliver_echoes).start()
        return 200, {"recipient_id": psid, "message_id": mid}

    def deliver_echoes(self) -> list[dict]:
        with self.lock:
            pending, self.pending_echoes[:] = list(self.pending_echoes), []
        return [self.deliver_messenger(page_id, body) for page_id, body in pending]
