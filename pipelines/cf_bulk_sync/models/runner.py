"""Builds the SQL models in the pipeline's destination and runs the assertions.

Models are plain DuckDB SQL that name raw tables and other models without a schema. Each is
parsed once with sqlglot: the names it reads give the build order, raw tables are qualified
with the pipeline's dataset and models with the reporting dataset (dlt's own quoting), and the
result is written in the destination's SQL dialect (see `dialects`: a dialect the models are
not known to be right in is refused, never sent DuckDB SQL).
"""

import functools
import logging
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any, cast

import dlt
import sqlglot
from sqlglot import exp

from ..errors import ModelError
from ..loading.lake import is_lake
from ..source import settings
from . import incremental, materialize, reason_texts
from .dialects import dialect_of, portable
from .model import Model
from .relations import qualified, reporting_dataset
from .sql_cache import CACHE_FILE, SqlCache
from .sql_files import assertion_files, model_files, sql_root

log = logging.getLogger(__name__)
SHOWN_ROWS = 5

# The raw tables the models read, with their declared columns: a table that has not received
# data yet is read as an empty relation of the same shape, so models build from the first run.
RAW_TABLES: dict[str, Mapping[str, Mapping[str, Any]]] = {
    settings.JOBS_TABLE: settings.JOB_COLUMNS,
    settings.MESSAGES_TABLE: settings.MESSAGE_COLUMNS,
    settings.DELETIONS_TABLE: settings.DELETION_COLUMNS,
    settings.SNAPSHOTS_TABLE: settings.SNAPSHOT_COLUMNS,
    settings.SYNC_STATE_TABLE: settings.SYNC_STATE_COLUMNS,
    settings.REJECTED_TABLE: settings.REJECTED_COLUMNS,
    # not the API's: derived from the messages before every build (see reason_texts)
    reason_texts.TABLE: reason_texts.COLUMNS,
}
_EMPTY_TYPES = {"timestamp": "timestamp with time zone", "bigint": "bigint", "bool": "boolean"}


# (table, dataset) -> the table's qualified, quoted name; dataset None is the raw dataset
Qualify = Callable[[str, str | None], str]
# the raw tables that exist, each with the declared columns it lacks (a column declared by a
# later release than the one that created the table: read as null until data brings it)
Present = dict[str, tuple[str, ...]]

ERROR, WARN = "error", "warn"
# An assertion declares its severity in a comment line of its own file: `-- severity: warn`.
_SEVERITY = re.compile(r"^\s*--\s*severity:\s*(\w+)\s*$", re.MULTILINE)


@dataclass
class AssertionResult:
    name: str
    columns: list[str]
    rows: list[tuple[Any, ...]]
    severity: str = ERROR

    @property
    def passed(self) -> bool:
        return not self.rows


@dataclass
class BuildResult:
    dataset: str
    built: list[str] = field(default_factory=list)
    assertions: list[AssertionResult] = field(default_factory=list)
    # how the marts were updated: every row (`full`, and why) or the changed jobs' rows only
    full: bool = True
    reason: str = ""
    changed_jobs: int | None = None
    # status messages the build derived and loaded itself (the sync loads those it fetched)
    derived_texts: int = 0

    @property
    def failed_assertions(self) -> list[AssertionResult]:
        return [a for a in self.assertions if not a.passed]

    @property
    def blocking_failures(self) -> list[AssertionResult]:
        """Failed checks of severity `error`: they fail the run."""
        return [a for a in self.failed_assertions if a.severity == ERROR]

    @property
    def warnings(self) -> list[AssertionResult]:
        """Failed checks of severity `warn`: reported, never blocking."""
        return [a for a in self.failed_assertions if a.severity == WARN]


def load_models(sql_dir: Path | None = None, cache: SqlCache | None = None) -> list[Model]:
    """Every model file, in an order where each model comes after the models it reads."""
    cache = cache or SqlCache()
    models: dict[str, Model] = {}
    for path in model_files(sql_dir or sql_root()):
        key = incremental.incremental_key(path) if path.parent.name != "staging" else None
        reads = cache.tables(path, _tables_read)
        models[path.stem] = Model(path.stem, path, functools.partial(cache.parse, path), reads, key)
    graph = {name: model.reads & models.keys() for name, model in models.items()}
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as e:
        raise ModelError(f"models read each other in a cycle: {e.args[1]}") from None
    for model in models.values():
        unknown = model.reads - models.keys() - RAW_TABLES.keys()
        if unknown:
            names = ", ".join(sorted(unknown))
            raise ModelError(f"{model.path.name} reads unknown tables: {names}")
    by_job = {m.name for m in models.values() if m.is_view or m.key}
    for model in models.values():
        if model.key:
            incremental.check_inputs(model.path.name, model.reads, by_job)
    return [models[name] for name in order]


