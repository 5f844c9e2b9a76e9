"""`cf-bulk-sync compile`: the models' SQL for a dialect, printed or written one file per model
(see `models.compile`). Needs no destination, no credentials and no data."""

import sys
from collections.abc import Collection
from pathlib import Path

from ..errors import ModelError
from ..models.compile import check_dialect, compile_models, present_tables, write_compiled
from ..outcome import ExitCode


def run_compile(
    dialect: str,
    out: str | None = None,
    dataset: str | None = None,
    absent: Collection[str] = (),
) -> int:
    """Prints the compiled models (without `out`) or writes them into the folder `out`; a
    dialect the models are not written in, or an `absent` name that is no raw table, is
    refused in one line (exit 2)."""
    try:
        check_dialect(dialect)
        present = present_tables(absent)
    except ModelError as e:
        print(f"cf-bulk-sync: error: {e}", file=sys.stderr)
        return ExitCode.USAGE
    models = compile_models(dialect, dataset, present=present)
    if out is None:
        print("\n".join(model.text(dialect) for model in models), end="")
        return ExitCode.OK
    written = write_compiled(models, dialect, Path(out))
    print(f"compiled: {len(written)} models for {dialect} in {out} (build order: file names)")
    return ExitCode.OK
