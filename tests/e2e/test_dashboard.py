"""The HTML dashboard in headless Chromium, at a phone's width and a desktop's: it fits the
screen, every filter changes every panel exactly as SQL on the marts says, the keyboard reaches
every job, and axe-core finds no serious accessibility problem."""

import json
import os
import re
import struct
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from cf_bulk_sync.models.runner import ModelError, build_models
from cf_bulk_sync.ops.run_record import record_run
from cf_bulk_sync.outcome import decide
from cf_bulk_sync.reporting.dashboard import write_dashboard
from cf_bulk_sync.simulator import Simulator, World

from ..support.browser import Browser
from ..support.checkout import CHECKOUT
from ..support.syncer import Syncer
from ..support.tools import axe_script

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.slow]

REPORTING = "cloudflare_email_security_reporting"
READY = "document.body.dataset.ready === 'yes'"
FINAL = ("COMPLETED", "FAILED", "SKIPPED", "CANCELLED")
WIDTHS = (390, 1440)

# Everything the panels show, read from the page as text.
READ_PANELS = """(() => {
  const q = (s) => [...document.querySelectorAll(s)];
  const text = (s) => { const e = document.querySelector(s); return e ? e.textContent : null; };
  const pairs = (s, key) => Object.fromEntries(q(s).map((e) => [e.dataset[key], e.textContent]));
  return {
    kpi: pairs("[data-kpi]", "kpi"),
    messages_by_status: pairs("#by-status [data-status]", "status"),
    jobs_by_status: pairs("#jobs-by-status [data-status]", "status"),
    daily: q("#daily-table tr[data-day]").map((r) => [r.dataset.day,
      r.querySelector("[data-field=processed]").textContent,
      r.querySelector("[data-field=failed]").textContent, r.cells[0].textContent]),
    reasons: q("#top-reasons [data-field=reason-count]").map((e) => e.textContent),
    apart: q("#apart-reasons [data-field=apart-count]").map((e) => e.textContent),
    families: q("#top-reasons [data-field=reason-family]").map((e) => e.textContent),
    jobs: q("#job-table tbody tr").map((r) => [r.dataset.job,
      r.querySelector("[data-field=messages]").textContent,
      r.querySelector("[data-field=failure]").textContent]),
    pages: text("#page-of"),
    chosen: text("#chosen-job code"),
    job_reasons: q("#job-reasons [data-field=job-reason-count]").map((e) => e.textContent),
    runs: text("#health [data-field=runs]"),
  };
})()"""


@pytest.fixture(scope="module")
def today_start() -> datetime:
    """Account B's jobs start at midnight today (UTC) and, 12 jobs of at most 90 minutes apart,
    stay within the day: the last day of the trend is today's, the partial one."""
    return datetime.now(UTC).replace(hour=0, minute=1, second=0, microsecond=0)


@pytest.fixture
def world() -> World:
    """Account A: 20 jobs of November 1st."""
    return World(seed=11, jobs=20, messages=(0, 40))


@pytest.fixture
def page(syncer: Syncer, tmp_path: Path, today_start: datetime) -> Iterator[Path]:
    """Two accounts in one warehouse: A's 20 jobs (synced twice, time moving between) and B's
    12 jobs of today; both runs recorded."""
    first = syncer.run(per_page=20)
    record_run(syncer.pipeline(), decide(first))
    syncer.sim.advance(steps=2)
    with Simulator(World(seed=5, jobs=12, messages=(0, 40), start=today_start)) as other:
        second = Syncer(other, tmp_path).run(per_page=20)
    build = build_models(syncer.pipeline())
    record_run(syncer.pipeline(), decide(second, build))
    yield write_dashboard(syncer.pipeline(), str(tmp_path / "dashboard.html"))


@pytest.fixture
def browser() -> Iterator[Browser]:
    with Browser() as opened:
        yield opened


def number(text: str) -> int:
    return int(text.replace(",", ""))


