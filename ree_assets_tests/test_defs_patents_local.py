"""The patent pull in local mode on PatentsView files of either layout dropped into
``REE_DATA_DIR/patents/patentsview``: all six tables stored through the audited IO manager; a
table whose files are absent is not written and the metadata says why."""

import dagster as dg
import polars as pl
import pytest

from ree_assets.sources.patent_tables import PATENT_TABLES
from ree_assets_tests.helpers import materialize, read_table, small_world, step_errors
from ree_assets_tests.patentsview_files import CURRENT_FILES, EXPECTED, LEGACY_FILES, sorted_rows, write_folder

pytestmark = pytest.mark.slow

#: Ten more 2015 grants like 9000002 (a stored year holds at least 10 grants, says the contract).
MORE = [f"90001{n:02d}" for n in range(10)]


def pull(tmp_path, layout: str, drop: str = "") -> tuple:
    """Materialise the six tables of 2015 from a local folder holding the layout's files (less
    ``drop``) and the ten more grants."""
    files = dict(LEGACY_FILES if layout == "legacy" else CURRENT_FILES)
    name = "patent.tsv" if layout == "legacy" else "g_patent.tsv"
    header, *rows = files.pop(name)
    template = rows[1]  # 9000002; the legacy number column repeats the id
    more = ([p, "utility", p, *template[3:]] if layout == "legacy" else [p, *template[1:]] for p in MORE)
    files[name] = (header, *rows, *more)
    files.pop(drop, None)
    data_dir = tmp_path / "sources"
    write_folder(data_dir / "patents" / "patentsview", files)
    database = tmp_path / "ree.duckdb"
    result = materialize(
        database,
        selection=dg.AssetSelection.assets(*PATENT_TABLES),
        partition_key="2015",
        data_source=small_world(mode="local", data_dir=str(data_dir)),
        run_config={"ops": {"patent_pull": {"config": {"text_sections": ["claims", "description"]}}}},
    )
    return database, result


@pytest.mark.parametrize("layout", ["legacy", "current"])
def test_both_layouts_store_all_six_tables(tmp_path, layout):
    database, result = pull(tmp_path, layout)
    assert result.success, step_errors(result)
    patents = read_table(database, "raw.patents")
    assert sorted(patents["patent_id"]) == sorted(["9000001", "9000002", *MORE])
    assert sorted_rows("patents", patents.filter(~pl.col("patent_id").is_in(MORE))) == EXPECTED["patents"]
    for table in PATENT_TABLES[1:]:
        assert sorted_rows(table, read_table(database, f"raw.{table}")) == EXPECTED[table], table


def test_a_table_without_files_is_not_written_and_the_metadata_says_so(tmp_path):
    database, result = pull(tmp_path, "current", drop="g_inventor_disambiguated.tsv")
    assert result.success, step_errors(result)
    written = {e.asset_key.to_user_string(): e for e in result.get_asset_materialization_events()}
    assert set(written) == set(PATENT_TABLES) - {"patent_inventors"}
    metadata = written["patents"].event_specific_data.materialization.metadata
    assert metadata["audit"].value == "passed: odcs_contract, great_expectations"
    notes = metadata["source_notes"].value
    assert "patent_inventors: " in notes and "g_inventor_disambiguated.tsv absent" in notes
    assert read_table(database, "raw.patent_assignees").height == 2
