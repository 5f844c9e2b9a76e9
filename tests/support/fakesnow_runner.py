"""Runs Snowflake SQL in fakesnow, in fakesnow's own venv (its pins of sqlglot and duckdb are not
ours): `python fakesnow_runner.py JOB.json RESULT.pickle`. Imports nothing of cf_bulk_sync.

JOB.json: `tables` (raw tables, each with its Snowflake columns and a Parquet file of its rows),
`statements` (run in order through the Snowflake connector that fakesnow patches) and `read`
(relations whose columns and rows are pickled into RESULT: {name: (columns, rows)}).
"""

import json
import pickle
import sys
from pathlib import Path

import fakesnow
import pyarrow.parquet as pq
import snowflake.connector
import snowflake.connector.pandas_tools

DATABASE = "ANALYTICS"


def main(job_file: str, result_file: str) -> None:
    job = json.loads(Path(job_file).read_text())
    with fakesnow.patch(), snowflake.connector.connect(database=DATABASE) as conn:
        cursor = conn.cursor()
        for schema in job["schemas"]:
            cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        for table in job["tables"]:
            columns = ", ".join(f'"{name}" {kind}' for name, kind in table["columns"])
            cursor.execute(f'CREATE TABLE "{table["schema"]}"."{table["name"]}" ({columns})')
            frame = pq.read_table(table["parquet"]).to_pandas()
            # the rows only: the table (and its Snowflake types) was made above, as dlt makes it;
            # looked up now, patched (an import before the patch would be the real one)
            snowflake.connector.pandas_tools.write_pandas(
                conn,
                frame,
                table["name"],
                schema=table["schema"],
                quote_identifiers=True,
                auto_create_table=False,
            )
        for statement in job["statements"]:
            cursor.execute(statement)
        result = {}
        for name, relation in job["read"].items():
            cursor.execute(f"SELECT * FROM {relation}")
            columns = [d.name for d in cursor.description]
            result[name] = (columns, [tuple(row) for row in cursor.fetchall()])
    Path(result_file).write_bytes(pickle.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
