"""Each custom check of the io_table stage fails on a bad input: the assets are invoked directly on
the embedded (small) world's tables, once as they are and once broken."""

from __future__ import annotations

from dataclasses import replace

import dagster as dg
import numpy as np
import polars as pl
import pytest

from ree_assets.core import io_table as core
from ree_assets.defs import io_table, sensitivity
from ree_assets.defs.resources import DuckDBStore
from ree_assets.sources.embedded.world import embedded_table

SEED = 20100701


def raw(table: str) -> pl.DataFrame:
    return embedded_table(table, SEED, "small")


def check_of(events) -> dg.AssetCheckResult:
    """The one check result among the events an asset yields. A failed invariant must stop the
    asset before it hands any output to storage (write-audit-publish)."""
    seen = []
    try:
        seen.extend(events)
    except dg.Failure as failure:
        assert "not published" in str(failure.description)
        assert not any(isinstance(e, dg.Output) for e in seen)
    (result,) = [e for e in seen if isinstance(e, dg.AssetCheckResult)]
    assert result.passed == any(isinstance(e, dg.Output) for e in seen)
    return result


@pytest.fixture(scope="module")
def extension_inputs() -> dict[str, pl.DataFrame]:
    return {
        name: raw(name)
        for name in (
            "bea_use",
            "bea_make",
            "ree_application_composition",
            "ree_end_use",
            "ree_consumption",
            "ree_prices",
            "application_industry_map",
            "ree_parameters",
            "magnet_use_map",
        )
    }


def _extend(inputs: dict[str, pl.DataFrame]) -> dg.AssetCheckResult:
    events = io_table.ree_extended_tables(dg.build_asset_context(), io_table.ReeExtensionConfig(), **inputs)
    return check_of(events)


def test_splits_preserve_totals_fails_when_the_extension_loses_a_cell(extension_inputs, monkeypatch):
    assert _extend(extension_inputs).passed
    build = core.build_ree_extended_table

    def leaky(*args, **kwargs):
        extended = build(*args, **kwargs)
        use = extended.tables.use.copy()
        use[0, 0] += 1.0  # USD 1 million appears from nowhere
        return replace(extended, tables=replace(extended.tables, use=use))

    monkeypatch.setattr(core, "build_ree_extended_table", leaky)
    result = _extend(extension_inputs)
    assert not result.passed and result.metadata["max_error_industry_output_musd"].value == pytest.approx(1.0)


@pytest.fixture(scope="module")
def extended(extension_inputs) -> tuple[pl.DataFrame, pl.DataFrame]:
    events = list(
        io_table.ree_extended_tables(dg.build_asset_context(), io_table.ReeExtensionConfig(), **extension_inputs)
    )
    outputs = {e.output_name: e.value for e in events if isinstance(e, dg.Output)}
    return outputs["ree_extended_use_table"], outputs["ree_extended_make_table"]


def test_leontief_column_sums_fails_on_a_table_with_a_large_negative_input(extended):
    use, make = extended
    assert check_of(io_table.total_requirements(use, make)).passed
    # a negative purchase of 325180 by 335911 as large as half its output (BEA records negative cells)
    output = use.filter((pl.col("row_code") == "T008") & (pl.col("col_code") == "335911"))["value_musd"].item()
    cell = (pl.col("row_code") == "325180") & (pl.col("col_code") == "335911")
    broken = use.with_columns(pl.when(cell).then(-0.5 * output).otherwise(pl.col("value_musd")).alias("value_musd"))
    result = check_of(io_table.total_requirements(broken, make))
    assert not result.passed and "335911" in result.metadata["columns_below_one"].value  # the commodity it makes


def test_every_bea_commodity_mapped_fails_on_a_code_the_concordance_lacks(extended, tmp_path):
    use, make = extended
    inputs = {
        "store": DuckDBStore(database=str(tmp_path / "ree.duckdb")),
        "ree_extended_use_table": use,
        "ree_extended_make_table": make,
        "bea_sic_concordance": raw("bea_sic_concordance"),
        "ree_application_composition": raw("ree_application_composition"),
        "application_industry_map": raw("application_industry_map"),
    }
    codes = raw("bea_codes")
    assert check_of(io_table.ree_total_requirements(bea_codes=codes, **inputs)).passed
    extra = pl.DataFrame({"code": ["999990"], "kind": ["industry"], "name": ["an industry no concordance row has"]})
    result = check_of(io_table.ree_total_requirements(bea_codes=pl.concat([codes, extra]), **inputs))
    assert not result.passed and result.metadata["unmapped_codes"].value == "999990"


def test_covers_sic_manufacturing_fails_when_an_industry_has_no_requirement():
    concordance = raw("bea_sic_concordance")
    sic4 = sorted(set(concordance["sic4"]))
    tr = pl.DataFrame({"sic4": sic4, "element": "Nd", "tr": np.linspace(1e-4, 1e-3, len(sic4))})
    assert check_of(sensitivity.ree_sensitivity(tr, raw("ree_complementarity"), concordance)).passed
    result = check_of(
        sensitivity.ree_sensitivity(tr.filter(pl.col("sic4") != "3691"), raw("ree_complementarity"), concordance)
    )
    assert not result.passed and result.metadata["missing_sic4"].value == "3691"
