"""One request budget per token across the processes of a host: real `cf-bulk-sync run`
processes (the installed console script), three at once and three in a row, against one
simulator that enforces a real sliding-window limit equal to their budget. Each run alone fits
the limit, the three together need three windows: without a shared budget they meet 429s (the
issue measured 16 at once and 3 in a row)."""

from pathlib import Path

import pytest

from benchmarks.processes import run_setup, world
from cf_bulk_sync.simulator import Simulator

from ..support.cli import executable

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LIMIT, SECONDS = 30, 10.0


@pytest.mark.parametrize(
    "setup",
    [
        pytest.param("concurrent", id="three-at-once"),
        pytest.param("consecutive", id="three-in-a-row"),
    ],
)
def test_processes_of_one_token_share_one_budget(setup: str, tmp_path: Path) -> None:
    with Simulator(world(), rate_limit=(LIMIT, SECONDS)) as sim:
        measured = run_setup(setup, sim, executable(), tmp_path, LIMIT, SECONDS)
    assert measured["codes"] == [0, 0, 0], measured["output"]
    assert measured["exact"]  # every warehouse holds exactly the simulator's messages
    assert measured["rate_limited"] == 0
    assert measured["busiest"] <= LIMIT
    # the runs together needed more than one window: the budget had to be shared
    assert measured["requests"] > 2 * LIMIT
    assert measured["seconds"] > 2 * SECONDS
