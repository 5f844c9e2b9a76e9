"""Each command imports what it uses: checked on the modules a fresh interpreter holds after
the command's imports, not on times (see benchmarks/ for those)."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import cf_bulk_sync

PACKAGE = Path(cf_bulk_sync.__file__).parent
HEAVY = ("dlt", "pyarrow", "sqlglot", "requests", "duckdb", "rich", "pandas", "numpy")
# what only a sync needs: the source's resources and what they bring, and the model build
SYNC_ONLY = (
    "pyarrow",
    "cf_bulk_sync.source.resources",
    "cf_bulk_sync.source.arrow_pages",
    "cf_bulk_sync.source.changes",
    "cf_bulk_sync.models.runner",
    "cf_bulk_sync.models.reason_texts",
)


def modules_after(code: str) -> set[str]:
    """The modules a new interpreter holds after running `code`."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if n in modules)


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["run", "--help"]])
def test_version_and_help_import_only_the_parser(argv: list[str]) -> None:
    modules = modules_after(
        "from cf_bulk_sync.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
    )
    assert loaded(modules, HEAVY) == []


@pytest.mark.parametrize(
    "module", ["cf_bulk_sync.reporting.report", "cf_bulk_sync.reporting.dashboard"]
)
def test_reading_commands_import_nothing_only_a_sync_needs(module: str) -> None:
    modules = modules_after(f"import {module}")
    assert loaded(modules, SYNC_ONLY) == []
    assert "dlt" in modules  # the probe sees real imports: the reader opens dlt's pipeline


def test_the_source_package_loads_its_resources_when_asked() -> None:
    modules = modules_after("import cf_bulk_sync.source.settings, cf_bulk_sync.source.stats")
    assert "cf_bulk_sync.source.resources" not in modules
    modules = modules_after("from cf_bulk_sync.source import cloudflare_email_security")
    assert "cf_bulk_sync.source.resources" in modules


def imports_of(path: Path) -> set[str]:
    """The sibling modules `path` imports (relative imports within its package), wherever
    the import stands (TYPE_CHECKING blocks and functions included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def test_the_model_plan_and_writer_sit_below_the_runner() -> None:
    models = PACKAGE / "models"
    graph = {p.stem: imports_of(p) for p in models.glob("*.py")}
    assert {"incremental", "materialize", "model"} <= graph["runner"]
    for below in ("incremental", "materialize", "model", "relations"):
        assert "runner" not in graph[below], below
    assert "materialize" not in graph["incremental"]  # the plan does not know the writer
    assert graph["model"] == set()


def test_a_run_imports_pyarrow_only_for_what_needs_it() -> None:
    """pyarrow comes with the pages a run fetches and the texts it derives; a scheduled run
    with nothing to fetch needs neither (nor DuckDB's own client, which --publish uses)."""
    modules = modules_after("import cf_bulk_sync.run")
    assert loaded(modules, ("pyarrow", "cf_bulk_sync.ops.publish")) == []
    assert "cf_bulk_sync.models.runner" in modules  # the probe sees the run's own imports
