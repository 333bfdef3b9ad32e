"""Snapshots: version folders, manifests, checksums (pipelines.lib.sources)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from pipelines.lib.sources import (
    MANIFEST_NAME,
    SOURCES,
    ChecksumMismatch,
    SourceError,
    count_csv_records,
    list_versions,
    load_snapshot,
    verify_snapshot,
    write_snapshot,
)

SOURCES_DIR = Path(__file__).resolve().parents[2] / "sources"
SOURCE = "epoch_ml_hardware"  # any catalogued source; its data file is ml_hardware.csv
ORIGIN = {
    "title": "Machine Learning Hardware",
    "producer": "Epoch AI",
    "url": "https://example.org/ml_hardware.csv",
    "license": "CC BY 4.0",
    "citation": "Epoch AI, test citation",
    "retrieved": "2025-01-02",
}
# Two records: one with a quoted field spanning two lines, then a trailing blank line.
DATA = b'Hardware name,Notes\nH100,"fast\nand hot"\nA100,plain\n\n'


def test_write_snapshot_writes_data_and_manifest(tmp_path):
    snapshot = write_snapshot(tmp_path, SOURCE, "2025-01-02", DATA, ORIGIN, provenance_note="copied for a test\n")
    folder = tmp_path / SOURCE / "2025-01-02"
    assert snapshot.folder == folder
    assert (folder / "ml_hardware.csv").read_bytes() == DATA
    assert (folder / "PROVENANCE.md").read_text(encoding="utf-8") == "copied for a test\n"
    manifest = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest == snapshot.manifest
    assert manifest["source"] == SOURCE and manifest["version"] == "2025-01-02"
    assert manifest["origin"] == ORIGIN
    assert manifest["file"] == {
        "name": "ml_hardware.csv",
        "sha256": hashlib.sha256(DATA).hexdigest(),
        "size_bytes": len(DATA),
        "rows": 2,
    }
    assert snapshot.data_path == folder / "ml_hardware.csv"
    assert snapshot.retrieved == "2025-01-02"
    assert verify_snapshot(snapshot) == hashlib.sha256(DATA).hexdigest()


def test_without_provenance_note_no_file_is_written(tmp_path):
    write_snapshot(tmp_path, SOURCE, "2025-01-02", DATA, ORIGIN)
    assert not (tmp_path / SOURCE / "2025-01-02" / "PROVENANCE.md").exists()


@pytest.mark.parametrize(
    "data, rows",
    [
        (b"a,b\n", 0),
        (b"", 0),
        (b'a,b\n1,"x\ny\nz"\n\n\n2,w\n', 2),
        (b"\xef\xbb\xbfa,b\r\n1,2\r\n", 1),
    ],
)
def test_count_csv_records(data, rows):
    assert count_csv_records(data) == rows


def test_write_snapshot_refuses_to_overwrite_a_version(tmp_path):
    write_snapshot(tmp_path, SOURCE, "2025-01-02", DATA, ORIGIN)
    with pytest.raises(SourceError, match="already exists"):
        write_snapshot(tmp_path, SOURCE, "2025-01-02", b"Hardware name\nother\n", ORIGIN)
    assert (tmp_path / SOURCE / "2025-01-02" / "ml_hardware.csv").read_bytes() == DATA


def test_load_snapshot_picks_newest_or_pinned_version(tmp_path):
    # Written newest first: the choice must follow the version, not the creation order.
    write_snapshot(tmp_path, SOURCE, "2025-06-01", DATA, ORIGIN)
    write_snapshot(tmp_path, SOURCE, "2024-12-31", b"Hardware name\nold\n", ORIGIN)
    (tmp_path / SOURCE / "2099-01-01").mkdir()  # a folder without manifest is not a version
    assert list_versions(tmp_path, SOURCE) == ["2024-12-31", "2025-06-01"]
    newest = load_snapshot(tmp_path, SOURCE)
    assert newest.version == "2025-06-01"
    assert newest.data_path.read_bytes() == DATA
    pinned = load_snapshot(tmp_path, SOURCE, "2024-12-31")
    assert pinned.version == "2024-12-31"
    assert pinned.data_path.read_bytes() == b"Hardware name\nold\n"


def test_unknown_pin_names_available_versions(tmp_path):
    write_snapshot(tmp_path, SOURCE, "2025-06-01", DATA, ORIGIN)
    write_snapshot(tmp_path, SOURCE, "2024-12-31", DATA, ORIGIN)
    with pytest.raises(SourceError) as caught:
        load_snapshot(tmp_path, SOURCE, "2023-01-01")
    message = str(caught.value)
    assert "2023-01-01" in message
    assert "2024-12-31" in message and "2025-06-01" in message


def test_missing_source_is_an_error(tmp_path):
    with pytest.raises(SourceError, match=SOURCE):
        load_snapshot(tmp_path, SOURCE)


def test_changed_byte_is_a_checksum_mismatch(tmp_path):
    snapshot = write_snapshot(tmp_path, SOURCE, "2025-01-02", DATA, ORIGIN)
    expected = snapshot.sha256
    changed = bytearray(DATA)
    changed[len("Hardware name,Notes\nH")] ^= 0x01  # 'H100' -> 'I100'
    snapshot.data_path.write_bytes(bytes(changed))
    actual = hashlib.sha256(bytes(changed)).hexdigest()
    with pytest.raises(ChecksumMismatch) as caught:
        verify_snapshot(load_snapshot(tmp_path, SOURCE))
    message = str(caught.value)
    assert str(snapshot.data_path) in message
    assert expected in message and actual in message
    assert caught.value.expected == expected and caught.value.actual == actual
    assert isinstance(caught.value, SourceError)


def test_missing_data_file_is_an_error(tmp_path):
    snapshot = write_snapshot(tmp_path, SOURCE, "2025-01-02", DATA, ORIGIN)
    snapshot.data_path.unlink()
    with pytest.raises(SourceError, match="does not exist"):
        verify_snapshot(snapshot)


# --- the bundled snapshots ----------------------------------------------------------------------


@pytest.mark.parametrize("spec", SOURCES, ids=[s.name for s in SOURCES])
def test_bundled_snapshot_verifies_and_has_origin(spec):
    snapshot = load_snapshot(SOURCES_DIR, spec.name)
    assert snapshot.manifest["source"] == spec.name
    assert snapshot.manifest["version"] == snapshot.version == snapshot.folder.name
    assert snapshot.manifest["file"]["name"] == spec.file_name
    assert verify_snapshot(snapshot) == snapshot.sha256
    data = snapshot.data_path.read_bytes()
    assert snapshot.manifest["file"]["size_bytes"] == len(data)
    assert snapshot.manifest["file"]["rows"] == count_csv_records(data)
    origin = snapshot.manifest["origin"]
    for field in ("title", "producer", "url", "license", "citation", "retrieved"):
        assert isinstance(origin.get(field), str) and origin[field].strip(), f"{spec.name}: origin.{field} missing"
    assert origin["url"].startswith("https://")
    assert dt.date.fromisoformat(origin["retrieved"]) <= dt.date.fromisoformat(snapshot.version)
