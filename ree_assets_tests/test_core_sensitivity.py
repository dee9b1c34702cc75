"""REE sensitivity: Sens_s = sum_e tr_es x c_e / 100 and the country variants."""

from __future__ import annotations

import polars as pl
import pytest

from ree_assets.core.sensitivity import (
    china_import_share,
    price_spike_exposure,
    ree_sensitivity,
    ree_sensitivity_country,
)
from ree_assets.errors import DataValidationError

TR = pl.DataFrame(
    {
        "sic4": ["3691", "3691", "3691", "3499", "3499", "3499"],
        "element": ["La", "Nd", "All", "La", "Nd", "All"],
        "tr": [2e-3, 1e-3, 3e-3, 0.0, 4e-3, 4e-3],
    }
)
SCORES = pl.DataFrame({"element": ["La", "Nd"], "complementarity": [80.0, 50.0]})


def test_sensitivity_weights_requirements_by_rescaled_complementarity():
    result = dict(ree_sensitivity(TR, SCORES).iter_rows())
    assert result["3691"] == pytest.approx(2e-3 * 0.8 + 1e-3 * 0.5)
    assert result["3499"] == pytest.approx(4e-3 * 0.5)


def test_complementarity_out_of_range_is_named():
    with pytest.raises(DataValidationError, match=r"ree_complementarity: row 'Nd'.*0 <= complementarity <= 100"):
        ree_sensitivity(TR, SCORES.with_columns(complementarity=pl.Series([80.0, 150.0])))


def _spikes(deu_la: float) -> pl.DataFrame:
    """Rows of the mart ree_price_spikes (peak-year over base-year price by element and market)."""
    rows = [("La", "DEU", deu_la), ("Nd", "DEU", 4.0), ("La", "fob_china", 99.0)]
    return pl.DataFrame(rows, schema=["element", "market", "spike_ratio"], orient="row")


def test_price_spike_exposure_uses_country_markets_only():
    spikes = {(c, e): v for c, e, v in price_spike_exposure(_spikes(10.0)).iter_rows()}
    assert spikes == {("DEU", "La"): pytest.approx(10.0), ("DEU", "Nd"): pytest.approx(4.0)}


@pytest.mark.parametrize("bad", [0.0, -2.0, float("inf"), float("nan")])
def test_a_spike_that_is_not_a_positive_finite_ratio_raises(bad):
    with pytest.raises(DataValidationError, match=r"ree_price_spikes: row 'La DEU'.*positive finite ratio"):
        price_spike_exposure(_spikes(bad))


def test_china_import_share_is_pre_2010_and_ignores_world_totals():
    imports = pl.DataFrame(
        [
            ("DEU", "La", "CHN", 2008, 30.0),
            ("DEU", "La", "JPN", 2008, 10.0),
            ("DEU", "La", "WLD", 2008, 40.0),
            ("DEU", "La", "CHN", 2011, 0.0),
            ("DEU", "La", "JPN", 2011, 99.0),
        ],
        schema=["country", "element", "partner", "year", "value_usd"],
        orient="row",
    )
    assert china_import_share(imports).row(0) == ("DEU", "La", pytest.approx(0.75))


def test_country_variants_are_stacked_with_their_names():
    imports = pl.DataFrame(
        [("DEU", "Nd", "CHN", 2005, 1.0)], schema=["country", "element", "partner", "year", "value_usd"], orient="row"
    )
    result = ree_sensitivity_country(TR, _spikes(10.0), imports)
    values = {(v, s): x for _, s, v, x in result.iter_rows()}
    assert values[("price_spike", "3691")] == pytest.approx(2e-3 * 10 + 1e-3 * 4)
    assert values[("china_import_share", "3499")] == pytest.approx(4e-3)


def test_china_import_share_counts_2009_and_stops_before_2010():
    """Pre-2010 means years < 2010: 2009 counts (CHN 20 of 20 + 60 = 0.25),
    2010 does not (its 100% Chinese imports would raise the share to 120 / 180 = 0.667)."""
    imports = pl.DataFrame(
        [
            ("DEU", "Nd", "CHN", 2009, 20.0),
            ("DEU", "Nd", "JPN", 2009, 60.0),
            ("DEU", "Nd", "CHN", 2010, 100.0),
            ("DEU", "Nd", "JPN", 2010, 0.0),
        ],
        schema=["country", "element", "partner", "year", "value_usd"],
        orient="row",
    )
    assert china_import_share(imports).row(0) == ("DEU", "Nd", pytest.approx(0.25))
    assert china_import_share(imports, before_year=2011).row(0) == ("DEU", "Nd", pytest.approx(120 / 180))
