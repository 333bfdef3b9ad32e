"""raw.* as views over Parquet files (pipelines/lib/raw.py): each release reads its own copies, an
older release keeps its rows after a rebuild, and `flopcast query` reads them with every other
file still refused."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pytest

from pipelines.lib.publish import publish
from pipelines.lib.query import connect_read_only
from pipelines.lib.raw import raw_view_files
from pipelines.lib.sources import load_snapshot, write_snapshot
from pipelines.lib.stages import materialize_raw
from pipelines.lib.warehouse import Locations, connect
from tests.conftest import copy_sources

pytestmark = pytest.mark.integration

SOURCE = "epoch_notable_models"


def _release_of(locations: Locations) -> Path:
    return locations.published_db.resolve().parent


def test_the_published_raw_views_read_the_releases_own_files(built):
    release = _release_of(built)
    with duckdb.connect(str(built.published_db), read_only=True) as con:
        files = raw_view_files(con, "raw")
        rows = con.execute(f"SELECT count(*), min(_row_number), max(_row_number) FROM raw.{SOURCE}").fetchone()
    assert SOURCE in files
    for name, path in files.items():
        assert path == release / "raw" / f"{name}.parquet", (name, path)
        assert path.is_file()
    expected = load_snapshot(built.sources_dir, SOURCE).manifest["file"]["rows"]
    assert rows == (expected, 1, expected)


def test_query_reads_raw_but_no_other_file(built):
    con = connect_read_only(built.published_db)
    try:
        (count,) = con.execute(f"SELECT count(*) FROM raw.{SOURCE}").fetchone()
        assert count > 0
        snapshot = load_snapshot(built.sources_dir, SOURCE).data_path
        for statement in (
            f"SELECT count(*) FROM read_csv('{snapshot}')",
            f"SELECT count(*) FROM read_parquet('{built.warehouse_dir}/parquet/clean/notable_models.parquet')",
            "SET enable_external_access = true",
        ):
            with pytest.raises(duckdb.Error):
                con.execute(statement).fetchall()
    finally:
        con.close()


def test_an_older_release_keeps_its_raw_rows_after_the_next_build(tmp_path):
    """The build replaces .build/raw/<source>.parquet by renaming a new file over it; the release
    holds a link to (or a copy of) the old one, so its raw.* still shows what it was built from."""
    locations = Locations(sources_dir=copy_sources(tmp_path / "sources"), warehouse_dir=tmp_path / "warehouse")

    def load_and_publish(version: str | None = None) -> Path:
        with connect(locations.build_db) as con:
            materialize_raw(con, locations.sources_dir, SOURCE, version)
        publish(locations)
        return _release_of(locations)

    first = load_and_publish()
    snapshot = load_snapshot(locations.sources_dir, SOURCE)
    with open(snapshot.data_path, encoding="utf-8-sig", newline="") as handle:
        records = list(csv.reader(handle))[:11]  # the header and the first ten runs
    text = io.StringIO(newline="")
    csv.writer(text, lineterminator="\n").writerows(records)
    shorter = text.getvalue().encode("utf-8")
    write_snapshot(locations.sources_dir, SOURCE, "2099-01-01", shorter, dict(snapshot.manifest["origin"]))
    second = load_and_publish("2099-01-01")
    assert second != first

    def raw_state(release: Path) -> tuple:
        with duckdb.connect(str(release / "flopcast.duckdb"), read_only=True) as con:
            return con.execute(
                f"SELECT count(*), min(_source_version), max(_source_version) FROM raw.{SOURCE}"
            ).fetchone()

    assert raw_state(second) == (10, "2099-01-01", "2099-01-01")
    assert raw_state(first) == (snapshot.manifest["file"]["rows"], snapshot.version, snapshot.version)
