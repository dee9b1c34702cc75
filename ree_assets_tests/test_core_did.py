"""core.did: pyfixest's own numbers, refusal of bad panels, recovery of the embedded world's
effects, the CHN contrast, and the event study flagging a pre-trend."""

import warnings

import numpy as np
import polars as pl
import pytest

from ree_assets.core import did
from ree_assets.errors import DataValidationError
from ree_assets.sources.embedded.dims import world_dims
from ree_assets.sources.embedded.poisson_did_panel import poisson_did_panel
from ree_assets.sources.embedded.sensitivity_truth import embedded_sensitivity
from ree_assets.sources.embedded.world import stage_rng
from ree_assets_tests.did_world import SEED, panels, truth

GROWTH = ("tfp_growth", "export_growth", "export_growth_vs_china")
CONTROLS = ["subsidy_post"]


@pytest.fixture(scope="module", autouse=True)
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def patent_panel(pre_trend_per_sd: float = 0.0) -> tuple[pl.DataFrame, dict[str, float]]:
    frame, beta = poisson_did_panel(
        stage_rng(SEED, "poisson_did_panel"),
        world_dims("small"),
        embedded_sensitivity(SEED, "small"),
        pre_trend_per_sd=pre_trend_per_sd,
    )
    return (
        frame.join(embedded_sensitivity(SEED, "small"), on="sic4").with_columns(
            post=(pl.col("year") >= 2010).cast(pl.Int32), log_non_ree_patents=(pl.col("non_ree_patents") + 1).log()
        )
    ), beta


@pytest.mark.parametrize("estimator", ["ols", "ppml"])
def test_fit_equals_pyfixest(estimator):
    import pyfixest as pf

    if estimator == "ols":
        panel, outcome, unit, controls = panels()["export_growth"], "export_growth", "country", CONTROLS
    else:
        (panel, _), outcome, unit, controls = patent_panel(), "ree_enhancing_flow", "region", ["log_non_ree_patents"]
    got = did.fit(panel, outcome=outcome, estimator=estimator, sample="NONCHN", controls=controls, unit=unit)
    data = panel.filter(pl.col("region") != "CHN").with_columns(
        treat=pl.col("sensitivity") * pl.col("post"),
        us=pl.concat_str(unit, "sic4", separator="|"),
        uy=pl.concat_str(unit, pl.col("year").cast(pl.String), separator="|"),
    )
    formula = f"{outcome} ~ treat + {controls[0]} | us + uy"
    tolerances = {"fixef_tol": 1e-12} | ({"iwls_tol": 1e-12} if estimator == "ppml" else {})
    model = (pf.feols if estimator == "ols" else pf.fepois)(formula, data=data, vcov={"CRV1": "us"}, **tolerances)
    tidy = model.tidy()
    assert got["term"].to_list() == [did.TREATMENT, controls[0]]
    np.testing.assert_allclose(got["estimate"], tidy["Estimate"], rtol=1e-8, atol=0)
    np.testing.assert_allclose(got["std_error"], tidy["Std. Error"], rtol=1e-8, atol=0)
    np.testing.assert_allclose(got["p_value"], tidy["Pr(>|t|)"], rtol=1e-8, atol=1e-300)
    assert got["n_obs"][0] == model._N and got["n_clusters"][0] == model._G[0]
    sd = data.unique([unit, "sic4"])["sensitivity"].std()
    assert got["effect_per_sd"][0] == pytest.approx(tidy["Estimate"].iloc[0] * sd, rel=1e-12)
    assert got["effect_per_sd"][1] is None