def build_models(
    pipeline: dlt.Pipeline,
    run_assertions: bool = True,
    sql_dir: Path | None = None,
    full: bool = False,
) -> BuildResult:
    """Builds the models in the reporting dataset (staging as views, marts as tables), then
    runs the assertions. The marts are updated for the jobs changed since the last build, or
    rebuilt whole when `full` or when `incremental.plan` says so."""
    sql_dir = sql_dir or sql_root()
    cache = SqlCache(Path(pipeline.working_dir) / CACHE_FILE)
    models = load_models(sql_dir, cache)
    build = _Build(sql_dir, models, BuildResult(reporting_dataset(pipeline)), run_assertions)
    fingerprints = {m.name: incremental.fingerprint(m.path) for m in models}
    # One connection for the whole build: opening one costs about as much as updating the marts
    # for a changed job. A second is opened only after new failure texts were loaded by dlt.
    warehouse = _warehouse(pipeline)
    with warehouse.destination_client() as job_client:
        client = job_client.sql_client
        present = present_raw_tables(job_client)
        # before anything is written: an unknown dialect never gets DuckDB SQL
        dialect = dialect_of(client)
        targets = {
            m.name: qualified(client, m.name, build.result.dataset)
            for m in [*models, *_record_tables()]
        }
        plan = incremental.plan(client, fingerprints, dialect, full, targets, models)
        # texts of messages loaded before `since` were derived by an earlier build
        texts = reason_texts.underived_texts(client, present, None if plan.full else plan.since)
        if not texts:
            build.run(client, plan, fingerprints, targets, present, dialect, cache)
    if texts:
        reason_texts.load_reason_texts(pipeline, texts)
        build.result.derived_texts = len(texts)
        present[reason_texts.TABLE] = ()
        with warehouse.sql_client() as client:
            build.run(client, plan, fingerprints, targets, present, dialect, cache)
    cache.save()
    return build.result


def _warehouse(pipeline: dlt.Pipeline) -> Any:
    """Where the models are built: the pipeline's destination, or for a lake (dlt's filesystem
    destination) DuckDB laid out over its Delta tables (see `lake`)."""
    if not is_lake(pipeline):
        return pipeline
    from .lake import warehouse_of  # deltalake is an extra: imported for a lake only

    return warehouse_of(pipeline)


