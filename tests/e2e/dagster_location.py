"""A Dagster code location as a user writes one: shards from the shipped module, and a job that
materialises all of them with the multiprocess executor. Its shards come from the environment
(`CF_TEST_SHARDS`, JSON) so that the executor's child processes, which import this file again,
build the same definitions."""

import json
import os

import dagster as dg

from cf_bulk_sync.orchestration.dagster import Shard, definitions

JOB = "sync_all_shards"


def shards() -> list[Shard]:
    return [
        Shard(
            name=item["name"],
            account_ids=(item["account_id"],),
            pool=item["pool"],
            destination="postgres",
            dataset=item["dataset"],
            source_args={"base_url": item["base_url"], "backoff_factor": 0},
        )
        for item in json.loads(os.environ["CF_TEST_SHARDS"])
    ]


def sync_all_shards() -> dg.JobDefinition:
    job = dg.define_asset_job(JOB, executor_def=dg.multiprocess_executor)
    return dg.Definitions.merge(definitions(shards()), dg.Definitions(jobs=[job])).resolve_job_def(
        JOB
    )
