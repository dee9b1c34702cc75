"""Bad data in tables that are one version: the six PatentsView tables of a grant year, and a BEA
Make table with its Use table. A bad input goes into a copy of one good database (built once per
session); afterwards every published table and view compares equal (row count and hash) where
the bad version must not land, and the error names the file, the column and the rule."""

import shutil

import dagster as dg
import polars as pl
import pytest

from ree_assets.sources.catalog import BEA_MAKE, BEA_USE
from ree_assets.sources.patent_tables import PATENT_TABLES
from ree_assets_tests.helpers import (
    fingerprint,
    materialize,
    materialize_years,
    published_fingerprints,
    read_table,
    small_world,
    step_errors,
)
from ree_assets_tests.patentsview_files import CURRENT_FILES, write_folder

pytestmark = pytest.mark.slow

BEA = ("bea_make", "bea_use")
#: Ten 2014 grants like 9000002, and ten more 2015 ones (a stored year holds at least 10 grants).
GRANTS = {2014: [f"80002{n:02d}" for n in range(10)], 2015: [f"90001{n:02d}" for n in range(10)]}


def patentsview_files(title_suffix: str = "", cited_office: str = "EP") -> dict:
    """PatentsView files (current layout) for the grant years 2014 and 2015: every table has rows
    in both years (8000200 carries the 2014 ones); ``title_suffix`` marks a new version of the
    titles, ``cited_office`` is the office of 9000001's foreign citation (2015)."""
    files = {name: (header, *rows) for name, (header, *rows) in CURRENT_FILES.items()}

    def add(name: str, *rows) -> None:
        header, *old = files[name]
        files[name] = (header, *old, *rows)

    header, *rows = files.pop("g_patent.tsv")
    template = rows[1]  # 9000002
    grants = [[p, template[1], f"{year}-03-10", *template[3:]] for year, ids in GRANTS.items() for p in ids]
    files["g_patent.tsv"] = (header, *([r[0], r[1], r[2], r[3] + title_suffix, *r[4:]] for r in [*rows, *grants]))
    add("g_application.tsv", ["13/000200", "8000200", "13", "2012-05-01", "13", 0])
    files["g_claims_2014.tsv"] = (files["g_claims_2015.tsv"][0], ["8000200", 0, "1. A magnet.", "", "00001", 1])
    add("g_assignee_disambiguated.tsv", ["8000200", 0, "a1", "", "", "Magnet Corp", 3, "loc1"])
    add("g_inventor_disambiguated.tsv", ["8000200", 0, "i1", "Taro", "Sato", "M", "loc1"])
    add("g_cpc_current.tsv", ["8000200", 0, "H", "H01", "H01F", "H01F1/0577", "inventive", "F"])
    add("g_us_patent_citation.tsv", ["8000200", 0, "4496395", "1985-01-00", "Croat", "A", "cited by examiner"])
    header, *rows = files["g_foreign_citation.tsv"]
    files["g_foreign_citation.tsv"] = (header, *([*r[:-1], cited_office] for r in rows))
    return files


def pull_years(database, data_dir, files: dict) -> dg.ExecuteInProcessResult:
    """One run over the grant years 2014...2015 of the six patent tables from ``files``."""
    write_folder(data_dir / "patents" / "patentsview", files)
    selection = dg.AssetSelection.assets(*PATENT_TABLES)
    return materialize_years(database, "2014", "2015", selection, small_world(mode="local", data_dir=str(data_dir)))


def bea_folder(shared_data, folder):
    """REE_DATA_DIR holding the real BEA 2012 detail Make and Use tables (tidy CSV)."""
    (folder / "bea").mkdir(parents=True, exist_ok=True)
    use, make = (folder / BEA_USE.path).with_suffix(".csv"), (folder / BEA_MAKE.path).with_suffix(".csv")
    shutil.copy(shared_data / "bea" / "Detail_Use_2012_PRO_BeforeRedef.csv", use)
    shutil.copy(shared_data / "bea" / "Detail_Make_2012_BeforeRedef.csv", make)
    return use, make


