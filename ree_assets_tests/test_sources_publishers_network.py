"""One small file from each publisher of the registry, from the real address (``-m network``):
the addresses the registry could not verify offline are checked here."""

import pytest

from ree_assets.sources.catalog import SourceSettings
from ree_assets.sources.fetching import fetch_file
from ree_assets.sources.publishers import load_registry

#: The smallest file of each publisher (the USPTO's: one week of 2012, about 100 MB).
SMALL = {
    "patentsview": ("patentsview_g_location_disambiguated", range(0)),
    "uspto": ("uspto_grant_fulltext", range(2012, 2013)),
    "bea": ("bea_make_detail", range(0)),
    "census": ("census_naics_2002_sic1987", range(0)),
    "worldbank": ("worldbank_gdp", range(0)),
    "nber": ("nber_ces_sic", range(0)),
    "wiod": ("wiod_2013", range(0)),
    "concordance_r": ("bea_naics_2012", range(0)),
}


@pytest.mark.network
@pytest.mark.parametrize("publisher", sorted(SMALL))
def test_one_small_file_per_publisher(publisher, tmp_path):
    registry = load_registry()
    key, years = SMALL[publisher]
    source = registry.sources[key]
    file = source.fetches(years, None, registry.formats)[0]
    settings = SourceSettings(mode="download", cache_dir=tmp_path, download_deadline_s=3600.0)
    outcome = fetch_file(file, source.tables[0], settings)
    assert outcome.status == "fetched", outcome.reason
