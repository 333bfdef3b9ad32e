-- Each record must beat the one before it.
select model_id, training_compute_flop, previous_record_flop
from marts.compute_records
where previous_record_flop is not null and training_compute_flop <= previous_record_flop
