select
    patent_id,
    classifier,
    region,
    sic4,
    cast(grant_year as integer) as grant_year,
    cast(application_year as integer) as application_year,
    is_ree,
    ree_enhancing,
    cast(weight as double) as weight
from {{ source('patents', 'patents_classified') }}
