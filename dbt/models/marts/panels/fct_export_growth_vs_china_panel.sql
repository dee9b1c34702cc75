{#- Export growth relative to China's growth in the same SIC industry and year (AFSV):
    g_cst - g_CHN,st. China itself is not in the panel (its value would be identically 0).
    (noqa RF02: DuckDB's EXCLUDE names a column of panel, which sqlfluff reads as unqualified.) -#}
with panel as (
    select * from {{ ref('fct_export_growth_panel') }}
),

china as (
    select
        sic4,
        year,
        export_growth as china_export_growth
    from panel
    where country = 'CHN'
)

select
    panel.* exclude (export_growth),  -- noqa: RF02
    panel.export_growth - china.china_export_growth as export_growth_vs_china
from panel
inner join china using (sic4, year)
where panel.country <> 'CHN'
