"""Files a run reads before it can start, damaged on disk: dlt's TOML configuration and the
pipeline's `state.json`. Each failure becomes one line naming the file, where, and the fix."""

from pathlib import Path

import tomlkit
import tomlkit.exceptions
from dlt.common.configuration.providers.toml import TomlProviderReadException
from dlt.common.versioned_state import json_decode_state

STATE_FILE = "state.json"


def describe_toml_error(error: TomlProviderReadException) -> str:
    """Which of the files dlt tried cannot be parsed, at which line (the value itself is not
    shown: the file may hold secrets)."""
    for name in error.full_paths:
        path = Path(name)
        if not path.is_file():
            continue
        try:
            tomlkit.parse(path.read_text(encoding="utf-8"))
        except tomlkit.exceptions.ParseError as e:
            return (
                f"Malformed TOML in {path.absolute()} at line {e.line}, column {e.col}: correct"
                " that line (or move the file away) and run again"
            )
        except (OSError, UnicodeDecodeError) as e:
            return f"Cannot read {path} ({type(e).__name__}): make it readable UTF-8 text"
    return f"Malformed TOML in {error.file_name} ({', '.join(error.full_paths)}): correct it"


def damaged_state(pipelines_dir: str, pipeline_name: str) -> str | None:
    """The line for a pipeline whose `state.json` cannot be decoded; None when it can (or is
    absent). Moving it away is safe: dlt then starts the working folder afresh and restores the
    sync's state from the warehouse, where it is saved with every load (pending packages are
    dropped, and their rows fetched again, since their state never reached the warehouse)."""
    path = Path(pipelines_dir) / pipeline_name / STATE_FILE
    try:
        json_decode_state(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        return (
            f"dlt's state file {path} is damaged ({type(e).__name__}): move it away"
            f" (mv {path} {path}.damaged) and run again; the next run restores the sync's"
            " state from the warehouse"
        )
    return None
