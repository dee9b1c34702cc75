{#- All DiD estimates (tables.md did_results): the union of the did_* assets' rows. -#}
{% for outcome in ['patents', 'tfp_growth', 'export_growth', 'export_growth_vs_china'] %}
    select * from {{ source('results', 'did_' ~ outcome) }}
    {% if not loop.last %}union all by name{% endif %}
{% endfor %}
