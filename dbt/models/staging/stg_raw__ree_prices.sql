select
    element,
    market,
    cast(year as integer) as year,
    cast(price_usd_per_kg as double) as price_usd_per_kg,
    source,
    quality
from {{ source('raw', 'ree_prices') }}
