"""The keyword classifier's rules, the control sample, regions and the evaluation metrics."""

import numpy as np
import polars as pl
import pytest

from ree_assets.core.patents import classify
from ree_assets.errors import DataValidationError

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


CONCORDANCE = pl.DataFrame(
    {
        "scheme": ["cpc", "cpc", "cpc", "uspc", "cpc", "cpc"],
        "code": ["H02K", "H02K 1/276", "H02K 1/276", "429/218.2", "B01J 23/10", "B01J 23/10"],
        "sic4": ["3621", "3621", "3714", "3691", "2819", "3714"],
        "weight": [1.0, 0.6, 0.4, 1.0, 0.5, 0.5],
    }
)


def test_keyword_rules():
    patents = frame(
        "A sintered Nd-Fe-B magnet with reduced dysprosium for a nickel-metal hydride battery pack.",
        "An interior permanent magnet machine for electric vehicles, containing neodymium.",
        "A wind turbine generator without reducing the neodymium content.",
        "A red phosphor activated by Eu3+; a lamp free of mercury.",
        "An Nd:YAG laser.",
    )
    labels = classify.KeywordClassifier(SIC_TITLES).predict(patents)
    assert labels["technology"].to_list() == ["Magnet", "Motor", "Turbine", "Lamp", "Other"]
    assert labels["ree_enhancing"].to_list() == [True, False, False, False, False]
    # a product phrase of an industry (battery pack, 3691); none of a known industry: abstain
    assert labels["sic4"].to_list() == ["3691", "3621", None, None, None]


def test_no_single_common_word_and_no_code_order_ties():
    """ "polishing" or "tool" alone names no industry; two industries with one phrase each tie,
    and a tie is an abstention (not the lower code), unless the classes break it."""
    patents = frame(
        "A polishing tool for a workpiece comprising ceria.",
        "An electric motor and a catalytic converter comprising ceria.",
        "An electric motor and a catalytic converter comprising ceria.",
    )
    classes = pl.DataFrame({"patent_id": ["2"], "scheme": ["cpc"], "code": ["H02K 1/276"]})
    sic4 = classify.KeywordClassifier(SIC_TITLES, CONCORDANCE).predict(patents, classes)["sic4"]
    assert sic4.to_list() == [None, None, "3621"]


@pytest.mark.parametrize(
    ("text", "enhancing"),
    [
        ("A magnet which reduces the amount of dysprosium required.", True),
        ("A sintered magnet that is free of heavy rare earth elements.", True),
        ("A ferrite that replaces neodymium in small motors.", True),
        ("An alloy in which neodymium is partly replaced by cerium.", True),
        ("Substituting iron nitride for neodymium in the rotor.", True),
        ("A process recovering terbium from production scrap.", True),
        ("A Dy-free magnet with high coercivity.", True),
        ("A motor that contains no rare earth magnets.", True),
        ("A bearing coating that lowers friction, with a neodymium magnet.", False),
        ("A drive that saves fuel and uses a neodymium magnet.", False),
        ("A magnet made without reducing the neodymium content.", False),
        ("An alloy in which neodymium replaces part of the iron to raise performance.", False),
        ("Using less energy while keeping the neodymium content.", False),
        ("A lamp free of mercury with a europium phosphor.", False),
    ],
)
def test_enhancing_cue_attaches_to_a_rare_earth(text, enhancing):
    assert classify.keyword_enhancing(frame(text))[0] is enhancing


