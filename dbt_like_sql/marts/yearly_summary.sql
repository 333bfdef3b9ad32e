-- Per publication year: how many models, how many with each estimate, and the largest values.
select
    year(publication_date) as year,
    count(*) as n_models,
    count(training_compute_flop) as n_with_compute,
    count(training_cost_usd) as n_with_cost,
    count(training_tokens) as n_with_tokens,
    count(training_power_w) as n_with_power,
    count_if(is_frontier)::bigint as n_frontier,
    count_if(is_large_scale)::bigint as n_large_scale,
    max(training_compute_flop) as max_training_compute_flop,
    median(training_compute_flop) as median_training_compute_flop,
    max(training_cost_usd) as max_training_cost_usd,
    max(training_power_w) as max_training_power_w,
    max(training_tokens) as max_training_tokens
from marts.training_runs
group by year(publication_date)
