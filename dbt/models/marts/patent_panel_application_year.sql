{#- The application-year twin of patent_panel (robustness of specs/patents_and_did.md: "Year = grant
    year (robustness: application year)"); the macro patent_panel says how. -#}
{{ patent_panel('application_year') }}
