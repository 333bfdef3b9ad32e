-- The analyst's table: one row per notable model (curated corrections and new runs applied, see
-- marts.value_provenance), with the frontier and large-scale flags computed here
-- (frontier = among the frontier_top_n (10) largest by training compute at release; large-scale =
-- at least large_scale_min_flop (1e23 FLOP); both read from pipelines/lib/settings.py as DuckDB variables).
--
-- compute_rank_at_release: for every dated model with a compute estimate, its rank by training
-- compute among all models published on or before its own publication date. Ties in compute are
-- broken by model_id so the rank never depends on row order. One framed window instead of a
-- self-join (which is O(n^2) and did not finish at 1M rows): in the order (publication_date,
-- compute descending, model_id), the rows up to and including a model are exactly those published
-- on or before it, and the ones among them that outrank it come first in (compute descending,
-- model_id) order, so the framed rank() counts them. DuckDB evaluates framed ranking with a
-- merge-sort tree: O(n log n). Computed here rather than in a table of its own, which was one more
-- pass and one more stored copy per run. Not sorted: at 10M runs a sort
-- of every column spills past the memory limit (117 s against 52 s); readers sort what they read.
with ranked as (
    select
        model_id,
        rank(order by training_compute_flop desc, model_id) over (
            order by publication_date, training_compute_flop desc, model_id
            rows between unbounded preceding and current row
        ) as compute_rank_at_release
    from intermediate.notable_models_curated
    where training_compute_flop is not null
        and publication_date is not null
)

select
    s.model_id,
    s.model,
    s.organization,
    s.country,
    s.domain,
    s.is_language_model,
    s.publication_date,
    s.publication_date_precision,
    s.publication_year_fraction,
    s.parameters,
    s.training_compute_flop,
    s.training_tokens,
    s.training_cost_usd,
    s.training_power_w,
    s.training_hardware,
    s.hardware_quantity,
    s.training_time_hours,
    s.hardware_utilization_mfu,
    s.confidence,
    r.compute_rank_at_release,
    coalesce(r.compute_rank_at_release <= getvariable('frontier_top_n'), false) as is_frontier,
    coalesce(s.training_compute_flop >= getvariable('large_scale_min_flop'), false) as is_large_scale,
    s.is_epoch_frontier,
    s.source,
    s.source_version,
    s.source_row_number
from intermediate.notable_models_curated as s
left join ranked as r using (model_id)
