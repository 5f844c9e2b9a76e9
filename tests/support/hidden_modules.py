"""Modules missing from a process started with `hidden_modules_env`, as if never installed: a
`sitecustomize` module (on PYTHONPATH) puts None in `sys.modules` for each, so that importing
one raises `ModuleNotFoundError` naming it."""

from pathlib import Path

SITECUSTOMIZE = """
import os, sys

for _name in filter(None, os.environ.get("CF_TEST_HIDDEN_MODULES", "").split(",")):
    sys.modules[_name] = None
"""


def hidden_modules_env(folder: Path, *modules: str) -> dict[str, str]:
    """Environment entries that hide `modules` (the module goes to `folder`)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE)
    return {"PYTHONPATH": str(folder), "CF_TEST_HIDDEN_MODULES": ",".join(modules)}
