"""In-memory DuckDB for set-overlap joins (no file, no state kept): the spillover variables join
millions of patents, which DuckDB does out of core and in parallel. Every connection keeps to
:data:`MEMORY_SHARE` of the machine's memory and spills beyond it into a temporary folder."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import polars as pl

#: DuckDB's share of this machine's memory for one connection; beyond it DuckDB spills to a
#: temporary folder. Its default (80%) came on top of the Polars frames a script read: at the
#: USPTO's size (100 million citations) the two together exceeded 24 GiB. The citation variables
#: now read their tables inside DuckDB, so this share bounds their peak: on the real-size bench
#: at scale 0.2 their process peaked at 0.8, 1.5 and 2.6 GiB under limits of 0.5, 1.2 and 7.1 GiB
#: (the last not reached), spilling costing time (1.7 times as long at the smallest), not memory.
#: 0.3 (7 GiB of 24) is kept rather than raised: it holds the 16 GiB target with room for the
#: Python process, for the steps that still hand DuckDB Polars frames (the patent sets) and for
#: other processes, and the availability counts have time to spare (target: 10 minutes).
MEMORY_SHARE = 0.3


def memory_limit(share: float = MEMORY_SHARE) -> str:
    """DuckDB's ``memory_limit`` setting for ``share`` of this machine's physical memory."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{int(total * share) // 2**20}MiB"


@contextmanager
def limited_settings() -> Iterator[dict[str, Any]]:
    """DuckDB settings (``memory_limit``: :data:`MEMORY_SHARE` of the memory; ``temp_directory``:
    a fresh temporary folder to spill into, removed on exit) for one connection, which must be
    closed before the settings' context ends."""
    with tempfile.TemporaryDirectory(prefix="ree_duckdb_spill_") as spill:
        yield {"memory_limit": memory_limit(), "temp_directory": spill}


@contextmanager
def connection() -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh in-memory DuckDB with :func:`limited_settings`, closed on exit."""
    with limited_settings() as config, duckdb.connect(":memory:", config=config) as con:
        yield con


def run_script(con: duckdb.DuckDBPyConnection, script: str) -> pl.DataFrame:
    """Run ``script`` (statements separated by ';', the last a query) on ``con``; the last query
    as a frame."""
    statements = [s for s in script.split(";") if s.strip()]
    for statement in statements[:-1]:
        con.execute(statement)
    return con.execute(statements[-1]).pl()


def run_sql(script: str, **frames: pl.DataFrame) -> pl.DataFrame:
    """Run ``script`` (as :func:`run_script`) in a fresh :func:`connection` where each frame of
    ``frames`` is visible under its keyword name; the last query as a frame."""
    with connection() as con:
        for name, frame in frames.items():
            con.register(name, frame.to_arrow())
        return run_script(con, script)
