"""The small embedded world's pipeline built once per test session and shared by the modules that
read it: what ``make run`` runs (the yearly pulls over all their years, then ``replicate_afsv``
and ``replicate_fvd``), into one DuckDB file, its reports folder and a Dagster instance on disk
that recorded the four runs.

Under pytest-xdist every worker is a process with its own session fixtures, so the build goes
to the session's shared temporary folder under a file lock (pytest-xdist's documented pattern):
the first worker to ask builds, the others wait on the lock and reuse what it built. A module
that materialises more copies the build first (:meth:`SmallWorldBuild.copy_to`) and continues on
its copy, in its copy of the instance; the build itself is never written after it is done.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
from filelock import FileLock

from ree_assets.defs import schedules
from ree_assets.defs.partitions import patent_year_partitions, trade_year_partitions
from ree_assets_tests.helpers import materialize, materialize_years

#: Job name -> run id of the build's runs, written last: its presence marks a finished build.
RUNS = "runs.json"
#: The instance sends no usage data and, like an ephemeral one, captures no step logs.
INSTANCE_SETTINGS = """\
telemetry:
  enabled: false
compute_logs:
  module: dagster._core.storage.noop_compute_log_manager
  class: NoOpComputeLogManager
"""


@dataclass(frozen=True)
class StoredRun:
    """A finished run read back from an instance's event log, with the accessors of
    ``dg.ExecuteInProcessResult`` that the tests and their helpers read."""

    all_events: list[dg.DagsterEvent]

    @classmethod
    def read(cls, instance: dg.DagsterInstance, run_id: str) -> StoredRun:
        """The run's Dagster events, in order."""
        return cls([entry.dagster_event for entry in instance.all_logs(run_id) if entry.is_dagster_event])

    @property
    def success(self) -> bool:
        """Whether the run finished successfully."""
        return any(event.event_type == dg.DagsterEventType.RUN_SUCCESS for event in self.all_events)

    def get_asset_materialization_events(self) -> list[dg.DagsterEvent]:
        """Every materialisation event of the run."""
        return [event for event in self.all_events if event.event_type_value == "ASSET_MATERIALIZATION"]

    def asset_materializations_for_node(self, node_name: str) -> list[dg.AssetMaterialization]:
        """The materialisations of one step (an asset's op)."""
        return [
            event.step_materialization_data.materialization
            for event in self.get_asset_materialization_events()
            if event.step_key == node_name
        ]


@dataclass(frozen=True)
class SmallWorldBuild:
    """A folder holding the database ``ree.duckdb``, its ``reports`` folder, the Dagster instance
    ``dagster`` and ``runs.json`` (job -> run id)."""

    folder: Path

    @property
    def database(self) -> Path:
        return self.folder / "ree.duckdb"

    @property
    def reports(self) -> Path:
        return self.folder / "reports"

    @contextmanager
    def instance(self) -> Iterator[dg.DagsterInstance]:
        """The instance that recorded the runs (of this folder: open a copy's to write)."""
        with dg.DagsterInstance.local_temp(tempdir=str(self.folder / "dagster")) as instance:
            yield instance

    def runs(self) -> dict[str, StoredRun]:
        """Job -> its run, as recorded."""
        ids = json.loads((self.folder / RUNS).read_text())
        with self.instance() as instance:
            return {job: StoredRun.read(instance, run_id) for job, run_id in ids.items()}

    def copy_to(self, folder: Path) -> SmallWorldBuild:
        """A copy in ``folder`` (which must not exist) to materialise more on."""
        shutil.copytree(self.folder, folder, ignore=shutil.ignore_patterns("*.lock", "*.lock.holder"))
        return SmallWorldBuild(folder)


def _all_years(partitions: dg.PartitionsDefinition) -> tuple[str, str]:
    keys = partitions.get_partition_keys()
    return keys[0], keys[-1]


def build(folder: Path) -> SmallWorldBuild:
    """Materialise what ``make run`` runs on the small world into ``folder``: each pull as one run
    over all its years, then the two replication jobs, recorded in one instance. A failed step
    or check does not stop the build: the runs record it for the tests to report."""
    (folder / "dagster").mkdir(parents=True)
    (folder / "dagster" / "dagster.yaml").write_text(INSTANCE_SETTINGS)
    built = SmallWorldBuild(folder)
    with built.instance() as instance:
        runs = {
            "refresh_patents": materialize_years(
                built.database,
                *_all_years(patent_year_partitions),
                schedules.refresh_patents.selection,
                instance=instance,
            ),
            "refresh_trade": materialize_years(
                built.database, *_all_years(trade_year_partitions), schedules.refresh_trade.selection, instance=instance
            ),
        }
        for job in (schedules.replicate_afsv, schedules.replicate_fvd):
            runs[job.name] = materialize(built.database, job.selection, instance=instance)
    (folder / RUNS).write_text(json.dumps({job: result.run_id for job, result in runs.items()}))
    return built


def shared_build(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> SmallWorldBuild:
    """The session's build: built here without xdist, else by the first worker to ask, in the
    folder the workers of the session share."""
    if worker_id == "master":
        return build(tmp_path_factory.mktemp("small_world", numbered=False))
    folder = tmp_path_factory.getbasetemp().parent / "small_world"
    with FileLock(f"{folder}.lock"):
        if (folder / RUNS).is_file():
            return SmallWorldBuild(folder)
        shutil.rmtree(folder, ignore_errors=True)  # what a worker that crashed mid-build left
        return build(folder)
