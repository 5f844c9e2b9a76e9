"""The checkout the tests run from. Tests read its files (sql/, benchmarks/) but never import
cf_bulk_sync from it: the package comes from the installed wheel or the editable install."""

from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]

# What a build of the checkout's SQL makes: every model file, every assertion file.
MODELS = len(list((CHECKOUT / "sql").glob("staging/*.sql"))) + len(
    list((CHECKOUT / "sql").glob("marts/*.sql"))
)
ASSERTIONS = len(list((CHECKOUT / "sql" / "assertions").glob("*.sql")))
