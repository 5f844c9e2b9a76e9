"""How each model is written into the reporting dataset: staging as views (no raw row copied),
marts as tables, replaced whole or, for marts built per job, updated by delete+insert of the
changed jobs' rows (see `incremental` for which jobs and when)."""

import contextlib
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from ..errors import ModelError
from .dialects import create_table_sql, create_view_sql
from .incremental import KEY, filled
from .model import Model

# a model's statement, compiled for the destination (or kept from an earlier build)
Statement = Callable[[Model], str]


def create_sql(model: Model, target: str, select: exp.Expression, dialect: str) -> str:
    """The statement that creates `model` as `target`: a view or a table (see `Model`)."""
    if model.is_view:
        return create_view_sql(target, select, dialect)
    return create_table_sql(target, select, dialect)


def replace(client: Any, model: Model, target: str, create: str) -> None:
    """Drops what `target` was and creates it again (`create`), in one transaction."""
    kind, other = ("VIEW", "TABLE") if model.is_view else ("TABLE", "VIEW")
    # staging was a table before it was a view: drop what an older version made. The statement
    # fails when `target` is of the kind we make; it is dropped below then.
    with contextlib.suppress(Exception):
        client.execute_sql(f"DROP {other} IF EXISTS {target}")
    with client.begin_transaction():
        run(model, client.execute_sql, f"DROP {kind} IF EXISTS {target}")
        run(model, client.execute_sql, create)


def update_marts(
    client: Any,
    models: list[Model],
    targets: dict[str, str],
    create: Statement,
    insert: Statement,
    values: str,
) -> None:
    """Inside the caller's transaction: each per-job mart loses the rows of the changed jobs
    (`values`: what `job_id in (...)` holds, see `incremental.member_values`) and gets them
    again from its inputs narrowed to those jobs (`insert`); every other mart is re-aggregated
    whole from them (`create`)."""
    for model in models:
        if model.is_view:
            continue
        target = targets[model.name]
        if model.key is None:  # a re-aggregate of the per-job marts: small
            run(model, client.execute_sql, f"DROP TABLE IF EXISTS {target}")
            run(model, client.execute_sql, create(model))
            continue
        run(model, client.execute_sql, f"DELETE FROM {target} WHERE {KEY} IN ({values})")
        run(model, client.execute_sql, filled(insert(model), values))


def run(model: Model, execute: Callable[[str], Any], sql: str) -> None:
    try:
        execute(sql)
    except Exception as e:  # noqa: BLE001 - name the model that failed
        raise ModelError(f"building {model.path.name} failed: {e}") from e
