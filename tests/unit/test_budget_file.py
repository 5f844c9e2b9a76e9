"""`source.budget_file`: one request window per token, shared through a locked file by every
process of the token on the host."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cf_bulk_sync.source.budget import RequestBudget
from cf_bulk_sync.source.budget_file import (
    FileWindow,
    budget_key,
    budget_path,
    shared_budget,
)
from cf_bulk_sync.source.connect import make_client

from .test_budget import FakeTime

TOKEN = "0123456789abcdefghijklmnopqrstuvwxyzABCD"


def file_budget(path: Path, t: FakeTime, limit: int = 3, warnings: list[str] | None = None):
    window = FileWindow(path, (warnings if warnings is not None else []).append)
    return RequestBudget(limit, 10.0, clock=lambda: t.now, sleep=t.sleep, window=window)


def test_two_budgets_on_one_file_spend_one_window(tmp_path: Path) -> None:
    t = FakeTime()
    t.now = 1000.0
    first, second = (file_budget(tmp_path / "w.json", t) for _ in range(2))
    for _ in range(2):
        first.acquire()
    second.acquire()  # the third of the window: no wait
    assert t.sleeps == []
    second.acquire()  # a fourth waits for the first to leave the window (plus the margin)
    assert t.sleeps == [10.25] and second.waited_seconds == 10.25
    assert first.waited_seconds == 0


def test_the_window_file_holds_times_only(tmp_path: Path) -> None:
    t = FakeTime()
    t.now = 1000.0
    path = tmp_path / "w.json"
    budget = file_budget(path, t)
    budget.acquire()
    t.now = 1001.5
    budget.acquire()
    data = json.loads(path.read_text())
    assert data["sent"] == [1000.0, 1001.5]
    assert path.stat().st_mode & 0o077 == 0  # only its owner reads or writes it


def test_processes_together_stay_within_the_budget(tmp_path: Path) -> None:
    """Three real processes, each asking for 10 requests of a budget of 12 per 1 s: the times
    they were granted, merged, never hold more than 12 in any second."""
    path = tmp_path / "w.json"
    program = (
        "import sys, time, json\n"
        "from pathlib import Path\n"
        "from cf_bulk_sync.source.budget import RequestBudget\n"
        "from cf_bulk_sync.source.budget_file import FileWindow\n"
        "b = RequestBudget(12, 1.0, clock=time.time, window=FileWindow(Path(sys.argv[1]), print))\n"
        "times = []\n"
        "for _ in range(10):\n"
        "    b.acquire(); times.append(time.time())\n"
        "print(json.dumps(times))\n"
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", program, str(path)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    granted = sorted(t for child in children for t in json.loads(child.communicate()[0]))
    assert all(child.returncode == 0 for child in children)
    assert len(granted) == 30
    busiest = max(sum(1 for u in granted if s <= u < s + 1.0) for s in granted)
    assert busiest == 12  # spent up to the limit, never beyond it
    # three windows' worth: the last ones waited for the window to slide twice
    assert granted[-1] - granted[0] >= 2 * 1.0


def test_a_corrupt_file_is_started_afresh_with_one_warning(tmp_path: Path) -> None:
    t = FakeTime()
    t.now = 1000.0
    path = tmp_path / "w.json"
    path.write_text('{"sent": [1, 2,')  # cut short
    warnings: list[str] = []
    budget = file_budget(path, t, warnings=warnings)
    budget.acquire()
    budget.acquire()
    assert len(warnings) == 1
    assert f"request budget file {path} was unreadable" in warnings[0]
    assert json.loads(path.read_text())["sent"] == [1000.0, 1000.0]


def test_the_tail_of_a_longer_text_left_by_a_killed_writer_is_ignored(tmp_path: Path) -> None:
    t = FakeTime()
    t.now = 1000.0
    path = tmp_path / "w.json"
    whole = json.dumps({"format": 1, "keep": [10.25, 1010.0], "sent": [999.0, 999.5, 999.9]})
    path.write_text(whole + whole[-12:])
    warnings: list[str] = []
    file_budget(path, t, warnings=warnings).acquire()
    assert warnings == [] and t.sleeps == [pytest.approx(999.0 + 10.25 - 1000.0)]


def test_an_unusable_file_falls_back_to_a_budget_of_its_own(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")  # a file where the budget's folder should be (root ignores modes)
    t = FakeTime()
    warnings: list[str] = []
    budget = file_budget(blocker / "w.json", t, limit=2, warnings=warnings)
    for _ in range(3):
        budget.acquire()
    assert len(warnings) == 1
    assert "cannot be used" in warnings[0] and "DLT_DATA_DIR" in warnings[0]
    assert t.sleeps == [10.25]  # still a budget, of this process alone


def test_a_longer_window_of_another_process_is_kept(tmp_path: Path) -> None:
    """A process with a 10 s window must not drop the times a 60 s one still counts."""
    t = FakeTime()
    t.now = 1000.0
    path = tmp_path / "w.json"
    long = RequestBudget(
        3, 60.0, clock=lambda: t.now, sleep=t.sleep, window=FileWindow(path, print)
    )
    long.acquire()
    t.now = 1030.0
    file_budget(path, t, limit=5).acquire()  # its 10 s window no longer holds 1000
    long.acquire()
    assert t.sleeps == []
    long.acquire()  # 1000 and twice 1030 in its last 60 s: the fourth waits for 1000 to leave
    assert t.sleeps == [pytest.approx(1000 + 60.6 - 1030.0)]


def test_times_from_a_clock_set_far_back_are_dropped(tmp_path: Path) -> None:
    t = FakeTime()
    t.now = 1000.0
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"format": 1, "keep": [10.25, 1e9], "sent": [5000.0] * 3}))
    file_budget(path, t).acquire()
    assert t.sleeps == []


def test_the_file_is_named_by_a_digest_of_the_token(tmp_path: Path) -> None:
    path = budget_path(TOKEN)
    assert path.parent == tmp_path / "dlt_data" / "cf_bulk_sync_request_budget"  # DLT_DATA_DIR
    assert path.name == f"{budget_key(TOKEN)}.json" and TOKEN not in str(path)
    assert budget_key(TOKEN) != budget_key(TOKEN[:-1] + "E")


def test_clients_of_one_token_share_its_budget(tmp_path: Path) -> None:
    """`make_client` (the source's and `check`'s) builds the shared budget: a second client of
    the token sees the first one's requests, a client of another token does not."""
    budgets = [
        make_client(token, request_budget=2, request_budget_seconds=60)._sessions._adapter._budget
        for token in (TOKEN, TOKEN, TOKEN + "X")
    ]
    for budget in budgets[:2]:
        budget.acquire()
    sent = json.loads(budget_path(TOKEN).read_text())["sent"]
    assert len(sent) == 2 and time.time() - 5 < sent[0] <= time.time()
    budgets[2].acquire()
    assert len(json.loads(budget_path(TOKEN + "X").read_text())["sent"]) == 1
    assert not any(TOKEN in p.read_text() for p in budget_path(TOKEN).parent.iterdir())


