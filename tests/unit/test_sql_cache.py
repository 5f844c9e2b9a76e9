"""`models.sql_cache`: parsed SQL and compiled statements kept between processes, keyed by
what they are made from; never trusted to name code."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlglot

from cf_bulk_sync.errors import ModelError
from cf_bulk_sync.models import sql_cache
from cf_bulk_sync.models.sql_cache import SqlCache

QUERY = "select job_id, count(*) as n from stg_bulk_jobs group by job_id"


def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(sql_cache.sqlglot, "parse_one", refuse)


def test_a_tree_saved_is_loaded_without_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, cache = tmp_path / "m.sql", tmp_path / "cache.json"
    model.write_text(QUERY)
    first = SqlCache(cache)
    expected = first.parse(model).sql()
    first.save()
    no_parsing(monkeypatch)
    again = SqlCache(cache)
    tree = again.parse(model)
    assert tree.sql() == expected
    # each call hands out a tree of its own: rewriting one never changes the next
    tree.set("expressions", [])
    assert again.parse(model).sql() == expected


def test_an_edited_file_is_parsed_again_and_only_used_trees_are_kept(tmp_path: Path) -> None:
    model, cache = tmp_path / "m.sql", tmp_path / "cache.json"
    model.write_text(QUERY)
    first = SqlCache(cache)
    first.parse(model)
    first.save()
    model.write_text(QUERY.replace("count(*)", "sum(1)"))
    edited = SqlCache(cache)
    assert "SUM(1)" in edited.parse(model).sql()
    edited.save()
    assert len(json.loads(cache.read_text())["trees"]) == 1


def test_a_damaged_or_foreign_cache_costs_a_parse_and_nothing_else(tmp_path: Path) -> None:
    model, cache = tmp_path / "m.sql", tmp_path / "cache.json"
    model.write_text(QUERY)
    cache.write_text("{not json")
    assert SqlCache(cache).parse(model).sql() == sqlglot.parse_one(QUERY).sql()
    first = SqlCache(cache)
    first.parse(model)
    first.save()
    # an entry naming a class outside sqlglot's expressions: serde would import its module.
    # `this` prints on import: a fresh interpreter shows whether it was imported.
    stored = json.loads(cache.read_text())
    (key,) = stored["trees"]
    stored["trees"][key][0]["c"] = "this.Anything"
    cache.write_text(json.dumps(stored))
    program = (
        "import sys; from pathlib import Path; from cf_bulk_sync.models.sql_cache import"
        f" SqlCache; print(SqlCache(Path({str(cache)!r})).parse(Path({str(model)!r})).sql());"
        " print('this' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [sqlglot.parse_one(QUERY).sql(), "False"]


def test_an_unwritable_cache_is_skipped(tmp_path: Path) -> None:
    model = tmp_path / "m.sql"
    model.write_text(QUERY)
    parsed = SqlCache(tmp_path / "missing-folder" / "cache.json")
    assert parsed.parse(model).sql() == sqlglot.parse_one(QUERY).sql()
    parsed.save()  # no error: the cache is only an optimisation
    assert not (tmp_path / "missing-folder").exists()


def test_invalid_sql_names_its_file(tmp_path: Path) -> None:
    model = tmp_path / "broken.sql"
    model.write_text("select from where (")
    with pytest.raises(ModelError, match="broken.sql is not valid SQL"):
        SqlCache(tmp_path / "cache.json").parse(model)


def test_statements_are_kept_per_shape(tmp_path: Path) -> None:
    cache = tmp_path / "cache.json"
    made: list[str] = []

    def make(sql: str):  # type: ignore[no-untyped-def]
        return lambda: made.append(sql) or sql

    first = SqlCache(cache)
    first.statements("duckdb", ["a.sql hash 1"])
    assert first.statement("create a", make("create table a")) == "create table a"
    first.save()
    same = SqlCache(cache)
    same.statements("duckdb", ["a.sql hash 1"])
    assert same.statement("create a", make("other")) == "create table a"
    assert made == ["create table a"]
    # another dialect, or any other input, is another shape: compiled anew
    other = SqlCache(cache)
    other.statements("postgres", ["a.sql hash 1"])
    assert other.statement("create a", make("create table a -- pg")) == "create table a -- pg"
    other.save()
    assert made == ["create table a", "create table a -- pg"]
    # only the shape used last is kept
    assert len(json.loads(cache.read_text())["statements"]) == 1


def test_the_tables_a_tree_reads_are_kept_so_no_tree_is_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, cache = tmp_path / "m.sql", tmp_path / "cache.json"
    model.write_text(QUERY)

    def find(tree: sqlglot.exp.Expression) -> set[str]:
        return {table.name for table in tree.find_all(sqlglot.exp.Table)}

    first = SqlCache(cache)
    assert first.tables(model, find) == {"stg_bulk_jobs"}
    first.save()
    no_parsing(monkeypatch)
    monkeypatch.setattr(sql_cache, "_loaded", lambda payload: pytest.fail("a tree was loaded"))
    again = SqlCache(cache)
    assert again.tables(model, lambda tree: pytest.fail("searched again")) == {"stg_bulk_jobs"}
    again.save()  # nothing new: the file keeps the tree the tables were found in
    assert len(json.loads(cache.read_text())["trees"]) == 1