@dataclass
class _Build:
    """The models written through one open SQL client, then the assertions run."""

    sql_dir: Path
    models: list[Model]
    result: BuildResult
    run_assertions: bool

    def run(
        self,
        client: Any,
        plan: incremental.Plan,
        fingerprints: dict[str, str],
        targets: dict[str, str],
        present: Present,
        dialect: str,
        cache: SqlCache,
    ) -> None:
        models, result = self.models, self.result
        names = {m.name for m in models}
        by_job = {m.name for m in models if m.is_view or m.key}

        def qualify(table: str, dataset: str | None) -> str:
            return ".".join(client.make_qualified_table_name_path(table, dataset_name=dataset))

        def compiled(tree: exp.Expression, name: str) -> exp.Expression:
            # each tree is compiled once per build: a model's (parsed for this build) or one
            # `incremental.filtered_inputs` made of it, so it is rewritten in place
            known = names | {incremental.CHANGED_TABLE}
            return compile_query(
                tree, name, known, present, qualify, result.dataset, dialect, copy=False
            )

        def create(model: Model) -> str:
            def make() -> str:
                select = compiled(model.tree, model.name)
                return materialize.create_sql(model, targets[model.name], select, dialect)

            return cache.statement(f"create {model.name}", make)

        def insert(model: Model) -> str:
            def make() -> str:
                tree = incremental.filtered_inputs(model.tree, by_job, incremental.placeholder())
                select = compiled(tree, model.name).sql(dialect=dialect)
                return f"INSERT INTO {targets[model.name]} {select}"

            return cache.statement(f"insert {model.name}", make)

        # everything the statements are compiled from (see sql_cache)
        cache.statements(
            dialect,
            result.dataset,
            sorted(fingerprints.items()),
            sorted(targets.items()),
            sorted((t, qualify(t, None), missing) for t, missing in present.items()),
            # what an absent raw table's empty relation is made of: names and types only (dlt
            # adds hints, such as each column's name, to the dicts it is given)
            [
                (t, c, str(h.get("data_type")))
                for t, cs in RAW_TABLES.items()
                for c, h in cs.items()
            ],
            [(p.name, p.read_text()) for p in assertion_files(self.sql_dir)],
        )
        with client.with_alternative_dataset_name(result.dataset):
            if not client.has_dataset():
                client.create_dataset()
        jobs = _build(client, models, plan, fingerprints, targets, present, result, create, insert)
        result.built = [m.name for m in models]
        if not self.run_assertions:
            return
        for path in assertion_files(self.sql_dir):
            # per-job checks of an incremental build: the changed jobs, named as literals
            per_job = jobs is not None and incremental.incremental_key(path) is not None

            def check(path: Path = path, per_job: bool = per_job) -> str:
                tree = cache.parse(path)
                if per_job:
                    incremental.check_inputs(path.name, _tables_read(tree), by_job)
                    tree = incremental.filtered_inputs(tree, by_job, incremental.placeholder())
                tree = compile_query(
                    tree, path.stem, names, present, qualify, result.dataset, dialect, copy=False
                )
                offending = cast(exp.Query, tree).subquery("offending")  # assertions are queries
                return exp.select("*").from_(offending).limit(SHOWN_ROWS).sql(dialect=dialect)

            sql = cache.statement(f"{'check-jobs' if per_job else 'check'} {path.stem}", check)
            if per_job:
                sql = incremental.filled(sql, incremental.member_values(jobs or [], ""))
            with client.execute_query(sql) as cursor:
                # dlt's own column list: SQLAlchemy's cursor has no DB-API description
                columns = list(cursor.columns_schema)
                rows = [tuple(r) for r in cursor.fetchall()]
            result.assertions.append(AssertionResult(path.stem, columns, rows, severity_of(path)))


def _record_tables() -> list[Model]:
    """Stand-ins naming the tables `incremental` keeps beside the models."""
    return [
        Model(name, Path(name), exp.Null, set())
        for name in (incremental.STATE_TABLE, incremental.CHANGED_TABLE)
    ]


def _build(
    client: Any,
    models: list[Model],
    plan: incremental.Plan,
    fingerprints: dict[str, str],
    targets: dict[str, str],
    present: Present,
    result: BuildResult,
    create: materialize.Statement,
    insert: materialize.Statement,
) -> list[str] | None:
    """Writes the models whole (`plan.full`) or the marts for the changed jobs, then the
    record of what the marts now cover. Returns the changed jobs when few enough to name
    (`incremental.INLINED_JOBS`), else None (and None after a full build)."""
    state, changed = targets[incremental.STATE_TABLE], targets[incremental.CHANGED_TABLE]
    # read before building: a load finishing later is covered by the next build
    loaded_through = incremental.newest_load_id(client, qualified(client, "_dlt_loads"))
    result.full, result.reason = plan.full, plan.reason
    for model in models:
        # views always: compiled against the raw tables present now (one that received its
        # first rows since the last build was an empty relation then)
        if model.is_view or plan.full:
            materialize.replace(client, model, targets[model.name], create(model))
    jobs: list[str] = []
    if not plan.full:
        raw = {t: qualified(client, t) for t in incremental.JOB_TABLES if t in present}
        client.execute_sql(f"DROP TABLE IF EXISTS {changed}")
        client.execute_sql(incremental.changed_jobs_sql(changed, raw, plan.since))
        with client.execute_query(f"select {incremental.KEY} from {changed}") as cursor:
            jobs = [str(row[0]) for row in cursor.fetchall()]
        result.changed_jobs = len(jobs)
    # one transaction: a failed update leaves the marts and their record as they were
    with client.begin_transaction():
        if jobs:
            values = incremental.member_values(jobs, changed)
            materialize.update_marts(client, models, targets, create, insert, values)
        for statement in incremental.record_sql(state, fingerprints, loaded_through):
            client.execute_sql(statement)
    if not plan.full:
        client.execute_sql(f"DROP TABLE IF EXISTS {changed}")
    log.info("models: %s (%s)", "full rebuild" if plan.full else "incremental", plan.reason)
    return None if plan.full or len(jobs) > incremental.INLINED_JOBS else jobs


