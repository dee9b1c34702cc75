"""The parsed contracts' cache: read while every contract file is unchanged, parsed again when one
changes or the cache is unreadable."""

import json
import os

import pytest

from ree_assets.sources import contracts

CONTRACT = "schema:\n  - name: {table}\n    properties:\n      - name: {column}\n        logicalType: string\n"


@pytest.fixture
def contract_dir(tmp_path, monkeypatch):
    """An empty contracts folder and its cache, the parsed contracts forgotten before and after."""
    folder = tmp_path / "data_contracts"
    folder.mkdir()
    monkeypatch.setattr(contracts, "CONTRACTS_DIR", folder)
    monkeypatch.setattr(contracts, "PARSED_CACHE", tmp_path / ".cache" / "data_contracts.json")
    contracts._parsed_contracts.cache_clear()
    yield folder
    contracts._parsed_contracts.cache_clear()


def _write(folder, table: str, column: str, mtime_ns: int) -> None:
    path = folder / f"{table}.yaml"
    path.write_text(CONTRACT.format(table=table, column=column))
    os.utime(path, ns=(mtime_ns, mtime_ns))


def _columns(table: str) -> list[str]:
    contracts._parsed_contracts.cache_clear()
    return [p["name"] for p in contracts._parsed_contracts()[table]["schema"][0]["properties"]]


def test_the_cache_is_written_and_read_back(contract_dir):
    _write(contract_dir, "t", "a", 10**18)
    assert _columns("t") == ["a"]
    cached = json.loads(contracts.PARSED_CACHE.read_text())
    cached["contracts"]["t"]["schema"][0]["properties"][0]["name"] = "from_the_cache"
    contracts.PARSED_CACHE.write_text(json.dumps(cached))
    assert _columns("t") == ["from_the_cache"]


def test_a_changed_contract_is_parsed_again(contract_dir):
    _write(contract_dir, "t", "a", 10**18)
    assert _columns("t") == ["a"]
    _write(contract_dir, "t", "bb", 10**18 + 1)
    assert _columns("t") == ["bb"]


def test_an_added_contract_and_a_broken_cache_are_parsed(contract_dir):
    _write(contract_dir, "t", "a", 10**18)
    assert _columns("t") == ["a"]
    _write(contract_dir, "u", "c", 10**18)
    assert _columns("u") == ["c"]
    contracts.PARSED_CACHE.write_text("{not json")
    assert _columns("t") == ["a"]
