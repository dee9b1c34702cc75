"""Storage that never lets bad data replace good data: one DuckDB file, a cross-process lock,
and write-audit-publish (``DESIGN.md``, Storage and lineage)."""
