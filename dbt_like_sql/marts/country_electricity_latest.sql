-- Each country's electricity demand in its latest reported year (Ember's latest year differs by
-- country), as average power in GW = TWh / 8.76: the yardstick for "as much as a country".
with ranked as (
    select
        *,
        row_number() over (partition by country_or_region order by year desc) as recency
    from staging.country_electricity
    where not is_aggregate
)
select
    country_or_region,
    country_code,
    continent,
    year,
    demand_twh,
    average_power_gw,
    source_version
from ranked
where recency = 1