def rate(part: int, whole: int) -> str:
    """As the page writes a rate: JavaScript's toFixed(1) rounds exact halves up."""
    if not whole:
        return "–"
    return f"{Decimal(100 * part / whole).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def expected(
    syncer: Syncer, where: str, runs_where: str = "true", top: int = 10, family: str = ""
) -> dict:
    """What every panel must show for the jobs `where` selects, the reasons of `family` only
    when given (SQL on the marts; the daily trend on the staging model the mart is built
    from, which keeps the job)."""
    jobs = syncer.query(
        f"select job_id, job_status, count_messages, count_failed,"
        f" {' + '.join('count_' + s.lower() for s in FINAL)},"
        " count_completed, count_skipped, count_cancelled, count_pending,"
        " count_discovering, count_processing, count_other"
        f" from {REPORTING}.job_status_counts as c where {where}"
        " order by created_at desc, job_id"
    )
    ids = [j[0] for j in jobs]
    in_jobs = "job_id in (" + (",".join(f"'{i}'" for i in ids) or "null") + ")"
    statuses = ("COMPLETED", "SKIPPED", "CANCELLED", "PENDING", "DISCOVERING", "PROCESSING")
    by_status = {s: sum(j[5 + i] for j in jobs) for i, s in enumerate(statuses)}
    by_status["FAILED"] = sum(j[3] for j in jobs)
    by_status["OTHER"] = sum(j[11] for j in jobs)
    processed, failed = sum(j[4] for j in jobs), sum(j[3] for j in jobs)
    daily = syncer.query(
        "select cast(cast(processed_at at time zone 'UTC' as date) as varchar),"
        " count(*), count(*) filter (where message_status = 'FAILED')"
        f" from {REPORTING}.stg_bulk_job_messages where {in_jobs} and processed_at is not null"
        f" and message_status in {FINAL} group by 1 order by 1"
    )
    of_family = f" and reason_family = '{family}'" if family else ""

    def reasons(statuses: str) -> list[tuple]:
        # FAILED reasons, and SKIPPED and CANCELLED apart
        return syncer.query(
            f"select sum(count_messages), reason_family from {REPORTING}.job_failure_reasons"
            f" where {in_jobs} and message_status in {statuses}{of_family}"
            f" group by message_status, failure_reason, reason_family"
            f" order by 1 desc, failure_reason limit {top}"
        )

    worst = max(jobs, key=lambda j: j[3], default=None)  # the first of the most failed
    chosen = worst[0] if worst else None
    return {
        "kpi": {
            "jobs": len(jobs),
            "messages": sum(j[2] for j in jobs),
            "processed": processed,
            "failed": failed,
            "failure-rate": rate(failed, processed),
        },
        "messages_by_status": {s: n for s, n in by_status.items() if n},
        "jobs_by_status": dict(Counter(j[1] for j in jobs)),
        "daily": [(d, n, f) for d, n, f in daily],
        "reasons": [r[0] for r in reasons("('FAILED')")],
        "apart": [r[0] for r in reasons("('SKIPPED', 'CANCELLED')")],
        "families": [r[1] for r in reasons("('FAILED')")],
        "jobs": {j[0]: (j[2], rate(j[3], j[4])) for j in jobs},
        "chosen": chosen,
        "job_reasons": sorted(
            (
                r[0]
                for r in syncer.query(
                    f"select count_messages from {REPORTING}.job_failure_reasons"
                    f" where job_id = '{chosen}'"
                )
            ),
            reverse=True,
        ),
        "runs": syncer.query(
            f"select count(*) from cloudflare_email_security.sync_runs where {runs_where}"
        )[0][0],
    }


def shown(browser: Browser) -> dict[str, Any]:
    """The panels as numbers, all pages of the job table read."""
    panels = browser.evaluate(READ_PANELS)
    jobs = list(panels["jobs"])
    while browser.evaluate("!document.querySelector('[data-page=\"1\"]').disabled"):
        browser.evaluate("document.querySelector('[data-page=\"1\"]').click()")
        jobs += browser.evaluate(READ_PANELS)["jobs"]
    while browser.evaluate("!document.querySelector('[data-page=\"-1\"]').disabled"):
        browser.evaluate("document.querySelector('[data-page=\"-1\"]').click()")
    kpi = {k: (v if k == "failure-rate" else number(v)) for k, v in panels["kpi"].items()}
    return {
        "kpi": kpi,
        "messages_by_status": {k: number(v) for k, v in panels["messages_by_status"].items()},
        "jobs_by_status": {k: number(v) for k, v in panels["jobs_by_status"].items()},
        "daily": [(d, number(n), number(f)) for d, n, f, _ in panels["daily"]],
        "daily_labels": [label for *_, label in panels["daily"]],
        "reasons": [number(n) for n in panels["reasons"]],
        "apart": [number(n) for n in panels["apart"]],
        "families": panels["families"],
        "jobs": {j: (number(n), f) for j, n, f in jobs},
        "chosen": panels["chosen"],
        "job_reasons": [number(n) for n in panels["job_reasons"]],
        "runs": number(panels["runs"]) if panels["runs"] else 0,
    }


def set_filters(browser: Browser, **values: str) -> None:
    """Sets filter inputs as a user would (selects by their visible label) and lets the page
    react to the change."""
    script = """((values) => {
      for (const [id, value] of Object.entries(values)) {
        const input = document.getElementById(id);
        if (input.tagName === "SELECT") {
          const option = [...input.options].find((o) => o.textContent === value);
          if (!option) throw new Error(id + " has no option " + value);
          input.value = option.value;
        } else { input.value = value; }
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
    })"""
    browser.evaluate(f"{script}({json.dumps(values)})")


