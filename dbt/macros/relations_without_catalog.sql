{#- Relations are written as schema.name, never catalog.schema.name: dbt-duckdb's catalog is the
    database file's stem, so views that named it would break when the file is renamed, copied,
    restored from a backup or pointed to by another REE_DUCKDB_PATH.
    Under write-audit-publish (var `wap`) a model of this invocation's selection is read from its
    staged schema (wap_<schema>), and a model outside it from its published schema: a run that
    builds the marts in a later step than the staging views reads the published views, not staged
    ones that the earlier step has already published and dropped. -#}
{% macro ref() -%}
    {%- set relation = builtins.ref(*varargs, **kwargs) -%}
    {%- set unique_id = 'model.' ~ project_name ~ '.' ~ varargs[-1] -%}
    {%- if var('wap', false) and execute and unique_id not in selected_resources
          and relation.schema.startswith('wap_') -%}
        {%- set relation = relation.incorporate(path={'schema': relation.schema[4:]}) -%}
    {%- endif -%}
    {{ return(relation.include(database=false)) }}
{%- endmacro %}

{% macro source(source_name, table_name) -%}
    {{ return(builtins.source(source_name, table_name).include(database=false)) }}
{%- endmacro %}
