{#- Relations are written as schema.name, never catalog.schema.name: dbt-duckdb's catalog is the
    database file's stem, so views that named it would break when the file is renamed, copied,
    restored from a backup or pointed to by another REE_DUCKDB_PATH. -#}
{% macro ref() -%}
    {{ return(builtins.ref(*varargs, **kwargs).include(database=false)) }}
{%- endmacro %}

{% macro source(source_name, table_name) -%}
    {{ return(builtins.source(source_name, table_name).include(database=false)) }}
{%- endmacro %}
