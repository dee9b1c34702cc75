{#- Every GE counterfactual in one table: the union of the counterfactual and sweep assets. -#}
{%- set parts = ['ge_counterfactual_exogenous', 'ge_counterfactual_endogenous', 'ge_tax_sweep'] %}
{%- for part in parts %}
    select
        '{{ part }}' as asset,
        scenario,
        region,
        sector,
        variable,
        value
    from {{ source('results', part) }}
    {%- if not loop.last %}
        union all
    {%- endif %}
{%- endfor %}
