-- Runs that were among the 10 (frontier_top_n) largest by training compute when they were released.
select
    model_id,
    model,
    organization,
    publication_date,
    publication_year_fraction,
    training_compute_flop,
    compute_rank_at_release,
    training_cost_usd,
    training_power_w,
    training_tokens,
    parameters,
    source_version
from marts.training_runs
where is_frontier
