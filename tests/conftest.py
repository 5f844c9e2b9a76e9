"""Shared isolation: every test gets its own dlt folder, working directory and environment;
and the simulated account most tests sync (helpers in `tests/support`)."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cf_bulk_sync.simulator import Simulator, World

from .support.syncer import Syncer, small_world


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith(("CLOUDFLARE_", "SOURCES__", "DESTINATION__")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt_data"))
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.fixture
def world() -> World:
    return small_world()


@pytest.fixture
def simulator(world: World) -> Iterator[Simulator]:
    with Simulator(world) as sim:
        yield sim


@pytest.fixture
def syncer(simulator: Simulator, tmp_path: Path) -> Syncer:
    return Syncer(simulator, tmp_path)
