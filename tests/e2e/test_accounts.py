"""Several accounts, one pipeline: a run of some accounts keeps every other account's state."""

from pathlib import Path

import pytest

from cf_bulk_sync.outcome import decide
from cf_bulk_sync.simulator import Simulator, World

from ..support.syncer import Syncer

pytestmark = pytest.mark.e2e

SETTLED = ("COMPLETED", "FAILED", "CANCELLED")


def settled(world: World) -> int:
    return sum(
        1
        for job in world.jobs.values()
        if job.status in SETTLED and not job.counters()["messages_pending"]
    )


def test_syncing_one_account_keeps_the_others_settled_jobs(tmp_path: Path) -> None:
    with (
        Simulator(World(seed=31, jobs=8, messages=(0, 30))) as a,
        Simulator(World(seed=32, jobs=6, messages=(0, 30))) as b,
    ):
        assert a.world.account_id != b.world.account_id
        run_a, run_b = Syncer(a, tmp_path), Syncer(b, tmp_path)  # one pipeline, one warehouse
        first = run_a.run()
        assert decide(first).exit_code == 0 and first.stats.jobs_synced == 8
        again = run_a.run()
        assert again.stats.jobs_skipped == settled(a.world) > 0
        other = run_b.run()
        assert decide(other).exit_code == 0 and other.stats.jobs_synced == 6
        back = run_a.run(refetch_unchanged_after=0)  # every job in flight fetched
        # before: 8 synced, 0 skipped: account B's full listing had forgotten A's jobs
        assert back.stats.jobs_skipped == settled(a.world)
        assert back.stats.jobs_synced == 8 - settled(a.world)
        assert a.counts["messages"] == 8 - settled(a.world)  # no settled job's pages asked for


def test_a_deleted_job_is_forgotten_only_by_its_own_accounts_listing(tmp_path: Path) -> None:
    with (
        Simulator(World(seed=33, jobs=6, messages=(0, 20))) as a,
        Simulator(World(seed=34, jobs=4, messages=(0, 20))) as b,
    ):
        run_a, run_b = Syncer(a, tmp_path), Syncer(b, tmp_path)
        run_a.run()
        changes = a.advance(steps=1, create=0, delete=1)
        assert changes["deleted"]
        run_b.run()  # B's listing does not show A's deleted job: not B's to judge
        deleted = run_a.run()  # A's own listing: the job is gone, marked deleted
        assert deleted.stats.jobs_deleted == len(changes["deleted"])
        again = run_a.run()
        assert again.stats.jobs_deleted == 0
