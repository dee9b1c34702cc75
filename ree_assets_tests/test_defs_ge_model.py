"""The ge_model group materialised for real on the embedded world: estimation, calibration,
both instruments with exogenous and directed technology, the tax sweep and their checks. Its
inputs (the patent pulls, the REE-extended IO table, the patent panel, ...) and the estimated
elasticities are the session's shared build (``small_world_build.py``); the rest of the group is
materialised again on a copy with the settings below."""

import dagster as dg
import duckdb
import numpy as np
import polars as pl
import pytest

from ree_assets.core.ge.calibrate import PUBLISHED_REE_COST_SHARES
from ree_assets.core.ge.ree_shares import ree_cost_shares_from_io
from ree_assets.defs import schedules
from ree_assets_tests.helpers import failed_checks, materialize, materialized, read_table, step_errors

pytestmark = pytest.mark.slow

#: The group but ree_elasticities, and the supplied innovation panel (which ``replicate_afsv``
#: leaves out and the last test reads). The estimated elasticities are the build's (``make run``'s
#: settings): ree_elasticities reads the GE innovation panel built from the build's patent_panel
#: (the default control sample: 5%, at least 200 per region and year, gives the small world a
#: non-REE count in every GE sector-year); the calibration uses the published ones.
GE = (
    dg.AssetSelection.groups("ge_model") - dg.AssetSelection.assets("ree_elasticities")
) | schedules.SUPPLIED_INNOVATION_PANEL
FAST = {
    "ops": {
        "ge_baseline": {"config": {"omega_source": "from_io"}},
        "ge_tax_sweep": {"config": {"points": 6, "tax_max": 0.5}},
    }
}


@pytest.fixture(scope="module")
def ge_run(small_world_build, tmp_path_factory):
    """The copied database and the run of the group (but ree_elasticities) on it."""
    build = small_world_build.copy_to(tmp_path_factory.mktemp("ge") / "build")
    return build.database, materialize(build.database, GE, run_config=FAST)


def test_the_stage_materialises_and_every_check_passes(ge_run):
    database, result = ge_run
    assert result.success, step_errors(result)
    assert {
        "ge_baseline",
        "ge_counterfactual_exogenous",
        "ge_counterfactual_endogenous",
        "ge_tax_sweep",
        "ge_results",
    } <= materialized(result)
    assert failed_checks(result) == {}
    for figure in ("ge_innovation_bias", "ge_real_outcomes", "ge_tax_sweep"):
        assert (database.parent / "reports" / f"{figure}.png").stat().st_size > 10_000


def test_the_build_estimated_the_elasticities_and_every_input_passed_its_checks(small_world_build):
    upstream = small_world_build.runs()["replicate_afsv"]
    assert upstream.success, step_errors(upstream)
    assert "ree_elasticities" in materialized(upstream)
    assert failed_checks(upstream, dg.AssetSelection.groups("ge_model").upstream()) == {}


def test_elasticities_from_the_patent_panel_recover_the_synthetic_truth(ge_run):
    """eps_j estimated on ge_innovation_panel_from_patents (the keyword classifier's patent panel;
    199 bootstrap draws): family-wise, every |eps_hat - eps| < 4 bootstrap SE (12 sectors); a
    truth off by 0.3 fails."""
    database, _ = ge_run
    table = read_table(database, "core.ree_elasticities")
    assert table.height == 12 and table["eps_true"].null_count() == 0
    assert ((table["eps_hat"] - table["eps_true"]).abs() < 4 * table["std_error"]).all()
    assert not ((table["eps_hat"] - table["eps_true"] - 0.3).abs() < 4 * table["std_error"]).all()
    panel = read_table(database, "core.ge_innovation_panel_from_patents")
    assert panel.height == 12 * 17 and (panel["ree_enhancing_flow"] > 0).all() and (panel["non_ree_flow"] > 0).all()


def test_the_baseline_reports_its_final_demand_rule_and_what_it_clipped(ge_run):
    _, result = ge_run
    metadata = result.asset_materializations_for_node("ge_baseline")[0].metadata
    assert metadata["negative_final_demand"].value == "net"
    assert metadata["clipped_final_cells"].value >= 0 and metadata["clipped_final_value_musd"].value >= 0
    solvers = result.asset_materializations_for_node("ge_counterfactual_exogenous")[0].metadata["solvers"].value
    assert "ipopt_status" in solvers and "Algorithm terminated successfully" in solvers


def _value(results: pl.DataFrame, scenario: str, variable: str, region: str = "WLD", sector: str = "all") -> float:
    return results.filter(
        (pl.col("scenario") == scenario)
        & (pl.col("variable") == variable)
        & (pl.col("region") == region)
        & (pl.col("sector") == sector)
    )["value"].item()


