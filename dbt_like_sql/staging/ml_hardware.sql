-- Accelerators with the throughput that matters for training: tensor FP16/BF16 where known,
-- else plain FP16, else FP32; energy efficiency is that throughput per watt of TDP.
-- flop_per_s_per_w mixes precisions across chip generations, so trends are fitted on the
-- per-precision efficiencies (tensor_fp16_/fp16_/fp32_flop_per_s_per_w), one series at a time.
with throughput as (
    select
        *,
        coalesce(tensor_fp16_flop_per_s, fp16_flop_per_s, fp32_flop_per_s) as training_flop_per_s,
        case
            when tensor_fp16_flop_per_s is not null then 'tensor_fp16'
            when fp16_flop_per_s is not null then 'fp16'
            when fp32_flop_per_s is not null then 'fp32'
        end as training_flop_per_s_precision
    from clean.ml_hardware
)
select
    hardware_id,
    hardware_name,
    manufacturer,
    hardware_type,
    release_date,
    release_date_precision,
    release_year_fraction,
    release_price_usd,
    training_flop_per_s,
    training_flop_per_s_precision,
    tdp_w,
    training_flop_per_s / nullif(tdp_w, 0) as flop_per_s_per_w,
    tensor_fp16_flop_per_s / nullif(tdp_w, 0) as tensor_fp16_flop_per_s_per_w,
    fp16_flop_per_s / nullif(tdp_w, 0) as fp16_flop_per_s_per_w,
    fp32_flop_per_s / nullif(tdp_w, 0) as fp32_flop_per_s_per_w,
    memory_bytes,
    memory_bandwidth_bytes_per_s,
    source,
    source_version,
    source_row_number
from throughput
