-- The yearly counts add up to the number of runs.
select summed, total
from (
    select
        (select sum(n_models) from marts.yearly_summary) as summed,
        (select count(*) from marts.training_runs) as total
) as counts
where summed <> total
