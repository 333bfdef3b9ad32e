-- Every clean model reaches the mart, plus each curated new run (no join may drop or duplicate a model).
select clean_rows, new_runs, mart_rows
from (
    select
        (select count(*) from clean.notable_models) as clean_rows,
        (select count(distinct model_id) from marts.value_provenance
            where estimates = 'baseline' and status = 'new_run') as new_runs,
        (select count(*) from marts.training_runs) as mart_rows
) as counts
where clean_rows + new_runs <> mart_rows