def test_concordance_longest_prefix_and_abstention():
    """A code maps through its longest prefix in the table (H02K 1/276 beats H02K); the naive-Bayes
    posterior P(s)^(1-K) prod_k (P(s | c_k) + smoothing), normalised, decides, with P(s) the mix
    the concordance gives the classes classified; no mapped class or a tie: abstain."""
    classes = pl.DataFrame(
        {
            "patent_id": ["0", "0", "1", "2", "3"],
            "scheme": ["cpc", "uspc", "cpc", "cpc", "cpc"],
            "code": ["H02K 1/2766", "429/218.2", "H02K 7/18", "G06F 3/01", "B01J 23/10"],
        }
    )
    scores = classify.concordance_scores(classes, CONCORDANCE).sort("patent_id", "sic4")
    e = classify.CONCORDANCE_SMOOTHING
    prior = {"3621": (0.6 + 1.0) / 4, "3691": 1.0 / 4, "3714": (0.4 + 0.5) / 4}  # 4 mapped (patent, class) rows
    weights = {"3621": (0.6, 0.0), "3691": (0.0, 1.0), "3714": (0.4, 0.0)}  # P(s | H02K 1/276), P(s | 429/218.2)
    odds = {sic: (a + e) * (b + e) / prior[sic] for sic, (a, b) in weights.items()}
    expected = [("0", sic, odds[sic] / sum(odds.values())) for sic in sorted(odds)]
    got = scores.filter(pl.col("patent_id") == "0").rows()
    assert [row[:2] for row in got] == [row[:2] for row in expected]
    np.testing.assert_allclose([row[2] for row in got], [row[2] for row in expected], rtol=1e-12)
    assert scores.group_by("patent_id").agg(pl.col("score").sum())["score"].to_list() == pytest.approx([1.0] * 3)
    labels = classify.ConcordanceClassifier(CONCORDANCE).predict(frame("a", "b", "c", "d", "e"), classes)
    assert labels["sic4"].to_list() == ["3691", "3621", None, None, None]


def test_the_posterior_favours_the_industry_every_class_points_to():
    """A patent with classes A (3621 0.9, 3714 0.1) and B (3691 0.5, 3714 0.5): the mean of the rows
    favours 3621, which B rules out; the posterior picks 3714, the industry both classes allow."""
    concordance = pl.DataFrame(
        {
            "scheme": ["cpc", "cpc", "cpc", "cpc", "cpc", "cpc"],
            "code": ["A", "A", "B", "B", "C", "C"],
            "sic4": ["3621", "3714", "3691", "3714", "3621", "2819"],
            "weight": [0.9, 0.1, 0.5, 0.5, 0.5, 0.5],
        }
    )
    classes = pl.DataFrame({"patent_id": ["0", "0", "1"], "scheme": ["cpc"] * 3, "code": ["A", "B", "C"]})
    mean = concordance.filter(pl.col("code").is_in(["A", "B"])).group_by("sic4").agg(pl.col("weight").sum() / 2)
    assert mean.sort("weight", descending=True)["sic4"][0] == "3621"
    scores = classify.concordance_scores(classes, concordance).filter(pl.col("patent_id") == "0")
    assert scores.sort("score", descending=True)["sic4"][0] == "3714"


def labelled_world(n: int, seed: int) -> pl.DataFrame:
    """Labelled texts of three industries with distinct products (a tiny synthetic training set)."""
    rng = np.random.default_rng(seed)
    products = {
        "3621": ("stator winding", "rotor core"),
        "3691": ("battery electrode", "cell casing"),
        "2819": ("oxide powder", "catalyst support"),
    }
    rows = []
    for k in range(n):
        sic4 = list(products)[k % 3]
        enhancing = bool(rng.random() < 0.5)
        clause = "which reduces the amount of neodymium" if enhancing else "comprising neodymium"
        rows.append(
            (
                f"p{k}",
                products[sic4][k % 2].title(),
                f"A {products[sic4][rng.integers(2)]} {clause}.",
                True,
                sic4,
                {"3621": "Motor", "3691": "Battery", "2819": "Catalyst"}[sic4],
                enhancing,
            )
        )
    return pl.DataFrame(rows, schema=list(classify.LABELLED_COLUMNS), orient="row")


