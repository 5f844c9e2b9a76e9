"""A server that serves fewer items per page than asked (a cap, a proxy) still gets every
message: the runaway guard counts pages of the size actually served."""

import pytest

from cf_bulk_sync.outcome import decide

from ..support.syncer import Syncer

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("cap", [pytest.param(7, id="cap-7"), pytest.param(25, id="cap-25")])
def test_a_capped_server_gets_complete_data(syncer: Syncer, cap: int) -> None:
    syncer.sim.max_per_page = cap
    result = syncer.run(per_page=1000)
    assert decide(result).exit_code == 0, result.stats.job_errors
    assert syncer.messages() == syncer.sim.world.truth_messages()
    # the cap really applied: jobs took several pages each
    assert result.stats.requests > len(syncer.sim.world.jobs)  # several pages per job
