"""A warehouse made by an earlier release keeps loading: every column declared since release
0.2.0 in a table that release created is nullable. dlt adds such a column to the existing
table, whose rows have no value for it; a NOT NULL column would refuse every later load (a
scheduled job upgraded in place would stop at its first run)."""

import json
from pathlib import Path

import pytest

from cf_bulk_sync.models.runner import RAW_TABLES
from cf_bulk_sync.ops.run_record import COLUMNS as RUN_COLUMNS
from cf_bulk_sync.ops.run_record import RUNS_TABLE

# the columns release 0.2.0 declared, per table (read off that release's RAW_TABLES and
# run_record.COLUMNS)
RELEASED = json.loads((Path(__file__).parents[1] / "data" / "columns_0.2.0.json").read_text())
DECLARED = {**RAW_TABLES, RUNS_TABLE: RUN_COLUMNS}


@pytest.mark.parametrize("table", sorted(set(RELEASED) & set(DECLARED)))
def test_columns_added_since_the_release_are_nullable(table: str) -> None:
    added = {name: hints for name, hints in DECLARED[table].items() if name not in RELEASED[table]}
    not_null = sorted(name for name, hints in added.items() if hints.get("nullable") is False)
    assert not_null == [], f"{table}: columns added since 0.2.0 must be nullable: {not_null}"


def test_no_released_column_is_dropped() -> None:
    """Dropping a declared column would leave old rows' values unread by the models."""
    for table, names in RELEASED.items():
        assert table in DECLARED, table
        assert set(names) <= set(DECLARED[table]), (table, set(names) - set(DECLARED[table]))
