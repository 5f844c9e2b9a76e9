"""The models' columns are a contract with dashboards: names, order and types change only on
purpose. The names and their order are the column docs (`sql/*/<model>.yml`, written once and
also used by sql/README.md and the dbt package); the types follow the naming convention."""

from cf_bulk_sync.models.column_docs import (
    model_docs,
    readme_block,
    with_readme_block,
)
from cf_bulk_sync.models.runner import load_models

from ..support.checkout import CHECKOUT
from .conftest import REPORTING, Warehouse, job, message

MARTS = (
    "job_status_counts",
    "job_failure_reasons",
    "failure_reasons",
    "job_reconciliation",
    "daily_message_activity",
    "job_progress",
)


def expected_type(column: str) -> str:
    if column.endswith("_at"):
        return "TIMESTAMP WITH TIME ZONE"
    if column.endswith("_rate") or column.startswith("share_"):
        return "DECIMAL(9,4)"
    if column.startswith(("is_",)):
        return "BOOLEAN"
    if column.startswith(("count_", "api_count_", "loaded_count_", "diff_", "total_", "max_")):
        return "BIGINT"
    if column.endswith("_date"):
        return "DATE"
    return "VARCHAR"


def test_every_model_has_its_columns_documented_in_order(warehouse: Warehouse) -> None:
    warehouse.seed("bulk_jobs", [job("j1", total_messages_discovered=1, messages_successful=1)])
    warehouse.seed("bulk_job_messages", [message("j1", "m1", "COMPLETED")])
    warehouse.build()
    docs = model_docs()
    assert docs.keys() == {m.name for m in load_models()}
    for name, doc in docs.items():
        described = warehouse.query(f"describe {REPORTING}.{name}")
        assert [c[0] for c in described] == list(doc.columns), name
        assert doc.description and all(doc.columns.values()), name


def test_mart_types_follow_the_naming_convention(warehouse: Warehouse) -> None:
    warehouse.seed("bulk_jobs", [job("j1", total_messages_discovered=1, messages_successful=1)])
    warehouse.seed("bulk_job_messages", [message("j1", "m1", "COMPLETED")])
    warehouse.build()
    docs = model_docs()
    for mart in MARTS:
        described = warehouse.query(f"describe {REPORTING}.{mart}")
        assert {c[0]: c[1] for c in described} == {
            c: expected_type(c) for c in docs[mart].columns
        }, mart


def test_the_sql_readme_lists_the_documented_columns() -> None:
    readme = (CHECKOUT / "sql" / "README.md").read_text()
    folders = {m.name: m.path.parent.name for m in load_models()}
    current = with_readme_block(readme, readme_block(model_docs(), folders))
    assert readme == current, (
        "sql/README.md's column lists are out of date: run"
        " `python -m cf_bulk_sync.models.column_docs`"
    )
