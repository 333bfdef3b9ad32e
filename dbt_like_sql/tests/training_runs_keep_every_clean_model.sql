-- Every clean model reaches the mart (no join may drop or duplicate a model).
select clean_rows, mart_rows
from (
    select
        (select count(*) from clean.notable_models) as clean_rows,
        (select count(*) from marts.training_runs) as mart_rows
) as counts
where clean_rows <> mart_rows