def test_shared_budget_validates_like_the_in_process_one() -> None:
    with pytest.raises(ValueError):
        shared_budget(TOKEN, 0, 10.0, print)


def test_the_file_is_visited_once_per_batch_and_unused_slots_lapse(tmp_path: Path) -> None:
    t = FakeTime()
    t.now = 1000.0
    path = tmp_path / "w.json"
    window = FileWindow(path, [].append, batch=5, hold=1.0)
    budget = RequestBudget(20, 10.0, clock=lambda: t.now, sleep=t.sleep, window=window)
    for _ in range(5):
        budget.acquire()
    assert window.visits == 1 and len(json.loads(path.read_text())["sent"]) == 5
    t.now = 1002.0  # past the hold: the next request visits the file again
    budget.acquire()
    assert window.visits == 2 and len(json.loads(path.read_text())["sent"]) == 10


def test_batches_of_two_processes_never_overspend_the_window(tmp_path: Path) -> None:
    """Every slot a batch hands out is in the file: two windows taking batches from one file
    are granted at most the limit together, and the rest wait."""
    t = FakeTime()
    t.now = 1000.0
    windows = [FileWindow(tmp_path / "w.json", [].append, batch=4, hold=5.0) for _ in range(2)]
    budgets = [
        RequestBudget(10, 10.0, clock=lambda: t.now, sleep=lambda s: None, window=w)
        for w in windows
    ]
    granted = 0
    for _ in range(6):
        for b in budgets:
            if b._window.take(t.now, 10.25, 10) == 0:
                granted += 1
    assert granted == 10


def test_a_shared_budget_batches_only_a_large_budget(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path))
    big = shared_budget(TOKEN, 1200, 300.0, [].append)
    small = shared_budget(TOKEN, 60, 10.0, [].append)
    assert isinstance(big._window, FileWindow) and isinstance(small._window, FileWindow)
    assert big._window.batch == 10 and small._window.batch == 1
    # a slot handed out up to `hold` late is still inside our longer window
    assert 2 * big._window.hold <= big.margin_seconds
    assert big.shared and "other runs" in big.describe_wait()
