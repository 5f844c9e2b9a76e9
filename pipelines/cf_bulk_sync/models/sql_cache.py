"""The SQL work of a build kept between processes: parsed trees and compiled statements.

A build that changed one job spends most of its time not in the warehouse but in sqlglot:
parsing the model files (about 0.1 s), rewriting and writing them in the destination's
dialect (loading that dialect alone takes about 0.05 s). Both results are kept in one file in
the pipeline's working folder:

- trees, keyed by a digest of the file's text and sqlglot's version, in sqlglot's JSON form
  (`sqlglot.serde`; a sixth of a parse to load);
- statements, for one build *shape*: a digest of everything a statement is compiled from (the
  models' SQL, the compiling code, sqlglot's version, the dialect, the tables' qualified
  names, which raw tables exist). Any change to one of those is another shape, compiled anew.
  Statements that name the changed jobs hold a placeholder (`incremental.PLACEHOLDER`).

JSON rather than pickle, and only classes of sqlglot's expression module are accepted, so a
file written by someone else can at most cost a parse, never run code; statements are only
ever read from the pipeline's own working folder, as dlt's state is. The cache is only an
optimisation: a file that cannot be read or written is ignored (and everything is compiled).
"""

import functools
import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.serde import dump, load

from ..errors import ModelError

CACHE_FILE = "sql_cache.json"
_DATA_TYPE = "DataType.Type"  # how serde names a data type's enum value
log = logging.getLogger(__name__)


class SqlCache:
    """Parses SQL files (DuckDB SQL) and keeps compiled statements, from `cache` when it holds
    them. Without `cache`, nothing is kept."""

    def __init__(self, cache: Path | None = None) -> None:
        self.cache = cache
        stored = _read(cache) if cache else {}
        self._stored = _entries(stored, "trees")
        self._in_file = set(self._stored)
        self._used: dict[str, Any] = {}
        # per tree: the tables a caller found in it (`tables`), so that a build whose
        # statements are all kept loads no tree at all
        self._tables = _entries(stored, "tables")
        self._tables_used: dict[str, list[str]] = {}
        self._statements = _entries(stored, "statements")
        self._shape: str | None = None
        self._compiled: dict[str, str] = {}
        self._compiled_before: dict[str, str] = {}

    def statements(self, *parts: object) -> None:
        """Statements from now on are those of the build shape `parts` make (see the module)."""
        text = "\n".join(map(str, (_code_digest(), sqlglot.__version__, *parts)))
        self._shape = hashlib.sha256(text.encode()).hexdigest()
        found = self._statements.get(self._shape)
        self._compiled_before = dict(found) if isinstance(found, dict) else {}
        self._compiled = dict(self._compiled_before)

    def statement(self, name: str, make: Callable[[], str]) -> str:
        """Statement `name` of the current shape: kept, or made by `make` and kept."""
        found = self._compiled.get(name)
        if not isinstance(found, str):
            log.debug("compiling %s (not in the cache)", name)
            found = self._compiled[name] = make()
        return found

    def tables(self, path: Path, find: Callable[[exp.Expression], set[str]]) -> set[str]:
        """The tables `find` names in the file's tree: kept with the tree, or found and kept."""
        key = _key(path.read_text())
        found = self._tables.get(key)
        if key in self._stored and isinstance(found, list):
            self._used[key] = self._stored[key]
        else:
            found = sorted(find(self.parse(path)))
        self._tables_used[key] = found
        return set(found)

    def parse(self, path: Path) -> exp.Expression:
        text = path.read_text()
        key = _key(text)
        payload = self._stored.get(key)
        tree = _loaded(payload) if payload is not None else None
        if tree is None:
            log.debug("parsing %s (not in the cache)", path.name)
            tree = _parse(path.name, text)
            payload = dump(tree)
            self._stored[key] = payload
        self._used[key] = payload
        return tree

    def save(self) -> None:
        """Writes the trees and the shape's statements used since this was made (only those, so
        that entries no longer used do not pile up), when they differ from the file's."""
        same = (
            self._used.keys() == self._in_file
            and self._tables_used == self._tables
            and self._compiled == self._compiled_before
        )
        if self.cache is None or same:
            return
        stored = {"trees": self._used, "tables": self._tables_used, "statements": {}}
        if self._shape is not None:
            stored["statements"] = {self._shape: self._compiled}
        temporary = self.cache.with_name(f".{self.cache.name}.{os.getpid()}")
        try:
            temporary.write_text(json.dumps(stored))
            os.replace(temporary, self.cache)  # atomic: a reader sees the old file or the new
        except OSError as e:
            log.debug("parsed SQL not cached in %s: %s", self.cache, e)
            temporary.unlink(missing_ok=True)


def _key(text: str) -> str:
    return hashlib.sha256(f"{sqlglot.__version__}\n{text}".encode()).hexdigest()


def parse(path: Path) -> exp.Expression:
    """One SQL file parsed, without a cache."""
    return _parse(path.name, path.read_text())


def _parse(name: str, text: str) -> exp.Expression:
    try:
        tree = sqlglot.parse_one(text, read="duckdb")
    except sqlglot.errors.ParseError as e:
        raise ModelError(f"{name} is not valid SQL: {e}") from None
    if tree is None:
        raise ModelError(f"{name} holds no query")
    return tree


def _expression_class(name: Any) -> bool:
    found = getattr(exp, name, None) if isinstance(name, str) and "." not in name else None
    return isinstance(found, type) and issubclass(found, exp.Expression)


def _read(cache: Path) -> dict[str, Any]:
    try:
        stored = json.loads(cache.read_text())
    except (OSError, ValueError):
        return {}
    return stored if isinstance(stored, dict) else {}


def _entries(stored: dict[str, Any], section: str) -> dict[str, Any]:
    found = stored.get(section)
    return found if isinstance(found, dict) else {}


@functools.cache
def _code_digest() -> str:
    """A digest of the code that compiles statements (this package's modules): another
    release, or an edited checkout, compiles anew."""
    digest = hashlib.sha256()
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(module.read_bytes())
    return digest.hexdigest()


def _loaded(payload: Any) -> exp.Expression | None:
    """The tree `payload` holds, or None when it is not one `dump` wrote: serde would import
    any module a dotted class name names and call what it finds, so only expression classes
    of `sqlglot.expressions` are let in."""
    try:
        for node in payload:
            name = node.get("c")
            if name is not None and name != _DATA_TYPE and not _expression_class(name):
                return None
        tree = load(payload)
    except Exception:  # noqa: BLE001 - a damaged entry is parsed again
        return None
    return tree if isinstance(tree, exp.Expression) else None
