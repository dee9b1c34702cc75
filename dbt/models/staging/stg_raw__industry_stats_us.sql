select
    sic4,
    cast(year as integer) as year,
    cast(vship as double) as vship,
    cast(vadd as double) as vadd,
    cast(emp as double) as emp,
    cast(pay as double) as pay,
    cast(cap as double) as cap,
    cast(tfp4 as double) as tfp4
from {{ source('raw', 'industry_stats_us') }}
