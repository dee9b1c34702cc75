{#- Patent outcome panel of the AFSV DiD (specs/patents_and_did.md, Outcome panels): region x SIC x
    year, where the year is the patent's `year_column` of stg_patents__patents_classified (grant_year,
    the baseline; application_year, the robustness variant). Every cell of the grid (zeros included:
    PPML needs them), for the classifier var('patent_classifier') (auto, the default: whichever
    classifier patents_classified used). Flows count REE patents (all, and
    REE-enhancing); non_ree_patents is the weighted control count (weights scale each region-grant
    year's sample to its non-REE total). Stocks are perpetual inventories with depreciation
    delta = var('patent_depreciation'):
        K_t = (1 - delta) K_{t-1} + flow_t = sum_{tau <= t} (1 - delta)^(t - tau) flow_tau,
    summed from the first year of the panel. -#}
{% macro patent_panel(year_column) -%}
{%- set delta = var('patent_depreciation') -%}
with classified as (
    select * from {{ ref('stg_patents__patents_classified') }}
    where
        region is not null and sic4 is not null and {{ year_column }} is not null
        {%- if var("patent_classifier") != "auto" %}
            and classifier = '{{ var("patent_classifier") }}'
        {%- endif %}
),

flows as (
    select
        region,
        sic4,
        {{ year_column }} as year,
        count(*) filter (where is_ree and ree_enhancing) as ree_enhancing_flow,
        count(*) filter (where is_ree) as ree_flow,
        coalesce(sum(weight) filter (where not is_ree), 0) as non_ree_patents
    from classified
    group by all
),

bounds as (
    select
        min(year) as first_year,
        max(year) as last_year
    from flows
),

regions as (
    select distinct region from flows
),

industries as (
    select distinct sic4 from flows
),

years as (
    select unnest(range(first_year, last_year + 1)) as year from bounds
),

grid as (
    select
        regions.region,
        industries.sic4,
        years.year
    from regions
    cross join industries
    cross join years
),

filled as (
    select
        grid.region,
        grid.sic4,
        cast(grid.year as integer) as year,
        cast(coalesce(flows.non_ree_patents, 0) as double) as non_ree_patents,
        coalesce(flows.ree_enhancing_flow, 0) as ree_enhancing_flow,
        coalesce(flows.ree_flow, 0) as ree_flow,
        grid.year - bounds.first_year as age
    from grid
    cross join bounds
    left join flows using (region, sic4, year)
)

select
    region,
    sic4,
    year,
    sum(ree_enhancing_flow * power(1 - {{ delta }}, -age)) over history * power(1 - {{ delta }}, age)
        as ree_enhancing_stock,
    sum(ree_flow * power(1 - {{ delta }}, -age)) over history * power(1 - {{ delta }}, age) as ree_stock,
    cast(ree_enhancing_flow as bigint) as ree_enhancing_flow,
    cast(ree_flow as bigint) as ree_flow,
    non_ree_patents
from filled
window history as (partition by region, sic4 order by year rows between unbounded preceding and current row)
{%- endmacro %}
