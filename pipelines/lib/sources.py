"""Source snapshots: the catalogue, version folders, manifests and checksums.

A snapshot lives in ``sources/<source>/<version>/`` and never changes after it is added: the data
file, a ``manifest.json`` (origin, licence, sha256, size, rows) and the provenance note it was
copied with. A new download is a new version folder.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MANIFEST_NAME = "manifest.json"
# What every manifest.json holds (JSON Schema 2020-12), beside the snapshots it describes.
MANIFEST_SCHEMA_PATH = Path(__file__).resolve().parents[2] / "sources" / "manifest.schema.json"


@dataclass(frozen=True)
class SourceSpec:
    """What the pipeline needs to know about a source; its origin lives in each version's manifest."""

    name: str  # folder under sources/ and suffix of the raw.* / clean.* asset
    file_name: str  # the data file inside each version folder
    description: str


# The order here is the order of assets in the graph and of sources in summaries.
SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec("epoch_notable_models", "notable_ai_models.csv", "Epoch AI, Notable AI Models (the main source)"),
    SourceSpec("epoch_ml_hardware", "ml_hardware.csv", "Epoch AI, Machine Learning Hardware"),
    SourceSpec("epoch_gpu_clusters", "gpu_clusters.csv", "Epoch AI, GPU Clusters (AI supercomputers)"),
    SourceSpec(
        "fred_ppi_data_processing", "PCU518210518210.csv", "US BLS producer price index via FRED (PCU518210518210)"
    ),
    SourceSpec(
        "ember_country_electricity", "country_overview_yearly.csv", "Ember, yearly electricity demand per country"
    ),
)
SOURCES_BY_NAME = {spec.name: spec for spec in SOURCES}


class SourceError(RuntimeError):
    """A snapshot is missing, incomplete or does not match its manifest."""


class ChecksumMismatch(SourceError):
    def __init__(self, path: Path, expected: str, actual: str):
        super().__init__(
            f"checksum mismatch for {path}: manifest expects sha256 {expected}, file has {actual}. "
            "Snapshots are immutable: restore the file (git checkout) or add a new version folder."
        )
        self.path, self.expected, self.actual = path, expected, actual


@dataclass(frozen=True)
class Snapshot:
    source: str
    version: str
    folder: Path
    manifest: dict

    @property
    def data_path(self) -> Path:
        """The data file of the version folder."""
        return self.folder / self.manifest["file"]["name"]

    @property
    def sha256(self) -> str:
        """The sha256 the manifest records for the data file."""
        return self.manifest["file"]["sha256"]

    @property
    def retrieved(self) -> str:
        """The date the bytes were obtained (origin.retrieved)."""
        return self.manifest["origin"]["retrieved"]


def sha256_of(path: Path, also: Callable[[memoryview], None] | None = None) -> str:
    """Hex sha256 of a file, read 4 MiB at a time into one buffer; each block is also passed to
    ``also`` if given (raw's quote scan rides on this read instead of reading the file again)."""
    digest = hashlib.sha256()
    block = bytearray(1 << 22)
    with open(path, "rb") as handle:
        while got := handle.readinto(block):
            view = memoryview(block)[:got]
            digest.update(view)
            if also is not None:
                also(view)
    return digest.hexdigest()


def count_csv_records(data: bytes) -> int:
    """CSV records after the header; a quoted field spanning lines counts once, blank lines not at all."""
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return max(sum(1 for record in reader if record) - 1, 0)


def list_versions(sources_dir: Path, source: str) -> list[str]:
    """Version folders that hold a manifest, oldest first (versions are ISO dates, so they sort)."""
    folder = sources_dir / source
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / MANIFEST_NAME).is_file())


def load_snapshot(sources_dir: Path, source: str, version: str | None = None) -> Snapshot:
    """The pinned version of a source, or its newest one."""
    versions = list_versions(sources_dir, source)
    if not versions:
        raise SourceError(
            f"no snapshot of source {source!r} under {sources_dir / source} (expected <version>/{MANIFEST_NAME})"
        )
    chosen = version or versions[-1]
    if chosen not in versions:
        raise SourceError(f"source {source!r} has no version {chosen!r}; available: {', '.join(versions)}")
    folder = sources_dir / source / chosen
    manifest = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    return Snapshot(source=source, version=chosen, folder=folder, manifest=manifest)


def manifest_problems(manifest: object) -> list[str]:
    """Every way a manifest departs from sources/manifest.schema.json, one "where: what" line each."""
    import jsonschema  # lazily: only writing and verifying snapshots need it

    schema = json.loads(MANIFEST_SCHEMA_PATH.read_text(encoding="utf-8"))
    errors = jsonschema.Draft202012Validator(schema).iter_errors(manifest)
    lines = [
        f"{'.'.join(str(part) for part in error.absolute_path) or '(top level)'}: {error.message}" for error in errors
    ]
    return sorted(lines)


def verify_snapshot(snapshot: Snapshot, also: Callable[[memoryview], None] | None = None) -> str:
    """Check the data file against its manifest before anything reads it; returns the hash.
    ``also``: see sha256_of."""
    path = snapshot.data_path
    if not path.is_file():
        raise SourceError(f"{path} is listed in {snapshot.folder / MANIFEST_NAME} but does not exist")
    actual = sha256_of(path, also)
    if actual != snapshot.sha256:
        raise ChecksumMismatch(path, snapshot.sha256, actual)
    return actual


def write_snapshot(
    sources_dir: Path, source: str, version: str, data: bytes, origin: dict, provenance_note: str | None = None
) -> Snapshot:
    """Add a new immutable version folder (refuses to overwrite an existing one)."""
    spec = SOURCES_BY_NAME[source]
    folder = sources_dir / source / version
    if folder.exists():
        raise SourceError(f"{folder} already exists: snapshots are immutable, choose a new version")
    manifest = {
        "source": source,
        "version": version,
        "origin": origin,
        "file": {
            "name": spec.file_name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size_bytes": len(data),
            "rows": count_csv_records(data),
        },
    }
    problems = manifest_problems(manifest)
    if problems:
        raise SourceError(
            f"the manifest of {source} {version} would not match {MANIFEST_SCHEMA_PATH.name}: " + "; ".join(problems)
        )
    folder.mkdir(parents=True)
    (folder / spec.file_name).write_bytes(data)
    if provenance_note is not None:
        (folder / "PROVENANCE.md").write_text(provenance_note, encoding="utf-8")
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return Snapshot(source=source, version=version, folder=folder, manifest=manifest)
