-- The analyst's table: one row per notable model (curated corrections and new runs applied, see
-- marts.value_provenance), with the frontier and large-scale flags computed here
-- (frontier = top 10 by training compute at release; large-scale = >= 1e23 FLOP).
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
    coalesce(r.compute_rank_at_release <= 10, false) as is_frontier,
    coalesce(s.training_compute_flop >= 1e23, false) as is_large_scale,
    s.is_epoch_frontier,
    s.source,
    s.source_version,
    s.source_row_number
from intermediate.notable_models_curated as s
left join intermediate.compute_rank_at_release as r using (model_id)
