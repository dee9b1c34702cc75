"""STAND-IN for the patents stage's ``patent_panel`` (issue 10) until it is merged. Delete at
merge: this module, its line in ``definitions.py``, ``dbt/models/standin/`` and
``sources/embedded/patent_panel_standin.py`` (PATENT_INTERFACES item 5)."""

import dagster as dg
import polars as pl

from ree_assets.defs.partitions import DUCKDB_POOL
from ree_assets.defs.resources import DataSource
from ree_assets.sources.embedded.dims import world_dims
from ree_assets.sources.embedded.patent_panel_standin import standin_patent_panel
from ree_assets.sources.embedded.sensitivity_truth import embedded_sensitivity
from ree_assets.sources.embedded.world import stage_rng


@dg.asset(group_name="patents", metadata={"schema": "core"}, kinds={"polars", "duckdb"}, pool=DUCKDB_POOL)
def patent_panel_standin(data_source: DataSource) -> dg.Output[pl.DataFrame]:
    """A frame with patent_panel's columns drawn from the Poisson DiD model of the embedded world
    (REE-enhancing flows with mean exp(alpha_rs + gamma_rt + beta_r Sens_s post_t))."""
    frame, beta = standin_patent_panel(stage_rng(data_source.seed, "patent_panel_standin"),
                                       world_dims(data_source.size),
                                       embedded_sensitivity(data_source.seed, data_source.size))
    return dg.Output(frame, metadata={"true_beta_nonchn": beta["USA"], "true_beta_chn": beta["CHN"]})
