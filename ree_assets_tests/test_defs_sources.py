"""Raw-table assets surface what their reader noted without failing."""

import polars as pl
import pytest

from ree_assets.sources.embedded import ree_defaults
from ree_assets_tests.helpers import materialize, small_world, step_errors

pytestmark = pytest.mark.slow


def test_columns_not_stored_are_listed_in_the_asset_metadata(tmp_path):
    folder = tmp_path / "sources" / "ree"
    folder.mkdir(parents=True)
    scores = ree_defaults.ree_complementarity().with_columns(comment=pl.lit("checked"))
    scores.write_csv(folder / "ree_complementarity.csv")
    result = materialize(
        tmp_path / "ree.duckdb", ["ree_complementarity"], small_world(mode="local", data_dir=str(tmp_path / "sources"))
    )
    assert result.success, step_errors(result)
    (event,) = result.get_asset_materialization_events()
    notes = event.materialization.metadata["source_notes"].value
    assert "ree_complementarity.csv: columns ['quality', 'comment'] are not in the contract" in notes
