"""The raw stage's fast path (pyarrow's CSV reader) gives exactly the exact path's table, or steps aside.

``load_text_table`` parses with pyarrow and falls back to ``read_text_table`` (Python's csv module)
when it cannot vouch for the result. For every hostile file of test_hostile_input.py (hypothesis
draws and the hand-picked ones) the table it writes must equal what ``read_text_table`` returns,
cell for cell and row number for row number, and a file the exact path refuses must be refused
with the exact path's message.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import given, note

from pipelines.lib import raw
from pipelines.lib.raw import RawFormatError, load_text_table, read_text_table
from pipelines.lib.sources import load_snapshot, write_snapshot
from pipelines.lib.stages import materialize_raw
from tests.conftest import BUNDLED_SOURCES
from tests.property.test_hostile_input import FILE_NAME, HANDPICKED, HOSTILE, REAL_FILE, hostile_files

SOURCE, VERSION = "epoch_notable_models", "2026-07-19"


def _exact(path):
    try:
        return read_text_table(path, source=SOURCE, version=VERSION), None
    except RawFormatError as exc:
        return None, str(exc)


def _fast(path):
    con = duckdb.connect()
    raw_dir = tempfile.TemporaryDirectory(prefix="flopcast-raw-")  # never beside the file: it may be a bundled source
    try:
        rows, _, reader = load_text_table(
            con, path, schema="raw", table=SOURCE, source=SOURCE, version=VERSION, raw_dir=Path(raw_dir.name)
        )
        table = pl.from_arrow(con.sql(f'SELECT * FROM raw."{SOURCE}" ORDER BY _row_number').to_arrow_table())
        return table, None, reader
    except RawFormatError as exc:
        return None, str(exc), None
    finally:
        con.close()
        raw_dir.cleanup()


def assert_same_table(path, note=note) -> str | None:
    expected, expected_error = _exact(path)
    got, error, reader = _fast(path)
    note(f"exact: {expected_error or expected.shape}; fast ({reader}): {error or got.shape}")
    if expected_error is not None:
        assert error == expected_error
        return None
    assert error is None
    assert got.columns == expected.columns
    assert got.schema == expected.schema
    assert got.equals(expected)
    return reader


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("raw-fast-path")


@HOSTILE
@given(case=hostile_files())
def test_fast_path_matches_the_exact_reader_on_hostile_files(work_dir, case):
    for step in case.steps:
        note(step)
    path = work_dir / FILE_NAME
    path.write_bytes(case.data)
    assert_same_table(path)


@pytest.mark.parametrize("name", list(HANDPICKED))
def test_fast_path_matches_the_exact_reader_on_handpicked_files(work_dir, name):
    path = work_dir / f"{name.replace(' ', '_')}.csv"
    path.write_bytes(HANDPICKED[name][0])
    assert_same_table(path, note=print)


def test_the_real_file_takes_the_fast_path():
    assert assert_same_table(REAL_FILE, note=print) == "pyarrow"


@pytest.mark.parametrize("row", ["1,2,", "1,2,,", '1,2,""', "1,2,3", "1,2, ", "1", "1,", ",,"])
def test_extra_fields_after_the_last_column(tmp_path, row):
    """DuckDB drops empty fields after the last column; the exact reader does the same, and both
    refuse a value there (or too few fields) with the exact reader's message."""
    path = tmp_path / "extra.csv"
    path.write_bytes(f"a,b\n0,0\n{row}\n".encode())
    assert_same_table(path, note=print)


QUOTINGS = [
    '"abc"def,x',  # text after a closing quote: pyarrow alone reads 'abcdef'
    'x,"a,"def',  # the same, after a comma inside the quotes
    'x,"y',  # a quote still open at the end of the file: pyarrow alone reads 'y\\n'
    'ab"c,x',  # a literal quote inside an unquoted field: the csv module keeps it
    '"a""b","c"',  # a doubled quote inside a quoted field
    '""abc,x',  # an empty quoted field followed by text
    '"x"\r\n"y","z"',  # quoted fields across CRLF line ends
]


@pytest.mark.parametrize("row", QUOTINGS)
def test_quotes_pyarrow_would_read_differently(tmp_path, row):
    """pyarrow's reader accepts malformed quoting that the csv module refuses; the quote scan sends
    those files to the exact path, which reads or refuses them with its own message."""
    path = tmp_path / "quotes.csv"
    path.write_bytes(f"a,b\n0,0\n{row}\n".encode())
    assert_same_table(path, note=print)


QUOTE_CASES = {
    b'a,b\n"x","y"\n': True,
    b'a,b\n"a""b","c"\n': True,
    b'a,b\n"x",y': True,
    b'a,b\nx,"y"': True,
    b'a,b\n"abc"def,x\n': False,
    b'a,b\n"a,"def,x\n': False,
    b'a,b\nx,"y\n': False,
    b'a,b\nab"c,x\n': False,
}


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 64])
def test_quote_scan_reads_the_same_across_chunk_boundaries(tmp_path, monkeypatch, chunk):
    """_quotes_well_formed reads the file in chunks; a quote's neighbours may sit in the next chunk."""
    monkeypatch.setattr(raw, "_QUOTE_SCAN_BYTES", chunk)
    for data, well_formed in QUOTE_CASES.items():
        path = tmp_path / "quotes.csv"
        path.write_bytes(data)
        assert raw._quotes_well_formed(path) is well_formed, data


def _scan(pieces) -> bool:
    scan = raw.QuoteScan()
    for piece in pieces:
        scan.feed(piece)
    return scan.well_formed()


def test_quote_scan_gives_one_verdict_however_the_file_is_split():
    """The build feeds QuoteScan from the checksum's read (materialize_raw), in blocks of any size:
    every split of a file into two or three pieces, empty ones included, gets the whole file's verdict."""
    for data, well_formed in QUOTE_CASES.items():
        assert _scan([data]) is well_formed, data
        for i in range(len(data) + 1):
            assert _scan([data[:i], data[i:]]) is well_formed, (data, i)
            for j in range(i, len(data) + 1):
                assert _scan([data[:i], memoryview(data)[i:j], bytearray(data[j:])]) is well_formed, (data, i, j)


@pytest.mark.parametrize("row", QUOTINGS)
def test_the_build_keeps_pyarrows_table_only_when_the_scan_agrees(tmp_path, row):
    """materialize_raw lets pyarrow parse while the checksum's read scans the quotes, and drops
    pyarrow's table when the scan says no: raw.<source> (or the refusal) is the exact reader's."""
    data = f"a,b\n0,0\n{row}\n".encode()
    sources = tmp_path / "sources"
    origin = load_snapshot(BUNDLED_SOURCES, SOURCE).manifest["origin"]
    snapshot = write_snapshot(sources, SOURCE, "2099-01-01", data, dict(origin))
    expected, expected_error = _exact(snapshot.data_path)
    with duckdb.connect(str(tmp_path / "build.duckdb")) as con:
        if expected_error is not None:
            with pytest.raises(RawFormatError) as refused:
                materialize_raw(con, sources, SOURCE)
            assert str(refused.value) == expected_error
            return
        materialize_raw(con, sources, SOURCE)
        got = pl.from_arrow(con.sql(f'SELECT * FROM raw."{SOURCE}" ORDER BY _row_number').to_arrow_table())
    assert got.equals(expected.with_columns(pl.lit("2099-01-01").alias("_source_version")))
