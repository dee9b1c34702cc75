"""An in-memory DuckDB for set-overlap joins on Polars frames (no file, no state kept): the
spillover variables join millions of patents, which DuckDB does out of core and in parallel."""

from __future__ import annotations

import os
import tempfile

import duckdb
import polars as pl

#: DuckDB's share of this machine's memory for one script. Its default (80%) comes on top of the
#: Polars frames the script reads: at the USPTO's size (100 million citations) the two together
#: exceeded 24 GiB. Beyond its share DuckDB spills to a temporary folder.
MEMORY_SHARE = 0.3


def memory_limit(share: float = MEMORY_SHARE) -> str:
    """DuckDB's ``memory_limit`` setting for ``share`` of this machine's physical memory."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{int(total * share) // 2**20}MiB"


def run_sql(script: str, **frames: pl.DataFrame) -> pl.DataFrame:
    """Run ``script`` (statements separated by ';', the last a query) in a fresh in-memory DuckDB
    where each frame of ``frames`` is visible under its keyword name; the last query as a frame.
    DuckDB keeps to :data:`MEMORY_SHARE` of the memory and spills the rest to a temporary folder."""
    with (
        tempfile.TemporaryDirectory(prefix="ree_duckdb_spill_") as spill,
        duckdb.connect(":memory:", config={"memory_limit": memory_limit(), "temp_directory": spill}) as con,
    ):
        for name, frame in frames.items():
            con.register(name, frame.to_arrow())
        statements = [s for s in script.split(";") if s.strip()]
        for statement in statements[:-1]:
            con.execute(statement)
        return con.execute(statements[-1]).pl()