def filter_cases(syncer: Syncer) -> list[tuple[dict[str, str], str, str, str]]:
    """(filters, SQL condition on job_status_counts, SQL condition on sync_runs, the reason
    family shown): together they use every filter."""
    a_account = syncer.sim.world.account_id
    destination, word = syncer.query(
        f"select r.destination, lower(split_part(r.failure_reason, ' ', 1))"
        f" from {REPORTING}.job_failure_reasons as r where r.destination is not null"
        " order by r.count_messages desc, r.failure_reason limit 1"
    )[0]
    day = syncer.sim.world.job_list()[0].fields["created_at"][:10]  # account A's first day
    reason_match = (
        f"exists (select 1 from {REPORTING}.job_failure_reasons as r where r.job_id = c.job_id"
        f" and lower(r.failure_reason) like '%{word}%')"
    )
    return [
        (
            {"f-type": "MOVE", "f-account": a_account},
            f"action_type = 'MOVE' and account_id = '{a_account}'",
            "true",
            "",
        ),
        (
            {"f-from": day, "f-to": day, "f-status": "COMPLETED"},
            f"job_status = 'COMPLETED' and cast(created_at at time zone 'UTC' as date) = '{day}'",
            f"cast(started_at as date) = '{day}'",
            "",
        ),
        (
            {"f-dest": destination, "f-search": word},
            f"destination = '{destination}' and (lower(job_id) like '%{word}%'"
            f" or lower(comment) like '%{word}%' or {reason_match})",
            "true",
            "",
        ),
        (
            {"f-family": "throttling/quota"},
            f"exists (select 1 from {REPORTING}.job_failure_reasons as r where r.job_id ="
            " c.job_id and r.reason_family = 'throttling/quota')",
            "true",
            "throttling/quota",
        ),
    ]


@pytest.mark.parametrize("width", [pytest.param(w, id=f"{w}px") for w in WIDTHS])
def test_every_filter_changes_every_panel_as_sql_on_the_marts_says(
    page: Path, syncer: Syncer, browser: Browser, width: int, today_start: datetime
) -> None:
    html = page.read_text()
    assert not re.search(r'(src|href)="https?:', html)  # nothing fetched: works offline
    browser.open(page, width, ready=READY)
    overflow = "document.documentElement.scrollWidth <= window.innerWidth"
    assert browser.evaluate(overflow), browser.evaluate("document.documentElement.scrollWidth")
    everything = shown(browser)
    assert {k: v for k, v in everything.items() if k != "daily_labels"} == expected(syncer, "true")
    assert len(everything["jobs"]) == 32 and everything["chosen"]
    # the last day is today's, still going: marked partial, not shown as a collapse
    assert everything["daily"][-1][0] == today_start.date().isoformat()
    assert everything["daily_labels"][-1].endswith("(partial)")
    assert browser.evaluate("!!document.querySelector('#daily svg line[stroke-dasharray]')")
    assert not [label for label in everything["daily_labels"][:-1] if "partial" in label]
    for filters, where, runs_where, family in filter_cases(syncer):
        browser.evaluate("document.getElementById('f-reset').click()")
        browser.evaluate("new Promise((done) => setTimeout(done, 50))")
        set_filters(browser, **filters)
        now = shown(browser)
        want = expected(syncer, where, runs_where, family=family)
        assert {k: v for k, v in now.items() if k != "daily_labels"} == want, filters
        # every panel moved; the chosen job (and so its reasons) stays while it matches, and
        # sync health follows the date range only (runs sync every job)
        moving = [k for k in want if k not in ("chosen", "job_reasons", "runs", "families")]
        moving += ["runs"] if "f-from" in filters else []
        assert [k for k in moving if now[k] != everything[k]] == moving, filters
        assert 0 < want["kpi"]["jobs"] < 32, filters
        assert browser.evaluate(overflow), filters


