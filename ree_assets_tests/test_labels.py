"""Codes in words (ree_assets.labels): scenarios, sectors, regions, elements, industries, the data
caption and the coinciding-series note."""

import pytest

from ree_assets.core.ge.aggregate import DEFAULT_SECTOR_MAP
from ree_assets.core.ge.outcomes import scenario_name
from ree_assets.core.ge.solve import ExportQuota, ExportTax
from ree_assets.labels import (
    axis_tolerance,
    coinciding,
    data_caption,
    element_label,
    industry_label,
    mixture_model_label,
    outcome_label,
    overlap_note,
    region_label,
    sample_label,
    scenario_label,
    sector_label,
)


def test_scenario_ids_become_the_instrument_its_level_in_percent_and_the_technology():
    assert scenario_label(scenario_name(ExportTax(0.25), 0.0)) == "export tax 25%, exogenous technology (κ = 0)"
    assert (
        scenario_label(scenario_name(ExportQuota(0.28), 0.5))
        == "export quota 28% of baseline exports, directed innovation (κ = 0.5)"
    )
    assert scenario_label("tax_1_kappa_0.25") == "export tax 100%, directed innovation (κ = 0.25)"


@pytest.mark.parametrize("bad", ["tax_0.25", "subsidy_0.1_kappa_0", "tax_0.25_kappa_0_extra", ""])
def test_a_string_that_is_no_scenario_id_is_refused(bad):
    with pytest.raises(ValueError, match="not a GE scenario id"):
        scenario_label(bad)


def test_every_default_ge_sector_has_words_without_underscores():
    for sector in set(DEFAULT_SECTOR_MAP.values()):
        label = sector_label(sector)
        assert "_" not in label and label[0].isupper(), sector
    assert sector_label("basic_fabricated_metals") == "Basic and fabricated metals"
    assert sector_label("computers_electronics") == "Electrical and optical equipment"
    assert sector_label("rare_earth_magnets") == "Rare earth magnets"  # a user's own sector map


def test_regions_samples_outcomes_and_models_in_words():
    assert [region_label(r) for r in ("CHN", "EUR", "USA", "ROW", "non_CHN")] == [
        "China",
        "Europe",
        "United States",
        "rest of the world",
        "regions other than China",
    ]
    assert sample_label("NONCHN") == "all regions except China" and sample_label("JPN") == "Japan"
    assert outcome_label("export_growth_vs_china") == "export growth relative to China"
    assert mixture_model_label("unrestricted_after") == "unrestricted model, 1990 and after"


def test_elements_are_named_with_their_symbol():
    assert element_label("Nd") == "Neodymium (Nd)"
    assert element_label("Dy") == "Dysprosium (Dy)"
    assert element_label("All") == "all elements"


def test_industry_titles_are_wrapped_never_cut():
    title = "Air-Conditioning and Warm Air Heating Equipment and Commercial and Industrial Refrigeration Equipment"
    label = industry_label("3585", title, rank=56, width=40)
    assert label.replace("\n", " ") == f"#56 3585 {title}"
    assert all(len(line) <= 40 for line in label.splitlines()) and label.count("\n") >= 2


def test_the_caption_names_the_embedded_world_or_the_real_sources():
    assert data_caption("embedded", seed=7, size="small", sources=["x.csv"]) == (
        "Data: synthetic embedded world (seed 7, size small), not real observations."
    )
    real = data_caption("local", seed=7, size="full", sources=["bea/use.xlsx", "wiod/wiot_2009.RData"])
    assert real == "Data: real data (local mode): bea/use.xlsx, wiod/wiot_2009.RData."
    assert "synthetic" not in real


def test_coinciding_series_are_grouped_within_the_tolerance_only():
    series = {
        "world, k=0": [1.0, 1.1, 1.2],
        "China, k=0": [1.0, 0.9, 0.8],
        "world, k=0.5": [1.0, 1.1005, 1.2004],
        "China, k=0.5": [1.0, 0.9, 0.8],
        "USA": [1.0, 1.05, 1.3],
    }
    tolerance = axis_tolerance(series)  # 1% of the span 0.8..1.3
    assert tolerance == pytest.approx(0.005)
    assert coinciding(series, tolerance) == [("world, k=0", "world, k=0.5"), ("China, k=0", "China, k=0.5")]
    assert coinciding(series, 1e-12) == [("China, k=0", "China, k=0.5")]
    assert coinciding({"a": [1.0, None], "b": [1.0, 2.0]}, 1.0) == []  # a missing point is no match
    assert coinciding({"a": [1.0], "b": [1.0, 1.0]}, 1.0) == []  # nor are series of other lengths


def test_the_overlap_note_names_each_group_and_is_empty_without_one():
    assert overlap_note([]) == ""
    note = overlap_note([("A", "B"), ("C", "D", "E")], 0.01, "of equal height")
    assert note == "Of equal height (they differ by less than 1% of the axis range): A = B; C = D = E."
