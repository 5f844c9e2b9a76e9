"""The dbt package as written (dbt itself builds it in tests/e2e/test_dbt.py): every name a
model reads became a source() or a ref(), the assertions are tests with their severity."""

import re
from pathlib import Path

import yaml

from cf_bulk_sync.models.dbt_package import write_dbt_package
from cf_bulk_sync.models.runner import RAW_TABLES, load_models
from cf_bulk_sync.models.sql_files import assertion_files, sql_root


def test_models_read_sources_and_refs_only(tmp_path: Path) -> None:
    write_dbt_package(tmp_path)
    models = load_models()
    for model in models:
        sql = (tmp_path / "models" / model.path.parent.name / f"{model.name}.sql").read_text()
        named = set(re.findall(r"\b(?:from|join)\s+([a-z_][a-z0-9_]*)\b", sql))
        refs = set(re.findall(r"ref\('(\w+)'\)", sql))
        sources = set(re.findall(r"cf_bulk_sync_source\('(\w+)'\)", sql))
        assert refs | sources == model.reads, model.name
        assert sources <= RAW_TABLES.keys() and not named & (RAW_TABLES.keys() | refs)


def test_assertions_are_tests_with_their_severity(tmp_path: Path) -> None:
    write_dbt_package(tmp_path)
    tests = {p.stem: p.read_text() for p in (tmp_path / "tests").glob("*.sql")}
    assert tests.keys() == {p.stem for p in assertion_files(sql_root())}
    warn = "{{ config(severity='warn') }}"
    assert tests["accepted_job_statuses"].startswith(warn)
    assert not tests["stg_bulk_jobs__key"].startswith(warn)


def test_sources_name_every_raw_table_with_its_columns(tmp_path: Path) -> None:
    write_dbt_package(tmp_path)
    sources = yaml.safe_load((tmp_path / "models" / "sources.yml").read_text())["sources"]
    tables = {t["name"]: [c["name"] for c in t["columns"]] for t in sources[0]["tables"]}
    assert tables == {name: list(columns) for name, columns in RAW_TABLES.items()}
    assert "cf_bulk_sync_schema" in sources[0]["schema"]


def test_writing_again_replaces_the_old_package(tmp_path: Path) -> None:
    (tmp_path / "models" / "marts").mkdir(parents=True)
    (tmp_path / "models" / "marts" / "dropped_model.sql").write_text("select 1")
    write_dbt_package(tmp_path)
    assert not (tmp_path / "models" / "marts" / "dropped_model.sql").exists()
    assert (tmp_path / "dbt_project.yml").exists()


def test_column_docs_are_the_models_yaml(tmp_path: Path) -> None:
    from cf_bulk_sync.models.column_docs import model_docs

    write_dbt_package(tmp_path)
    schema = yaml.safe_load((tmp_path / "models" / "schema.yml").read_text())["models"]
    docs = model_docs()
    assert [m["name"] for m in schema] == list(docs)
    for entry in schema:
        doc = docs[entry["name"]]
        assert entry["description"] == doc.description
        assert {c["name"]: c["description"] for c in entry["columns"]} == doc.columns
