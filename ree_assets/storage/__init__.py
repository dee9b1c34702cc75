"""Storage that never lets bad data replace good data: one DuckDB file, a cross-process lock,
and write-audit-publish (``DESIGN.md``, Storage and lineage), inside Dagster's DuckDB integration.

Modules, each importing only from those after it:

- ``io_manager``: the Dagster side, the library's ``DbIOManager``, DuckDB client and Polars type
  handler storing every output by write-audit-publish;
- ``publish``: stage, audit and settle (publish or reject) table versions, and the audits' record;
- ``dbt_failures``: what a failed ``dbt build`` broke (models, tests, sample keys of failing rows);
- ``audit``: the audits of a staged version (ODCS contract, Great Expectations suite);
- ``wap``: the staging, publishing and journal SQL on a connection, and reads of the file;
- ``lock``: the cross-process lock of the file and connections opened under it.
"""
