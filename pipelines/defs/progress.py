"""A Dagster logger that prints one line per asset and check, for `flopcast build`."""

import logging
import sys
import time

import dagster as dg

# Dagster puts its event on each log record it emits under this attribute: no public function reads
# it, but it is the same name Dagster's own JSON console logger writes out ("dagster_meta").
DAGSTER_META = "dagster_meta"


def root_error_message(event) -> str:
    """The user's error (e.g. a checksum mismatch), not Dagster's wrapper around it."""
    error = event.step_failure_data.error if event.step_failure_data else None
    if error is None:
        return "failed"
    while error.cause is not None:
        error = error.cause
    return error.message.strip()


class _ProgressHandler(logging.Handler):
    def __init__(self, stream):
        super().__init__()
        self.stream = stream
        self.started: dict[str, float] = {}
        self.check_labels: dict[str, list[str]] = {}  # step key -> "asset:check" of each passed check
        # steps that materialized an asset (a SQL model runs its schema.yml tests too)
        self.materialized: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, DAGSTER_META, None)
        if not isinstance(meta, dict):
            return
        event = meta.get("dagster_event")
        if event is None:
            return
        kind = event.event_type_value
        step = event.step_key or ""
        if kind == "STEP_START":
            self.started[step] = time.monotonic()
        elif kind == "STEP_SUCCESS":
            elapsed = time.monotonic() - self.started.get(step, time.monotonic())
            labels = self.check_labels.pop(step, [])
            if labels and step not in self.materialized:
                self._say(f"  ok    check {', '.join(labels):<52} {elapsed:6.2f}s")
            else:
                name = f"{step} (+{len(labels)} checks)" if labels else step
                self._say(f"  ok    {name:<58} {elapsed:6.2f}s")
        elif kind == "ASSET_MATERIALIZATION":
            self.materialized.add(step)
        elif kind == "STEP_FAILURE":
            self._say(f"  FAIL  {step}: {root_error_message(event)}")
        elif kind == "STEP_SKIPPED":
            self._say(f"  skip  {step} (an upstream step or blocking check failed)")
        elif kind == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            label = f"{data.asset_key.to_user_string()}:{data.check_name}"
            if data.passed:
                self.check_labels.setdefault(step, []).append(label)
            else:
                self._say(f"  FAIL  check {label} (blocking: downstream assets and publish will not run)")

    def _say(self, line: str) -> None:
        print(line, file=self.stream, flush=True)


@dg.logger(description="One line per finished asset and check.")
def progress_logger(init_context) -> logging.Logger:
    logger = logging.Logger("flopcast_progress", level=logging.DEBUG)
    logger.addHandler(_ProgressHandler(sys.stdout))
    return logger
