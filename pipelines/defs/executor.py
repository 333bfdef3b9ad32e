"""The Dagster executor of `build_warehouse`, chosen by FLOPCAST_EXECUTOR (see pipelines/lib/executor_choice.py)."""

import dagster as dg

from pipelines.lib.executor_choice import executor_choice


def executor_definition(choice: str | None = None) -> dg.ExecutorDefinition:
    """choice: "in_process" or "multiprocess"; None reads FLOPCAST_EXECUTOR."""
    choice = choice or executor_choice()
    if choice == "multiprocess":
        # One step process at a time: they all write the same private DuckDB file (single writer).
        return dg.multiprocess_executor.configured({"max_concurrent": 1}, name="multiprocess_one_at_a_time")
    if choice == "in_process":
        return dg.in_process_executor
    raise ValueError(f"unknown executor {choice!r}")
