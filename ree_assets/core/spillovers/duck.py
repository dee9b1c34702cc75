"""An in-memory DuckDB for set-overlap joins on Polars frames (no file, no state kept): the
spillover variables join millions of patents, which DuckDB does out of core and in parallel."""

from __future__ import annotations

import duckdb
import polars as pl


def run_sql(script: str, **frames: pl.DataFrame) -> pl.DataFrame:
    """Run ``script`` (statements separated by ';', the last a query) in a fresh in-memory DuckDB
    where each frame of ``frames`` is visible under its keyword name; the last query as a frame."""
    with duckdb.connect(":memory:") as con:
        for name, frame in frames.items():
            con.register(name, frame.to_arrow())
        statements = [s for s in script.split(";") if s.strip()]
        for statement in statements[:-1]:
            con.execute(statement)
        return con.execute(statements[-1]).pl()
