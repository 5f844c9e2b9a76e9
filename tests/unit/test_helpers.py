import pytest

from cf_bulk_sync.source.errors import ConfigurationError
from cf_bulk_sync.source.helpers import (
    as_list,
    is_job_settled,
    is_synced,
    max_pages,
    shape_messages,
    validate_account_ids,
    validate_choice,
    validate_credentials,
    validate_job_ids,
    validate_per_page,
)


@pytest.mark.parametrize(
    "value,expected",
    [
        pytest.param(None, [], id="none"),
        pytest.param("a", ["a"], id="one"),
        pytest.param("a, b,", ["a", "b"], id="comma"),
        pytest.param(["a", " b "], ["a", "b"], id="list"),
    ],
)
def test_as_list(value: object, expected: list) -> None:
    assert as_list(value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param("0123456789ABCDEF0123456789ABCDEF", id="upper"),
        pytest.param("0123", id="short"),
        pytest.param("0123456789abcdef0123456789abcdeg", id="not-hex"),
    ],
)
def test_account_id_must_be_32_hex(bad: str) -> None:
    with pytest.raises(ConfigurationError, match=f"Invalid account id '{bad}': it must be 32"):
        validate_account_ids([bad])


def test_missing_account_id_names_the_settings() -> None:
    with pytest.raises(ConfigurationError, match="CLOUDFLARE_ACCOUNT_ID"):
        validate_account_ids([])


@pytest.mark.parametrize(
    "good", ["4f6c2b1e-8d3a-4c5b-9e7f-0a1b2c3d4e5f", "bja_0f3a9c", "job-1", "X" * 128]
)
def test_job_ids_are_safe_path_segments(good: str) -> None:
    assert validate_job_ids([good]) == [good]


@pytest.mark.parametrize("bad", ["../x", "a/b", "a?b=1", "", "x y", "X" * 129, "é"])
def test_job_ids_that_are_not_path_segments_are_refused(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="Invalid job id .*letters, digits, - and _"):
        validate_job_ids([bad])


@pytest.mark.parametrize("good", [1, 1000, "250"])
def test_per_page_in_range(good: object) -> None:
    assert validate_per_page(good) == int(good)  # type: ignore[call-overload]


@pytest.mark.parametrize("bad", [0, 1001, -5, "ten", 2.5, None])
def test_per_page_out_of_range(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="per_page .* from 1 to 1000"):
        validate_per_page(bad)


def test_choices_are_normalised_or_rejected() -> None:
    assert validate_choice("status", "failed", ("FAILED",)) == "FAILED"
    assert validate_choice("status", None, ("FAILED",)) is None
    with pytest.raises(ConfigurationError, match="Invalid status 'DONE'"):
        validate_choice("status", "DONE", ("FAILED",))


def test_credentials_token_or_legacy_pair() -> None:
    validate_credentials("t", None, None)
    validate_credentials(None, "e@example.com", "k")
    with pytest.raises(ConfigurationError, match="CLOUDFLARE_API_TOKEN"):
        validate_credentials(None, "e@example.com", None)


@pytest.mark.parametrize(
    "job,settled",
    [
        pytest.param({"status": "COMPLETED", "messages_pending": 0}, True, id="completed"),
        pytest.param({"status": "CANCELLED", "messages_pending": 0}, True, id="cancelled"),
        pytest.param({"status": "FAILED"}, True, id="failed-no-counter"),
        pytest.param({"status": "COMPLETED", "messages_pending": 2}, False, id="still-pending"),
        pytest.param({"status": "PROCESSING", "messages_pending": 0}, False, id="processing"),
    ],
)
def test_is_job_settled(job: dict, settled: bool) -> None:
    assert is_job_settled(job) is settled


def test_is_synced_respects_the_status_filter() -> None:
    assert is_synced(["*"], None) and is_synced(["*"], "FAILED")
    assert is_synced(["FAILED"], "FAILED")
    assert not is_synced(["FAILED"], None)
    assert not is_synced([], None)


def test_max_pages() -> None:
    assert max_pages({"status": "COMPLETED", "total_messages_discovered": 2500}, 1000) == 4
    assert max_pages({"status": "COMPLETED", "total_messages_discovered": 0}, 1000) == 2
    assert max_pages({"status": "PROCESSING", "total_messages_discovered": 2500}, 1000) == 16


def test_shape_messages_stamps_keys_and_sets_apart_keyless_items() -> None:
    page = [
        {"message_id": "m1", "status": "FAILED"},
        {"status": "FAILED"},
        "junk",
        {"message_id": "m2"},
    ]
    good, rejected, statuses = shape_messages(page, "acc", "job")
    assert [(g["job_id"], g["account_id"], g["message_id"]) for g in good] == [
        ("job", "acc", "m1"),
        ("job", "acc", "m2"),
    ]
    assert [r["item"] for r in rejected] == [{"status": "FAILED"}, "junk"]
    assert statuses == {"FAILED": 1, "(missing)": 1}
