"""What a failed ``dbt build`` broke, in words a user can act on.

dbt's own account of a failed build is its log. From the build's artifacts (``run_results.json``
and ``manifest.json`` in its target folder) this names each model that did not build, with the
database's message, and each data test that failed, with the model and column it tests, the number
of failing rows and a sample of their keys. Under write-audit-publish a test keeps its failing rows
as a view in :data:`TEST_FAILURES_SCHEMA` (``store_failures_as: view`` in ``dbt_project.yml``), read
here with a ``LIMIT``; the keys are the columns of the model's ``unique_combination_of_columns``
test (its grain), or every column when it has none.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ree_assets.storage.audit import SAMPLE_ROWS
from ree_assets.storage.lock import connect

#: The schema where the staged build keeps the failing rows of its data tests (dropped after it).
TEST_FAILURES_SCHEMA = "wap_dbt_test__audit"

#: Characters of a database message quoted (the rest is in dbt's log).
MESSAGE_CHARS = 600


@dataclass(frozen=True)
class BuildReport:
    """What a dbt invocation did: the models it built, and one line per failure."""

    built: frozenset[str]
    failures: list[str]


def read_build(database: str, target_path: Path) -> BuildReport:
    """The models the dbt invocation whose target folder is ``target_path`` built, and one line per
    model that failed to build and per data test that failed (or could not run); the models
    skipped because of those are named in one more line. Nothing when dbt left no results."""
    results_file, manifest_file = target_path / "run_results.json", target_path / "manifest.json"
    if not results_file.is_file() or not manifest_file.is_file():
        return BuildReport(frozenset(), [])
    nodes = json.loads(manifest_file.read_text())["nodes"]
    built, failures, skipped = set(), [], []
    for result in json.loads(results_file.read_text())["results"]:
        node = nodes.get(result["unique_id"], {"name": result["unique_id"], "resource_type": "?"})
        status, kind = result["status"], node["resource_type"]
        if kind == "test" and status in ("error", "fail"):
            failures.append(_test_failure(database, result, node, nodes))
        elif kind != "test" and status == "error":
            failures.append(
                f"model {node['name']} ({node.get('original_file_path')}) did not build: "
                f"{database_message(result.get('message') or '')}"
            )
        elif kind != "test" and status == "skipped":
            skipped.append(node["name"])
        elif kind != "test":
            built.add(node["name"])
    if skipped:
        failures.append(f"not built, as something they depend on failed: {', '.join(skipped)}")
    return BuildReport(frozenset(built), failures)


def database_message(message: str) -> str:
    """dbt's message on a failed node without its first line (``Runtime Error in model ...``,
    which the caller says otherwise), on one line, at most :data:`MESSAGE_CHARS` characters."""
    head, _, rest = message.strip().partition("\n")
    text = " ".join((rest if head.lower().endswith(".sql)") and rest else message).split())
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 3] + "..."


def _test_failure(database: str, result: Mapping[str, Any], test: Mapping[str, Any], nodes: Mapping[str, Any]) -> str:
    """A failed data test: which test, on which model and column, how many rows, which keys."""
    model = nodes.get(test.get("attached_node") or "", {})
    on = f"{model.get('name', '?')}" + (f" column {test['column_name']}" if test.get("column_name") else "")
    kind = (test.get("test_metadata") or {}).get("name", "singular test")
    described = f"test {test['name']} ({kind} on {on})"
    if result["status"] == "error":
        return f"{described} could not run: {database_message(result.get('message') or '')}"
    sample = failing_keys(database, test, grain(model.get("unique_id", ""), nodes), test.get("column_name"))
    return f"{described} fails on {result.get('failures')} row(s)" + (f"; sample keys: {sample}" if sample else "")


def grain(model_id: str, nodes: Mapping[str, Any]) -> list[str]:
    """The key columns of a model: those of its ``unique_combination_of_columns`` test (or of a
    ``unique`` test on one column); empty when it has neither."""
    for node in nodes.values():
        metadata = node.get("test_metadata") or {}
        if node.get("attached_node") != model_id:
            continue
        if metadata.get("name") == "unique_combination_of_columns":
            return list(metadata["kwargs"]["columns"])
        if metadata.get("name") == "unique":
            return [node["column_name"]]
    return []


def failing_keys(database: str, test: Mapping[str, Any], keys: list[str], column: str | None) -> str:
    """The first :data:`SAMPLE_ROWS` rows failing ``test``, from the view of its failing rows, as
    ``key=value`` pairs of the model's key columns and the tested column (all columns when the
    view has none of the keys); empty when the view cannot be read."""
    relation = f'{test["schema"]}."{test["alias"]}"'
    try:
        with connect(database, f"sampling the rows failing {test['name']}", read_only=True) as con:
            cursor = con.execute(f"SELECT * FROM {relation} LIMIT {SAMPLE_ROWS}")
            names = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
    except duckdb.Error:  # a sample is a courtesy: the failure is reported without it
        return ""
    wanted = [name for name in names if name in keys or name == column] or names
    return "; ".join("(" + ", ".join(f"{name}={row[names.index(name)]!r}" for name in wanted) + ")" for row in rows)
