"""Airflow: a DAG of one task that runs `cf-bulk-sync run` in the worker (`run_once`), with its
exit codes: 0 succeeds; 3 (partial) fails the task, so its retries fetch the rest, unless
`partial="success"`; 5 (another run holds the lock) skips it; anything else fails it, with the
run's summary as the error.

Airflow reads only files of its dags folder that contain the words "airflow" and "dag"; put
this one line in a file there (`dags/cf_bulk_sync_dag.py`):

    from cf_bulk_sync.orchestration.airflow_dag import dag  # the Airflow DAG

or build your own with `make_dag(...)`. Parsing the DAG reads no configuration and no secret:
the run resolves them when the task runs. `max_active_runs=1`, and the task takes a slot of
`pool` (one per API token: `airflow pools set cf_bulk_sync 1 "one Cloudflare token"`), so runs
of one token never overlap, whichever DAG starts them.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG
from airflow.sdk.exceptions import AirflowException, AirflowSkipException

from ..cli.summary import format_summary
from ..outcome import ExitCode
from ..run import RunOptions, run_once
from .settings import DEFAULT_POOL

PARTIAL_POLICIES = ("fail", "success")


def run_task(
    pipeline_name: str | None = None,
    destination: str | None = None,
    dataset: str | None = None,
    account_ids: list[str] | None = None,
    partial: str = "fail",
    source_args: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The task's callable: one run; its result (for XCom) or an Airflow exception."""
    args = dict(source_args or {})
    if account_ids:
        args["account_id"] = list(account_ids)
    outcome = run_once(
        RunOptions(
            destination=destination,
            dataset=dataset,
            pipeline_name=pipeline_name,
            progress="log",
            source_args=args,
        )
    )
    summary = format_summary(outcome)
    logging.getLogger(__name__).info(summary)  # the task's log
    code = outcome.exit_code
    if code == ExitCode.LOCKED:
        raise AirflowSkipException(summary)
    if code == ExitCode.PARTIAL and partial == "success":
        return {"run_id": outcome.run_id, "exit_code": int(code)}
    if code != ExitCode.OK:
        raise AirflowException(f"exit code {int(code)}: {summary}")
    return {"run_id": outcome.run_id, "exit_code": int(code)}


def make_dag(
    dag_id: str = "cf_bulk_sync",
    schedule: str | None = "*/30 * * * *",
    pool: str = DEFAULT_POOL,
    partial: str = "fail",
    retries: int = 2,
    **run: Any,
) -> DAG:
    """The DAG: one `sync` task in `pool`, at most one active run. `run` goes to `run_task`
    (pipeline_name, destination, dataset, account_ids, source_args)."""
    if partial not in PARTIAL_POLICIES:
        raise ValueError(f"partial={partial!r}: use one of {', '.join(PARTIAL_POLICIES)}")
    with DAG(
        dag_id=dag_id,
        schedule=schedule,
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,
        tags=["cf-bulk-sync"],
    ) as made:
        PythonOperator(
            task_id="sync",
            python_callable=run_task,
            op_kwargs={"partial": partial, **run},
            pool=pool,
            retries=retries,
            retry_delay=timedelta(minutes=5),
        )
    return made


dag = make_dag()
