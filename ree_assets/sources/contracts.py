"""The ODCS data contracts in ``data_contracts/``: where they are and what schema they declare."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl
import yaml
from polars.datatypes import DataTypeClass

CONTRACTS_DIR = Path(__file__).resolve().parents[2] / "data_contracts"
#: Every contract parsed, as JSON: the code location reads all of them when it loads (column
#: schemas, checks), and parsing their YAML was a tenth of a second of every load.
PARSED_CACHE = CONTRACTS_DIR.parent / ".cache" / "data_contracts.json"

#: A Polars dtype as Polars' own signatures take it: a class (``pl.String``) or an instance.
PolarsType = pl.DataType | DataTypeClass

#: ODCS logical types -> Polars dtypes, for reading a canonical CSV with the contract's schema.
_POLARS_TYPES: dict[str, PolarsType] = {
    "string": pl.String,
    "integer": pl.Int64,
    "number": pl.Float64,
    "boolean": pl.Boolean,
    "date": pl.Date,
    "timestamp": pl.Datetime,
}


def contract_path(table: str) -> Path:
    """The contract file of a canonical table or mart."""
    return CONTRACTS_DIR / f"{table}.yaml"


def _parse(path: Path) -> dict:
    """The ODCS document of one contract file."""
    return yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@cache
def _parsed_contracts() -> dict[str, dict]:
    """Table -> parsed contract of every file in ``CONTRACTS_DIR``, read from ``PARSED_CACHE``
    while each file keeps the size and modification time it had when the cache was written (the
    test of Python's own bytecode cache); otherwise parsed and the cache rewritten."""
    stats = {path.stem: path.stat() for path in CONTRACTS_DIR.glob("*.yaml")}
    stamps = {table: [stat.st_mtime_ns, stat.st_size] for table, stat in stats.items()}
    try:
        cached = json.loads(PARSED_CACHE.read_text())
        if cached["stamps"] == stamps:
            return cached["contracts"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    contracts = {table: _parse(contract_path(table)) for table in stamps}
    _write_cache(stamps, contracts)
    return contracts


def _write_cache(stamps: dict[str, list[int]], contracts: dict[str, dict]) -> None:
    """Store the parsed contracts in ``PARSED_CACHE`` (replaced whole, so a concurrent reader sees
    the old or the new file), unless a document would not come back from JSON equal (a YAML date)
    or the folder cannot be written."""
    try:
        text = json.dumps({"stamps": stamps, "contracts": contracts})
        if json.loads(text)["contracts"] != contracts:
            return
        PARSED_CACHE.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=PARSED_CACHE.parent, suffix=".tmp", delete=False) as file:
            file.write(text)
        os.replace(file.name, PARSED_CACHE)
    except (TypeError, ValueError, OSError):
        return


@cache
def load_contract(table: str) -> dict:
    """The parsed ODCS document of a table's contract."""
    path = contract_path(table)
    if not path.is_file():
        raise FileNotFoundError(f"no data contract for table {table!r}: expected {path}")
    parsed = _parsed_contracts()
    return parsed[table] if table in parsed else _parse(path)


def contract_columns(table: str) -> dict[str, PolarsType]:
    """Column name -> Polars dtype, in the order the contract lists them."""
    (schema,) = [s for s in load_contract(table)["schema"] if s["name"] == table]
    return {p["name"]: _polars_type(p) for p in schema["properties"]}


@dataclass(frozen=True)
class ContractColumn:
    """One column as its contract documents it: name, ODCS logical type (``array<string>`` for an
    array), description and the required/unique rules."""

    name: str
    logical_type: str
    description: str
    required: bool
    unique: bool


def contract_column_docs(table: str) -> list[ContractColumn]:
    """The documented columns of a table, in the order its contract lists them."""
    (schema,) = [s for s in load_contract(table)["schema"] if s["name"] == table]
    return [
        ContractColumn(
            name=p["name"],
            logical_type=_logical_type(p),
            description=p.get("description", ""),
            required=bool(p.get("required", False)),
            unique=bool(p.get("unique", False)),
        )
        for p in schema["properties"]
    ]


def _logical_type(prop: dict) -> str:
    """A property's ODCS logical type, arrays with their items' type (``array<string>``)."""
    if prop.get("logicalType") == "array":
        return f"array<{_logical_type(prop.get('items', {'logicalType': 'string'}))}>"
    return prop.get("logicalType", "string")


def _polars_type(prop: dict) -> PolarsType:
    """The Polars dtype of one contract property (arrays hold the type of their ``items``)."""
    if prop.get("logicalType") == "array":
        return pl.List(_polars_type(prop.get("items", {"logicalType": "string"})))
    return _POLARS_TYPES.get(prop.get("logicalType", "string"), pl.String)


def contract_purpose(table: str) -> str:
    """What the table is for, as its contract's ``description.purpose`` says."""
    return load_contract(table).get("description", {}).get("purpose", "")


def contract_schema(contract_file: Path) -> str:
    """The DuckDB schema the contract's server names (raw, core, marts, results)."""
    return load_contract(contract_file.stem)["servers"][0].get("schema", "main")