def pull_bea(database, folder) -> dg.ExecuteInProcessResult:
    return materialize(database, dg.AssetSelection.assets(*BEA), small_world(mode="local", data_dir=str(folder)))


@pytest.fixture(scope="session")
def good_database(shared_data, tmp_path_factory):
    """One database holding good versions of the BEA Make and Use tables and of the six patent
    tables of 2014 and 2015; each case copies it."""
    folder = tmp_path_factory.mktemp("good")
    database = folder / "ree.duckdb"
    bea_folder(shared_data, folder / "sources")
    assert pull_bea(database, folder / "sources").success
    result = pull_years(database, folder / "sources", patentsview_files())
    assert result.success, step_errors(result)
    return database


@pytest.fixture
def database(good_database, tmp_path):
    copy = tmp_path / "ree.duckdb"
    shutil.copy(good_database, copy)
    return copy


def _year(table: str, year: int) -> str:
    return f"(SELECT * FROM raw.{table} WHERE grant_year = {year})"


def test_a_bad_year_in_a_range_keeps_every_tables_rows_of_that_year_and_the_good_year_is_published(database, tmp_path):
    """2015's foreign citation names no two-letter office: none of the six tables of 2015 is
    published; 2014, good, is published with its new titles."""
    others = {name: value for name, value in published_fingerprints(database).items() if "patent" not in name}
    before = {table: fingerprint(database, _year(table, 2015)) for table in PATENT_TABLES}

    result = pull_years(database, tmp_path / "sources", patentsview_files(" (new)", cited_office="E"))

    assert not result.success
    error = step_errors(result)["patent_pull"]
    assert "partitions 2015...2015 were NOT published" in error and "published year by year: 2014...2014" in error
    assert "g_foreign_citation.tsv" in error and "cited_office" in error, error  # the file and the column
    assert "cited_office is a two-letter office code" in error and "unexpected values ['E']" in error, error
    assert {table: fingerprint(database, _year(table, 2015)) for table in PATENT_TABLES} == before
    titles = (
        read_table(database, "raw.patents").group_by("grant_year").agg(pl.col("title").str.ends_with(" (new)").all())
    )
    assert dict(titles.iter_rows()) == {2014: True, 2015: False}
    assert {name: value for name, value in published_fingerprints(database).items() if "patent" not in name} == others


def _rename_use_industry(use, new: bytes) -> None:
    """The Use table's header names industry 331410 ``new`` (its commodity row keeps its code)."""
    header, rest = use.read_bytes().split(b"\n", 1)
    use.write_bytes(header.replace(b",331410,", b"," + new + b",") + b"\n" + rest)


@pytest.mark.parametrize("new", [b"331411", b"33141\xb0"], ids=["renamed", "non-utf8-byte"])
def test_a_use_industry_missing_from_make_is_refused_before_publishing(database, shared_data, tmp_path, new):
    before = published_fingerprints(database)
    use, _ = bea_folder(shared_data, tmp_path / "sources")
    _rename_use_industry(use, new)

    result = pull_bea(database, tmp_path / "sources")

    assert not result.success
    error = step_errors(result)["bea_make_use"]
    assert "raw.bea_use" in error and "NOT published" in error and str(use) in error, error  # the table, the file
    assert "every Make industry is a Use column: column col_code" in error and "['331410']" in error, error
    assert "every Use column is a Make industry, a final use (F*) or a total: column col_code" in error, error
    assert "neither were the step's other outputs raw.bea_make" in error, error
    assert published_fingerprints(database) == before


def test_a_new_vintage_of_both_make_and_use_passes_together(database, shared_data, tmp_path):
    """Industry 331410 renamed in both tables: each is checked against the other's new version."""
    use, make = bea_folder(shared_data, tmp_path / "sources")
    _rename_use_industry(use, b"331411")
    make.write_text(make.read_text().replace("\n331410,", "\n331411,"))

    result = pull_bea(database, tmp_path / "sources")

    assert result.success, step_errors(result)
    assert "331411" in read_table(database, "raw.bea_use")["col_code"].to_list()
    assert "331411" in read_table(database, "raw.bea_make")["industry_code"].to_list()
