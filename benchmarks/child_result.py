"""How a benchmark child process hands its result to `benchmarks.run`: its own peak RSS and an
atomically written JSON file (a reader never sees half a file, even if the child is killed)."""

from __future__ import annotations

import json
import os
import resource
from pathlib import Path


def finished(mode: str, result: dict) -> dict:
    """The child's result marked finished, with the process's peak RSS so far."""
    return {
        "mode": mode,
        **result,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,  # Linux reports KiB
        "status": "ok",
    }


def write_result(path: Path | None, result: dict) -> None:
    """Write `result` as JSON to `path` (nothing when None), replacing any earlier file at once."""
    if path is None:
        return
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
