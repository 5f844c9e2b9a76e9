"""Which family a reason falls into: permission/auth, throttling/quota, not found, already done
or duplicate, excluded by policy, provider error, or other.

The mapping is a list of (pattern, family) rules; a pattern is a regular expression searched
in the reason, ignoring case, and the first rule that matches gives the family (`other` when
none does). The shipped rules are `families.csv` beside this module. A user's rules come first:
- `[cf_bulk_sync.reason_families]` in `.dlt/config.toml`: `"pattern" = "family"` lines, in
  order (or `CF_BULK_SYNC__REASON_FAMILIES` as a JSON object);
- `cf_bulk_sync.reason_families_file`: a CSV of their own (columns `pattern,family`, lines
  starting with `#` are comments), relative to the working directory.
The mapping's digest is stored with each derived text (`families_hash`) and goes into the
models' fingerprints: a changed mapping derives every text again and rebuilds the marts.
"""

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import dlt

from ..errors import ConfigurationError
from .names import OTHER

SHIPPED = "families.csv"
CONFIG_RULES = "cf_bulk_sync.reason_families"
CONFIG_FILE = "cf_bulk_sync.reason_families_file"


@dataclass(frozen=True)
class FamilyRules:
    """An ordered mapping from reason patterns to families."""

    rules: tuple[tuple[str, str], ...]
    _compiled: tuple[tuple[re.Pattern[str], str], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", tuple(_compile(p, f) for p, f in self.rules))

    @property
    def digest(self) -> str:
        text = "\n".join(f"{p}\t{f}" for p, f in self.rules)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def family(self, reason: str) -> str:
        for pattern, family in self._compiled:
            if pattern.search(reason):
                return family
        return OTHER


def _compile(pattern: str, family: str) -> tuple[re.Pattern[str], str]:
    try:
        return re.compile(pattern, re.IGNORECASE), family
    except re.error as e:
        raise ConfigurationError(
            f"reason family pattern {pattern!r} is not a regular expression ({e}):"
            " fix it in [cf_bulk_sync.reason_families] or your reason_families_file"
        ) from None


def read_rules(text: str, where: str) -> list[tuple[str, str]]:
    """The (pattern, family) rules of a CSV text with columns `pattern,family`."""
    rules = []
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    for number, row in enumerate(csv.reader(io.StringIO("\n".join(lines))), start=1):
        if number == 1 and [c.strip() for c in row] == ["pattern", "family"]:
            continue
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise ConfigurationError(
                f"{where}: row {row!r} is not `pattern,family`: give a pattern and a family,"
                " quoting a pattern that holds a comma"
            )
        rules.append((row[0].strip(), row[1].strip()))
    return rules


def shipped_rules() -> list[tuple[str, str]]:
    text = resources.files(__package__).joinpath(SHIPPED).read_text(encoding="utf-8")
    return read_rules(text, SHIPPED)


def user_rules() -> list[tuple[str, str]]:
    """The user's rules: those of the config table, then those of their CSV."""
    rules: list[tuple[str, str]] = []
    table: Any = dlt.config.get(CONFIG_RULES)
    if isinstance(table, str):
        try:
            table = json.loads(table)
        except json.JSONDecodeError:
            table = None
    if table is not None and not isinstance(table, dict):
        raise ConfigurationError(f'{CONFIG_RULES} must be a table of `"pattern" = "family"` lines')
    for pattern, family in (table or {}).items():
        if not isinstance(family, str) or not family.strip():
            raise ConfigurationError(f"{CONFIG_RULES}: {pattern!r} needs a family name")
        rules.append((str(pattern), family.strip()))
    path: Any = dlt.config.get(CONFIG_FILE)
    if path:
        file = Path(str(path)).expanduser()
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as e:
            raise ConfigurationError(
                f"{CONFIG_FILE} {str(file)!r} cannot be read ({e.strerror}): fix the path"
                " or remove the setting"
            ) from None
        rules += read_rules(text, str(file))
    return rules


def current_rules() -> FamilyRules:
    """The user's rules before the shipped ones."""
    return FamilyRules(tuple(user_rules() + shipped_rules()))
