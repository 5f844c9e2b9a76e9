"""The line for a destination's missing driver: our extra where there is one, else dlt's."""

import pytest
from dlt.common.exceptions import MissingDependencyException

from cf_bulk_sync.loading.drivers import missing_driver


def dlt_refusal(module: str) -> MissingDependencyException:
    """dlt's own exception for a missing driver: it names no module, the import behind it does."""
    refusal = MissingDependencyException("sqlalchemy destination", ["dlt[sqlalchemy]"])
    # as dlt raises it inside `except ImportError:`, the import's error is its context
    refusal.__context__ = ModuleNotFoundError(f"No module named '{module}'", name=module)
    return refusal


@pytest.mark.parametrize(
    ("destination", "error", "install"),
    [
        pytest.param(
            "postgres",
            ModuleNotFoundError("No module named 'psycopg2'", name="psycopg2"),
            'psycopg2, which is not installed: pip install "cf-bulk-sync[postgres]"',
            id="ours-postgres",
        ),
        pytest.param(
            "sqlalchemy",
            dlt_refusal("pymysql"),
            'the Python module pymysql, which is not installed: pip install "cf-bulk-sync[mysql]"',
            id="module-behind-dlts-exception",
        ),
        pytest.param(
            "clickhouse",
            ModuleNotFoundError("No module named 'clickhouse_connect'", name="clickhouse_connect"),
            'clickhouse_connect, which is not installed: pip install "dlt[clickhouse]"',
            id="dlts-extra",
        ),
        pytest.param(
            "lancedb",
            MissingDependencyException("lancedb destination", ["dlt[lancedb]>=1.0"]),
            'a Python package, which is not installed: pip install "dlt[lancedb]>=1.0"',
            id="dlts-dependency",
        ),
    ],
)
def test_the_line_names_what_to_install(destination: str, error: ImportError, install: str) -> None:
    line = missing_driver(destination, error)
    assert line.startswith(f"destination {destination} needs ") and line.endswith(install)
