"""One line for files damaged on disk (loading.working_folder) and for dlt's log records
(loading.log_lines)."""

import logging
from pathlib import Path

import pytest
from dlt.common.configuration.providers.toml import TomlProviderReadException

from cf_bulk_sync.errors import ConfigurationError
from cf_bulk_sync.loading.log_lines import OneLineFilter
from cf_bulk_sync.loading.set_aside import max_load_attempts
from cf_bulk_sync.loading.working_folder import damaged_state, describe_toml_error


def test_the_malformed_toml_file_is_named_with_its_line(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text("a = 1\n")
    bad.write_text('a = 1\nb = "secret-value\n')
    error = TomlProviderReadException("secrets.toml", "secrets.toml", [str(good), str(bad)], "x")
    line = describe_toml_error(error)
    assert line.startswith(f"Malformed TOML in {bad} at line 2, column")
    assert "secret-value" not in line


def test_a_damaged_state_file_is_described_and_a_good_one_is_not(tmp_path: Path) -> None:
    state = tmp_path / "p" / "state.json"
    assert damaged_state(str(tmp_path), "p") is None  # absent
    state.parent.mkdir()
    state.write_text('{"_state_version": 1}')
    assert damaged_state(str(tmp_path), "p") is None
    state.write_text('{"_state_version": 1, "bro')
    line = damaged_state(str(tmp_path), "p")
    assert line is not None and str(state) in line and f"mv {state} {state}.damaged" in line


def test_a_record_quoting_a_traceback_becomes_its_first_line() -> None:
    record = logging.LogRecord(
        "dlt",
        logging.ERROR,
        __file__,
        1,
        "Job failed with message %s",
        ("Traceback (most recent call last):\n  File x\nValueError: y",),
        None,
    )
    record.exc_info = (ValueError, ValueError("y"), None)
    assert OneLineFilter().filter(record)
    assert record.getMessage() == "Job failed with message (the traceback: --debug)"
    assert record.exc_info is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [pytest.param(None, 3, id="default"), pytest.param("5", 5, id="five")],
)
def test_max_load_attempts(
    monkeypatch: pytest.MonkeyPatch, value: str | None, expected: int
) -> None:
    if value is not None:
        monkeypatch.setenv("CF_BULK_SYNC__MAX_LOAD_ATTEMPTS", value)
    assert max_load_attempts() == expected


@pytest.mark.parametrize("value", ["0", "-1", "abc"])
def test_max_load_attempts_out_of_range(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CF_BULK_SYNC__MAX_LOAD_ATTEMPTS", value)
    with pytest.raises(ConfigurationError, match="max_load_attempts"):
        max_load_attempts()


def test_only_a_failing_job_of_the_package_spends_an_attempt() -> None:
    from dlt.destinations.exceptions import DestinationConnectionError
    from dlt.load.exceptions import LoadClientJobFailed

    from cf_bulk_sync.loading.set_aside import is_package_fault

    job = LoadClientJobFailed("1.2", "bulk_job_messages.1.parquet", "out of range", ValueError())
    down = DestinationConnectionError("duckdb", "dataset", "refused", ValueError())
    assert is_package_fault([RuntimeError("load step failed"), job])
    assert not is_package_fault([RuntimeError("load step failed"), down])
    assert not is_package_fault([job, OSError(28, "No space left on device")])
    assert not is_package_fault([ValueError("anything else")])
