"""The Python driver a destination needs, checked before a command starts: a missing one is one
line naming what to install, not dlt's `ModuleNotFoundError: No module named 'psycopg2'` from
the middle of a sync.

A destination's dlt client imports its driver (psycopg2 for postgres, sqlalchemy for
sqlalchemy ...); a SQLAlchemy URL's dialect imports its own (pymysql for `mysql+pymysql://`)
only when it connects, so that one is imported here from the configured URL's driver name.
"""

from typing import Any

import dlt

from ..errors import MissingDriverError

# the extras of cf-bulk-sync that install a destination's driver (pyproject.toml)
EXTRA_OF_DESTINATION = {"postgres": "postgres", "sqlalchemy": "mysql"}
EXTRA_OF_MODULE = {
    "psycopg2": "postgres",
    "sqlalchemy": "mysql",
    "pymysql": "mysql",
    "MySQLdb": "mysql",
}


def require_driver(pipeline: dlt.Pipeline) -> None:
    """Imports what `pipeline`'s destination needs to connect; raises `MissingDriverError`
    naming the package to install when a module is missing."""
    name = pipeline.destination.destination_name
    try:
        pipeline.destination.client_class  # noqa: B018 - the property imports the client
        if pipeline.destination.destination_type == "dlt.destinations.sqlalchemy":
            _import_dialect_driver(pipeline)
    except ImportError as e:
        raise MissingDriverError(missing_driver(name, e)) from None


def missing_driver(destination: str, error: ImportError) -> str:
    """The line for `error`, an import that failed for `destination`."""
    module = _module_of(error)
    extra = EXTRA_OF_MODULE.get(module) or EXTRA_OF_DESTINATION.get(destination)
    dependencies = list(getattr(error, "dependencies", None) or [])  # dlt's own exception
    if extra is not None:
        install = f'pip install "cf-bulk-sync[{extra}]"'
    elif dependencies:
        install = f'pip install "{dependencies[0]}"'
    else:
        install = f'pip install "dlt[{destination}]"'
    what = f"the Python module {module}" if module else "a Python package"
    return f"destination {destination} needs {what}, which is not installed: {install}"


def _module_of(error: BaseException) -> str:
    """The top-level module whose import failed ('' when the error does not say); dlt's
    `MissingDependencyException` names none, but the import it caught does."""
    seen: BaseException | None = error
    while seen is not None:
        name = getattr(seen, "name", None) if isinstance(seen, ImportError) else None
        if name:
            return str(name).split(".")[0]
        seen = seen.__cause__ or seen.__context__
    return ""


def _import_dialect_driver(pipeline: dlt.Pipeline) -> None:
    """Imports the DBAPI module of the configured SQLAlchemy URL (pymysql for mysql+pymysql);
    nothing when the credentials are not resolved yet (the run's own error names them)."""
    from sqlalchemy.engine import URL

    try:
        credentials: Any = pipeline.destination_client().config.credentials
        drivername = str(credentials.drivername)
    except ImportError:
        raise
    except Exception:  # noqa: BLE001 - missing credentials: reported where they are used
        return
    dialect: Any = URL.create(drivername).get_dialect()
    dialect.import_dbapi()
