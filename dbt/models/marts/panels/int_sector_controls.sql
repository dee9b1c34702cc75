{#- Sector controls of the growth regressions (specs/patents_and_did.md): capital intensity
    (cap / vship) and labour intensity (pay / vship) of each SIC industry, NBER-CES means over the
    pre-period (first sample year to the year before post). -#}
select
    sic4,
    avg(cap / vship) as capital_intensity,
    avg(pay / vship) as labour_intensity
from {{ ref('stg_raw__industry_stats_us') }}
where year between {{ var('did_first_year') }} and {{ var('did_post_year') }} - 1
group by sic4
