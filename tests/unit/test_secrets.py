"""Cleaning secrets and redacting them from texts."""

import logging

import pytest

from cf_bulk_sync.errors import ConfigurationError
from cf_bulk_sync.source.secrets import MASK, RedactingFilter, Redactor, clean_secret


@pytest.mark.parametrize(
    "raw,clean,warned",
    [
        pytest.param("tok-123456", "tok-123456", False, id="clean"),
        pytest.param("tok-123456\n", "tok-123456", True, id="newline"),
        pytest.param(" tok-123456\r\n", "tok-123456", True, id="crlf-and-space"),
        pytest.param("   ", None, True, id="only-whitespace"),
        pytest.param(None, None, False, id="unset"),
    ],
)
def test_clean_secret(raw: str | None, clean: str | None, warned: bool) -> None:
    notes: list[str] = []
    assert clean_secret("api_token", raw, notes) == clean
    assert bool(notes) is warned
    assert all("tok-123456" not in note for note in notes)


def test_a_control_character_inside_is_refused_without_the_value() -> None:
    with pytest.raises(ConfigurationError) as raised:
        clean_secret("api_key", "abc\ndef-secret", [])
    assert "api_key" in str(raised.value) and "def-secret" not in str(raised.value)


def test_the_redactor_masks_every_form_of_a_secret() -> None:
    redactor = Redactor()
    redactor.add("tok-123456\n", None, "ab")  # too short to be a secret worth masking
    text = "Invalid header value b'Bearer tok-123456\\n' (tok-123456)"
    assert redactor(text) == f"Invalid header value b'Bearer {MASK}' ({MASK})"
    assert redactor("ab stays") == "ab stays"


def test_the_logging_filter_redacts_records(caplog: pytest.LogCaptureFixture) -> None:
    redactor = Redactor()
    redactor.add("tok-123456")
    logger = logging.getLogger("cf_bulk_sync.test_secrets")
    logger.addFilter(RedactingFilter(redactor))
    with caplog.at_level(logging.WARNING, logger=logger.name):
        logger.warning("header %s rejected", "Bearer tok-123456")
    assert caplog.messages == [f"header Bearer {MASK} rejected"]
