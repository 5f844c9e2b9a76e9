"""Where the SQL models are: the one place that finds them.

The models live in the repository's top-level `sql/` (analysts browse them there) and ship
inside the wheel as `cf_bulk_sync/sql` (pyproject maps one onto the other). An installed wheel
finds them in the package; an editable install or a checkout finds them in the repository.
"""

from pathlib import Path

from ..errors import ModelError

MODEL_FOLDERS = ("staging", "marts")
ASSERTIONS_FOLDER = "assertions"
_PACKAGE = Path(__file__).resolve().parents[1]


def candidates() -> list[Path]:
    """The folders looked in, in order: inside the package, then the checkout's `sql/`."""
    return [_PACKAGE / "sql", _PACKAGE.parents[1] / "sql"]


def sql_root() -> Path:
    """The first candidate that holds at least one model; a `ModelError` naming every folder
    looked in when none does (an install without its SQL must never report `0 built`)."""
    for folder in candidates():
        if any(any((folder / sub).glob("*.sql")) for sub in MODEL_FOLDERS):
            return folder
    looked = ", ".join(str(c) for c in candidates())
    raise ModelError(
        f"no SQL models found (looked in {looked}): the installation is incomplete; reinstall"
        " cf-bulk-sync from its wheel or from a checkout"
    )


def model_files(root: Path) -> list[Path]:
    """Every model file under `root`, staging before marts, sorted by name within each."""
    return [path for sub in MODEL_FOLDERS for path in sorted((root / sub).glob("*.sql"))]


def assertion_files(root: Path) -> list[Path]:
    return sorted((root / ASSERTIONS_FOLDER).glob("*.sql"))
