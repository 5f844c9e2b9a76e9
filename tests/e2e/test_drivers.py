"""A destination whose Python driver is not installed: one line naming the extra to install,
exit 2, before any request (the driver hidden from the installed console script)."""

from pathlib import Path

import pytest

from cf_bulk_sync.simulator import Simulator

from ..support.cli import cli, cli_env
from ..support.hidden_modules import hidden_modules_env

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("args", "hidden", "credentials", "line"),
    [
        pytest.param(
            ("run", "--destination", "postgres"),
            ("psycopg2",),
            {"DESTINATION__POSTGRES__CREDENTIALS": "postgresql://loader:pw@127.0.0.1:9/w"},
            "destination postgres needs the Python module psycopg2, which is not installed:"
            ' pip install "cf-bulk-sync[postgres]"',
            id="postgres-psycopg2",
        ),
        pytest.param(
            ("run", "--destination", "sqlalchemy"),
            ("pymysql",),
            {"DESTINATION__SQLALCHEMY__CREDENTIALS": "mysql+pymysql://root@127.0.0.1:9/w"},
            "destination sqlalchemy needs the Python module pymysql, which is not installed:"
            ' pip install "cf-bulk-sync[mysql]"',
            id="mysql-pymysql",
        ),
        pytest.param(
            ("report", "--destination", "sqlalchemy"),
            ("sqlalchemy",),
            {"DESTINATION__SQLALCHEMY__CREDENTIALS": "mysql+pymysql://root@127.0.0.1:9/w"},
            "destination sqlalchemy needs the Python module sqlalchemy, which is not installed:"
            ' pip install "cf-bulk-sync[mysql]"',
            id="report-sqlalchemy",
        ),
    ],
)
def test_a_missing_driver_names_the_extra(
    simulator: Simulator,
    tmp_path: Path,
    args: tuple[str, ...],
    hidden: tuple[str, ...],
    credentials: dict[str, str],
    line: str,
) -> None:
    env = cli_env(simulator, tmp_path, **credentials)
    env.update(hidden_modules_env(tmp_path / "hide", *hidden))
    result = cli(*args, env=env, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == f"cf-bulk-sync: error: {line}\n"
    assert simulator.counts["jobs"] == 0  # nothing was asked of the API
