"""The code location loads, lightly, and holds the foundation's pieces."""

import re
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

from packaging import version

#: Libraries only steps use: the numerical core (NumPy, SciPy), the estimators, the figures, the audits.
HEAVY_MODULES = (
    "great_expectations",
    "datacontract",
    "cvxpy",
    "cyipopt",
    "pyfixest",
    "jax",
    "matplotlib",
    "numpy",
    "scipy",
    "networkx",  # dbt's selection engine, which dagster-dbt loads when dbt-core is importable
)


def test_loading_the_code_location_imports_no_heavy_library():
    code = f"import sys, ree_assets.definitions; print(','.join(m for m in {HEAVY_MODULES!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""


def test_dbt_runs_from_its_own_environment_and_its_version_is_read_without_starting_it():
    """dbt-core is not importable beside the code location; the dbt CLI is that of ``.venv/dbt``,
    whose dbt-core version comes from its package metadata, the one ``dbt --version`` prints."""
    from ree_assets.defs.dbt import DBT_ENVIRONMENT, dbt_core_version, dbt_executable

    assert find_spec("dbt.version") is None, "dbt-core is installed in the project's environment: run make setup"
    dbt = dbt_executable()
    assert Path(dbt).parent == DBT_ENVIRONMENT / "bin"
    printed = subprocess.run([dbt, "--version"], capture_output=True, text=True, check=True).stdout
    installed = re.search(r"installed:\s*(\d+\.\d+\.\d+)", printed)
    assert installed and dbt_core_version(dbt) == version.parse(installed.group(1)), printed
    assert dbt_core_version(sys.executable) is None  # an environment without dbt-core


def test_yearly_partitions_and_the_duckdb_pool():
    from ree_assets.definitions import defs
    from ree_assets.defs.partitions import DUCKDB_POOL, patent_year_partitions, trade_year_partitions

    for partitions, first in ((patent_year_partitions, "1969"), (trade_year_partitions, "2002")):
        keys = partitions.get_partition_keys()
        assert keys[0] == first and keys[-1] == "2018" and all(len(k) == 4 for k in keys)
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        assert graph.get(key).pools == {DUCKDB_POOL}, key


def test_loading_the_code_location_raises_no_dagster_warning():
    """No beta, preview, supersession or deprecation warning of Dagster when the code location loads
    (every Dagster warning is turned into an error here; other libraries' are left alone)."""
    code = (
        "import warnings, dagster as dg; "
        "[warnings.filterwarnings('error', category=c) for c in (dg.BetaWarning, dg.PreviewWarning, "
        "dg.SupersessionWarning)]; "
        "warnings.filterwarnings('error', category=DeprecationWarning, module='dagster'); "
        "import ree_assets.definitions as d; d.defs.resolve_asset_graph()"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
