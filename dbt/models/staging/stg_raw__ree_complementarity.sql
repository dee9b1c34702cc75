select
    element,
    cast(complementarity as double) as complementarity,
    source,
    cast(complementarity as double) / 100.0 as complementarity_share
from {{ source('raw', 'ree_complementarity') }}
