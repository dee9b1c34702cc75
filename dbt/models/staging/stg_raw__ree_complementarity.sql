select
    element,
    cast(complementarity as double) as complementarity,
    cast(complementarity as double) / 100.0 as complementarity_share,
    source
from {{ source('raw', 'ree_complementarity') }}
