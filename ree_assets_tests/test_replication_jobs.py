"""Both replications materialised as ``make run`` runs them, on the small embedded world in a
temporary DuckDB: the pulls backfilled over all their years, then ``replicate_afsv`` and
``replicate_fvd`` on the stored pulls. Every step succeeds and every asset check passes; the
failures are listed by name."""

import pytest

from ree_assets.defs import schedules
from ree_assets.defs.partitions import patent_year_partitions, trade_year_partitions
from ree_assets_tests.helpers import failed_checks, materialize, materialize_years, materialized, step_errors

pytestmark = pytest.mark.slow

#: WARN checks that compare the synthetic world with the figures AFSV publish for the real
#: economy: a diagnostic that cannot pass on synthetic data (on real BEA tables it is informative).
PUBLISHED_FIGURE_DIAGNOSTICS = {("ree_requirements_vs_published", "ranks_like_published")}


def all_years(partitions) -> tuple[str, str]:
    keys = partitions.get_partition_keys()
    return keys[0], keys[-1]


def failures(result) -> list[str]:
    """Failed steps and failed checks (other than the diagnostics above), by name."""
    return [f"step {step}: {error[:300]}" for step, error in step_errors(result).items()] + [
        f"check {asset}:{check}"
        for asset, check in failed_checks(result)
        if (asset, check) not in PUBLISHED_FIGURE_DIAGNOSTICS
    ]


def test_the_pulls_and_both_replications_materialise_with_every_check_passing(tmp_path):
    database = tmp_path / "ree.duckdb"
    runs = {
        "refresh_patents": materialize_years(
            database, *all_years(patent_year_partitions), schedules.refresh_patents.selection
        ),
        "refresh_trade": materialize_years(
            database, *all_years(trade_year_partitions), schedules.refresh_trade.selection
        ),
    }
    runs["replicate_afsv"] = materialize(database, schedules.replicate_afsv.selection)
    runs["replicate_fvd"] = materialize(database, schedules.replicate_fvd.selection)
    assert {job: failures(result) for job, result in runs.items()} == dict.fromkeys(runs, [])
    assert {"did_patents", "ree_elasticities", "ge_tax_sweep", "patent_panel"} <= materialized(runs["replicate_afsv"])
    assert {"fvd_mixture_restricted", "fvd_probability_tables"} <= materialized(runs["replicate_fvd"])
