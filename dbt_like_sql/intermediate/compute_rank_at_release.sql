-- For every dated model with a compute estimate: its rank by training compute among all models
-- published on or before its own publication date. Ties in compute are broken by model_id so
-- the rank never depends on row order.
--
-- One framed window instead of a self-join (which is O(n^2) and did not finish at 1M rows): in
-- the order (publication_date, compute descending, model_id), the rows up to and including a
-- model are exactly those published on or before it, and the ones among them that outrank it
-- come first in (compute descending, model_id) order, so the framed rank() counts them. DuckDB
-- evaluates framed ranking with a merge-sort tree: O(n log n).
select
    model_id,
    rank(order by training_compute_flop desc, model_id) over (
        order by publication_date, training_compute_flop desc, model_id
        rows between unbounded preceding and current row
    ) as compute_rank_at_release
from intermediate.notable_models_curated
where training_compute_flop is not null
    and publication_date is not null
