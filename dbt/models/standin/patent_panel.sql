select region, sic4, year, ree_enhancing_stock, ree_stock, ree_enhancing_flow, non_ree_patents
from {{ source('standin', 'patent_panel_standin') }}
