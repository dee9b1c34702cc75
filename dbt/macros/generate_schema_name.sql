{#- Models land in the schema their folder names (staging, marts, results), not <target>_<schema>.
    With the var `wap` (write-audit-publish) they land in wap_<schema> instead, where nothing reads
    them: the Dagster asset builds and tests them there, audits their contracts, and only then
    builds the published schemas. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set schema = custom_schema_name if custom_schema_name is not none else target.schema -%}
    {{ 'wap_' ~ schema if var('wap', false) else schema }}
{%- endmacro %}
