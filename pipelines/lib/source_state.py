"""What the bundled sources look like right now, for the `new_source_version` sensor.

No Dagster here: the sensor in ``pipelines/defs/schedules.py`` only wires ``decide`` to a cursor.

* ``source_fingerprint`` is a stable string that changes exactly when a version folder with a
  manifest is added to or removed from ``sources/<source>/`` (for a source in ``SOURCES``). Files
  inside a version folder are immutable, so they are not read, only each manifest's recorded
  sha256; a folder without a manifest (e.g. the ``.incoming-*`` folder of a download still being
  checked) does not count.
* ``decide`` is the sensor's whole rule, see its docstring.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from pipelines.lib.sources import MANIFEST_NAME, SOURCES, list_versions

FINGERPRINT_PREFIX = "sources-sha256:"


def _manifest_sha256(folder: Path) -> str:
    """The data file's checksum as the manifest records it ("unreadable" if the manifest is not valid JSON:
    the build will fail loudly on it; the fingerprint only has to notice when it changes)."""
    try:
        manifest = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
        return str(manifest["file"]["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        return "unreadable"


def snapshot_lines(sources_dir: Path) -> list[str]:
    """One sorted "source/version/sha256" line per version folder that holds a manifest."""
    lines = []
    for spec in SOURCES:
        for version in list_versions(sources_dir, spec.name):
            lines.append(f"{spec.name}/{version}/{_manifest_sha256(sources_dir / spec.name / version)}")
    return sorted(lines)


def source_fingerprint(sources_dir: Path) -> str:
    """e.g. "sources-sha256:3f0c..."; the same folders give the same string on every machine."""
    digest = hashlib.sha256("\n".join(snapshot_lines(Path(sources_dir))).encode("utf-8")).hexdigest()
    return FINGERPRINT_PREFIX + digest


def newest_versions(sources_dir: Path) -> dict[str, str]:
    """source -> its newest version (what an unpinned build loads); sources without any version are left out."""
    newest = {}
    for spec in SOURCES:
        versions = list_versions(Path(sources_dir), spec.name)
        if versions:
            newest[spec.name] = versions[-1]
    return newest


def published_versions(manifest_path: Path) -> dict[str, str] | None:
    """source -> version from the published warehouse's manifest.json; None if there is none (or it is unreadable)."""
    try:
        manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
        return {name: str(entry["version"]) for name, entry in manifest["sources"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def describe_versions(versions: dict[str, str]) -> str:
    """ "source=version,..." in catalogue order: the value of the run tag ``flopcast/sources``."""
    return ",".join(f"{spec.name}={versions[spec.name]}" for spec in SOURCES if spec.name in versions)


@dataclass(frozen=True)
class Decision:
    """What the sensor does on one evaluation: request a build or not, and the cursor to store either way."""

    request_build: bool
    cursor: str  # the fingerprint now; also the run key when a build is requested
    reason: str
    versions: dict[str, str]  # the newest version of every source now


def decide(sources_dir: Path, published_manifest: Path, cursor: str | None) -> Decision:
    """The `new_source_version` sensor's rule.

    * The cursor holds the fingerprint of the sources the last evaluation saw.
    * Fingerprint differs from a stored cursor (a version folder was added or removed): build.
    * Same fingerprint: nothing to do.
    * No cursor yet (first evaluation, or after a sensor reset): build, because the warehouse may
      not exist yet, unless the published manifest already records exactly the newest version of
      every source, in which case only the cursor is stored.
    The cursor is the new fingerprint in every case, so each change is acted on once.
    """
    fingerprint = source_fingerprint(sources_dir)
    versions = newest_versions(sources_dir)
    if cursor == fingerprint:
        return Decision(False, fingerprint, "no new source version", versions)
    if cursor is None or cursor == "":
        if published_versions(published_manifest) == versions:
            return Decision(
                False, fingerprint, "the published warehouse already uses the newest version of every source", versions
            )
        return Decision(
            True,
            fingerprint,
            "first evaluation and the published warehouse is missing or older than the sources",
            versions,
        )
    return Decision(True, fingerprint, "a source version folder was added or removed", versions)
