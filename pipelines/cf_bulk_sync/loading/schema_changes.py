"""What the API's data brought that the source does not declare: new columns and type variants.

The source declares the documented fields of jobs and messages with their types (see
`source.settings`); anything else the API sends is still loaded (see `MAX_TABLE_NESTING`): an
unknown scalar key becomes a nullable column of its own type, an unknown object or list one
JSON column, and a value of another type than its column's a variant column beside it
(`retry_count__v_text`), never a failed load. Such a change is named once, by the run whose
load added the column to the destination (dlt records what each load package changed in its
tables), and `check` lists every change since the first run from the stored schema.
"""

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import dlt

from ..source import settings

# the tables holding the API's own data, with the columns the source declares for them
API_TABLES: Mapping[str, Mapping[str, Any]] = {
    settings.JOBS_TABLE: settings.JOB_COLUMNS,
    settings.MESSAGES_TABLE: settings.MESSAGE_COLUMNS,
}
# what the sync itself adds to every row of those tables
OWN_COLUMNS = frozenset({"_dlt_id", "_dlt_load_id"})
VARIANT_MARK = "__v_"


@dataclass(frozen=True)
class SchemaChange:
    """One column the API's data added to a table: a new field, or values of another type for
    a field that has a column already (`variant_of` names that column)."""

    table: str
    column: str
    type: str
    variant_of: str | None = None

    def describe(self) -> str:
        if self.variant_of is not None:
            return (
                f"{self.table}.{self.variant_of} received {self.type} values: they are kept"
                f" in {self.column} beside it ({self.variant_of} keeps its type)"
            )
        return (
            f"{self.table} gained column {self.column} ({self.type}): the API sent a field it"
            " did not document; it is loaded as it came"
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def undeclared(tables: Mapping[str, Any]) -> list[SchemaChange]:
    """The columns of the API's tables in `tables` (dlt table schemas by name) that the source
    does not declare, in table and column order."""
    changes = []
    for table, declared in API_TABLES.items():
        columns = (tables.get(table) or {}).get("columns") or {}
        for name, column in columns.items():
            if name in declared or name in OWN_COLUMNS or name.startswith("_dlt"):
                continue
            base = name.split(VARIANT_MARK)[0] if column.get("variant") else None
            changes.append(SchemaChange(table, name, str(column.get("data_type")), base))
    return changes


def loaded_changes(packages: Iterable[Any]) -> list[SchemaChange]:
    """The changes that loaded packages (dlt's `LoadPackageInfo`) made to the destination's
    tables: what this run brought for the first time."""
    seen: dict[tuple[str, str], SchemaChange] = {}
    for package in packages:
        for change in undeclared(getattr(package, "schema_update", None) or {}):
            seen.setdefault((change.table, change.column), change)
    return list(seen.values())


def stored_changes(pipeline: dlt.Pipeline) -> list[SchemaChange]:
    """Every change since the first run, from the pipeline's stored schema (none before the
    first run)."""
    if not pipeline.default_schema_name:
        return []
    return undeclared(pipeline.default_schema.tables)
