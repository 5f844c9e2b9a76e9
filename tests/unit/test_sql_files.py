from pathlib import Path

import pytest

from cf_bulk_sync.errors import ModelError
from cf_bulk_sync.models import sql_files
from cf_bulk_sync.models.sql_files import model_files, sql_root


def write(root: Path, *names: str) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("select 1 as x\n")


def test_no_folder_with_a_model_is_an_error_naming_every_folder_looked_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty, assertions_only = tmp_path / "package" / "sql", tmp_path / "checkout" / "sql"
    (empty / "staging").mkdir(parents=True)
    write(assertions_only, "assertions/a__key.sql", "staging/README.md")
    monkeypatch.setattr(sql_files, "candidates", lambda: [empty, assertions_only])
    with pytest.raises(ModelError, match="no SQL models found") as raised:
        sql_root()
    assert str(empty) in str(raised.value) and str(assertions_only) in str(raised.value)


def test_the_first_folder_with_a_model_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    write(first, "marts/m.sql")
    write(second, "staging/s.sql")
    monkeypatch.setattr(sql_files, "candidates", lambda: [tmp_path / "missing", first, second])
    assert sql_root() == first


def test_models_are_listed_staging_before_marts_by_name_within_each(tmp_path: Path) -> None:
    write(tmp_path, "marts/a_mart.sql", "marts/b_mart.sql", "staging/z_stg.sql", "staging/y.sql")
    write(tmp_path, "assertions/a__key.sql")
    assert [p.relative_to(tmp_path).as_posix() for p in model_files(tmp_path)] == [
        "staging/y.sql",
        "staging/z_stg.sql",
        "marts/a_mart.sql",
        "marts/b_mart.sql",
    ]
