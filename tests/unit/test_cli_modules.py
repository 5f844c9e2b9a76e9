"""The CLI's modules: `demo` imports nothing of `main` (the commands), anywhere in its code (a
function's own imports too), and no module of the CLI imports one that imports it back; what
`run` and `demo` both print lives in `summary`. And loading the
commands' entry point loads no dlt: `--help` and `--version` stay fast."""

import ast
import subprocess
import sys
from pathlib import Path

import cf_bulk_sync.cli

CLI = Path(cf_bulk_sync.cli.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, relative imports resolved within `cf_bulk_sync.cli`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ["cf_bulk_sync", "cli"][: 3 - node.level] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def cli_imports() -> dict[str, set[str]]:
    """Each module of `cf_bulk_sync.cli` -> the modules of `cf_bulk_sync.cli` it imports."""
    names = {path.stem for path in CLI.glob("*.py")}
    graph = {}
    for name in names:
        found = imported_modules(CLI / f"{name}.py")
        graph[name] = {n for n in names - {name} if f"cf_bulk_sync.cli.{n}" in found}
    return graph


def test_demo_imports_nothing_of_main() -> None:
    # main runs the demo like any other command; the printing both use is in summary
    graph = cli_imports()
    assert "main" not in graph["demo"]
    assert "cf_bulk_sync.cli.summary.show" in imported_modules(CLI / "demo.py")
    assert "cf_bulk_sync.cli.summary.show" in imported_modules(CLI / "main.py")


def test_no_cli_module_imports_one_that_imports_it_back() -> None:
    graph = cli_imports()
    assert "demo" in graph["main"]  # the graph is read: the command imports its module

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for step in graph[start] - seen:
            if step == goal or reaches(step, goal, seen | {step}):
                return True
        return False

    assert [name for name in sorted(graph) if reaches(name, name, set())] == []


def test_the_resolver_sees_relative_imports() -> None:
    # the check above would pass vacuously if relative imports were not resolved
    assert "cf_bulk_sync.cli.parser.build_parser" in imported_modules(CLI / "main.py")
    assert "cf_bulk_sync.run.run_once" in imported_modules(CLI / "demo.py")


def test_the_entry_point_loads_no_dlt() -> None:
    probe = "import sys, cf_bulk_sync.cli.main; print('dlt' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "False"
