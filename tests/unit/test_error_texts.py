"""Error texts in sentence case at the API's boundary (chalicelib.errors.sentence)."""

import pytest

from chalicelib.errors import BadRequest, PaymentRequired, public, sentence


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "choose a password of at least 10 characters",
            "Choose a password of at least 10 characters",
        ),
        ("'name' must be 1-100 characters", "The 'name' field must be 1-100 characters"),
        ("'user_id' must be a member's id", "The 'user_id' field must be a member's id"),
        (
            "rules.all[2].op: 'greater' is not allowed",
            "In rules.all[2].op: 'greater' is not allowed",
        ),
        ("unknown visitor: start a session", "Unknown visitor: start a session"),
        ("Already a sentence.", "Already a sentence."),
        ("", ""),
    ],
)
def test_a_text_starts_with_a_capital_letter_and_keeps_field_names(text, expected):
    assert sentence(text) == expected


def test_a_leading_quote_that_is_a_value_is_left_alone():
    assert sentence("'greater' is not allowed", field_led=False) == "'greater' is not allowed"


def test_the_public_shape_capitalises_every_text_and_keeps_the_rest():
    error = BadRequest(
        "name: must not be empty",
        errors=[{"path": "name", "message": "must not be empty"}],
    )
    paid = PaymentRequired("your plan allows 1", reason="scenarios", resume="upgrade the plan")

    assert public(error) == {
        "code": "bad_request",
        "message": "In name: must not be empty",
        "errors": [{"path": "name", "message": "Must not be empty"}],
    }
    assert public(paid)["resume"] == "Upgrade the plan" and public(paid)["reason"] == "scenarios"
    assert error.message == "name: must not be empty"  # the domain error itself is unchanged
