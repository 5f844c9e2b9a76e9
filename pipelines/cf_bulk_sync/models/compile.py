"""The models' SQL for a dialect without a destination (`cf-bulk-sync compile`), as `dbt
compile` writes it: each model's CREATE statement, in build order, compiled by the runner's own
code (`runner.load_models` for the order, `runner.compile_query` and `materialize.create_sql`
for the statement). What `models` runs for a full build on a destination of that dialect is
these statements, each after a DROP of what the target was.

Without a destination there is nothing to ask, so the compile assumes every raw table exists
(`models` reads a missing one as an empty relation) and names the datasets as the dialect
folds and quotes unquoted names (Snowflake upper-cases them, as dlt does); a destination's
catalog or database is left to its connection.
"""

import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from ..errors import ModelError
from ..loading.pipeline import DATASET_NAME
from .dialects import SUPPORTED
from .materialize import create_sql
from .relations import REPORTING_SUFFIX
from .runner import RAW_TABLES, compile_query, load_models

# the files an earlier compile wrote into a folder: `07_job_progress.sql`
_WRITTEN = re.compile(r"^\d{2,}_\w+\.sql$")


@dataclass
class CompiledModel:
    position: int  # 1-based build order
    name: str
    kind: str  # "view" (staging) or "table" (marts)
    sql: str  # the CREATE statement, pretty-printed in the dialect

    @property
    def file_name(self) -> str:
        return f"{self.position:02d}_{self.name}.sql"

    def text(self, dialect: str) -> str:
        return f"-- {self.name}: {self.kind}, compiled for {dialect} by cf-bulk-sync\n{self.sql};\n"


def check_dialect(dialect: str) -> str:
    """`dialect`, or a `ModelError` naming the ones the models are written in."""
    if dialect not in SUPPORTED:
        raise ModelError(
            f"the models are not compiled for dialect {dialect!r}: choose one of"
            f" {', '.join(SUPPORTED)}"
        )
    return dialect


def present_tables(absent: Collection[str]) -> set[str]:
    """The raw tables but those named `absent`; a `ModelError` naming one that is no raw
    table."""
    unknown = sorted(set(absent) - RAW_TABLES.keys())
    if unknown:
        raise ModelError(
            f"{', '.join(unknown)}: not a raw table the models read; --absent takes one of"
            f" {', '.join(sorted(RAW_TABLES))}"
        )
    return set(RAW_TABLES) - set(absent)


def compile_models(
    dialect: str,
    dataset: str | None = None,
    sql_dir: Path | None = None,
    present: Collection[str] | None = None,
) -> list[CompiledModel]:
    """Every model's CREATE statement for `dialect`, in build order: raw tables read from
    `dataset` (default the sync's), models written to `<dataset>_reporting`. `present` names
    the raw tables that exist (default all): the others are read as empty relations, as
    `models` reads them."""
    check_dialect(dialect)
    raw = dataset or DATASET_NAME
    reporting = raw + REPORTING_SUFFIX

    def qualify(table: str, in_dataset: str | None) -> str:
        return qualified_name(table, in_dataset or raw, dialect)

    present_tables = set(RAW_TABLES if present is None else present)
    models = load_models(sql_dir)
    names = {m.name for m in models}
    out = []
    for position, model in enumerate(models, start=1):
        select = compile_query(
            model.tree, model.name, names, present_tables, qualify, reporting, dialect
        )
        statement = create_sql(model, qualify(model.name, reporting), select, dialect)
        pretty = sqlglot.parse_one(statement, read=dialect).sql(dialect=dialect, pretty=True)
        out.append(
            CompiledModel(position, model.name, "view" if model.is_view else "table", pretty)
        )
    return out


def qualified_name(table: str, dataset: str, dialect: str) -> str:
    """`dataset.table` as the dialect names unquoted identifiers, quoted."""
    fold = Dialect.get_or_raise(dialect).normalize_identifier
    parts = [fold(exp.to_identifier(part)).this for part in (dataset, table)]
    return exp.table_(parts[1], db=parts[0], quoted=True).sql(dialect=dialect)


def write_compiled(models: list[CompiledModel], dialect: str, folder: Path) -> list[Path]:
    """One file per model in `folder` (created), named `NN_<model>.sql` in build order; the
    files an earlier compile wrote there are replaced. Returns the files written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            if old.is_file() and _WRITTEN.match(old.name):
                old.unlink()
        written = []
        for model in models:
            path = folder / model.file_name
            path.write_text(model.text(dialect))
            written.append(path)
    except OSError as e:
        raise ModelError(f"cannot write the compiled models to {folder}: {e.strerror}") from None
    return written
