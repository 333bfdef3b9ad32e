"""Every sources/<source>/<version>/manifest.json matches sources/manifest.schema.json (as owid/etl
validates its snapshot metadata), and write_snapshot refuses to write one that would not."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from pipelines.lib.refresh import verify_sources
from pipelines.lib.sources import (
    MANIFEST_NAME,
    MANIFEST_SCHEMA_PATH,
    SOURCES,
    SOURCES_BY_NAME,
    SourceError,
    list_versions,
    manifest_problems,
    write_snapshot,
)

SOURCES_DIR = Path(__file__).resolve().parents[2] / "sources"
MANIFESTS = sorted(SOURCES_DIR.glob(f"*/*/{MANIFEST_NAME}"))


def test_the_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(json.loads(MANIFEST_SCHEMA_PATH.read_text(encoding="utf-8")))


def test_every_catalogued_source_has_a_manifest():
    assert {path.parent.parent.name for path in MANIFESTS} == {spec.name for spec in SOURCES}


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_bundled_manifest_matches_the_schema_and_its_folder(path):
    manifest = json.loads(path.read_text(encoding="utf-8"))
    assert manifest_problems(manifest) == []
    assert manifest["source"] == path.parent.parent.name and manifest["version"] == path.parent.name
    assert manifest["file"]["name"] == SOURCES_BY_NAME[manifest["source"]].file_name
    assert path.parent.name in list_versions(SOURCES_DIR, manifest["source"])


def test_problems_name_the_field_and_what_is_wrong():
    manifest = json.loads(MANIFESTS[0].read_text(encoding="utf-8"))
    manifest["file"]["sha256"] = "not a hash"
    manifest["origin"]["url"] = "ftp://example.org/x.csv"
    del manifest["version"]
    manifest["extra"] = 1
    problems = manifest_problems(manifest)
    assert len(problems) == 4, problems
    assert any(p.startswith("file.sha256: 'not a hash'") for p in problems), problems
    assert any(p.startswith("origin.url: 'ftp://") for p in problems), problems
    assert any(p.startswith("(top level): 'version' is a required property") for p in problems), problems
    assert any(p.startswith("(top level): Additional properties") and "'extra'" in p for p in problems), problems


def test_write_snapshot_refuses_a_manifest_outside_the_schema_and_writes_nothing(tmp_path):
    origin = {"url": "https://example.org/ml_hardware.csv", "retrieved": "2025-01-02", "licence": "CC BY 4.0"}
    with pytest.raises(SourceError, match=r"origin: Additional properties .*'licence'"):
        write_snapshot(tmp_path, "epoch_ml_hardware", "2025-01-02", b"Hardware name\nH100\n", origin)
    assert not (tmp_path / "epoch_ml_hardware").exists()
    origin["license"] = origin.pop("licence")
    snapshot = write_snapshot(tmp_path, "epoch_ml_hardware", "2025-01-02", b"Hardware name\nH100\n", origin)
    assert manifest_problems(json.loads((snapshot.folder / MANIFEST_NAME).read_text(encoding="utf-8"))) == []


def test_sources_verify_reports_a_manifest_outside_the_schema(tmp_path):
    shutil.copytree(SOURCES_DIR / "epoch_ml_hardware", tmp_path / "epoch_ml_hardware")
    assert [ok for _, _, ok, _ in verify_sources(tmp_path)] == [True]
    path = next((tmp_path / "epoch_ml_hardware").glob(f"*/{MANIFEST_NAME}"))
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["file"]["rows"] = -1
    path.write_text(json.dumps(manifest), encoding="utf-8")
    [(source, _, ok, message)] = verify_sources(tmp_path)
    assert (source, ok) == ("epoch_ml_hardware", False)
    assert str(path) in message and "file.rows: -1 is less than the minimum of 0" in message, message
