"""The dbt models that have a contract describe their columns in the contract's words: the YAML
agrees with the contracts, and a drifted, missing or multi-line description is found and rewritten
without touching any other line."""

import re
import shutil
from pathlib import Path

import yaml

from ree_assets.dbt_docs import DBT_MODELS, drift, main, write_descriptions
from ree_assets.sources.contracts import contract_column_docs


def _copy(tmp_path: Path) -> Path:
    models = tmp_path / "models"
    shutil.copytree(DBT_MODELS, models)
    return models


def _described(path: Path, model: str) -> dict[str, str]:
    (entry,) = [m for m in yaml.safe_load(path.read_text())["models"] if m["name"] == model]
    return {column["name"]: column.get("description") for column in entry["columns"]}


def test_dbt_models_describe_their_columns_as_their_contracts_do():
    assert drift() == []
    assert main(["--check"]) == 0
    contract = {c.name: c.description for c in contract_column_docs("patent_panel")}
    assert _described(DBT_MODELS / "marts" / "_patents__models.yml", "patent_panel") == contract


def test_a_drifted_description_is_found_and_rewritten(tmp_path):
    models = _copy(tmp_path)
    panels = models / "marts" / "panels" / "_panels__models.yml"
    spikes = models / "marts" / "_marts__models.yml"
    originals = {path: path.read_text() for path in (panels, spikes)}
    region = {c.name: c.description for c in contract_column_docs("fct_tfp_growth_panel")}["region"]
    element = {c.name: c.description for c in contract_column_docs("ree_price_spikes")}["element"]
    panels.write_text(originals[panels].replace(f"'{region}'", "Some region.", 1))
    spikes.write_text(originals[spikes].replace(f"        description: {element}\n", ""))

    assert sorted(drift(models)) == [
        f"fct_export_growth_panel.region: _panels__models.yml says 'Some region.', the contract {region!r}",
        f"ree_price_spikes.element: _marts__models.yml says None, the contract {element!r}",
    ]
    assert sorted(write_descriptions(models)) == sorted([panels, spikes])
    assert drift(models) == []
    assert {path: path.read_text() for path in (panels, spikes)} == originals
    assert write_descriptions(models) == []


def test_a_multiline_description_is_replaced_by_the_contracts(tmp_path):
    models = _copy(tmp_path)
    patents = models / "marts" / "_patents__models.yml"
    original = patents.read_text()
    year = {c.name: c.description for c in contract_column_docs("patent_panel")}["year"]
    patents.write_text(
        original.replace(f"description: {year}\n", "description: >\n          Year of grant,\n          folded.\n")
    )
    assert _described(patents, "patent_panel")["year"] == "Year of grant, folded.\n"
    assert len(drift(models)) == 1
    write_descriptions(models)
    assert patents.read_text() == original


def test_a_contract_column_missing_from_the_yaml_is_reported_not_invented(tmp_path):
    models = _copy(tmp_path)
    results = models / "results" / "_results__models.yml"
    results.write_text(re.sub(r"      - name: asset\n        description: .*\n", "", results.read_text()))
    expected = ["ge_results.asset: in data_contracts/ge_results.yaml, not in _results__models.yml"]
    assert drift(models) == expected
    write_descriptions(models)
    assert drift(models) == expected
