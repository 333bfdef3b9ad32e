-- For every model with a compute estimate: its rank by training compute among all models
-- published on or before its own publication date. Ties in compute are broken by model_id so
-- the rank never depends on row order.
with known as (
    select model_id, publication_date, training_compute_flop
    from intermediate.notable_models_curated
    where training_compute_flop is not null
),
larger_before as (
    select
        m.model_id,
        count(o.model_id) as n_larger
    from known as m
    left join known as o
        on o.publication_date <= m.publication_date
        and (
            o.training_compute_flop > m.training_compute_flop
            or (o.training_compute_flop = m.training_compute_flop and o.model_id < m.model_id)
        )
    group by m.model_id
)
select
    model_id,
    n_larger + 1 as compute_rank_at_release
from larger_before
