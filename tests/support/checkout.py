"""The checkout the tests run from. Tests read its files (sql/, benchmarks/) but never import
cf_bulk_sync from it: the package comes from the installed wheel or the editable install."""

from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
