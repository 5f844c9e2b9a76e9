"""Incremental builds on DuckDB: staging views, marts updated for the changed jobs only, and
the same rows as a full rebuild (tests/e2e/test_incremental_models.py runs a longer series
against the simulator, on DuckDB and Postgres)."""

import shutil
from pathlib import Path

import pytest

from cf_bulk_sync.errors import ModelError
from cf_bulk_sync.models import reason_texts, runner
from cf_bulk_sync.models.incremental import STATE_TABLE
from cf_bulk_sync.models.reason_texts import COLUMNS
from cf_bulk_sync.models.runner import build_models, load_models
from cf_bulk_sync.models.sql_files import sql_root

from .conftest import REPORTING, Warehouse, job, message

MARTS = [m.name for m in load_models() if not m.is_view]


def marts(warehouse: Warehouse) -> dict[str, list[tuple]]:
    return {
        name: sorted(
            warehouse.query(f"select * from {REPORTING}.{name}"),
            key=lambda r: tuple(str(v) for v in r),
        )
        for name in MARTS
    }


def seed_history(warehouse: Warehouse) -> None:
    warehouse.seed(
        "bulk_jobs",
        [
            job("j1", "PROCESSING", total_messages_discovered=2, messages_pending=1),
            job("j2", total_messages_discovered=1, messages_failed=1),
            job("j3", total_messages_discovered=1, messages_successful=1),
        ],
    )
    warehouse.seed(
        "bulk_job_messages",
        [
            message("j1", "m1", "COMPLETED"),
            message("j1", "m2", "PENDING", processed=None),
            message("j2", "m1", "FAILED", "550 5.1.1 user unknown"),
            message("j3", "m1", "COMPLETED", created="2026-10-30T10:00:00Z"),
        ],
    )


def change_two_jobs_and_add_one(warehouse: Warehouse) -> None:
    warehouse.seed(
        "bulk_jobs",
        [
            job("j1", total_messages_discovered=2, messages_successful=1, messages_failed=1),
            job("j4", "PROCESSING", total_messages_discovered=1, messages_pending=1),
        ],
    )
    warehouse.seed(
        "bulk_job_messages",
        [
            message("j1", "m2", "FAILED", "mailbox full", processed="2026-11-02T01:00:00Z"),
            message("j4", "m1", "PENDING", processed=None),
        ],
    )
    warehouse.seed(
        "bulk_job_deletions",
        [{"job_id": "j2", "account_id": "a", "deleted_at": "2026-11-03T00:00:00Z"}],
    )


def test_staging_models_are_views_and_marts_are_tables(warehouse: Warehouse) -> None:
    seed_history(warehouse)
    with warehouse.pipeline.sql_client() as client:  # as an earlier version left it
        client.execute_sql(f"create schema {REPORTING}")
        client.execute_sql(f"create table {REPORTING}.stg_bulk_job_messages as select 1 as a")
    warehouse.build()
    kinds = dict(
        warehouse.query(
            "select table_name, table_type from information_schema.tables"
            f" where table_schema = '{REPORTING}'"
        )
    )
    for model in load_models():
        assert kinds[model.name] == ("VIEW" if model.is_view else "BASE TABLE"), model.name


def test_a_build_updates_the_changed_jobs_only_and_equals_a_full_rebuild(
    warehouse: Warehouse,
) -> None:
    seed_history(warehouse)
    first = warehouse.build()
    assert first.full and first.reason == "no earlier build recorded"
    change_two_jobs_and_add_one(warehouse)
    second = warehouse.build()
    assert not second.full and second.changed_jobs == 3  # j1 changed, j2 deleted, j4 new
    assert not second.failed_assertions
    incremental = marts(warehouse)
    assert [r[1] for r in warehouse.query(f"select * from {REPORTING}.job_status_counts")]
    full = build_models(warehouse.pipeline, full=True)
    assert full.full and full.reason == "asked for (--full)"
    assert marts(warehouse) == incremental
    # and nothing loaded since: nothing to update, the marts stay as they are
    third = warehouse.build()
    assert not third.full and third.changed_jobs == 0
    assert marts(warehouse) == incremental


def test_a_changed_model_rebuilds_everything(warehouse: Warehouse, tmp_path: Path) -> None:
    sql_dir = tmp_path / "sql"
    shutil.copytree(sql_root(), sql_dir)
    seed_history(warehouse)
    build_models(warehouse.pipeline, sql_dir=sql_dir)
    mart = sql_dir / "marts" / "job_status_counts.sql"
    mart.write_text(mart.read_text().replace("end as failure_rate", "end as failure_share"))
    (sql_dir / "marts" / "job_status_counts.yml").unlink(missing_ok=True)
    build = build_models(warehouse.pipeline, sql_dir=sql_dir, run_assertions=False)
    assert build.full and build.reason == "the SQL of job_status_counts changed"
    columns = [c[0] for c in warehouse.query(f"describe {REPORTING}.job_status_counts")]
    assert "failure_share" in columns


def test_a_missing_mart_rebuilds_everything(warehouse: Warehouse) -> None:
    seed_history(warehouse)
    warehouse.build()
    before = marts(warehouse)
    with warehouse.pipeline.sql_client() as client:
        client.execute_sql(f"drop table {REPORTING}.job_progress")
    build = warehouse.build()
    assert build.full and "job_progress" in build.reason and "missing" in build.reason
    assert marts(warehouse) == before


