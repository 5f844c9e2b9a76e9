import pytest

from cf_bulk_sync.source.budget import RequestBudget


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_budget_waits_for_the_window_to_slide() -> None:
    t = FakeTime()
    budget = RequestBudget(3, 10.0, clock=lambda: t.now, sleep=t.sleep)
    for _ in range(3):
        budget.acquire()
    assert t.sleeps == []
    t.now = 4.0
    budget.acquire()
    assert t.sleeps == [6.25]  # the rest of the window, plus the margin for arrival delays
    assert budget.waited_seconds == 6.25


def test_no_window_ever_holds_more_than_the_budget() -> None:
    t = FakeTime()
    budget = RequestBudget(5, 60.0, clock=lambda: t.now, sleep=t.sleep)
    stamps = []
    for _ in range(23):
        budget.acquire()
        stamps.append(t.now)
        t.now += 1.0
    for i, start in enumerate(stamps):
        assert sum(1 for s in stamps[i:] if s - start < 60.0) <= 5


def test_budget_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RequestBudget(0, 10)


def test_a_wait_is_told_with_its_length_and_reason() -> None:
    t = FakeTime()
    told: list[tuple[float, str]] = []
    budget = RequestBudget(1, 10.0, clock=lambda: t.now, sleep=t.sleep)
    budget.on_wait = lambda seconds, why: told.append((seconds, why))
    budget.acquire()
    budget.acquire()
    assert told == [(10.25, "1 requests per 10s, spent by this run")]
