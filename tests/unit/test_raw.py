"""raw.*: every snapshot file read losslessly as text, with lineage (pipelines.lib.raw)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.lib.raw import LINEAGE_COLUMNS, RawFormatError, read_text_table
from pipelines.lib.sources import SourceError


def write(tmp_path: Path, data: bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read(path: Path) -> pl.DataFrame:
    return read_text_table(path, source="epoch_notable_models", version="2026-07-19")


def read_error(path: Path) -> str:
    with pytest.raises(RawFormatError) as caught:
        read(path)
    message = str(caught.value)
    assert str(path) in message, f"the message must name the file: {message}"
    return message


# --- cells stay text ----------------------------------------------------------------------------


def test_cells_are_strings_exactly_as_written(tmp_path):
    path = write(tmp_path, b"id,value,code,flop,name\n1,1.0,007,1e25,  padded \n2,2.50,0001,3.14E+23,x\n")
    frame = read(path)
    data_columns = [c for c in frame.columns if c not in LINEAGE_COLUMNS]
    assert data_columns == ["id", "value", "code", "flop", "name"]
    assert all(frame.schema[c] == pl.String for c in data_columns)
    assert frame.select(data_columns).rows() == [
        ("1", "1.0", "007", "1e25", "  padded "),
        ("2", "2.50", "0001", "3.14E+23", "x"),
    ]


def test_empty_cells_are_null(tmp_path):
    path = write(tmp_path, b'a,b,c\n1,,3\n,"",x\n')
    frame = read(path)
    assert frame.select("a", "b", "c").rows() == [("1", None, "3"), (None, None, "x")]


# --- lineage ------------------------------------------------------------------------------------


def test_lineage_columns_name_source_version_and_1_based_row(tmp_path):
    path = write(tmp_path, b"a\nx\ny\nz\n")
    frame = read_text_table(path, source="epoch_ml_hardware", version="2025-01-02")
    assert frame.columns == ["a", *LINEAGE_COLUMNS]
    assert LINEAGE_COLUMNS == ("_source", "_source_version", "_row_number")
    assert frame["_source"].to_list() == ["epoch_ml_hardware"] * 3
    assert frame["_source_version"].to_list() == ["2025-01-02"] * 3
    assert frame["_row_number"].to_list() == [1, 2, 3]
    assert frame.schema["_row_number"] == pl.Int64


def test_quoted_field_with_newline_is_one_record(tmp_path):
    path = write(tmp_path, b'id,note\n1,"first line\nsecond line"\n2,plain\n')
    frame = read(path)
    assert frame.height == 2
    assert frame["note"].to_list() == ["first line\nsecond line", "plain"]
    assert frame["_row_number"].to_list() == [1, 2]
    assert frame["id"].to_list() == ["1", "2"]


def test_blank_lines_are_not_records(tmp_path):
    path = write(tmp_path, b"id,v\n1,a\n\n\n2,b\n\n")
    frame = read(path)
    assert frame.select("id", "v", "_row_number").rows() == [("1", "a", 1), ("2", "b", 2)]


def test_crlf_file(tmp_path):
    path = write(tmp_path, b"id,value\r\n1,1.0\r\n\r\n2,\r\n")
    frame = read(path)
    assert frame.columns[:2] == ["id", "value"]  # no '\r' left on the last header
    assert frame.select("id", "value", "_row_number").rows() == [("1", "1.0", 1), ("2", None, 2)]


def test_utf8_bom_is_stripped_from_the_first_header(tmp_path):
    path = write(tmp_path, "\ufeffModel,Organization\nJupiter,Jülich\n".encode("utf-8"))
    frame = read(path)
    assert frame.columns[0] == "Model"
    assert frame["Organization"].to_list() == ["Jülich"]


def test_header_only_file_has_columns_and_no_rows(tmp_path):
    frame = read(write(tmp_path, b"a,b\n"))
    assert frame.height == 0
    assert frame.columns == ["a", "b", *LINEAGE_COLUMNS]


# --- format errors name file, row/line, column ----------------------------------------------------


def test_raw_format_error_is_a_source_error():
    assert issubclass(RawFormatError, SourceError)


def test_non_utf8_bytes_name_the_line(tmp_path):
    path = write(tmp_path, b"id,name\n1,ok\n2,caf\xe9\n")
    message = read_error(path)
    assert "line 3" in message
    assert "UTF-8" in message


def test_too_many_fields_names_row_and_line(tmp_path):
    # Record 1 spans lines 2-3, so record 3 starts on line 5: row and line differ.
    path = write(tmp_path, b'id,note\n1,"a\nb"\n2,c\n3,d,extra\n')
    message = read_error(path)
    assert "row 3" in message
    assert "line 5" in message
    assert "3 fields" in message and "2" in message


def test_duplicated_header_names_position_and_name(tmp_path):
    path = write(tmp_path, b"Model,Domain,Model\nx,y,z\n")
    message = read_error(path)
    assert "column 3" in message
    assert "'Model'" in message
    assert "column 1" in message  # the column it duplicates


def test_empty_header_name_names_the_position(tmp_path):
    path = write(tmp_path, b"Model,,Domain\nx,y,z\n")
    message = read_error(path)
    assert "column 2" in message
    assert "empty" in message


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf"], ids=["zero-bytes", "bom-only"])
def test_empty_file(tmp_path, data):
    message = read_error(write(tmp_path, data))
    assert "empty" in message