def test_the_build_record_holds_every_model_and_the_newest_load(warehouse: Warehouse) -> None:
    seed_history(warehouse)
    warehouse.build()
    rows = warehouse.query(f"select model_name, loaded_through from {REPORTING}.{STATE_TABLE}")
    newest = warehouse.query(
        "select max(load_id) from cloudflare_email_security._dlt_loads where status = 0"
    )[0][0]
    assert {r[0] for r in rows} == {m.name for m in load_models()}
    assert {r[1] for r in rows} == {newest}


def test_an_incremental_mart_may_not_read_a_global_mart(tmp_path: Path) -> None:
    sql_dir = tmp_path / "sql"
    shutil.copytree(sql_root(), sql_dir)
    (sql_dir / "marts" / "daily_message_activity.sql").write_text(
        "-- incremental: job_id\nselect * from failure_reasons\n"
    )
    with pytest.raises(ModelError, match="reads failure_reasons, which is not per job"):
        load_models(sql_dir)


def test_an_incremental_build_checks_the_keys_of_the_changed_jobs(warehouse: Warehouse) -> None:
    seed_history(warehouse)
    warehouse.build()
    raw = "cloudflare_email_security"
    newest = warehouse.query(f"select max(load_id) from {raw}._dlt_loads")[0][0]
    load_id = f"{float(newest) + 0.001:.7f}"  # just after it: later loads come after this one
    with warehouse.pipeline.sql_client() as client:  # a duplicate only a broken load leaves
        client.execute_sql(
            f"insert into {raw}._dlt_loads (load_id, schema_name, status, inserted_at)"
            f" values ('{load_id}', 'cloudflare_email_security', 0, now())"
        )
        client.execute_sql(
            f"insert into {raw}.bulk_job_messages by name select * replace"
            f" ('{load_id}' as _dlt_load_id) from {raw}.bulk_job_messages where job_id = 'j3'"
        )
    build = warehouse.build()
    assert not build.full and build.changed_jobs == 1
    failed = {a.name: a.rows for a in build.blocking_failures}
    assert failed["stg_bulk_job_messages__key"] == [("j3", "m1", 2)]
    # the next build reads only j1's rows for that check (history is not scanned per run);
    # `models --full` checks every job again
    warehouse.seed("bulk_job_messages", [message("j1", "m3", "COMPLETED")])
    build = warehouse.build()
    assert build.changed_jobs == 1
    assert "stg_bulk_job_messages__key" not in {a.name for a in build.blocking_failures}
    full = build_models(warehouse.pipeline, full=True)
    failed = {a.name: a.rows for a in full.blocking_failures}
    assert failed["stg_bulk_job_messages__key"] == [("j3", "m1", 2)]


def count_compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on, the name of each model or assertion the builds compile, in order."""
    compiled: list[str] = []
    compile_query = runner.compile_query

    def counted(tree, name, *args, **kwargs):  # type: ignore[no-untyped-def]
        compiled.append(name)
        return compile_query(tree, name, *args, **kwargs)

    monkeypatch.setattr(runner, "compile_query", counted)
    return compiled


def test_builds_of_one_shape_reuse_their_compiled_statements(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_history(warehouse)
    warehouse.build()
    warehouse.seed("bulk_job_messages", [message("j1", "m2", "COMPLETED")])
    assert not warehouse.build().full  # compiles the per-job statements once
    compiled = count_compiles(monkeypatch)
    warehouse.seed("bulk_job_messages", [message("j1", "m3", "FAILED", "mailbox full")])
    build = warehouse.build()
    assert not build.full and build.changed_jobs == 1 and not build.failed_assertions
    assert compiled == []  # every statement, the assertions' too, was kept
    incremental = marts(warehouse)
    assert warehouse.query(
        f"select failure_reason from {REPORTING}.job_failure_reasons where job_id = 'j1'"
        " and failure_reason is not null"
    ) == [("Mailbox full",)]
    assert build_models(warehouse.pipeline, full=True).full
    assert marts(warehouse) == incremental
    # a raw table receiving its first rows is another shape: the views read it now
    compiled.clear()
    warehouse.seed(
        "bulk_job_deletions",
        [{"job_id": "j2", "account_id": "a", "deleted_at": "2026-11-03T00:00:00Z"}],
    )
    assert not warehouse.build().full
    assert "stg_bulk_jobs" in compiled
    assert warehouse.query(f"select is_deleted from {REPORTING}.stg_bulk_jobs where job_id = 'j2'")


def test_a_build_that_loads_failure_texts_reuses_the_statements_of_one_that_did_not(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_history(warehouse)
    warehouse.build()
    warehouse.seed("bulk_job_messages", [message("j1", "m2", "COMPLETED")])
    # dlt adds hints to the column dicts it is given (each column's name): a build that loads
    # texts must not see another shape than one that did not (in another process, unchanged)
    unchanged = {c: {k: v for k, v in h.items() if k != "name"} for c, h in COLUMNS.items()}
    monkeypatch.setattr(reason_texts, "COLUMNS", unchanged)
    monkeypatch.setitem(runner.RAW_TABLES, reason_texts.TABLE, unchanged)
    assert warehouse.build().derived_texts == 0  # compiles and keeps the per-job statements
    compiled = count_compiles(monkeypatch)
    warehouse.seed("bulk_job_messages", [message("j1", "m3", "FAILED", "a text never seen")])
    build = warehouse.build()
    assert build.derived_texts == 1 and not build.full
    assert compiled == []