def test_the_keyboard_reaches_every_job_and_sorting_works(
    page: Path, syncer: Syncer, browser: Browser
) -> None:
    browser.open(page, 1440, ready=READY)
    reached: set[str] = set()
    focus = """(() => { const e = document.activeElement; const row = e.closest("tr[data-job]");
      return [row ? row.dataset.job : null, e.dataset.page || null, e.disabled,
        getComputedStyle(e).outlineStyle]; })()"""
    for _ in range(2):  # both pages of the table
        for _ in range(300):
            browser.press("Tab", 9)
            row, pager, disabled, outline = browser.evaluate(focus)
            if row:
                assert outline != "none"  # focus is visible
                reached.add(row)
            if pager == "1" and not disabled:
                browser.press("Enter", 13, "\r")  # next page, from the keyboard
                browser.evaluate("document.body.focus()")
                break
    ids = {r[0] for r in syncer.query(f"select job_id from {REPORTING}.job_status_counts")}
    assert reached == ids
    # choosing a job with the keyboard shows its reasons
    browser.evaluate("document.querySelector('#job-table .pick').focus()")
    picked = browser.evaluate("document.activeElement.closest('tr').dataset.job")
    browser.press("Enter", 13, "\r")
    assert browser.evaluate("document.querySelector('#chosen-job code').textContent") == picked
    # sorting by messages, both ways
    browser.evaluate("document.querySelector('[data-sort=messages]').click()")
    counts = browser.evaluate(
        "[...document.querySelectorAll('#job-table [data-field=messages]')]"
        ".map((e) => +e.textContent.replace(/,/g, ''))"
    )
    top = syncer.query(
        f"select count_messages from {REPORTING}.job_status_counts"
        " order by count_messages desc limit 25"
    )
    assert counts == [t[0] for t in top]
    assert browser.evaluate("document.querySelector('[aria-sort]').getAttribute('aria-sort')") == (
        "descending"
    )


@pytest.mark.parametrize("width", [pytest.param(w, id=f"{w}px") for w in WIDTHS])
def test_axe_core_finds_no_serious_accessibility_problem(
    page: Path, browser: Browser, width: int
) -> None:
    browser.open(page, width, ready=READY)
    browser.evaluate(axe_script().read_text(encoding="utf-8"))
    browser.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    found = browser.evaluate(
        "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map("
        "(v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length,"
        " first: v.nodes[0].html.slice(0, 200) })))"
    )
    assert browser.evaluate("typeof axe.version") == "string"
    assert [v for v in found if v["impact"] in ("serious", "critical")] == []


def test_job_rates_say_dash_when_nothing_is_processed(
    page: Path, syncer: Syncer, browser: Browser
) -> None:
    browser.open(page, 1440, ready=READY)
    idle = {
        r[0]
        for r in syncer.query(
            f"select job_id from {REPORTING}.job_status_counts"
            f" where {' + '.join('count_' + s.lower() for s in FINAL)} = 0"
        )
    }
    assert idle  # the worlds have pending and discovering jobs
    assert browser.evaluate("document.querySelector('[data-field=run-status]').textContent") == "ok"
    rows = shown(browser)["jobs"]
    assert {j for j, (_, failure) in rows.items() if failure == "–"} == idle


def test_the_dashboard_needs_models_first(tmp_path: Path, syncer: Syncer) -> None:
    syncer.run(per_page=20)
    with pytest.raises(ModelError, match="No models in"):
        write_dashboard(syncer.pipeline(), str(tmp_path / "d.html"))


def test_the_page_carries_its_data_once_and_api_texts_cut(syncer: Syncer, tmp_path: Path) -> None:
    world = syncer.sim.world
    job = next(j for j in world.jobs.values() if any(m["status"] == "FAILED" for m in j.messages))
    with world.lock:
        failed = next(m for m in job.messages if m["status"] == "FAILED")
        failed["status_message"] = "Mailbox over quota </script><b>" + "x" * 1_000_000
        job.rendered = None
        world.version += 1
    syncer.run(per_page=20)
    build_models(syncer.pipeline())
    html = write_dashboard(syncer.pipeline(), str(tmp_path / "d.html")).read_text()
    assert len(html) < 200_000
    assert html.count("</script>") == 2 and "<b>" not in html  # the text cannot end the data
    data = json.loads(
        re.search(r'id="dashboard-data">(.*?)</script>', html, re.S).group(1)  # type: ignore[union-attr]
    )
    assert len(data["jobs"]["id"]) == len(world.jobs)
    reasons = defaultdict(int)
    for j, count in zip(data["reasons"]["job"], data["reasons"]["count"], strict=True):
        reasons[data["jobs"]["id"][j]] += count
    assert dict(reasons) == dict(
        syncer.query(
            f"select job_id, sum(count_messages) from {REPORTING}.job_failure_reasons group by 1"
        )
    )
    assert max(len(t) for t in data["texts"]) <= 300


def test_the_dashboard_benchmark_runs_and_saves_its_screenshots(tmp_path: Path) -> None:
    """`benchmarks/dashboard.py` on a tiny account (its timings are output, never asserted)."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.dashboard", "--jobs", "4", "--runs", "1"]
        + ["--repeat", "1", "--shots", str(tmp_path)],
        cwd=CHECKOUT,  # benchmarks/ is not in the wheel: it runs from the checkout
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DLT_DATA_DIR": str(tmp_path / "dlt")},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert result["jobs"] == 4 and result["data_bytes"] < result["page_bytes"]
    assert result["first_render_ms_median"] > 0
    for width in (390, 1440):
        png = (tmp_path / f"dashboard-4-jobs-{width}px.png").read_bytes()
        assert struct.unpack(">I", png[16:20])[0] == width
