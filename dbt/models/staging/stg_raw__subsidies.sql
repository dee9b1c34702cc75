select
    country,
    sic4,
    cast(year as integer) as year,
    cast(subsidy_share as double) as subsidy_share
from {{ source('raw', 'subsidies') }}
