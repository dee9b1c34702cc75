"""Data quality as asset checks: ODCS contracts (every ``data_contracts/*.yaml``) and Great
Expectations suites (blocking, where bad data would silently corrupt results)."""


from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl

from ree_assets.defs.resources import DuckDBStore
from ree_assets.reporting import frame_markdown
from ree_assets.sources.contracts import CONTRACTS_DIR, load_contract

#: An expectation as data: (Great Expectations class name, its keyword arguments). Kept as
#: plain tuples so this module does not import Great Expectations (a ~10 s import) at load.
Expectation = tuple[str, Mapping[str, Any]]


def contract_table(contract_file: Path) -> str:
    """The table (and asset) a contract describes: the name of its first schema object."""
    return load_contract(contract_file.stem)["schema"][0]["name"]


def run_contract(contract_file: Path, database: str) -> tuple[bool, list[dict[str, str]]]:
    """Test a table against its ODCS contract with datacontract-cli, on the DuckDB file.

    Returns (passed, one row per rule that did not pass: rule, field, reason).
    """
    from datacontract.data_contract import DataContract

    run = DataContract(data_contract_file=str(contract_file), server="ree",
                       config={"DATACONTRACT_DUCKDB_DATABASE": str(Path(database).resolve())}).test()
    failures = [{"rule": check.name, "field": check.field or "", "reason": check.reason or ""}
                for check in run.checks if check.result.value != "passed"]
    return run.result.value == "passed", failures


def contract_check(contract_file: Path) -> dg.AssetChecksDefinition:
    """A blocking asset check testing the contract's table in DuckDB."""
    table = contract_table(contract_file)

    @dg.asset_check(asset=table, name="odcs_contract", blocking=True,
                    description=f"ODCS contract {contract_file.name}: schema, required, unique and SQL rules.")
    def _contract(store: DuckDBStore) -> dg.AssetCheckResult:
        passed, failures = run_contract(contract_file, store.database)
        summary = "; ".join(f"{f['rule']}: {f['reason']}" for f in failures)
        return dg.AssetCheckResult(
            passed=passed,
            description=f"{table} violates {contract_file.name}: {summary}" if failures else None,
            metadata={"contract": contract_file.name, "failed_rules": frame_markdown(pl.DataFrame(failures))},
        )

    return _contract


def contract_checks(asset_keys: set[dg.AssetKey]) -> list[dg.AssetChecksDefinition]:
    """One check per contract in ``data_contracts/`` whose table is an asset of the code location."""
    return [contract_check(path) for path in sorted(CONTRACTS_DIR.glob("*.yaml"))
            if dg.AssetKey(contract_table(path)) in asset_keys]


def validate_with_gx(frame: pl.DataFrame, suite_name: str, expectations: Sequence[Expectation]) -> list[dict[str, str]]:
    """Validate a frame with Great Expectations (ephemeral context); return the failed
    expectations with their unexpected values."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (context.data_sources.add_pandas(suite_name)
             .add_dataframe_asset(suite_name)
             .add_batch_definition_whole_dataframe(suite_name)
             .get_batch(batch_parameters={"dataframe": frame.to_pandas()}))
    suite = context.suites.add(gx.ExpectationSuite(name=suite_name))
    for name, kwargs in expectations:
        suite.add_expectation(getattr(gx.expectations, name)(**kwargs))
    results = batch.validate(suite)
    return [{"expectation": r.expectation_config.type,
             "column": str(r.expectation_config.kwargs.get("column", r.expectation_config.kwargs.get("column_list", ""))),
             "finding": describe_failure(r.result, r.expectation_config.kwargs)}
            for r in results.results if not r.success]


def describe_failure(result: Mapping[str, Any], kwargs: Mapping[str, Any]) -> str:
    """What a failed expectation found: its unexpected values, the values missing from its set,
    or the observed value."""
    findings = [f"{label} {result[key][:10]}" for key, label in
                (("partial_unexpected_list", "unexpected values"), ("partial_missing_list", "missing values"))
                if result.get(key)]
    return "; ".join(findings) or f"observed {result.get('observed_value')}"


def gx_check(asset: str, schema: str, suite: Callable[..., Sequence[Expectation]], *,
             also: Mapping[str, str] | None = None, description: str) -> dg.AssetChecksDefinition:
    """A blocking Great Expectations check on the stored table ``<schema>.<asset>``.

    ``suite`` is called with the frames of ``also`` (other tables, name -> schema, for
    cross-table expectations) as keyword arguments and returns the expectations.
    """
    others = dict(also or {})

    @dg.asset_check(asset=asset, name="great_expectations", blocking=True, description=description,
                    additional_deps=list(others))
    def _gx(store: DuckDBStore) -> dg.AssetCheckResult:
        missing = [name for name, other_schema in others.items() if not store.has_table(other_schema, name)]
        if missing:
            return dg.AssetCheckResult(passed=False, description=f"{asset} is checked against {', '.join(missing)}, "
                                                                 "which has not been materialised yet")
        frames = {name: store.read_table(other_schema, name) for name, other_schema in others.items()}
        failures = validate_with_gx(store.read_table(schema, asset), asset, suite(**frames))
        summary = "; ".join(f"{f['expectation']} on {f['column']}: {f['finding']}" for f in failures)
        return dg.AssetCheckResult(
            passed=not failures,
            description=f"{asset}: {summary}" if failures else None,
            metadata={"failed_expectations": frame_markdown(pl.DataFrame(failures))},
        )

    return _gx


def ree_prices_suite(ree_complementarity: pl.DataFrame) -> list[Expectation]:
    """Prices are positive and complete: every element with a complementarity score is priced,
    and no element, market and year appears twice."""
    return [
        ("ExpectColumnValuesToNotBeNull", {"column": "price_usd_per_kg"}),
        ("ExpectColumnValuesToBeBetween", {"column": "price_usd_per_kg", "min_value": 0, "strict_min": True}),
        ("ExpectColumnDistinctValuesToEqualSet",
         {"column": "element", "value_set": sorted(ree_complementarity["element"].to_list())}),
        ("ExpectCompoundColumnsToBeUnique", {"column_list": ["element", "market", "year"]}),
    ]


def ree_total_requirements_suite() -> list[Expectation]:
    """Requirements are never negative (beyond rounding) and each (sic4, element) appears once."""
    return [
        ("ExpectColumnValuesToNotBeNull", {"column": "tr"}),
        ("ExpectColumnValuesToBeBetween", {"column": "tr", "min_value": -1e-9}),
        ("ExpectCompoundColumnsToBeUnique", {"column_list": ["sic4", "element"]}),
        ("ExpectColumnValueLengthsToEqual", {"column": "sic4", "value": 4}),
    ]


def ree_sensitivity_suite() -> list[Expectation]:
    """One non-negative, finite sensitivity per SIC industry."""
    return [
        ("ExpectColumnValuesToBeUnique", {"column": "sic4"}),
        ("ExpectColumnValuesToNotBeNull", {"column": "sensitivity"}),
        ("ExpectColumnValuesToBeBetween", {"column": "sensitivity", "min_value": 0, "max_value": 1}),
    ]


gx_checks = [
    gx_check("ree_total_requirements", "core", ree_total_requirements_suite,
             description="No negative REE requirements; keys unique (Great Expectations)."),
    gx_check("ree_sensitivity", "core", ree_sensitivity_suite,
             description="One sensitivity in [0, 1] per SIC industry (Great Expectations)."),
    gx_check("ree_prices", "raw", ree_prices_suite, also={"ree_complementarity": "raw"},
             description="Prices > 0, every scored element priced, keys unique (Great Expectations)."),
]
