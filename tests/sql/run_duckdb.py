"""Runs docs/evidence.sql in DuckDB over one export directory.

usage: run_duckdb.py SQL_FILE EXPORT_DIR AS_OF
Prints the metrics as one JSON object, as `maturity derive --json` does.
Every file is read as text (all_varchar) under the contract's names; a file
the export lacks becomes an empty table, and export_files lists the rest.
"""

import json
import os
import sys

import duckdb

COLUMNS = {
    "opportunities": ["id", "account_id", "owner", "created_at", "closed_at", "status", "stage",
                      "amount", "loss_reason", "qualified", "last_modified_at"],
    "stage_history": ["opportunity_id", "stage", "entered_at", "recorded_at"],
    "stages": ["stage", "order", "probability", "exit_criteria"],
    "team": ["seller", "role", "started_at", "quota_carrying"],
    "forecasts": ["quarter", "snapshot_at", "amount"],
    "revenue": ["account_id", "month", "recurring_revenue"],
}


def main(sql_file, export_dir, as_of):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE export_files (name VARCHAR)")
    for name, columns in COLUMNS.items():
        path = os.path.join(export_dir, name + ".csv")
        if os.path.exists(path):
            con.execute(
                f"CREATE TABLE {name} AS SELECT * FROM read_csv(?, header = true, all_varchar = true)",
                [path],
            )
            con.execute("INSERT INTO export_files VALUES (?)", [name])
        else:
            cols = ", ".join(f'"{c}" VARCHAR' for c in columns)
            con.execute(f"CREATE TABLE {name} ({cols})")
    con.execute("CREATE TABLE params AS SELECT CAST(? AS DATE) AS as_of", [as_of])
    with open(sql_file) as f:
        rows = con.execute(f.read()).fetchall()
    metrics = {m: (flag if number is None else number) for m, number, flag in rows}
    print(json.dumps(metrics, indent=2, sort_keys=True))


if __name__ == "__main__":
    main(*sys.argv[1:])
