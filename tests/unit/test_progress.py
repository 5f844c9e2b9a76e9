"""`ops.progress`: the line a run in progress shows."""

from cf_bulk_sync.ops.progress import describe
from cf_bulk_sync.source.stats import SyncStats


def test_a_run_waiting_for_the_request_budget_says_how_long_and_why() -> None:
    stats = SyncStats(jobs_seen=4, jobs_todo=4)
    stats.waiting_for_budget(218.0, "1200 requests per 300s, spent by this run", now=100.0)
    line = describe(stats, elapsed=30.0, now=110.0)
    assert line.startswith(
        "waiting 208s for the request budget (1200 requests per 300s, spent by this run); jobs"
    )
    assert stats.budget_waited == 218.0
    # once the wait is over, the line is the figures alone
    assert describe(stats, elapsed=330.0, now=400.0).startswith("jobs 0/4 to fetch")
