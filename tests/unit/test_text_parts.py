"""Splitting long replies for the platforms (services/text_parts.py)."""

import pytest

from chalicelib.services.text_parts import split


def test_a_text_within_the_limit_is_one_part():
    assert split("hello", 10) == ["hello"]
    assert split("x" * 10, 10) == ["x" * 10]


def test_a_line_break_near_the_end_is_preferred_to_a_space():
    text = "aaaa bbbb\ncccc dddd"
    assert split(text, 12) == ["aaaa bbbb", "cccc dddd"]


def test_words_are_not_cut_when_a_space_falls_in_the_last_fifth():
    text = " ".join(["word"] * 30)  # 149 characters
    parts = split(text, 50)
    assert all(len(p) <= 50 for p in parts)
    assert " ".join(parts) == text
    assert all(not p.startswith(" ") and not p.endswith(" ") for p in parts)


def test_one_long_word_is_cut_hard_at_the_limit():
    assert split("y" * 25, 10) == ["y" * 10, "y" * 10, "y" * 5]


def test_a_limit_must_be_positive():
    with pytest.raises(ValueError):
        split("hi", 0)
