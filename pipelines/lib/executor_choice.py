"""Which Dagster executor runs the steps of `build_warehouse`, from FLOPCAST_EXECUTOR.

Read when the definitions load (never at import). Only executors that work with one private DuckDB
file are offered: every step writes ``<warehouse>/.build/flopcast.duckdb``, and DuckDB allows a
single writer process, so steps run one after another whichever executor starts them.

* ``in_process`` (default): every step in the run's own process.
* ``multiprocess``: every step in its own child process, at most one at a time
  (``max_concurrent: 1``), so each takes the DuckDB file after the previous one let it go.

`flopcast build` always runs in-process (Dagster's execute_in_process); the variable applies to runs
that Dagster launches: the UI, schedules and sensors through the daemon, `dagster job execute`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

EXECUTOR_ENV = "FLOPCAST_EXECUTOR"
EXECUTORS = ("in_process", "multiprocess")
DEFAULT_EXECUTOR = "in_process"

_NOT_INSTALLED = {
    "k8s": "the Kubernetes executor (k8s_job_executor) needs the dagster-k8s package, which is not in "
    "requirements.lock, and a warehouse folder every step pod can write",
    "celery": "the Celery executors need dagster-celery, which is not in requirements.lock",
    "docker": "the Docker executor needs dagster-docker, which is not in requirements.lock",
}


class ExecutorChoiceError(ValueError):
    pass


def executor_choice(environ: Mapping[str, str] | None = None) -> str:
    """The executor named by FLOPCAST_EXECUTOR (unset or empty: in_process)."""
    environ = os.environ if environ is None else environ
    raw = environ.get(EXECUTOR_ENV, "")
    value = raw.strip().lower().replace("-", "_")
    if not value:
        return DEFAULT_EXECUTOR
    if value in EXECUTORS:
        return value
    allowed = f"expected one of: {', '.join(EXECUTORS)} (default {DEFAULT_EXECUTOR})"
    reason = _NOT_INSTALLED.get(value)
    if reason:
        raise ExecutorChoiceError(f"{EXECUTOR_ENV}={raw!r} is not available: {reason}; {allowed}. See docs/SCALING.md.")
    raise ExecutorChoiceError(f"{EXECUTOR_ENV}={raw!r} is not a known executor; {allowed}.")
