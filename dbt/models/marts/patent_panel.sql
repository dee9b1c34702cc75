{#- Patent outcome panel of the AFSV DiD by grant year (the macro patent_panel says how). -#}
{{ patent_panel('grant_year') }}
