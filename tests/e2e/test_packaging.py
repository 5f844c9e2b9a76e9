"""The wheel as users install it: every module and model file inside, nothing else at the top,
and a demo that builds every model from the installed files alone."""

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import cf_bulk_sync
from cf_bulk_sync.models.sql_files import sql_root

from ..support.checkout import CHECKOUT
from ..support.cli import environment

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PACKAGE = CHECKOUT / "pipelines" / "cf_bulk_sync"
SQL_FOLDERS = ("staging", "marts", "assertions")
PIP = [sys.executable, "-m", "pip"]
# where an interpreter finds the package and its models
WHERE = (
    "import json, cf_bulk_sync; from cf_bulk_sync.models.sql_files import sql_root;"
    " print(json.dumps([cf_bulk_sync.__file__, str(sql_root())]))"
)
# what a checkout holds besides its sources; a stale build/ would leak old files into the wheel
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "*.duckdb*"
)


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=env or environment(), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the checkout's sources, as `.ci/run` builds it."""
    folder = tmp_path_factory.mktemp("wheel")
    shutil.copytree(CHECKOUT, folder / "src", ignore=NOT_SOURCES)
    run([*PIP, "wheel", "--no-deps", "-w", str(folder / "dist"), "."], cwd=folder / "src")
    (built,) = (folder / "dist").glob("cf_bulk_sync-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path) -> Path:
    """The wheel's files alone, in a folder of their own (dependencies: this environment's)."""
    target = wheel.parent / "installed"
    run(
        [*PIP, "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)],
        wheel.parent,
    )
    return target


def test_the_wheel_holds_every_module_and_model_and_nothing_else(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    models = {
        f"cf_bulk_sync/sql/{folder}/{path.name}"
        for folder in SQL_FOLDERS
        for pattern in ("*.sql", "*.yml")  # the models and their column docs
        for path in (CHECKOUT / "sql" / folder).glob(pattern)
    }
    modules = {
        f"cf_bulk_sync/{path.relative_to(PACKAGE).as_posix()}"
        for path in PACKAGE.rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert len(models) > 20 and len(modules) > 40
    assert models - names == set()
    assert modules - names == set()
    page = {f"cf_bulk_sync/reporting/dashboard.{kind}" for kind in ("html", "css", "js")}
    assert page - names == set()  # the dashboard's page, inlined when it is written
    assert "cf_bulk_sync/reasons/families.csv" in names  # the shipped reason families
    tops = {name.split("/", 1)[0] for name in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"cf_bulk_sync"}  # no pipelines/
    (info,) = (t for t in tops if t.endswith(".dist-info"))
    entry_points = zipfile.ZipFile(wheel).read(f"{info}/entry_points.txt").decode()
    assert "cf-bulk-sync = cf_bulk_sync.cli:main" in entry_points


def test_the_installed_files_alone_run_the_demo_and_build_every_model(
    installed: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    env = environment(PYTHONPATH=str(installed), DLT_DATA_DIR=str(tmp_path / "dlt"))
    where = run([sys.executable, "-c", WHERE], cwd=empty, env=env)
    module, root = (Path(p) for p in json.loads(where))
    assert module.is_relative_to(installed) and root == installed / "cf_bulk_sync" / "sql"
    demo = ["demo", "--dir", str(tmp_path / "demo"), "--jobs", "6"]
    out = run([sys.executable, "-m", "cf_bulk_sync.cli", *demo], cwd=empty, env=env)
    files = {f: len(list((CHECKOUT / "sql" / f).glob("*.sql"))) for f in SQL_FOLDERS}
    assert f"models: {files['staging'] + files['marts']} built" in out
    checked = re.search(r"assertions: (\d+) passed, (\d+) failed", out)
    assert checked and int(checked[1]) + int(checked[2]) == files["assertions"]


def test_the_models_come_from_the_kind_of_install_under_test() -> None:
    package = Path(cf_bulk_sync.__file__).resolve().parent
    if os.environ.get("CF_BULK_SYNC_TEST_INSTALLED") == "wheel":  # .ci/run
        assert not package.is_relative_to(CHECKOUT), f"{package} is the checkout, not the wheel"
        assert sql_root() == package / "sql"
    else:  # the editable install of a checkout
        assert sql_root() == CHECKOUT / "sql"
