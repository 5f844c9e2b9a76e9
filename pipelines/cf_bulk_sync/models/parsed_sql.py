"""The SQL files parsed by sqlglot, kept between processes.

Parsing the model files takes about 0.1 s: a fifth of a build that changed one job. Loading the
same trees from sqlglot's JSON form (`sqlglot.serde`) takes a sixth of that, so a build keeps
the trees of the texts it parsed in one file (in the pipeline's working folder), keyed by a
digest of the text and sqlglot's version: an edited file, or another sqlglot, is parsed again.
JSON rather than pickle, and only classes of sqlglot's expression module are accepted, so a
file written by someone else can at most cost a parse, never run code. The cache is only ever
an optimisation: a file that cannot be read or written is ignored (and parsed as before).
"""

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.serde import dump, load

from ..errors import ModelError

CACHE_FILE = "parsed_models.json"
_DATA_TYPE = "DataType.Type"  # how serde names a data type's enum value
log = logging.getLogger(__name__)


class ParsedSql:
    """Parses SQL files (DuckDB SQL), from `cache` when it holds the same text's tree.

    Each call returns a tree of its own, which the caller may change."""

    def __init__(self, cache: Path | None = None) -> None:
        self.cache = cache
        self._stored = _read(cache) if cache else {}
        self._in_file = set(self._stored)
        self._used: dict[str, Any] = {}

    def parse(self, path: Path) -> exp.Expression:
        text = path.read_text()
        key = hashlib.sha256(f"{sqlglot.__version__}\n{text}".encode()).hexdigest()
        payload = self._stored.get(key)
        tree = _loaded(payload) if payload is not None else None
        if tree is None:
            tree = _parse(path.name, text)
            payload = dump(tree)
            self._stored[key] = payload
        self._used[key] = payload
        return tree

    def save(self) -> None:
        """Writes the trees parsed or used since this was made (and only those, so that trees
        of texts no longer used do not pile up), when they differ from the file's."""
        if self.cache is None or self._used.keys() == self._in_file:
            return
        temporary = self.cache.with_name(f".{self.cache.name}.{os.getpid()}")
        try:
            temporary.write_text(json.dumps({"trees": self._used}))
            os.replace(temporary, self.cache)  # atomic: a reader sees the old file or the new
        except OSError as e:
            log.debug("parsed SQL not cached in %s: %s", self.cache, e)
            temporary.unlink(missing_ok=True)


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
        trees = json.loads(cache.read_text()).get("trees")
    except (OSError, ValueError, AttributeError):
        return {}
    return trees if isinstance(trees, dict) else {}


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
