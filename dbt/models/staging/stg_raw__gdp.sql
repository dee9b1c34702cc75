select
    country,
    cast(year as integer) as year,
    cast(gdp_usd as double) as gdp_usd,
    cast(coalesce(gdp_real_usd, gdp_usd) as double) as gdp_real_usd
from {{ source('raw', 'gdp') }}
