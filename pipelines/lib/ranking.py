"""Rank at a date for any table: the largest-cluster population of the trend fits (by power when
first operational).

The training runs' rank at release is not computed here: it is marts.training_runs' own SQL
(dbt_like_sql/marts/training_runs.sql), and scenario estimates run that model on their frame
(curated.frontier_flags). This is the same framed window for other tables, in an in-memory DuckDB
(O(n log n); a pairwise comparison is O(n^2) and does not finish at a million rows).
"""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines.lib.warehouse import quote


def rank_at_date(frame: pl.DataFrame, value: str, date: str, key: str) -> pl.Series:
    """For each row: 1 + how many rows dated on or before it have a larger `value` (ties: smaller
    `key` ranks first). Null where the value or the date is null. `key` must be unique."""
    if frame[key].is_duplicated().any():
        raise ValueError(
            f"rank_at_date: {key} must be unique; {frame[key].filter(frame[key].is_duplicated())[0]!r} repeats"
        )
    known = frame.select(key, value, date).filter(pl.col(value).is_not_null() & pl.col(date).is_not_null())
    k, v, d = quote(key), quote(value), quote(date)
    con = duckdb.connect()
    try:
        con.register("known", known.to_arrow())
        ranked = pl.from_arrow(
            con.sql(
                f"""select {k} as k, rank(order by {v} desc, {k}) over (
                    order by {d}, {v} desc, {k} rows between unbounded preceding and current row
                ) as r from known"""
            ).to_arrow_table()
        )
    finally:
        con.close()
    ranks = frame.select(pl.col(key).alias("k")).join(ranked, on="k", how="left", maintain_order="left")
    return ranks["r"].cast(pl.Int64).alias("rank_at_date")
