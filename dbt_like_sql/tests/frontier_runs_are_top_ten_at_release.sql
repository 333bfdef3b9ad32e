-- A frontier run must rank in the top 10 at release and have a compute estimate.
select model_id, compute_rank_at_release, training_compute_flop
from marts.frontier_runs
where compute_rank_at_release > 10 or training_compute_flop is null
