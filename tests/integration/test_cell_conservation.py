"""The cell conservation check (stages.cell_conservation) holds after the clean stage and catches
every way the quarantine of cells could drift from the data: on a synthetic source with dirty cells."""

from __future__ import annotations

import pytest

from benchmarks import generate
from pipelines.lib import stages
from pipelines.lib.warehouse import connect

pytestmark = pytest.mark.integration
SOURCE = "epoch_notable_models"


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cells")
    sources = folder / "sources"
    generate.build_sources(sources, 3_000, seed=7)
    db = folder / "work.duckdb"  # not clean.duckdb: the catalog would shadow the clean schema
    with connect(db) as con:
        stages.materialize_raw(con, sources, SOURCE)
        result = stages.materialize_clean(con, sources, SOURCE)
    assert result.rejected_cells > 0 and result.rejected_rows > 0  # both levels exercised
    return db


@pytest.fixture
def con(cleaned, tmp_path):
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(cleaned.read_bytes())
    with connect(copy) as connection:
        yield connection


def test_holds_after_the_clean_stage(con):
    check = stages.cell_conservation(con, SOURCE)
    assert check.holds, check
    assert check.rejected_cells == con.execute("select count(*) from quarantine.rejected_cells").fetchone()[0]


def test_a_value_nulled_without_a_record_is_found(con):
    row = con.execute("""select k.source_row_number from clean.notable_models k
        join raw.epoch_notable_models r on r._row_number = k.source_row_number
        where k.parameters is not null order by 1 limit 1""").fetchone()[0]
    con.execute("update clean.notable_models set parameters = null where source_row_number = ?", [row])
    check = stages.cell_conservation(con, SOURCE)
    assert not check.holds and check.unrecorded == [(row, "parameters")] and check.unfounded == []


def test_a_dropped_record_is_found(con):
    row, field = con.execute("select row_number, field from quarantine.rejected_cells order by all limit 1").fetchone()
    con.execute("delete from quarantine.rejected_cells where row_number = ? and field = ?", [row, field])
    assert stages.cell_conservation(con, SOURCE).unrecorded == [(row, field)]


@pytest.mark.parametrize(
    "tamper",
    [
        "update quarantine.rejected_cells set raw_value = raw_value || 'x' where row_number = {row} and field = '{field}'",
        "update quarantine.rejected_cells set source_column = 'Parameters', field = 'parameters' "
        "where row_number = {row} and field = '{field}' and field <> 'parameters'",
        "update quarantine.rejected_cells set row_number = (select min(row_number) from quarantine.rejected_rows) "
        "where row_number = {row} and field = '{field}'",
        "update quarantine.rejected_cells set source_version = 'another' where row_number = {row} and field = '{field}'",
        "insert into quarantine.rejected_cells values ('epoch_notable_models', '{version}', 999999, 'Parameters', "
        "'parameters', '1', 'parameters: made up')",
    ],
)
def test_an_unfounded_record_is_found(con, tamper):
    row, field, version = con.execute(
        "select row_number, field, source_version from quarantine.rejected_cells where field <> 'parameters' "
        "order by all limit 1"
    ).fetchone()
    con.execute(tamper.format(row=row, field=field, version=version))
    check = stages.cell_conservation(con, SOURCE)
    assert not check.holds and check.unfounded, check