def test_bad_panels_fail_before_any_regression_naming_the_keys():
    panel = panels()["tfp_growth"]
    duplicated = pl.concat([panel, panel.head(2)])
    with pytest.raises(DataValidationError, match=r"AUS 2011 2003; AUS 2011 2004.*one row per country, sic4, year"):
        did.fit(duplicated, outcome="tfp_growth", estimator="ols", sample="ALL", unit="country")
    no_sens = panel.with_columns(
        sensitivity=pl.when(pl.col("sic4") == "3691").then(None).otherwise(pl.col("sensitivity"))
    )
    with pytest.raises(DataValidationError, match=r"'3691', column 'sensitivity'.*every sector has a sensitivity"):
        did.fit(no_sens, outcome="tfp_growth", estimator="ols", sample="ALL", unit="country")
    with pytest.raises(DataValidationError, match="column .subsidy_post."):
        did.fit(
            panel.drop("subsidy_post"),
            outcome="tfp_growth",
            estimator="ols",
            sample="ALL",
            controls=CONTROLS,
            unit="country",
        )
    nan = panel.with_columns(
        tfp_growth=pl.when(pl.col("year") == 2012).then(float("nan")).otherwise(pl.col("tfp_growth"))
    )
    with pytest.raises(DataValidationError, match=r"2012.*column 'tfp_growth'.*finite, non-null tfp_growth"):
        did.fit(nan, outcome="tfp_growth", estimator="ols", sample="ALL", unit="country")
    with pytest.raises(DataValidationError, match="tfp_growth >= 0 \\(PPML\\)"):
        did.fit(panel, outcome="tfp_growth", estimator="ppml", sample="ALL", unit="country")
    with pytest.raises(DataValidationError, match="sample 'XYZ'"):
        did.fit(panel, outcome="tfp_growth", estimator="ols", sample="XYZ", unit="country")
    assert did.fit(panel, outcome="tfp_growth", estimator="ols", sample="ALL", unit="country").height == 1


def _estimates(outcome: str, samples) -> dict[str, dict]:
    return {
        s: did.fit(
            panels()[outcome], outcome=outcome, estimator="ols", sample=s, controls=CONTROLS, unit="country"
        ).row(0, named=True)
        for s in samples
    }


def test_growth_effects_recovered_family_wise():
    """Every estimate within 4 SE of the generator's beta (3 outcomes x every sample: 17 fits). The
    single-economy samples have G* < FEW_EFFECTIVE_CLUSTERS and CRV3 SEs (coverage over seeds:
    ``make bench``)."""
    true = truth()
    misses, vcov = {}, {}
    for outcome in GROWTH:
        samples = [s for s in did.SAMPLES if not (outcome == "export_growth_vs_china" and s == did.CHINA)]
        for sample, row in _estimates(outcome, samples).items():
            t = (row["estimate"] - true[f"{outcome}:{sample}"]) / row["std_error"]
            vcov[sample] = row["vcov"]
            if abs(t) >= 4:
                misses[f"{outcome}:{sample}"] = t
    assert not misses
    assert [vcov[s] for s in ("NONCHN", "ALL", "USA", "JPN", "CHN")] == ["CRV1"] * 2 + ["CRV3"] * 3


def test_effective_clusters_is_g_for_equal_clusters_and_one_for_a_dominant_one():
    rng = np.random.default_rng(0)
    cluster = np.repeat(np.arange(20), 5)
    balanced = np.tile(rng.normal(size=5), 20)[:, None]
    assert did.effective_clusters(balanced, cluster) == pytest.approx(20.0, rel=1e-12)
    dominant = np.where(cluster == 3, 1e3, 1e-3)[:, None] * rng.normal(size=(100, 1))
    assert 1.0 <= did.effective_clusters(dominant, cluster) < 1.001


