"""The switches of docs/SCALING.md that can run on one machine without network: the executor
(FLOPCAST_EXECUTOR), the warehouse location (local folders only; MotherDuck and object-store URIs
are refused with a reason), exports to fsspec URIs and a DuckDB file of views over exported Parquet.

The multiprocess test is a real Dagster run (`dagster job execute`, a private DAGSTER_HOME) and takes
a few minutes on two cores: every one of the ~44 steps starts its own Python process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import fsspec
import polars as pl
import pytest

from pipelines.cli import main as flopcast
from pipelines.definitions import BUILD_JOB, build_definitions, default_sql_dir
from pipelines.lib.executor_choice import EXECUTOR_ENV
from pipelines.lib.export import ExportError, export_tables
from pipelines.lib.warehouse import LocationError, default_locations
from tests.conftest import PROJECT_ROOT, manifest

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent
RUN_TIMEOUT_SECONDS = float(os.environ.get("FLOPCAST_MULTIPROCESS_TEST_TIMEOUT", 1200))


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOPCAST_", "DAGSTER_"))}
    return env | {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"} | extra


def tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


# --- executor ---------------------------------------------------------------------------------


def test_executor_follows_the_variable(monkeypatch):
    monkeypatch.delenv(EXECUTOR_ENV, raising=False)
    default = build_definitions(default_locations(), default_sql_dir()).resolve_job_def(BUILD_JOB)
    assert default.executor_def is dg.in_process_executor
    monkeypatch.setenv(EXECUTOR_ENV, "multiprocess")
    multi = build_definitions(default_locations(), default_sql_dir()).resolve_job_def(BUILD_JOB)
    assert multi.executor_def.name == "multiprocess_one_at_a_time"


def test_unknown_executor_stops_dagster_loading_the_definitions():
    result = subprocess.run(
        [str(BIN / "dagster"), "definitions", "validate", "-m", "pipelines.definitions"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=300,
        env=clean_env(**{EXECUTOR_ENV: "threads"}),
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "FLOPCAST_EXECUTOR='threads' is not a known executor" in output, tail(output)
    assert "in_process, multiprocess" in output


def test_unknown_executor_fails_flopcast_build_before_it_builds(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(EXECUTOR_ENV, "k8s")
    warehouse = tmp_path / "warehouse"
    assert flopcast(["build", "--warehouse-dir", str(warehouse)]) == 2
    err = capsys.readouterr().err
    assert "FLOPCAST_EXECUTOR='k8s' is not available" in err and "dagster-k8s" in err and "SCALING.md" in err
    assert not (warehouse / "manifest.json").exists()
    assert not (warehouse / ".build" / "flopcast.duckdb").exists()


@pytest.mark.slow
def test_multiprocess_executor_runs_each_step_in_its_own_process_one_at_a_time_and_publishes(built, tmp_path):
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text(
        f"storage:\n  sqlite:\n    base_dir: {json.dumps(str(dagster_home))}\ntelemetry:\n  enabled: false\n",
        encoding="utf-8",
    )
    warehouse = tmp_path / "warehouse"
    env = clean_env(
        DAGSTER_HOME=str(dagster_home),
        FLOPCAST_SOURCES_DIR=str(built.sources_dir),
        FLOPCAST_WAREHOUSE_DIR=str(warehouse),
        **{EXECUTOR_ENV: "multiprocess"},
    )
    result = subprocess.run(
        [str(BIN / "dagster"), "job", "execute", "-m", "pipelines.definitions", "-j", BUILD_JOB],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=RUN_TIMEOUT_SECONDS,
    )
    assert result.returncode == 0, tail(result.stdout + result.stderr)

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_runs(filters=dg.RunsFilter(job_name=BUILD_JOB))
        assert [r.status for r in runs] == [dg.DagsterRunStatus.SUCCESS]
        events = [e for e in instance.all_logs(runs[0].run_id) if e.dagster_event]

    def of_type(name: str) -> list:
        return [e for e in events if e.dagster_event.event_type_value == name]

    run_pid = of_type("PIPELINE_START")[0].dagster_event.pid
    starts = {e.step_key: e for e in of_type("STEP_START")}
    ends = {e.step_key: e for e in of_type("STEP_SUCCESS")}
    assert len(starts) >= 40 and set(ends) == set(starts) and not of_type("STEP_FAILURE")
    assert "publish" in starts
    # Each step in its own child process, not the run's.
    step_pids = [e.dagster_event.pid for e in starts.values()]
    assert len(set(step_pids)) == len(starts) and run_pid not in step_pids
    assert len(of_type("STEP_WORKER_STARTED")) == len(starts)
    # max_concurrent 1: a step starts only after the one before it finished (one DuckDB writer at a time).
    spans = sorted((starts[k].timestamp, ends[k].timestamp, k) for k in starts)
    for (_, previous_end, previous), (start, _, step) in zip(spans, spans[1:]):
        assert start >= previous_end, f"{step} started before {previous} finished"

    # Published, with the same tables as the in-process build of the same sources.
    published = json.loads((warehouse / "manifest.json").read_text(encoding="utf-8"))
    assert published["tables"] == manifest(built)["tables"]
    assert published["sources"] == manifest(built)["sources"]
    with duckdb.connect(str(warehouse / "flopcast.duckdb"), read_only=True) as con:
        assert (
            con.execute("SELECT count(*) FROM marts.training_runs").fetchone()[0]
            == published["tables"]["marts.training_runs"]["rows"]
        )


# --- warehouse location -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, says",
    [
        ("md:flopcast", "MotherDuck"),
        ("motherduck:flopcast", "MotherDuck"),
        ("s3://bucket/warehouse", "cannot write to s3://"),
    ],
)
def test_warehouse_dir_must_be_a_local_folder(tmp_path, monkeypatch, capsys, value, says):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLOPCAST_WAREHOUSE_DIR", value)
    with pytest.raises(LocationError, match=f"FLOPCAST_WAREHOUSE_DIR={value!r}.*{says}"):
        default_locations()
    assert flopcast(["query", "select 1"]) == 2
    assert says in capsys.readouterr().err
    monkeypatch.delenv("FLOPCAST_WAREHOUSE_DIR")
    assert flopcast(["build", "--warehouse-dir", value]) == 2
    assert "--warehouse-dir" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # no local folder named like the URI


def test_file_uri_warehouse_dir_is_the_local_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("FLOPCAST_WAREHOUSE_DIR", f"file://{tmp_path}/wh")
    assert default_locations().warehouse_dir == tmp_path / "wh"


# --- exports and views over Parquet -----------------------------------------------------------


def test_export_to_a_file_uri_with_views_that_query_the_parquet(built, tmp_path, capsys):
    dest = f"file://{tmp_path}/lake"
    views = tmp_path / "flopcast_views.duckdb"
    tables = ["marts.training_runs", "marts.trend_fits", "quarantine.rejected_rows"]
    code = flopcast(
        [
            "export",
            "--to",
            dest,
            "--tables",
            ",".join(tables),
            "--views-db",
            str(views),
            "--warehouse-dir",
            str(built.warehouse_dir),
        ]
    )
    assert code == 0, capsys.readouterr().err
    published = manifest(built)
    for table in tables:
        exported = tmp_path / "lake" / f"{table.replace('.', '/')}.parquet"
        assert exported.read_bytes() == (built.warehouse_dir / published["tables"][table]["parquet"]).read_bytes()
    assert json.loads((tmp_path / "lake" / "manifest.json").read_text()) == published

    with duckdb.connect(str(views), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()[0] == 0  # views only, no data copied
        assert sorted(
            f"{s}.{v}"
            for s, v in con.execute("SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal").fetchall()
        ) == sorted(tables)
        for table in tables:
            through_view = con.sql(f"SELECT * FROM {table}").pl()
            assert through_view.equals(pl.read_parquet(built.warehouse_dir / published["tables"][table]["parquet"])), (
                table
            )
    # The views read the files at query time: new rows in the Parquet file show up without rewriting the views.
    runs = tmp_path / "lake" / "marts" / "training_runs.parquet"
    frame = pl.read_parquet(runs)
    pl.concat([frame, frame.head(1)]).write_parquet(runs)
    with duckdb.connect(str(views), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM marts.training_runs").fetchone()[0] == frame.height + 1


def test_views_db_is_refused_before_anything_is_exported_where_duckdb_cannot_read(built, tmp_path):
    fs = fsspec.filesystem("memory")
    with pytest.raises(ExportError, match="DuckDB cannot read memory://"):
        export_tables(
            built, "memory://flopcast-views-test", tables=["marts.roadblocks"], views_db=tmp_path / "v.duckdb"
        )
    assert not fs.exists("/flopcast-views-test")
    assert not (tmp_path / "v.duckdb").exists()
    with pytest.raises(ExportError, match="local file path"):
        export_tables(built, str(tmp_path / "out"), tables=["marts.roadblocks"], views_db="md:flopcast_views")
    with pytest.raises(ExportError, match="needs the Parquet files"):
        export_tables(
            built, str(tmp_path / "out"), tables=["marts.roadblocks"], formats=("csv",), views_db=tmp_path / "v.duckdb"
        )
    assert not (tmp_path / "out").exists()


def test_views_db_is_not_overwritten_without_force(built, tmp_path):
    views = tmp_path / "v.duckdb"
    export_tables(built, str(tmp_path / "a"), tables=["marts.roadblocks"], views_db=views)
    with pytest.raises(ExportError, match="already exists"):
        export_tables(built, str(tmp_path / "b"), tables=["marts.roadblocks"], views_db=views)
    assert not (tmp_path / "b").exists()
    export_tables(
        built, str(tmp_path / "b"), tables=["marts.roadblocks", "marts.assumptions"], views_db=views, force=True
    )
    with duckdb.connect(str(views), read_only=True) as con:
        comments = dict(con.execute("SELECT view_name, comment FROM duckdb_views() WHERE NOT internal").fetchall())
    # Each view is described as its table is, and says which file it reads (the second export's, after --force).
    assert set(comments) == {"roadblocks", "assumptions"}
    for name in comments:
        assert comments[name].endswith(f"(Parquet at {tmp_path}/b/marts/{name}.parquet)"), comments[name]
        assert len(comments[name]) > len(f"(Parquet at {tmp_path}/b/marts/{name}.parquet)") + 20
    assert not list(tmp_path.glob("*.partial*"))


def test_object_storage_without_its_fsspec_driver_fails_clearly(built):
    try:
        import s3fs  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("s3fs is installed here, so an s3:// export would try the network")
    with pytest.raises(ExportError, match=r"cannot write to s3://flopcast-test/x: Install s3fs"):
        export_tables(built, "s3://flopcast-test/x", tables=["marts.roadblocks"])
