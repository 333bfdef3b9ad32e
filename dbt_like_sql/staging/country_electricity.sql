-- Electricity demand of countries (aggregates such as World or EU are kept apart by is_aggregate).
select
    country_or_region,
    country_code,
    continent,
    is_aggregate,
    year,
    demand_twh,
    average_power_gw,
    demand_mwh_per_capita,
    source,
    source_version,
    source_row_number
from clean.country_electricity
