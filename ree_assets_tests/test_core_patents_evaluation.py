"""The classifier measures that matter for the DiD, the default rule, and the Python panel."""

import numpy as np
import polars as pl
import pytest

from ree_assets.core.patents import evaluation

SENS = pl.DataFrame({"sic4": ["3499", "3621", "2011"], "sensitivity": [10.0, 1.0, 0.1]})
TRUTH = pl.DataFrame(
    {
        "patent_id": ["a", "b", "c", "d"],
        "sic4": ["3499", "3621", "2011", "3499"],
        "technology": ["Magnet", "Motor", "Other", "Magnet"],
        "ree_enhancing": [True, False, False, True],
    }
)


def test_measures():
    predicted = pl.DataFrame(
        {
            "patent_id": ["a", "b", "c", "d"],
            "sic4": ["3499", "3499", "2011", None],
            "technology": ["Magnet", "Motor", "Other", "Other"],
            "ree_enhancing": [True, True, False, False],
        }
    )
    m = evaluation.classifier_measures(TRUTH, predicted, SENS)
    assert m["sic_accuracy"] == pytest.approx(2 / 3)  # of the answered a, b, c
    assert m["sic_accuracy_sens_weighted"] == pytest.approx((10 + 0.1) / (10 + 1 + 0.1))
    assert m["top_sens_recall"] == pytest.approx(2 / 4)  # all three industries are in the top ten
    assert m["technology_accuracy"] == 0.75
    assert m["flag_false_positive_rate"] == 0.5 and m["flag_recall"] == 0.5
    assert m["abstention_rate"] == 0.25
    by = evaluation.abstention_by(TRUTH, predicted, ["sic4"])
    assert by.filter(pl.col("sic4") == "3499")["abstention_rate"].item() == 0.5


def test_the_default_is_the_argmax_under_the_constraints():
    rng = np.random.default_rng(0)
    for _ in range(200):
        table = pl.DataFrame(
            {
                "classifier": [f"c{k}" for k in range(5)],
                "sic_accuracy_sens_weighted": rng.random(5),
                "flag_false_positive_rate": rng.random(5) * 0.2,
                "abstention_rate": rng.random(5) * 0.5,
            }
        )
        ok = table.filter(evaluation.admissible(table))
        chosen = evaluation.choose_default(table)
        if ok.height:
            assert chosen == ok.sort("sic_accuracy_sens_weighted", descending=True)["classifier"][0]
        else:
            assert chosen in table["classifier"].to_list()


def test_stock_panel_recursion_and_controls():
    classified = pl.DataFrame(
        {
            "region": ["USA", "USA", "USA", "EUR"],
            "sic4": ["3499", "3499", "3499", "3621"],
            "grant_year": [2008, 2010, 2010, 2009],
            "is_ree": [True, True, False, True],
            "ree_enhancing": [True, True, None, False],
            "weight": [1.0, 1.0, 20.0, 1.0],
        }
    )
    panel = evaluation.patent_stock_panel(
        classified, SENS, first_year=2008, last_year=2010, post_year=2010, depreciation=0.15
    ).sort("region", "sic4", "year")
    usa = panel.filter((pl.col("region") == "USA") & (pl.col("sic4") == "3499"))
    assert usa["ree_enhancing_stock"].to_list() == pytest.approx([1.0, 0.85, 0.85**2 + 1])
    assert usa["log_non_ree_patents"].to_list() == pytest.approx([0.0, 0.0, np.log(21)])
    assert usa["post"].to_list() == [0, 0, 1]
    assert panel.height == 2 * 2 * 3  # the full grid of regions, industries and years
