"""The keyword classifier's rules, the control sample, regions and the evaluation metrics."""

import numpy as np
import polars as pl
import pytest

from ree_assets.core.patents import classify

SIC_TITLES = pl.DataFrame(
    {
        "sic4": ["3621", "3691", "3714", "2819"],
        "title": [
            "Motors and Generators",
            "Storage Batteries",
            "Motor Vehicle Parts and Accessories",
            "Industrial Inorganic Chemicals, Not Elsewhere Classified",
        ],
    }
)


def frame(*abstracts, titles=None):
    return pl.DataFrame(
        {
            "patent_id": [str(k) for k in range(len(abstracts))],
            "title": titles or ["Invention"] * len(abstracts),
            "abstract": list(abstracts),
        }
    )


def test_keyword_rules():
    patents = frame(
        "A sintered Nd-Fe-B magnet with reduced dysprosium for storage batteries.",
        "An interior permanent magnet motor for motor vehicle parts, containing neodymium.",
        "A wind turbine generator without reducing the neodymium content.",
        "A red phosphor activated by Eu3+; a lamp free of mercury.",
        "An Nd:YAG laser.",
    )
    labels = classify.keyword_classify(patents, SIC_TITLES)
    assert labels["technology"].to_list() == ["Magnet", "Motor", "Turbine", "Lamp", "Other"]
    assert labels["ree_enhancing"].to_list() == [True, False, False, True, False]
    assert labels["sic4"].to_list()[:2] == ["3691", "3714"]  # the SIC title sharing most words
    assert labels["sic4"][2] == "3511"  # no title word shared: the technology's default industry


def test_main_cpc_decides_the_technology():
    patents = frame("A powder comprising cerium oxide.")
    classes = pl.DataFrame({"patent_id": ["0"], "scheme": ["cpc"], "code": ["B01J 23/10"], "is_main": [True]})
    assert classify.keyword_technology(patents)[0] == "Other"
    assert classify.keyword_technology(patents, classes)[0] == "Catalyst"


def test_regions():
    countries = pl.Series(["DEU", "CHE", "GBR", "USA", "CHN", "BRA", None])
    regions = pl.select(classify.region_expr(pl.lit(countries)))[:, 0].to_list()
    assert regions == ["EUR", "EUR", "EUR", "USA", "CHN", "ROW", None]


def test_patent_country_falls_back_to_the_first_inventor():
    assignees = pl.DataFrame({"patent_id": ["1", "1", "2"], "sequence": [1, 0, 0], "country": ["USA", "JPN", None]})
    inventors = pl.DataFrame({"patent_id": ["2", "2", "3"], "sequence": [0, 1, 0], "country": ["DEU", "FRA", "KOR"]})
    found = dict(classify.patent_country(assignees, inventors).iter_rows())
    assert found == {"1": "JPN", "2": "DEU", "3": "KOR"}


def test_control_weights_add_up_to_every_region_year_total():
    rng = np.random.default_rng(1)
    n = 5000
    patents = pl.DataFrame({"patent_id": [str(k) for k in range(n)], "grant_year": rng.integers(2002, 2005, n)})
    country = pl.DataFrame(
        {
            "patent_id": patents["patent_id"],
            "country": rng.choice(["USA", "DEU", "CHN", "AUS"], n, p=[0.5, 0.3, 0.199, 0.001]),
        }
    )
    sample = classify.control_sample(patents, country, 0.05, seed=3)
    totals = (
        patents.join(country, on="patent_id")
        .group_by(classify.region_expr(pl.col("country")).alias("region"), "grant_year")
        .len()
    )
    weighted = sample.group_by("region", "grant_year").agg(pl.col("weight").sum())
    both = totals.join(weighted, on=["region", "grant_year"], how="left")
    assert ((both["weight"] - both["len"]).abs() < 1e-9).all()
    assert 0.04 < sample.height / n < 0.06
    with pytest.raises(ValueError, match="fraction"):
        classify.control_sample(patents, country, 0.0, seed=3)


def test_control_sample_floor_per_region_year():
    """minimum: each region-year gives at least that many controls (all of a smaller one), the
    weights still add up to its total; strata above minimum / fraction keep the fraction."""
    rng = np.random.default_rng(2)
    sizes = {"USA": 4000, "DEU": 600, "AUS": 30}
    patents = pl.DataFrame(
        {"patent_id": [f"{c}{k}" for c, n in sizes.items() for k in range(n)], "grant_year": 2010}
    ).with_columns(grant_year=pl.Series(rng.integers(2010, 2012, sum(sizes.values()))))
    country = patents.select("patent_id", country=pl.col("patent_id").str.slice(0, 3))
    sample = classify.control_sample(patents, country, 0.05, seed=3, minimum=100)
    totals = (
        patents.join(country, on="patent_id")
        .group_by(classify.region_expr(pl.col("country")).alias("region"), "grant_year")
        .len()
    )
    drawn = sample.group_by("region", "grant_year").agg(n=pl.len(), weight=pl.col("weight").sum())
    both = totals.join(drawn, on=["region", "grant_year"])
    expected = both.select(pl.min_horizontal("len", pl.max_horizontal(100, (pl.col("len") * 0.05).round())))
    assert both["n"].to_list() == expected.to_series().cast(pl.UInt32).to_list()
    assert ((both["weight"] - both["len"]).abs() < 1e-9).all()
    assert set(both.filter(pl.col("region") == "AUS")["n"]) == set(both.filter(pl.col("region") == "AUS")["len"])
    with pytest.raises(ValueError, match="minimum"):
        classify.control_sample(patents, country, 0.05, seed=3, minimum=0)


def test_metrics():
    truth, predicted = pl.Series(["a", "a", "b", "c"]), pl.Series(["a", "b", "b", "c"])
    # F1: a = 2/3, b = 2/3, c = 1
    assert classify.macro_f1(truth, predicted) == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)
    assert classify.macro_f1(truth, truth) == 1.0
    matrix = classify.confusion_matrix(truth, predicted)
    assert matrix.row(0, named=True) == {"true": "a", "a": 1, "b": 1, "c": 0}
    table = classify.evaluate(
        pl.DataFrame({"patent_id": ["1", "2"], "technology": ["Magnet", "Lamp"]}),
        pl.DataFrame({"patent_id": ["1", "2"], "technology": ["Magnet", "Magnet"]}),
        ["technology"],
    )
    assert table.row(0, named=True)["accuracy"] == 0.5


def test_embedding_classifier_takes_the_nearest_prototype():
    """A fake encoder mapping each known text to a one-hot vector: the nearest prototype wins."""
    patents = frame("magnet text")
    vocabulary = {"Invention. magnet text": 0}

    def encode(texts):
        vectors = np.zeros((len(texts), 8))
        for k, text in enumerate(texts):
            hit = vocabulary.get(text)
            if hit is not None or "permanent magnet" in text or "Storage" in text or text.startswith("reduces"):
                vectors[k, 0] = 1.0
            else:
                vectors[k, 1 + k % 7] = 1.0
        return vectors

    labels = classify.embedding_classify(patents, SIC_TITLES, encode)
    assert labels.row(0, named=True) == {
        "patent_id": "0",
        "sic4": "3691",
        "technology": "Magnet",
        "ree_enhancing": True,
    }
