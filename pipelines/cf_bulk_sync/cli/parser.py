"""The command line's words: commands, options, help texts and the exit-code epilog."""

import argparse

from .. import __version__
from ..ops.progress import DEFAULT_INTERVAL, MODES
from ..simulator.drift import DRIFT_KINDS
from ..vocabulary import ACTION_TYPES, MESSAGE_STATUSES

DESCRIPTION = """\
Sync Cloudflare Email Security bulk action jobs and the messages of each job into a warehouse
(DuckDB by default, or any dlt destination), incrementally: jobs that had settled when they
were last synced are not fetched again.

Configuration comes from dlt (.dlt/config.toml, .dlt/secrets.toml, environment variables under
SOURCES__CLOUDFLARE_EMAIL_SECURITY__*) or from Cloudflare's usual variables CLOUDFLARE_API_TOKEN,
CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_BASE_URL; options given here win.
"""

EXIT_CODES = """\
exit codes: 0 complete, every blocking data check passed; 1 configuration or fatal API error
(nothing half-marked: the next run picks up where it stopped); 2 bad command line; 3 partial:
some jobs not fetched (named in the summary), the rest loaded and recorded; 4 a blocking data
check failed on complete data (named, with its first offending rows); 5 another run of the
same pipeline holds the lock, or the DuckDB warehouse is busy past its wait (this run changed
nothing); 130 / 143 stopped by SIGINT / SIGTERM (what was fetched is loaded; the next run
fetches the rest)
"""