def test_trained_classifier_learns_abstains_and_is_pure():
    training, test = labelled_world(120, 1), labelled_world(30, 2)
    titles = pl.DataFrame({"sic4": ["3621", "3691", "2819"], "title": ["a", "b", "c"]})
    model = classify.train_classifier(training, titles, seed=3)
    predicted = model.predict(test)
    assert predicted.columns == ["patent_id", "sic4", "technology", "ree_enhancing"]
    assert (predicted["sic4"] == test["sic4"]).mean() > 0.9
    assert (predicted["ree_enhancing"] == test["ree_enhancing"]).mean() > 0.9
    assert predicted.equals(classify.train_classifier(training, titles, seed=3).predict(test))
    assert classify.train_classifier(training, titles, threshold=1.0, seed=3).predict(test)["sic4"].null_count() == 30


def test_labelled_frames_are_validated():
    titles = pl.DataFrame({"sic4": ["3621", "3691", "2819"], "title": ["a", "b", "c"]})
    good = labelled_world(12, 1)
    with pytest.raises(DataValidationError, match="column 'sic4'.*'9999'"):
        classify.train_classifier(good.with_columns(sic4=pl.lit("9999")), titles)
    with pytest.raises(DataValidationError, match="one row per patent_id.*p0"):
        classify.train_classifier(pl.concat([good, good.head(1)]), titles)
    with pytest.raises(DataValidationError, match="column 'ree_enhancing'"):
        classify.train_classifier(good.drop("ree_enhancing"), titles)


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


def test_a_concordance_restricted_to_the_studied_industries_is_renormalised_per_code():
    """P(s | c, s in S) = P(s | c) / sum over S: H02K 1/276 keeps 3621 only (weight 1); B01J 23/10's
    3714 goes, 2819 takes its weight; a code without a row in S drops out."""
    restricted = classify.restrict_concordance(CONCORDANCE, ["3621", "2819"])
    assert sorted(restricted.rows()) == [
        ("cpc", "B01J 23/10", "2819", 1.0),
        ("cpc", "H02K", "3621", 1.0),
        ("cpc", "H02K 1/276", "3621", 1.0),
    ]


def test_empty_domain_probability_is_the_hypergeometric_at_zero():
    """P(no control of a domain in a year) = prod_r C(N_r - K_r, n_r) / C(N_r, n_r): against scipy's
    hypergeometric, a census stratum (n_r = N_r) that holds the domain, and the frequency of empty
    draws of control_sample itself."""
    from scipy.stats import hypergeom

    counts = pl.DataFrame(
        {
            "region": ["USA", "USA", "JPN", "JPN", "AUS", "AUS"],
            "grant_year": 2011,
            "domain": ["transport", "other", "transport", "other", "transport", "other"],
            "patents": [8, 855, 15, 587, 0, 30],
        }
    )
    found = classify.empty_domain_probability(counts, 0.05, 100).filter(pl.col("domain") == "transport")
    exact = hypergeom.pmf(0, 863, 8, 100) * hypergeom.pmf(0, 602, 15, 100)
    assert found["p_empty"].item() == pytest.approx(exact, rel=1e-9)
    assert found["expected_controls"].item() == pytest.approx(100 * 8 / 863 + 100 * 15 / 602)
    census = counts.with_columns(patents=pl.when(pl.col("region") == "AUS").then(pl.lit(3)).otherwise("patents"))
    assert classify.empty_domain_probability(census, 0.05, 100).filter(pl.col("domain") == "transport")[
        "p_empty"
    ].item() == pytest.approx(0.0)
    patents = pl.DataFrame({"patent_id": [f"{r}{k}" for r, n in (("USA", 863), ("JPN", 602)) for k in range(n)]})
    patents = patents.with_columns(grant_year=pl.lit(2011), domain=pl.col("patent_id").str.slice(3).cast(pl.Int64))
    country = patents.select("patent_id", country=pl.col("patent_id").str.slice(0, 3))
    transport = (pl.col("region") == "USA") & (pl.col("domain") < 8) | (pl.col("region") == "JPN") & (
        pl.col("domain") < 15
    )
    empty = [
        classify.control_sample(patents, country, 0.05, seed=seed, minimum=100).filter(transport).is_empty()
        for seed in range(2000)
    ]
    assert abs(np.mean(empty) - exact) < 3 * np.sqrt(exact * (1 - exact) / 2000)
