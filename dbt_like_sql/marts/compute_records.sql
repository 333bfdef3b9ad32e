-- Runs that set a new record for training compute: larger than every run released before them
-- (runs released the same day are ordered by model_id, so exactly one can take the record).
with ordered as (
    select
        model_id,
        model,
        organization,
        publication_date,
        publication_year_fraction,
        training_compute_flop,
        max(training_compute_flop) over (
            order by publication_date, model_id
            rows between unbounded preceding and 1 preceding
        ) as previous_record_flop
    from marts.training_runs
    where training_compute_flop is not null
)
select
    model_id,
    model,
    organization,
    publication_date,
    publication_year_fraction,
    training_compute_flop,
    previous_record_flop,
    training_compute_flop / previous_record_flop as ratio_to_previous_record
from ordered
where previous_record_flop is null or training_compute_flop > previous_record_flop