READER_NOTE = """
A DuckDB warehouse is opened read-only and never created. While a sync writes it, this waits
up to reader_wait_seconds (default 10; CF_BULK_SYNC__READER_WAIT_SECONDS), then says so in one
line and exits 5; a sync starting meanwhile waits for this to finish."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cf-bulk-sync",
        description=DESCRIPTION,
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="sync jobs and messages into the destination",
        description="Sync jobs and their messages, then print a run summary.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--account-id",
        action="append",
        metavar="ID",
        help="account to sync (32 hex characters); repeat for several [CLOUDFLARE_ACCOUNT_ID]",
    )
    run.add_argument(
        "--job-id", action="append", metavar="UUID", help="sync only this job; repeat for several"
    )
    run.add_argument("--status", choices=MESSAGE_STATUSES, help="sync only messages in STATUS")
    run.add_argument("--action-type", choices=ACTION_TYPES, help="sync only jobs of this type")
    _destination_options(run)
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="fetch every job's messages again, settled or not",
    )
    run.add_argument(
        "--progress",
        choices=MODES,
        default="auto",
        help="progress on stderr: bar (a live line), log (a line every --progress-seconds),"
        " none; auto (default): bar on a terminal, log otherwise",
    )
    run.add_argument(
        "--progress-seconds",
        type=float,
        default=DEFAULT_INTERVAL,
        metavar="N",
        help=f"seconds between progress log lines (default {DEFAULT_INTERVAL:g})",
    )
    run.add_argument("--quiet", action="store_true", help="no progress (same as --progress none)")
    run.add_argument(
        "--json",
        action="store_true",
        help="print the run's result as one JSON object on stdout (the summary goes to stderr)",
    )
    run.add_argument(
        "--summary-json",
        metavar="FILE",
        help="also write the run's result as one JSON object to FILE",
    )
    run.add_argument(
        "--no-models", action="store_true", help="do not build the SQL models after loading"
    )
    run.add_argument(
        "--warn-only",
        action="store_true",
        help="report failing data assertions as warnings (exit 0, not 4)",
    )
    run.add_argument(
        "--publish",
        metavar="DIR",
        help="after a good run, write a read-only copy for BI tools to DIR: a"
        " snapshot DuckDB file and Parquet files of the marts (DuckDB only)",
    )

    models = commands.add_parser(
        "models",
        help="build the SQL models and run the data assertions",
        description="Rebuild every model of sql/ in the dataset <dataset>_reporting of the"
        " destination, then run sql/assertions.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _destination_options(models)
    models.add_argument(
        "--full",
        action="store_true",
        help="rebuild every mart from all history (by default only the jobs loaded since the"
        " last build are updated; a changed model rebuilds everything by itself)",
    )
    models.add_argument(
        "--warn-only",
        action="store_true",
        help="report failing data assertions as warnings (exit 0, not 4)",
    )

    report = commands.add_parser(
        "report",
        help="print status counts per job, failures by family and the top failure reasons",
        description="Read the marts and print the messages per job and status, FAILED messages"
        " by reason family, and the most frequent reasons of FAILED messages (SKIPPED and"
        " CANCELLED apart). Run after `run` or `models`." + READER_NOTE,
    )
    _destination_options(report)
    report.add_argument(
        "--job-id",
        action="append",
        metavar="ID",
        help="only this job: its id or a unique prefix of it (the table's first 8 characters"
        " will do); repeat for several",
    )
    report.add_argument("--top", type=int, default=10, help="failure reasons to show")
    report.add_argument(
        "--family",
        metavar="FAMILY",
        help="only the reasons of this family (e.g. 'throttling/quota'; the families are those"
        " of the table 'FAILED messages by reason family')",
    )
    report.add_argument(
        "--unknown-reasons",
        action="store_true",
        help="list the reasons no family rule matched (family other), with an example text each",
    )

    dashboard = commands.add_parser(
        "dashboard",
        help="write a self-contained HTML dashboard of the marts",
        description="Write one HTML file (data and script inline, works offline) of the jobs,"
        " their statuses, failure reasons, the daily failure rate and the sync's health, with"
        " filters. Run after `run`." + READER_NOTE,
    )
    _destination_options(dashboard)
    dashboard.add_argument(
        "--out",
        default="cf_bulk_sync_dashboard.html",
        help="file to write (default cf_bulk_sync_dashboard.html)",
    )
    dashboard.add_argument("--top", type=int, default=10, help="failure reasons to list")

    check = commands.add_parser(
        "check",
        help="check the configuration, token, accounts, destination, lock and last run",
        description="Show the effective configuration and where each value comes from"
        " (secrets only as set), then check what a run needs, one line each: the token"
        " (Cloudflare's verify endpoints), read access to each account's bulk action jobs,"
        " the destination (a table created and dropped), the run lock and the last run.",
        epilog="exit codes: 0 a run would start; 1 a check failed (its fix is printed);"
        " 5 another run holds the lock",
    )
    check.add_argument(
        "--account-id",
        action="append",
        metavar="ID",
        help="account to check (32 hex characters); repeat for several [CLOUDFLARE_ACCOUNT_ID]",
    )
    check.add_argument(
        "--repair",
        action="store_true",
        help="delete the load packages set aside after failing every attempt (see the check"
        " `set-aside packages`); their rows were fetched again",
    )
    _destination_options(check)

    demo = commands.add_parser(
        "demo",
        help="run the sync offline against the built-in simulator",
        description="Start the Cloudflare API simulator on 127.0.0.1, sync it into a local"
        " DuckDB file, let time move, sync again incrementally and show the results."
        " Needs no account and no network.",
    )
    demo.add_argument(
        "--dir",
        default="cf_bulk_sync_demo",
        help="folder for the demo's DuckDB file and dlt state (recreated)",
    )
    demo.add_argument("--jobs", type=int, default=24, help="jobs in the simulated account")
    demo.add_argument("--seed", type=int, default=7, help="seed of the simulated data")

    sim = commands.add_parser(
        "simulate",
        help="serve the Cloudflare API simulator until interrupted",
        description="Serve a simulated account on 127.0.0.1 for trying the sync by hand.",
    )
    sim.add_argument("--port", type=int, default=8787, help="port (0 picks a free one)")
    sim.add_argument("--jobs", type=int, default=24, help="jobs in the simulated account")
    sim.add_argument("--min-messages", type=int, default=0, help="fewest messages per job")
    sim.add_argument("--max-messages", type=int, default=300, help="most messages per job")
    sim.add_argument("--seed", type=int, default=7, help="seed of the simulated data")
    sim.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        help="share of requests (0..1) answered with a fault",
    )
    sim.add_argument("--latency", type=float, default=0.0, help="added seconds per request")
    sim.add_argument(
        "--drift",
        action="append",
        choices=DRIFT_KINDS,
        default=[],
        metavar="KIND",
        help=f"serve the API drifted this way; repeat for several: {', '.join(DRIFT_KINDS)}",
    )
    dbt_package = commands.add_parser(
        "dbt-package",
        help="write the SQL models as a dbt package",
        description="Write the models, the assertions (as tests) and the column docs of sql/"
        " as a dbt package into DIR, for a dbt project's packages.yml. The raw dataset is the"
        " dbt variable cf_bulk_sync_schema. dbt itself is not needed to write it.",
    )
    dbt_package.add_argument("dir", metavar="DIR", help="folder to write the package to")
    compile_ = commands.add_parser(
        "compile",
        help="print or write the models' SQL for a dialect",
        description="Compile every model of sql/ for a SQL dialect, as `models` runs it on a"
        " destination of that dialect (a full build): one CREATE statement per model, in build"
        " order. Needs no destination and no data; every raw table is assumed to exist unless"
        " named by --absent (dlt creates a table with its first row; `models` reads a missing"
        " one as an empty relation).",
        epilog="exit codes: 0 compiled; 2 bad command line (an unknown dialect or --absent table)",
    )
    compile_.add_argument(
        "--dialect",
        required=True,
        metavar="D",
        help="SQL dialect as sqlglot names it: duckdb, postgres, mysql, clickhouse, snowflake,"
        " bigquery, redshift, trino, athena, tsql, databricks, spark",
    )
    compile_.add_argument(
        "--out",
        metavar="DIR",
        help="write one file per model, NN_<model>.sql in build order, into DIR (default: print)",
    )
    compile_.add_argument(
        "--dataset",
        metavar="NAME",
        help="dataset (schema) of the raw tables (default cloudflare_email_security); models"
        " go to <dataset>_reporting",
    )
    compile_.add_argument(
        "--absent",
        action="append",
        default=[],
        metavar="TABLE",
        help="a raw table that does not exist yet: read as an empty relation of its declared"
        " columns; repeat for several",
    )
    for command in commands.choices.values():
        # also after the command (`cf-bulk-sync run --debug`); SUPPRESS keeps the value the
        # main parser set when it is not given here
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks"
        )
    return parser


def _destination_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--destination",
        metavar="NAME",
        help="dlt destination (default duckdb: ./cf_bulk_sync.duckdb)",
    )
    parser.add_argument(
        "--dataset",
        metavar="NAME",
        help="dataset (schema) of the raw tables (default"
        " cloudflare_email_security); models go to <dataset>_reporting",
    )
    parser.add_argument(
        "--pipeline-name",
        metavar="NAME",
        help="dlt pipeline: its own state, lock and staging dataset, one per shard (default"
        " cf_bulk_sync) [CF_BULK_SYNC__PIPELINE_NAME]",
    )
