"""The HTML dashboard, opened in headless Chromium: charts drawn, numbers equal the marts."""

import re
import struct
from pathlib import Path

import pytest

from cf_bulk_sync.models.runner import build_models
from cf_bulk_sync.ops.run_record import record_run
from cf_bulk_sync.outcome import decide
from cf_bulk_sync.reporting.dashboard import write_dashboard

from ..support.browser import rendered_dom, screenshot
from ..support.syncer import Syncer

pytestmark = pytest.mark.e2e

REPORTING = "cloudflare_email_security_reporting"


@pytest.fixture
def page(syncer: Syncer, tmp_path: Path) -> Path:
    first = syncer.run(per_page=20)
    record_run(syncer.pipeline(), decide(first))
    syncer.sim.advance(steps=2)
    second = syncer.run(per_page=20)
    build = build_models(syncer.pipeline())
    record_run(syncer.pipeline(), decide(second, build))
    return write_dashboard(syncer.pipeline(), str(tmp_path / "dashboard.html"))


def cells(dom: str, field: str) -> dict[str, int]:
    return {
        job: int(value)
        for job, value in re.findall(rf'<tr data-job="([^"]+)">.*?data-field="{field}">(\d+)<', dom)
    }


@pytest.mark.browser
@pytest.mark.slow
def test_dashboard_renders_in_chromium_with_the_marts_numbers(
    page: Path, syncer: Syncer, tmp_path: Path
) -> None:
    html = page.read_text()
    assert not re.search(r'(src|href)="https?:', html)  # nothing fetched: works offline
    dom = rendered_dom(page)
    assert 'data-ready="yes"' in dom  # the page's script ran to the end
    jobs = syncer.query(
        f"select job_id, count_messages, count_failed from {REPORTING}.job_status_counts"
    )
    assert re.search(rf'id="total-jobs">{len(jobs)}<', dom)
    assert re.search(rf'id="total-messages">{sum(j[1] for j in jobs)}<', dom)
    assert cells(dom, "count_messages") == {j[0]: j[1] for j in jobs}
    assert cells(dom, "count_failed") == {j[0]: j[2] for j in jobs}
    top = syncer.query(
        f"select count_messages from {REPORTING}.failure_reasons"
        " order by count_messages desc, failure_reason limit 10"
    )
    shown = re.search(r'id="top-reasons">(.*?)</table>', dom, re.S).group(1)
    assert [int(n) for n in re.findall(r'data-field="reason-count">(\d+)<', shown)] == [
        t[0] for t in top
    ]
    # charts drew: every job has its stacked bar, the overview bars and the lines exist
    assert dom.count('class="stack"') == len(jobs)
    assert len(re.findall(r"<rect[^>]+fill=\"#", dom)) > len(jobs)
    assert dom.count("<polyline") >= 2
    # the script picked a job: exactly one panel of reasons is visible
    panels = re.findall(r'<div class="job-reasons" data-job="([^"]+)"( hidden="")?>', dom)
    assert len(panels) == len(jobs) and [j for j, hidden in panels if not hidden] == [
        max(jobs, key=lambda j: j[2])[0]
    ]  # the job with the most failures
    assert 'data-field="run-status">ok<' in dom
    png = screenshot(page, tmp_path / "dashboard.png")
    width, height = struct.unpack(">II", png.read_bytes()[16:24])
    assert (width, height) == (1366, 2600) and png.stat().st_size > 50_000


def test_the_dashboard_command_needs_models_first(tmp_path: Path, syncer: Syncer) -> None:
    from cf_bulk_sync.models.runner import ModelError

    syncer.run(per_page=20)
    with pytest.raises(ModelError, match="No models in"):
        write_dashboard(syncer.pipeline(), str(tmp_path / "d.html"))
