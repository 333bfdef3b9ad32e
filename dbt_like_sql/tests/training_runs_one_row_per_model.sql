-- model_id is the key of marts.training_runs.
select model_id, count(*) as n
from marts.training_runs
group by model_id
having count(*) > 1