def test_single_region_crv3_equals_pyfixests_refits():
    """The jackknife without refits (core.jackknife) gives pyfixest's CRV3, which refits the model
    once per cluster: the DiD row and every event-study year."""
    import pyfixest as pf

    panel = panels()["tfp_growth"]
    got = did.fit(panel, outcome="tfp_growth", estimator="ols", sample="USA", unit="country").row(0, named=True)
    data = panel.filter(pl.col("region") == "USA").with_columns(treat=pl.col("sensitivity") * pl.col("post"))
    model = pf.feols("tfp_growth ~ treat | sic4 + year", data=data, vcov={"CRV3": "sic4"}, fixef_tol=1e-12)
    assert got["vcov"] == "CRV3" and got["effective_clusters"] < did.FEW_EFFECTIVE_CLUSTERS
    assert got["std_error"] == pytest.approx(float(model.se().iloc[0]), rel=1e-8)
    assert got["p_value"] == pytest.approx(float(model.pvalue().iloc[0]), rel=1e-8)
    assert got["std_error"] > float(model.vcov({"CRV1": "sic4"}).se().iloc[0])  # the jackknife is wider (1.27x)
    events = did.event_study(panel, outcome="tfp_growth", estimator="ols", sample="USA", unit="country")
    refits = pf.feols(
        "tfp_growth ~ i(year, sensitivity, ref=2009) | sic4 + year",
        data=data,
        vcov={"CRV3": "sic4"},
        fixef_tol=1e-12,
    )
    assert set(events["vcov"]) == {"CRV3"}
    np.testing.assert_allclose(events.filter(pl.col("year") != 2009)["std_error"], refits.se(), rtol=1e-8)


@pytest.mark.parametrize("sample", ["EUR", "JPN"])
def test_ppml_linearised_jackknife_is_near_the_refit_jackknife(sample):
    """PPML rows with few effective clusters use the jackknife of the last IRLS step; pyfixest's
    refit jackknife differs by at most 4.0% (tolerance: twice that) on the small world's single regions (EUR, the
    largest gap, and JPN)."""
    import pyfixest as pf

    panel, _ = patent_panel()
    controls = ["log_non_ree_patents"]
    got = did.fit(panel, outcome="ree_enhancing_stock", estimator="ppml", sample=sample, controls=controls)
    data = panel.filter(pl.col("region") == sample).with_columns(treat=pl.col("sensitivity") * pl.col("post"))
    refits = pf.fepois(
        "ree_enhancing_stock ~ treat + log_non_ree_patents | sic4 + year",
        data=data,
        vcov={"CRV3": "sic4"},
        fixef_tol=1e-12,
        iwls_tol=1e-12,
    )
    assert got["vcov"][0] == did.CRV3_LINEARISED
    assert got["estimate"][0] == pytest.approx(float(refits.coef().iloc[0]), rel=1e-8)
    assert got["std_error"][0] == pytest.approx(float(refits.se().iloc[0]), rel=0.08)


def test_chn_contrast_has_the_generators_sign():
    true = truth()
    for outcome in ("tfp_growth", "export_growth"):
        rows = _estimates(outcome, ("NONCHN", "CHN"))
        assert (
            np.sign(rows["NONCHN"]["estimate"] - rows["CHN"]["estimate"])
            == np.sign(true[f"{outcome}:NONCHN"] - true[f"{outcome}:CHN"])
            == 1
        )
        assert rows["CHN"]["estimate"] < 0 < rows["NONCHN"]["estimate"]


def test_patent_flow_effect_recovered_by_ppml():
    panel, beta = patent_panel()
    rows = {
        s: did.fit(
            panel, outcome="ree_enhancing_flow", estimator="ppml", sample=s, controls=["log_non_ree_patents"]
        ).row(0, named=True)
        for s in ("NONCHN", "CHN")
    }
    assert abs(rows["NONCHN"]["estimate"] - beta["USA"]) < 4 * rows["NONCHN"]["std_error"]
    assert abs(rows["CHN"]["estimate"] - beta["CHN"]) < 4 * rows["CHN"]["std_error"]
    assert rows["NONCHN"]["estimate"] > rows["CHN"]["estimate"]


def test_event_study_flags_a_pre_trend_and_not_its_absence():
    panel = panels()["export_growth"]
    sd = panel.unique("sic4")["sensitivity"].std()
    trend = panel.with_columns(
        export_growth=pl.col("export_growth")
        + 0.03 * pl.col("sensitivity") / sd * pl.when(pl.col("year") < 2010).then(pl.col("year") - 2009).otherwise(0)
    )
    clean, bad = (
        did.event_study(p, outcome="export_growth", estimator="ols", sample="NONCHN", controls=CONTROLS, unit="country")
        for p in (panel, trend)
    )
    assert (
        clean["year"].to_list() == list(range(2003, 2019)) and clean.filter(pl.col("year") == 2009)["estimate"][0] == 0
    )
    assert clean["pre_trend_p_value"][0] > 0.01 > bad["pre_trend_p_value"][0]
    assert (clean["ci_low"] <= clean["estimate"]).all() and (clean["estimate"] <= clean["ci_high"]).all()
    patents_clean, patents_bad = (
        did.event_study(patent_panel(k)[0], outcome="ree_enhancing_flow", estimator="ppml", sample="NONCHN")
        for k in (0.0, 0.05)
    )
    assert patents_clean["pre_trend_p_value"][0] > 0.01 > patents_bad["pre_trend_p_value"][0]


