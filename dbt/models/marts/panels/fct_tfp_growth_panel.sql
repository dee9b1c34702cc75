{{ growth_panel(source('core', 'tfp_growth'), ['tfp_growth', 'labour_productivity_growth']) }}
