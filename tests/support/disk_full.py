"""A full disk for a process started with `disk_full_env`: a `sitecustomize` module (on
PYTHONPATH) that makes every open for writing under one folder fail with ENOSPC, as a write
on a full disk does; reads, renames and deletions still work."""

from pathlib import Path

SITECUSTOMIZE = """
import builtins, errno, io, os

_FULL = os.environ.get("CF_TEST_DISK_FULL_UNDER")
if _FULL:
    _open = builtins.open

    def _full_disk_open(file, mode="r", *args, **kwargs):
        name = "" if isinstance(file, int) else os.path.abspath(os.fspath(file))
        if name.startswith(_FULL) and any(flag in mode for flag in "wax+"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), name)
        return _open(file, mode, *args, **kwargs)

    builtins.open = io.open = _full_disk_open
"""


def disk_full_env(folder: Path, under: Path) -> dict[str, str]:
    """Environment entries that make writes under `under` fail (the module goes to `folder`)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE)
    return {"PYTHONPATH": str(folder), "CF_TEST_DISK_FULL_UNDER": str(under.absolute())}