def severity_of(path: Path) -> str:
    """The severity an assertion file declares; `error` when it declares none."""
    found = _SEVERITY.search(path.read_text())
    severity = found.group(1).lower() if found else ERROR
    if severity not in (ERROR, WARN):
        raise ModelError(f"{path.name}: severity must be {ERROR} or {WARN}, not {severity!r}")
    return severity


def _tables_read(tree: exp.Expression) -> set[str]:
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return {t.name for t in tree.find_all(exp.Table) if t.name not in ctes}


def present_raw_tables(job_client: Any) -> Present:
    """The raw tables that exist in the destination (an open dlt job client's), each with the
    declared columns it lacks."""
    return {
        name: tuple(c for c in RAW_TABLES[name] if c not in columns)
        for name, columns in job_client.get_storage_tables(RAW_TABLES)
        if columns
    }


def compile_query(
    tree: exp.Expression,
    name: str,
    models: set[str],
    present: Present | Collection[str],
    qualify: Qualify,
    reporting: str,
    dialect: str,
    copy: bool = True,
) -> exp.Expression:
    """A model or assertion ready for `dialect`: every table it reads qualified (`qualify`
    names a table in a dataset, None for the raw dataset), a raw table without data made an
    empty relation, the declared columns a present one lacks added as nulls (`present` as
    `Present`; a plain collection of names says none lacks any), and rewritten to mean the
    same in the dialect (`dialects.portable`).
    Not `copy`: `tree` itself is rewritten (a copy of a model's tree costs more than the
    statement it becomes in a one-job build)."""
    tree = tree.copy() if copy else tree
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for table in list(tree.find_all(exp.Table)):
        if table.name in ctes:
            continue
        if table.name in models:
            path = qualify(table.name, reporting)
        elif table.name in present:
            path = qualify(table.name, None)
            missing = present.get(table.name, ()) if isinstance(present, Mapping) else ()
            if missing:
                table.replace(_with_columns(path, table.name, missing, table, dialect))
                continue
        elif table.name in RAW_TABLES:
            table.replace(_empty_relation(table.name, table.alias_or_name))
            continue
        else:
            raise ModelError(f"{name} reads unknown table {table.name}")
        qualified = exp.to_table(path, dialect=dialect)
        if table.alias:
            qualified.set("alias", table.args["alias"])
        table.replace(qualified)
    return portable(tree, dialect, copy=False)


def _with_columns(
    path: str, name: str, missing: tuple[str, ...], table: exp.Table, dialect: str
) -> exp.Expression:
    """A raw table read with the declared columns it lacks, as nulls of their types."""
    nulls = ", ".join(
        f"cast(null as {_EMPTY_TYPES.get(str(RAW_TABLES[name][c].get('data_type')), 'varchar')})"
        f" as {c}"
        for c in missing
    )
    select = cast(exp.Select, sqlglot.parse_one(f"select *, {nulls} from t", read="duckdb"))
    select.args["from_"].this.replace(exp.to_table(path, dialect=dialect))
    return select.subquery(table.alias_or_name)


def _empty_relation(table: str, alias: str) -> exp.Expression:
    columns = ", ".join(
        f"cast(null as {_EMPTY_TYPES.get(str(hint.get('data_type')), 'varchar')}) as {column}"
        for column, hint in RAW_TABLES[table].items()
    )
    return sqlglot.parse_one(f"(select {columns} where 1 = 0) as {alias}", read="duckdb")


def describe_failure(assertion: AssertionResult, limit: int | None = SHOWN_ROWS) -> str:
    rows = assertion.rows[:limit]
    shown = "; ".join(
        ", ".join(f"{c}={v}" for c, v in zip(assertion.columns, row, strict=False)) for row in rows
    )
    more = "+" if len(assertion.rows) >= SHOWN_ROWS else ""
    return f"assertion {assertion.name} failed ({len(assertion.rows)}{more} rows): {shown}"
