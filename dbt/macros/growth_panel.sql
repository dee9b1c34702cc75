{#- A country x SIC x year DiD panel of a growth outcome (specs/patents_and_did.md): the outcome
    columns of `growth` (a relation with country, sic4, year, gap), the AFSV region, Sens_s and its
    country-sector variants, post = 1{year >= did_post_year}, the controls x post: GTA subsidy
    share (0 where GTA records none), NBER-CES pre-period capital and labour intensity, and the
    demand control (int_importer_demand; null for cells without bilateral exports). Manufacturing
    (SIC 2000-3999), sample years only; industries without NBER-CES intensities are left out. -#}
{% macro growth_panel(growth, outcomes) -%}
with growth as (
    select * from {{ growth }}
),

variants as (
    select
        country,
        sic4,
        max(case when variant = 'price_spike' then sensitivity end) as sensitivity_price_spike,
        max(case when variant = 'china_import_share' then sensitivity end) as sensitivity_china_import_share
    from {{ source('core', 'ree_sensitivity_country') }}
    group by country, sic4
),

panel as (
    select
        growth.country,
        {{ afsv_region('growth.country') }} as region,
        growth.sic4,
        cast(growth.year as integer) as year,
        {% for outcome in outcomes %}cast(growth.{{ outcome }} as double) as {{ outcome }},
        {% endfor %}cast(growth.gap as integer) as gap,
        sens.sensitivity,
        variants.sensitivity_price_spike,
        variants.sensitivity_china_import_share,
        cast(growth.year >= {{ var('did_post_year') }} as integer) as post,
        coalesce(subsidies.subsidy_share, 0.0) as subsidy_share,
        controls.capital_intensity,
        controls.labour_intensity,
        demand.demand_growth_lag
    from growth
    inner join {{ source('core', 'ree_sensitivity') }} as sens using (sic4)
    inner join {{ ref('int_sector_controls') }} as controls using (sic4)
    left join variants using (country, sic4)
    left join {{ ref('stg_raw__subsidies') }} as subsidies using (country, sic4, year)
    left join {{ ref('int_importer_demand') }} as demand using (country, sic4, year)
    where growth.sic4 between '2000' and '3999'
      and growth.year between {{ var('did_first_year') }} and {{ var('did_last_year') }}
)

select
    * exclude (subsidy_share, capital_intensity, labour_intensity),
    subsidy_share * post as subsidy_post,
    capital_intensity * post as capital_intensity_post,
    labour_intensity * post as labour_intensity_post
from panel
{%- endmacro %}
