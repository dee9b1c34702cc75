"""Column descriptions of the dbt models that have an ODCS contract come from that contract.

A column is described in one place, its contract in ``data_contracts/``. ``python -m
ree_assets.dbt_docs`` writes each contract's descriptions into the ``description:`` of the
model's columns in the dbt YAML (``dbt/models/**/*.yml``), editing only those lines;
``--check`` lists every difference and exits 1 (a test runs it, so a drifted description fails).
dbt docs (``make docs``) and the Dagster UI (dagster-dbt reads the manifest) then show the
contract's words.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from ree_assets.sources.contracts import contract_column_docs, contract_path

DBT_MODELS = Path(__file__).resolve().parents[1] / "dbt" / "models"


@dataclass(frozen=True)
class ColumnEntry:
    """One column of a model in a dbt YAML file: its name and description, and where the
    description goes (the text span of the ``description`` item, or after the ``name`` line)."""

    model: str
    name: str
    description: str | None
    span: tuple[int, int] | None
    insert_at: int
    indent: int


def _mapping(node: yaml.Node | None) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """A YAML mapping node's items by key: key -> (key node, value node)."""
    return {key.value: (key, value) for key, value in node.value} if isinstance(node, yaml.MappingNode) else {}


def _items(node: yaml.Node | None, key: str) -> list[yaml.Node]:
    """The items of the sequence under ``key`` of a mapping node (none when it has no such key)."""
    found = _mapping(node).get(key)
    return list(found[1].value) if found else []


def column_entries(text: str, models: set[str]) -> list[ColumnEntry]:
    """The columns of ``models`` listed in one dbt YAML file's ``models:``, with positions."""
    entries = []
    for model in _items(yaml.compose(text, Loader=yaml.SafeLoader), "models"):
        name = _mapping(model)["name"][1].value
        if name not in models:
            continue
        for column in _items(model, "columns"):
            items = _mapping(column)
            key, value = items["name"]
            described = items.get("description")
            entries.append(
                ColumnEntry(
                    model=name,
                    name=value.value,
                    description=described[1].value if described else None,
                    span=(described[0].start_mark.index, described[1].end_mark.index) if described else None,
                    insert_at=text.index("\n", value.end_mark.index),
                    indent=key.start_mark.column,
                )
            )
    return entries


def contracted_models(models_dir: Path) -> dict[str, Path]:
    """dbt model name -> the YAML file that describes it, for every model with a contract."""
    found = {}
    for path in sorted(models_dir.rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            if contract_path(model["name"]).is_file():
                found[model["name"]] = path
    return found


def drift(models_dir: Path = DBT_MODELS) -> list[str]:
    """Every difference between the contracts and the dbt YAML of the contracted models: a column
    of one missing from the other, or a description that is not the contract's."""
    problems = []
    for model, path in contracted_models(models_dir).items():
        contract = {c.name: c.description for c in contract_column_docs(model)}
        listed = {e.name: e.description for e in column_entries(path.read_text(), {model})}
        problems += [
            f"{model}.{c}: in data_contracts/{model}.yaml, not in {path.name}" for c in contract if c not in listed
        ]
        problems += [
            f"{model}.{c}: in {path.name}, not in data_contracts/{model}.yaml" for c in listed if c not in contract
        ]
        problems += [
            f"{model}.{c}: {path.name} says {listed[c]!r}, the contract {text!r}"
            for c, text in contract.items()
            if c in listed and listed[c] != text
        ]
    return problems


def _description_line(text: str) -> str:
    """``description: <text>`` as YAML on one line, quoted where YAML needs it."""
    return yaml.safe_dump({"description": text}, width=sys.maxsize, allow_unicode=True).strip()


def write_descriptions(models_dir: Path = DBT_MODELS) -> list[Path]:
    """Set the description of every contracted model's listed columns to the contract's; only
    those lines change. Returns the files written."""
    written = []
    by_file: dict[Path, set[str]] = {}
    for model, path in contracted_models(models_dir).items():
        by_file.setdefault(path, set()).add(model)
    for path, models in by_file.items():
        text = original = path.read_text()
        contracts = {model: {c.name: c.description for c in contract_column_docs(model)} for model in models}
        edits = []
        for entry in column_entries(text, models):
            wanted = contracts[entry.model].get(entry.name)
            if wanted is None or wanted == entry.description:
                continue
            if entry.span:
                start, end = entry.span
                trailing = text[start:end][len(text[start:end].rstrip()) :]  # a block scalar ends on the next line
                edits.append((start, end, _description_line(wanted) + trailing))
            else:
                edits.append((entry.insert_at, entry.insert_at, "\n" + " " * entry.indent + _description_line(wanted)))
        for start, end, replacement in sorted(edits, reverse=True):
            text = text[:start] + replacement + text[end:]
        if text != original:
            path.write_text(text)
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Write the contracts' descriptions into the dbt YAML (``--check``: only list differences)."""
    parser = argparse.ArgumentParser(prog="python -m ree_assets.dbt_docs", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="list differences and exit 1 if any; write nothing")
    args = parser.parse_args(argv)
    if not args.check:
        for path in write_descriptions():
            print(f"wrote {path.relative_to(DBT_MODELS.parent.parent)}")
    problems = drift()
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
