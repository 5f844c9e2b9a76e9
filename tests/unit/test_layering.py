"""Who may import whom: the reasons sit below both the sync and the models."""

import ast
from pathlib import Path

import pytest

import cf_bulk_sync

PACKAGE = Path(cf_bulk_sync.__file__).parent


def imported_packages(folder: str) -> set[str]:
    """The first-level cf_bulk_sync packages the modules of `folder` import from."""
    found = set()
    for path in (PACKAGE / folder).glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level >= 2 and node.module:
                found.add(node.module.split(".")[0])
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "cf_bulk_sync."
            ):
                found.add((node.module or "").split(".")[1])
    return found


def test_the_source_imports_nothing_from_the_models() -> None:
    imports = imported_packages("source")
    assert "reasons" in imports
    assert "models" not in imports


@pytest.mark.parametrize("user", ["models", "source", "cli", "reporting", "loading", "ops"])
def test_the_reasons_import_none_of_their_users(user: str) -> None:
    assert user not in imported_packages("reasons")
