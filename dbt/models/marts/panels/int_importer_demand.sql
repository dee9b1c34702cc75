{#- Demand control of the growth regressions (specs/patents_and_did.md): the lagged growth of the
    weighted log real GDP of the top importers of (c, s),
        D_cst = sum_p w_csp ln GDP_pt,   demand_growth_lag_cst = D_cs,t-1 - D_cs,t-2,
    w_csp = exports of (c, s) to p over the pre-period (first sample year to the year before post),
    over the top `did_top_importers` partners (shares sum to 1). Cells without bilateral exports
    have no demand control (null). -#}
with partner_exports as (
    select
        reporter as country,
        sic4,
        partner,
        sum(value_usd) as value_usd
    from {{ ref('stg_raw__trade') }}
    where
        partner <> 'WLD'
        and year between {{ var('did_first_year') }} and {{ var('did_post_year') }} - 1
    group by reporter, sic4, partner
),

top as (
    select
        *,
        row_number() over (partition by country, sic4 order by value_usd desc, partner asc) as rank
    from partner_exports
),

weights as (
    select
        country,
        sic4,
        partner,
        value_usd / sum(value_usd) over (partition by country, sic4) as weight
    from top
    where rank <= {{ var('did_top_importers') }}
),

demand as (
    select
        weights.country,
        weights.sic4,
        gdp.year,
        sum(weights.weight * ln(gdp.gdp_real_usd)) as log_demand
    from weights
    inner join {{ ref('stg_raw__gdp') }} as gdp on weights.partner = gdp.country
    group by weights.country, weights.sic4, gdp.year
)

select
    country,
    sic4,
    year,
    lag(log_demand, 1) over cell - lag(log_demand, 2) over cell as demand_growth_lag
from demand
window cell as (partition by country, sic4 order by year)
