"""The project's Dagster instance folder, shared by `flopcast build`, `make dev` and the `dagster` CLI.

`DAGSTER_HOME` if set (made absolute: Dagster refuses a relative one), else `./.dagster_home`. A new
folder gets the same dagster.yaml `make dev` writes: one queued run at a time (every run writes the
same private database) and no telemetry.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DAGSTER_HOME = ".dagster_home"
DAGSTER_YAML = "run_queue:\n  max_concurrent_runs: 1\ntelemetry:\n  enabled: false\n"  # as in the Makefile's dev target


def dagster_home() -> Path:
    """DAGSTER_HOME as an absolute path (default ./.dagster_home), where builds record their runs."""
    return Path(os.environ.get("DAGSTER_HOME") or DEFAULT_DAGSTER_HOME).expanduser().resolve()


def ensure_dagster_home() -> Path:
    """The instance folder, created with its dagster.yaml when missing; returns its absolute path."""
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        partial = home / f".dagster.yaml.{os.getpid()}"
        partial.write_text(DAGSTER_YAML, encoding="utf-8")
        os.replace(partial, config)  # two first builds at once both write the same whole file
    return home
