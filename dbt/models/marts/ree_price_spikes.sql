{#- The 2010-11 REE price spike: peak price within the spike window over the pre-shock price. -#}
with prices as (
    select * from {{ ref('stg_raw__ree_prices') }}
),

base as (
    select element, market, price_usd_per_kg as price_base
    from prices
    where year = {{ var('price_base_year') }}
),

peak as (
    select
        element,
        market,
        max(price_usd_per_kg) as price_peak,
        arg_max(year, price_usd_per_kg) as peak_year,
        min(quality) as quality
    from prices
    where year between {{ var('spike_first_year') }} and {{ var('spike_last_year') }}
    group by element, market
)

select
    peak.element,
    peak.market,
    base.price_base,
    peak.price_peak,
    cast(peak.peak_year as integer) as peak_year,
    peak.price_peak / base.price_base as spike_ratio,
    complementarity.complementarity_share,
    peak.quality
from peak
inner join base using (element, market)
left join {{ ref('stg_raw__ree_complementarity') }} as complementarity using (element)
