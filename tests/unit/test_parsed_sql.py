"""`models.parsed_sql`: parsed SQL kept between processes, keyed by the text; never trusted to
name code."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlglot

from cf_bulk_sync.errors import ModelError
from cf_bulk_sync.models import parsed_sql
from cf_bulk_sync.models.parsed_sql import ParsedSql

QUERY = "select job_id, count(*) as n from stg_bulk_jobs group by job_id"


def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(parsed_sql.sqlglot, "parse_one", refuse)


def test_a_tree_saved_is_loaded_without_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, cache = tmp_path / "m.sql", tmp_path / "cache.json"
    model.write_text(QUERY)
    first = ParsedSql(cache)
    expected = first.parse(model).sql()
    first.save()
    no_parsing(monkeypatch)
    again = ParsedSql(cache)
    tree = again.parse(model)
    assert tree.sql() == expected
    # each call hands out a tree of its own: rewriting one never changes the next
    tree.set("expressions", [])
    assert again.parse(model).sql() == expected


def test_an_edited_file_is_parsed_again_and_only_used_trees_are_kept(tmp_path: Path) -> None:
    model, cache = tmp_path / "m.sql", tmp_path / "cache.json"
    model.write_text(QUERY)
    first = ParsedSql(cache)
    first.parse(model)
    first.save()
    model.write_text(QUERY.replace("count(*)", "sum(1)"))
    edited = ParsedSql(cache)
    assert "SUM(1)" in edited.parse(model).sql()
    edited.save()
    assert len(json.loads(cache.read_text())["trees"]) == 1


def test_a_damaged_or_foreign_cache_costs_a_parse_and_nothing_else(tmp_path: Path) -> None:
    model, cache = tmp_path / "m.sql", tmp_path / "cache.json"
    model.write_text(QUERY)
    cache.write_text("{not json")
    assert ParsedSql(cache).parse(model).sql() == sqlglot.parse_one(QUERY).sql()
    first = ParsedSql(cache)
    first.parse(model)
    first.save()
    # an entry naming a class outside sqlglot's expressions: serde would import its module.
    # `this` prints on import: a fresh interpreter shows whether it was imported.
    stored = json.loads(cache.read_text())
    (key,) = stored["trees"]
    stored["trees"][key][0]["c"] = "this.Anything"
    cache.write_text(json.dumps(stored))
    program = (
        "import sys; from pathlib import Path; from cf_bulk_sync.models.parsed_sql import"
        f" ParsedSql; print(ParsedSql(Path({str(cache)!r})).parse(Path({str(model)!r})).sql());"
        " print('this' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [sqlglot.parse_one(QUERY).sql(), "False"]


def test_an_unwritable_cache_is_skipped(tmp_path: Path) -> None:
    model = tmp_path / "m.sql"
    model.write_text(QUERY)
    parsed = ParsedSql(tmp_path / "missing-folder" / "cache.json")
    assert parsed.parse(model).sql() == sqlglot.parse_one(QUERY).sql()
    parsed.save()  # no error: the cache is only an optimisation
    assert not (tmp_path / "missing-folder").exists()


def test_invalid_sql_names_its_file(tmp_path: Path) -> None:
    model = tmp_path / "broken.sql"
    model.write_text("select from where (")
    with pytest.raises(ModelError, match="broken.sql is not valid SQL"):
        ParsedSql(tmp_path / "cache.json").parse(model)
