{#- The AFSV region of an ISO3 country (specs/patents_and_did.md): EUR = EU-27 + UK + EFTA; USA,
    CHN, RUS, KOR, JPN, AUS; ROW otherwise. The embedded world's map (dims.ECONOMY_REGION) agrees. -#}
{% macro afsv_region(country) -%}
case
    when {{ country }} in ('AUT', 'BEL', 'BGR', 'HRV', 'CYP', 'CZE', 'DNK', 'EST', 'FIN', 'FRA', 'DEU', 'GRC',
                           'HUN', 'IRL', 'ITA', 'LVA', 'LTU', 'LUX', 'MLT', 'NLD', 'POL', 'PRT', 'ROU', 'SVK',
                           'SVN', 'ESP', 'SWE', 'GBR', 'ISL', 'LIE', 'NOR', 'CHE') then 'EUR'
    when {{ country }} in ('USA', 'CHN', 'RUS', 'KOR', 'JPN', 'AUS') then {{ country }}
    else 'ROW'
end
{%- endmacro %}
