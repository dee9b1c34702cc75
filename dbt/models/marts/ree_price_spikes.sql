{#- The 2010-11 REE price spike: the highest price of the peak year over the mean price of the
    base year (specs/io_table.md: 2011 peak over 2009), by element and market. The price-spike
    variant of ree_sensitivity_country uses the same definition (core.sensitivity.price_spike). -#}
with prices as (
    select * from {{ ref('stg_raw__ree_prices') }}
),

base as (
    select
        element,
        market,
        avg(price_usd_per_kg) as price_base
    from prices
    where year = {{ var('price_base_year') }}
    group by element, market
),

peak as (
    select
        element,
        market,
        max(price_usd_per_kg) as price_peak,
        min(quality) as quality
    from prices
    where year = {{ var('price_peak_year') }}
    group by element, market
)

select
    peak.element,
    peak.market,
    base.price_base,
    peak.price_peak,
    {{ var('price_peak_year') }} as peak_year,
    complementarity.complementarity_share,
    peak.quality,
    peak.price_peak / base.price_base as spike_ratio
from peak
inner join base using (element, market)
left join {{ ref('stg_raw__ree_complementarity') }} as complementarity using (element)