def test_the_restriction_raises_the_world_price_and_directed_innovation_cushions_it(ge_run):
    database, _ = ge_run
    exogenous = read_table(database, "results.ge_counterfactual_exogenous")
    endogenous = read_table(database, "results.ge_counterfactual_endogenous")
    quota_fixed = _value(exogenous, "quota_0.28_kappa_0", "world_ree_price_hat")
    quota_directed = _value(endogenous, "quota_0.28_kappa_0.5", "world_ree_price_hat")
    assert quota_fixed > 2.0 and 1.0 < quota_directed < quota_fixed
    assert _value(exogenous, "tax_0.25_kappa_0", "world_ree_price_hat") > 1.0
    assert _value(exogenous, "tax_0.25_kappa_0", "ree_price_hat", region="CHN") < 1.0
    bias = endogenous.filter((pl.col("variable") == "innovation_bias_pct") & (pl.col("region") == "non_CHN"))
    by_sector = dict(
        zip(
            bias.filter(pl.col("scenario") == "quota_0.28_kappa_0.5")["sector"],
            bias.filter(pl.col("scenario") == "quota_0.28_kappa_0.5")["value"],
            strict=False,
        )
    )
    assert by_sector["transport_equipment"] > 0 and by_sector["wood_paper"] < 0


def test_the_decomposition_takes_the_factor_cost_effect_from_the_exogenous_solve(ge_run):
    database, _ = ge_run
    endogenous = read_table(database, "results.ge_counterfactual_endogenous").filter(
        pl.col("scenario") == "tax_0.25_kappa_0.5"
    )
    exogenous = read_table(database, "results.ge_counterfactual_exogenous").filter(
        (pl.col("scenario") == "tax_0.25_kappa_0") & (pl.col("variable") == "exports_pct")
    )
    wide = (
        endogenous.filter(pl.col("variable").str.starts_with("exports"))
        .pivot(on="variable", index=["region", "sector"], values="value")
        .join(exogenous.select("region", "sector", pl.col("value").alias("exogenous_pct")), on=["region", "sector"])
    )
    assert wide.height == exogenous.height > 0
    np.testing.assert_allclose(
        wide["exports_factor_cost_effect_pct"].to_numpy(), wide["exogenous_pct"].to_numpy(), atol=1e-12
    )
    np.testing.assert_allclose(
        (wide["exports_factor_cost_effect_pct"] + wide["exports_technology_effect_pct"]).to_numpy(),
        wide["exports_pct"].to_numpy(),
        atol=1e-12,
    )
    assert wide["exports_technology_effect_pct"].abs().max() > 1e-6


def test_the_sweep_is_a_curve_and_ge_results_is_the_union(ge_run):
    database, _ = ge_run
    sweep = read_table(database, "results.ge_tax_sweep")
    prices = sweep.filter((pl.col("variable") == "world_ree_price_hat") & pl.col("scenario").str.ends_with("_kappa_0"))
    ordered = prices.with_columns(tax=pl.col("scenario").str.extract(r"^tax_([0-9.]+)_").cast(pl.Float64)).sort("tax")
    assert ordered.height == 6 and ordered["value"][0] == pytest.approx(1.0, abs=1e-10)
    assert (ordered["value"].diff().drop_nulls() > 0).all()
    union = read_table(database, "results.ge_results")
    parts = [
        read_table(database, f"results.{name}").height
        for name in ("ge_counterfactual_exogenous", "ge_counterfactual_endogenous", "ge_tax_sweep")
    ]
    assert union.height == sum(parts)


def test_omega_from_the_ree_extended_use_table_reaches_the_baseline(ge_run):
    database, _ = ge_run
    baseline = read_table(database, "core.ge_baseline").filter(pl.col("variable") == "omega")
    omega = dict(baseline.filter(pl.col("region") == "USA").select("sector", "value").iter_rows())
    expected = ree_cost_shares_from_io(
        read_table(database, "core.ree_extended_use_table"), ["Ce", "Dy", "La", "Nd", "Pr"]
    )
    assert omega == pytest.approx({sector: expected.get(sector, 0.0) for sector in omega}, abs=1e-15)
    assert omega["basic_fabricated_metals"] != PUBLISHED_REE_COST_SHARES["basic_fabricated_metals"]


def test_elasticities_on_the_supplied_panel(ge_run):
    """ree_elasticities with panel=supplied estimates on the raw ge_innovation_panel (embedded: drawn
    from the model with the same eps): every |eps_hat - eps| < 0.08 (observed at most 0.04; 30
    bootstrap draws make 4 SE too rough a bound here), and the estimates are not those of the
    patent panel; without the raw table the run fails saying so and keeps the stored estimates.
    Runs last: it replaces the stored estimates and drops the raw table."""
    database, _ = ge_run
    from_patents = read_table(database, "core.ree_elasticities").sort("sector")
    config = {"ops": {"ree_elasticities": {"config": {"n_bootstrap": 30, "panel": "supplied"}}}}
    result = materialize(database, dg.AssetSelection.assets("ree_elasticities"), run_config=config)
    assert result.success, step_errors(result)
    supplied = read_table(database, "core.ree_elasticities").sort("sector")
    assert supplied.height == 12 and (supplied["eps_hat"] - supplied["eps_true"]).abs().max() < 0.08
    assert (supplied["eps_hat"] - from_patents["eps_hat"]).abs().max() > 1e-3
    with duckdb.connect(str(database)) as con:
        con.execute("DROP TABLE raw.ge_innovation_panel")
    missing = materialize(database, dg.AssetSelection.assets("ree_elasticities"), run_config=config)
    assert "raw.ge_innovation_panel, which is not materialised" in " ".join(step_errors(missing).values())
    assert read_table(database, "core.ree_elasticities").equals(supplied)  # the last good estimates stay
