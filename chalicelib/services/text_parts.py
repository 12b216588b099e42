"""Splitting a reply that is longer than a platform takes into several sends (Telegram's
``sendMessage`` takes 4,096 characters, Messenger's Send API 2,000): at a line break
where one falls in the last fifth of the part, else at a space, else hard at the limit,
so no word is cut unless it is longer than a whole part."""

from __future__ import annotations


def split(text: str, limit: int) -> list[str]:
    if limit < 1:
        raise ValueError("limit must be positive")
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[: limit + 1]  # a break right after the limit still ends a full part
        floor = limit * 4 // 5
        cut = window.rfind("\n", floor)
        if cut <= 0:
            cut = window.rfind(" ", floor)
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest or not parts:
        parts.append(rest)
    return [part for part in parts if part] or [text[:limit]]
