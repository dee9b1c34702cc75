{{ growth_panel(source('core', 'export_growth'), ['export_growth']) }}