def test_sector_clusters_are_pyfixests_and_a_single_region_is_unchanged():
    """cluster="sector": one cluster per SIC industry across countries. Pooled, G* falls to ~1.3 (one
    industry carries Sens), so the SEs are CRV3 by sector, core.jackknife's without refits (the
    clusters span countries): equal to the refits of pyfixest once per sector (converged to
    1e-12; on a quarter of the sectors and the one that carries Sens, to keep the refits few); in
    a single country a sector is a country x sector cell and nothing changes."""
    import pyfixest as pf

    panel = panels()["export_growth_vs_china"]
    codes = panel["sic4"].unique().sort()
    top = panel.sort("sensitivity")["sic4"][-1]
    panel = panel.filter(pl.col("sic4").is_in([*codes[::4], top]))
    got = did.fit(
        panel, outcome="export_growth_vs_china", estimator="ols", sample="NONCHN", unit="country", cluster="sector"
    ).row(0, named=True)
    data = panel.filter(pl.col("region") != "CHN").with_columns(
        treat=pl.col("sensitivity") * pl.col("post"),
        us=pl.concat_str("country", "sic4", separator="|"),
        uy=pl.concat_str("country", pl.col("year").cast(pl.String), separator="|"),
    )
    formula = "export_growth_vs_china ~ treat | us + uy"
    model = pf.feols(formula, data=data, vcov={"CRV1": "sic4"}, fixef_tol=1e-12)
    refits = [
        float(pf.feols(formula, data=data.filter(pl.col("sic4") != sector), fixef_tol=1e-12).coef().iloc[0])
        for sector in data["sic4"].unique()
    ]
    deviations = np.array(refits) - float(model.coef().iloc[0])
    refit_se = float(np.sqrt(np.ravel(model._ssc[0])[0] * (deviations**2).sum()))
    assert (got["cluster"], got["vcov"]) == ("sector", "CRV3") and got["effective_clusters"] < 2
    assert got["n_clusters"] == data["sic4"].n_unique() == len(refits)
    assert got["std_error"] == pytest.approx(refit_se, rel=1e-8)  # 1e-14 apart here
    single = {
        c: did.fit(panel, outcome="export_growth_vs_china", estimator="ols", sample="USA", unit="country", cluster=c)
        for c in ("unit_sector", "sector")
    }
    assert single["unit_sector"].drop("cluster").equals(single["sector"].drop("cluster"))
    with pytest.raises(ValueError, match="cluster must be one of unit_sector, sector"):
        did.fit(panel, outcome="export_growth_vs_china", estimator="ols", sample="USA", unit="country", cluster="sic2")


def test_fit_table_is_fit_for_every_sample():
    """fit_table validates once and gives the rows fit gives, sample by sample."""
    panel = panels()["tfp_growth"]
    samples = ("NONCHN", "USA", "CHN")
    table = did.fit_table(
        panel, outcome="tfp_growth", estimator="ols", samples=samples, controls=CONTROLS, unit="country"
    )
    one_by_one = pl.concat(
        [
            did.fit(panel, outcome="tfp_growth", estimator="ols", sample=s, controls=CONTROLS, unit="country")
            for s in samples
        ]
    )
    assert table.equals(one_by_one)
    assert table["sample"].unique(maintain_order=True).to_list() == list(samples)
    with pytest.raises(DataValidationError, match="one row per country, sic4, year"):
        did.fit_table(pl.concat([panel, panel.head(1)]), outcome="tfp_growth", estimator="ols", unit="country")
