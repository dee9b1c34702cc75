"""The audit of a write of yearly partitions is incremental: its rules run on the new rows, and the
published rest is read only where the new rows' keys can be, yet a patent stored in two years or
a dangling reference still fails, named."""

import logging
import re

import duckdb
import polars as pl
import pytest

from ree_assets.expectations import Coverage
from ree_assets.storage import wap
from ree_assets.storage.audit import coverage_audit
from ree_assets.storage.io_manager import partition_audits, published_relation, table_audits, years_target
from ree_assets.storage.publish import AuditFailed, write_audit_publish
from ree_assets_tests.helpers import fingerprint

#: Published grant years and grants per year: ten years of 1.2 million rows, ten row groups.
YEARS, PER_YEAR, FIRST_ID = range(1990, 2000), 123_000, 5_000_000

_PATENTS = """
    SELECT (id)::VARCHAR AS patent_id, make_date(year, 6, 1) AS grant_date,
           make_date(year - 1, 3, 1) AS application_date, 'A magnet' AS title, NULL::VARCHAR AS abstract,
           'B1' AS kind, 'embedded' AS source, year::INTEGER AS grant_year
    FROM (SELECT {first} + i AS id, {start} + i // {per_year} AS year FROM range({n}) r(i))
"""


def _patents(start: int, years: int, first: int) -> str:
    return _PATENTS.format(first=first, start=start, per_year=PER_YEAR, n=years * PER_YEAR)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """raw.patents of 1990-1999, patent numbers rising with the grant date, as PatentsView's."""
    database = tmp_path_factory.mktemp("incremental") / "ree.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("CREATE SCHEMA raw")
        con.execute(f"CREATE TABLE raw.patents AS {_patents(YEARS.start, len(YEARS), FIRST_ID)}")
    return database


def _year(year: int, first: int) -> pl.DataFrame:
    with duckdb.connect() as con:
        return con.execute(_patents(year, 1, first)).pl()


def _store(database, frame: pl.DataFrame, year: int, audits=()):
    """Write-audit-publish of one grant year of raw.patents with the IO manager's audits."""
    years = range(year, year + 1)
    target = years_target(wap.Target("raw", "patents"), "grant_year", years)
    every = [
        *table_audits("patents", years, target=target),
        *partition_audits(target, frame, "grant_year", years, "patent_id"),
        *audits,
    ]
    write_audit_publish(
        str(database), target, frame, every, run_id=f"run-{year}", asset="patents", source=f"g_patent_{year}.tsv.zip"
    )


def _scanned(caplog) -> int:
    lines = [r.getMessage() for r in caplog.records if "published rows scanned" in r.getMessage()]
    return int(re.search(r"(\d+) published rows scanned", lines[-1]).group(1))


def test_a_patent_already_stored_in_another_year_fails_naming_it_and_the_file(published):
    before = fingerprint(published, "raw.patents")
    repeated = FIRST_ID + 3 * PER_YEAR + 17  # granted in 1993
    frame = _year(2000, FIRST_ID + len(YEARS) * PER_YEAR).with_columns(
        pl.when(pl.int_range(pl.len()) == 5).then(pl.lit(str(repeated))).otherwise("patent_id").alias("patent_id")
    )
    with pytest.raises(AuditFailed) as failure:
        _store(published, frame, 2000)
    message = str(failure.value)
    assert "raw.patents partitions 2000...2000" in message and "g_patent_2000.tsv.zip" in message, message
    assert f"'{repeated}' (stored in grant_year [1993])" in message, message
    assert fingerprint(published, "raw.patents") == before


def test_a_clean_year_passes_reading_its_rows_and_no_published_row_group_its_keys_cannot_be_in(published, caplog):
    seen = []

    def rows_audited(database: str, schema: str) -> list:
        with duckdb.connect(database, read_only=True) as con:
            seen.append(con.execute(f"SELECT COUNT(*) FROM {schema}.patents").fetchone()[0])
        return []

    frame = _year(2000, FIRST_ID + len(YEARS) * PER_YEAR)
    with caplog.at_level(logging.INFO, logger="ree_assets.storage.audit"):
        _store(published, frame, 2000, [("odcs_contract", rows_audited)])
    assert seen == [PER_YEAR]  # the contract and the suites read the new year's rows, not the table's
    assert _scanned(caplog) < PER_YEAR  # the key lookup skipped every published row group
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("SELECT COUNT(*) FROM raw.patents").fetchone()[0] == (len(YEARS) + 1) * PER_YEAR


def test_a_year_whose_keys_span_the_table_scans_it_once_and_passes(published, caplog):
    """Replacing 1995 by itself: its keys lie in its own row groups; the lookup excludes them."""
    frame = _year(1995, FIRST_ID + 5 * PER_YEAR)
    with caplog.at_level(logging.INFO, logger="ree_assets.storage.audit"):
        _store(published, frame, 1995)
    assert 0 < _scanned(caplog) <= 3 * PER_YEAR


CITES_PATENT = Coverage(
    "every citing patent is a stored patent", "patent_citations", "citing_id", "patents", "patent_id"
)


def _citations(database, year: int, citing: list[str]) -> wap.Target:
    """Stage citations of ``year`` by ``citing`` patents; their target."""
    target = years_target(wap.Target("raw", "patent_citations"), "grant_year", range(year, year + 1))
    frame = pl.DataFrame({"citing_id": citing, "cited_id": ["1"] * len(citing), "grant_year": [year] * len(citing)})
    with duckdb.connect(str(database)) as con:
        wap.stage(con, target, frame, run_id="run-cites", asset="patent_citations")
    return target


def _two_patents(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA raw")
    rows = "(VALUES ('7000001', 2001), ('7000002', 2001)) t(patent_id, grant_year)"
    con.execute(f"CREATE TABLE raw.patents AS SELECT * FROM {rows}")


def test_a_dangling_reference_of_the_new_rows_is_named(tmp_path):
    database = tmp_path / "ree.duckdb"
    with duckdb.connect(str(database)) as con:
        _two_patents(con)
    target = _citations(database, 2001, ["7000001", "7000009"])
    audit = coverage_audit("patent_citations", [CITES_PATENT], published_relation, target)
    (finding,) = audit(str(database), target.staging_schema)
    assert "['7000009'] not found in patents.patent_id" in finding.detail


def test_a_year_that_drops_a_cited_patent_is_named_from_the_referencing_table(tmp_path):
    """The referenced side: replacing 2001 without 7000002, which a stored citation names."""
    database = tmp_path / "ree.duckdb"
    with duckdb.connect(str(database)) as con:
        _two_patents(con)
        con.execute(
            "CREATE TABLE raw.patent_citations AS SELECT '7000002' AS citing_id, '1' AS cited_id, 2001 AS grant_year"
        )
        target = years_target(wap.Target("raw", "patents"), "grant_year", range(2001, 2002))
        wap.stage(
            con, target, pl.DataFrame({"patent_id": ["7000001"], "grant_year": [2001]}), run_id="r", asset="patents"
        )
    audit = coverage_audit("patents", [CITES_PATENT], published_relation, target)
    (finding,) = audit(str(database), target.staging_schema)
    assert "patent_citations.citing_id ['7000002'] not found" in finding.detail
