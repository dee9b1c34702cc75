{#- All event-study coefficients (tables.md event_study_results): the union of the event_study_* assets. -#}
{% for outcome in ['patents', 'tfp_growth', 'export_growth', 'export_growth_vs_china'] %}
    select * from {{ source('results', 'event_study_' ~ outcome) }}
    {% if not loop.last %}union all by name{% endif %}
{% endfor %}
