"""The models and assertions compiled for the dialects checked without an engine, as the runner
compiles them (raw tables in `raw`, models in `reporting`). The golden files beside this
module are its output; `python -m tests.sql.golden_sql` writes them again after a deliberate
change (read the diff: it is the review)."""

from pathlib import Path

import sqlglot

from cf_bulk_sync.models.materialize import create_sql
from cf_bulk_sync.models.runner import RAW_TABLES, compile_query, load_models

GOLDEN = Path(__file__).parent / "golden"
# compiled and checked here; executed elsewhere: duckdb, postgres, mysql (MariaDB), clickhouse
DIALECTS = ("snowflake", "bigquery", "redshift", "trino", "athena", "tsql")


def qualify(table: str, dataset: str | None) -> str:
    return f"{dataset or 'raw'}.{table}"


def compiled(dialect: str) -> dict[str, str]:
    """Each model's CREATE statement (a view for staging) in `dialect`, by model name."""
    models = load_models()
    names = {m.name for m in models}
    out = {}
    for model in models:
        select = compile_query(
            model.tree, model.name, names, set(RAW_TABLES), qualify, "reporting", dialect
        )
        out[model.name] = create_sql(model, f"reporting.{model.name}", select, dialect)
    return out


def pretty(sql: str, dialect: str) -> str:
    return sqlglot.parse_one(sql, read=dialect).sql(dialect=dialect, pretty=True) + "\n"


def write() -> None:
    for dialect in DIALECTS:
        folder = GOLDEN / dialect
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.sql"):
            old.unlink()
        for name, sql in compiled(dialect).items():
            (folder / f"{name}.sql").write_text(pretty(sql, dialect))


if __name__ == "__main__":
    write()
