"""The models built on a real sync: dlt's actual table and column names, the simulator's truth."""

from collections import Counter
from pathlib import Path

import pytest

from cf_bulk_sync.models.runner import build_models
from cf_bulk_sync.reporting.report import build_report
from cf_bulk_sync.simulator import Simulator

from ..support.checkout import ASSERTIONS, MODELS
from ..support.cli import cli, cli_env
from ..support.syncer import Syncer

pytestmark = pytest.mark.e2e

REPORTING = "cloudflare_email_security_reporting"
STATUSES = ("PENDING", "DISCOVERING", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED", "SKIPPED")


def test_marts_equal_the_simulator_after_syncs_and_time_moving(syncer: Syncer) -> None:
    syncer.run(per_page=7)
    changes = syncer.sim.advance(steps=2)
    syncer.run(per_page=7)
    result = build_models(syncer.pipeline())
    assert result.failed_assertions == []
    truth: dict[str, Counter] = {}
    for (job_id, _), status in syncer.sim.world.truth_messages().items():
        truth.setdefault(job_id, Counter())[status] += 1
    counts = {
        row[0]: dict(zip(STATUSES, row[1:], strict=False))
        for row in syncer.query(
            "select job_id, count_pending, count_discovering, count_processing,"
            " count_completed, count_failed, count_cancelled, count_skipped"
            f" from {REPORTING}.job_status_counts where not is_deleted"
        )
    }
    assert counts == {
        j: {s: truth.get(j, Counter())[s] for s in STATUSES} for j in syncer.sim.world.jobs
    }
    deleted = {
        r[0]
        for r in syncer.query(f"select job_id from {REPORTING}.job_status_counts where is_deleted")
    }
    assert deleted == set(changes["deleted"])
    states = dict(
        syncer.query(
            f"select reconciliation_status, count(*) from {REPORTING}.job_reconciliation group by 1"
        )
    )
    assert states == {"consistent": len(syncer.sim.world.jobs) + len(deleted)}
    # deleted jobs' messages stay loaded, so the reasons are checked against the raw table
    failed = syncer.query(
        "select count(*) from cloudflare_email_security.bulk_job_messages where status = 'FAILED'"
    )[0][0]
    assert failed > sum(c["FAILED"] for c in truth.values())
    assert (
        syncer.query(
            f"select sum(count_messages) from {REPORTING}.failure_reasons"
            " where message_status = 'FAILED'"
        )[0][0]
        == failed
    )
    # destinations come from dlt's flattening of the nested action_params
    assert (
        syncer.query(
            f"select count(*) from {REPORTING}.stg_bulk_job_messages where action_type = 'MOVE'"
            " and destination is null"
        )[0][0]
        == 0
    )


def test_report_shows_every_job_and_the_top_reasons(syncer: Syncer) -> None:
    syncer.run(per_page=7)
    build_models(syncer.pipeline())
    text = build_report(syncer.pipeline(), top=3)
    for job_id in syncer.sim.world.jobs:
        assert job_id[:8] in text
    reasons = text.split("Top FAILED reasons")[1].strip().split("\n\n")[0].splitlines()
    assert len(reasons) == 2 + 3  # header, rule and the top three
    one = next(iter(syncer.sim.world.jobs))
    only = build_report(syncer.pipeline(), job_ids=[one])
    assert "(1 jobs)" in only and one[:8] in only


@pytest.mark.slow
@pytest.mark.parametrize(
    "extra", [pytest.param([], id="models"), pytest.param(["--no-models"], id="no-models")]
)
def test_run_builds_models_unless_told_not_to(
    extra: list, tmp_path: Path, simulator: Simulator
) -> None:
    env = cli_env(simulator, tmp_path)
    result = cli("run", *extra, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    built = (
        f"models: {MODELS} built in dataset cloudflare_email_security_reporting; assertions:"
        f" {ASSERTIONS} passed, 0 failed"
    )
    assert (built in result.stdout) is (not extra)
    report = cli("report", "--top", "2", env=env, cwd=tmp_path)
    if extra:
        assert report.returncode == 1  # nothing built yet: a clear error, not a traceback
        assert "Traceback" not in report.stderr
        assert "No models in cloudflare_email_security_reporting yet: run" in report.stderr
        models = cli("models", env=env, cwd=tmp_path)
        assert models.returncode == 0 and built in models.stdout
        report = cli("report", "--top", "2", env=env, cwd=tmp_path)
    assert report.returncode == 0 and "Messages per job and status" in report.stdout
