"""The run defaults and business rules, written once.

Everything else reads them from here: the ``flopcast build`` options (their argparse defaults), the
Dagster resource (its field defaults), the analysis code, and the SQL models, which read the rules
as DuckDB variables (``getvariable('frontier_top_n')``) set on the connection by
:func:`set_sql_variables` before any model or check runs. A threshold changed here therefore changes
the warehouse's flags, the scenario estimates (which run the same SQL models, see
``sql_runner.select_model``), the checks and the data card together.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class Settings:
    # --- run defaults (each is a `flopcast build` option and a field of the Dagster resource) ---
    seed: int = 20260719  # base seed of every bootstrap (the retrieval date of the first Epoch snapshot)
    bootstrap_resamples: int = 2000  # bootstrap resamples per trend fit
    horizon_year: int = 2035  # last projected year
    cluster_start_year: int = 2019  # first year of the largest-cluster fits (ranking uses the whole history)
    # --- reporting ---
    headline_year: int = 2030  # the year the headline projections and the report's summary quote
    # --- business rules (the SQL models read these as DuckDB variables) ---
    frontier_top_n: int = 10  # is_frontier: among the N largest runs by training compute at release
    large_scale_min_flop: float = 1e23  # is_large_scale: at least this much training compute
    # the largest-cluster population: among the N largest by power when first operational
    largest_clusters_top_n: int = 10

    def replace(self, **changes) -> Settings:
        """A copy with the given fields changed (settings are frozen)."""
        return dataclasses.replace(self, **changes)


DEFAULTS = Settings()

# The settings the SQL models and checks may read with getvariable('name'). A name outside this set
# is refused when the SQL project loads (getvariable of an unset name is a silent NULL in DuckDB).
SQL_VARIABLES = ("frontier_top_n", "large_scale_min_flop")
_SQL_TYPES = {int: "BIGINT", float: "DOUBLE"}


def sql_variables(settings: Settings = DEFAULTS) -> dict[str, int | float]:
    """name -> value of every setting the SQL may read."""
    return {name: getattr(settings, name) for name in SQL_VARIABLES}


def set_sql_variables(con: duckdb.DuckDBPyConnection, settings: Settings = DEFAULTS) -> None:
    """SET VARIABLE for every SQL setting on this connection (DuckDB variables live per connection).

    Typed explicitly, so 1e23 is a DOUBLE and 10 a BIGINT whatever literal syntax would infer.
    """
    for name, value in sql_variables(settings).items():
        kind = _SQL_TYPES[type(value)]
        con.execute(f"SET VARIABLE {name} = CAST({value!r} AS {kind})")
