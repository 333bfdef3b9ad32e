"""`flopcast query` starts fast because it imports only what a query needs (the timing is in `make bench`)."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb

from tests.conftest import PROJECT_ROOT

HEAVY = ("dagster", "great_expectations", "polars", "pandas", "matplotlib")


def test_a_query_imports_neither_dagster_nor_great_expectations_nor_polars(tmp_path):
    with duckdb.connect(str(tmp_path / "flopcast.duckdb")) as con:
        con.execute("CREATE SCHEMA marts; CREATE TABLE marts.t AS SELECT 1 AS x")
    code = (
        "import json, sys; from pipelines.cli import main; "
        f"code = main(['query', 'select x from marts.t', '--warehouse-dir', {str(tmp_path)!r}]); "
        f"print(json.dumps([code, sorted(m for m in {HEAVY!r} if m in sys.modules)]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT)
    assert json.loads(out.stdout.splitlines()[-1]) == [0, []], out.stdout + out.stderr
