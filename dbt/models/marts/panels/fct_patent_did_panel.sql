{#- The patent DiD panel: region x SIC x year patent stocks and flows of patent_panel with Sens_s,
    post = 1{year >= did_post_year} and the control log(1 + non-REE patents). Manufacturing, sample years.
    The robustness variant by application year (specs/patents_and_did.md) comes along as the
    *_application_year columns: the same outcome and control from patent_panel_application_year for
    the region, SIC and (application) year; null where that panel has no such cell. -#}
select
    patents.region,
    patents.sic4,
    cast(patents.year as integer) as year,
    cast(patents.ree_enhancing_stock as double) as ree_enhancing_stock,
    cast(patents.ree_stock as double) as ree_stock,
    cast(patents.ree_enhancing_flow as double) as ree_enhancing_flow,
    cast(patents.non_ree_patents as double) as non_ree_patents,
    sens.sensitivity,
    cast(patents.year >= {{ var('did_post_year') }} as integer) as post,
    ln(1 + patents.non_ree_patents) as log_non_ree_patents,
    cast(applications.ree_enhancing_stock as double) as ree_enhancing_stock_application_year,
    ln(1 + applications.non_ree_patents) as log_non_ree_patents_application_year
from {{ ref('patent_panel') }} as patents
inner join {{ source('core', 'ree_sensitivity') }} as sens using (sic4)
left join {{ ref('patent_panel_application_year') }} as applications
    on
        patents.region = applications.region
        and patents.sic4 = applications.sic4
        and patents.year = applications.year
where
    patents.sic4 between '2000' and '3999'
    and patents.year between {{ var('did_first_year') }} and {{ var('did_last_year') }}
