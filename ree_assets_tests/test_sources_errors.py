"""Errors at the reader name the file, the line or cell, the table, the contract and the rule; what a
reader does not keep is reported, never dropped silently."""

import shutil

import openpyxl
import polars as pl
import pytest

from ree_assets.errors import DataValidationError, SourceFormatError, SourceNote, SourceUnavailableError
from ree_assets.sources import bea
from ree_assets.sources.catalog import BEA_SUMMARY_USE, BEA_USE, SourceSettings, read_table
from ree_assets.sources.embedded import ree_defaults


def _local(tmp_path) -> SourceSettings:
    return SourceSettings(mode="local", data_dir=tmp_path)


def _prices_csv(tmp_path, text: str | None = None):
    path = tmp_path / "ree" / "ree_prices.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text is not None else ree_defaults.ree_prices().write_csv())
    return path


def test_a_latin1_byte_in_a_bea_header_is_decoded_not_turned_into_a_missing_column(shared_data, tmp_path):
    """BEA pads codes with non-breaking spaces: byte 0xA0 in a Latin-1 export. Read as UTF-8 it
    became U+FFFD, a code '331\\ufffd' and a totals error about a missing column; decoded as
    Windows-1252 it is padding, and the table equals the UTF-8 original."""
    original = shared_data / BEA_SUMMARY_USE.path
    text = original.read_text(encoding="utf-8")
    latin1 = tmp_path / "Summary_Use_latin1.csv"
    latin1.write_bytes(text.replace(",331,", ",331\xa0,", 1).encode("latin-1"))
    with pytest.warns(SourceNote, match=r"Summary_Use_latin1.csv: not UTF-8 \(byte 0xa0 on line 1\)"):
        use = bea.read_use(latin1, table="bea_summary_use")
    assert use.equals(bea.read_use(original))


def test_bytes_that_are_no_known_encoding_fail_naming_file_and_line(tmp_path):
    path = _prices_csv(tmp_path)
    bad_line = len(path.read_text().splitlines()) + 1
    path.write_bytes(path.read_bytes() + b"Nd,fob_china,2019,50.0,\x81bad,approximate\n")
    with pytest.raises(
        SourceFormatError,
        match=rf"ree_prices: file '.*ree_prices.csv', line {bad_line}: .*UTF-8 or "
        r"Windows-1252.*0x81.*ree_prices.yaml",
    ):
        read_table("ree_prices", _local(tmp_path))


def test_canonical_csv_errors_name_file_line_column_and_contract(tmp_path):
    lines = ree_defaults.ree_prices().write_csv().splitlines()
    cases = {
        "ragged line": (
            lines[:3] + [lines[3] + ",extra"] + lines[4:],
            r"line 4: violates rule 'every line has as many fields as the header' \(7 fields",
        ),
        "value that is not a number": (
            lines[:5] + [lines[5].replace(",4.0,", ",4.O,")] + lines[6:],
            r"line 6, column 'price_usd_per_kg': violates rule 'values of "
            r"price_usd_per_kg parse as Float64' \(value '4.O'\)",
        ),
        "duplicate header": (
            [lines[0] + ",source"] + [line + ",again" for line in lines[1:]],
            r"line 1, column 'source': violates rule 'header names are unique'",
        ),
    }
    for name, (content, message) in cases.items():
        _prices_csv(tmp_path, "\n".join(content) + "\n")
        with pytest.raises(SourceFormatError, match=message + ".*ree_prices.yaml") as error:
            read_table("ree_prices", _local(tmp_path))
        assert "ree_prices.csv" in str(error.value), name


def test_blank_lines_are_skipped_and_line_numbers_still_count_them(tmp_path):
    lines = ree_defaults.ree_prices().write_csv().splitlines()
    _prices_csv(tmp_path, "\n".join(lines[:3] + [""] + lines[3:]) + "\n")
    assert read_table("ree_prices", _local(tmp_path)).height == len(lines) - 1
    _prices_csv(tmp_path, "\n".join(lines[:3] + ["", lines[3].replace("4.0", "four")] + lines[4:]) + "\n")
    with pytest.raises(SourceFormatError, match=r"line 5, column 'price_usd_per_kg'.*'four'"):
        read_table("ree_prices", _local(tmp_path))


def test_columns_the_contract_does_not_list_are_reported_not_silently_dropped(tmp_path):
    prices = ree_defaults.ree_prices()
    _prices_csv(tmp_path, prices.with_columns(currency=pl.lit("USD"), note=pl.lit("")).write_csv())
    with pytest.warns(
        SourceNote,
        match=r"ree_prices.csv: columns \['currency', 'note'\] are not in the contract "
        r"ree_prices.yaml",
    ):
        frame = read_table("ree_prices", _local(tmp_path))
    assert frame.columns == prices.columns


def test_a_file_and_its_other_format_twin_fail_naming_both(tmp_path):
    xlsx = tmp_path / BEA_USE.path
    xlsx.parent.mkdir(parents=True)
    openpyxl.Workbook().save(xlsx)
    shutil.copy(xlsx, xlsx.with_suffix(".csv"))
    with pytest.raises(
        DataValidationError,
        match=r"bea_use: .*one file per source.*IOUse_Before_Redefinitions"
        r"_PRO_2007_2012_Detail.xlsx'.*Detail.csv'",
    ) as error:
        read_table("bea_use", _local(tmp_path))
    assert str(error.value.contract).endswith("bea_use.yaml")
    xlsx.unlink()
    with pytest.raises(SourceFormatError, match=r"Detail.csv', line 1"):
        read_table("bea_use", _local(tmp_path))  # the twin alone is read (here: xlsx bytes under a .csv name)


def test_xlsx_problems_name_the_file_and_the_sheet(shared_data, tmp_path):
    workbook = shared_data / "bea" / "bea_xlsx" / "IOMake_Before_Redefinitions_2007_2012_Detail.xlsx"
    with pytest.raises(
        SourceFormatError,
        match=r"bea_make: file '.*IOMake.*Detail.xlsx \[sheet 1999\]'.*year sheet"
        r".*sheets: \['2007', '2012'\]",
    ):
        bea.read_make(workbook, sheet="1999")
    html = tmp_path / "IOUse.xlsx"
    html.write_text("<html><body>moved</body></html>")
    with pytest.raises(
        SourceFormatError,
        match=r"bea_use: file '.*IOUse.xlsx \[sheet 2012\]'.*xlsx workbook"
        r".*BadZipFile",
    ):
        bea.read_use(html, sheet="2012")


def test_a_bea_cell_that_is_not_a_number_is_named_by_row_and_column(shared_data, tmp_path):
    text = (shared_data / BEA_SUMMARY_USE.path).read_text()
    lines = text.splitlines()
    lines[1] = lines[1].replace("55693.0", "55,693", 1).replace("55,693", '"55,693"')
    path = tmp_path / "summary_use.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        SourceFormatError,
        match=r"bea_summary_use: file '.*summary_use.csv', row '111CA', "
        r"column '111CA'.*'55,693'",
    ):
        bea.read_use(path, table="bea_summary_use")


def test_a_totals_error_names_the_table_read_its_file_and_contract(shared_data, tmp_path):
    path = tmp_path / BEA_SUMMARY_USE.path
    path.parent.mkdir(parents=True)
    text = (shared_data / BEA_SUMMARY_USE.path).read_text()
    path.write_text(text.replace("55693.0", "95693.0", 1))
    with pytest.raises(
        DataValidationError,
        match=r"bea_summary_use: file '.*Summary_Use_2012_PRO_AfterRedef.csv', "
        r"row '111CA'.*T007 = row sum.*bea_summary_use.yaml",
    ):
        read_table("bea_summary_use", _local(tmp_path))


def test_a_missing_column_still_names_the_contract(tmp_path):
    _prices_csv(tmp_path, ree_defaults.ree_prices().drop("year").write_csv())
    with pytest.raises(SourceUnavailableError, match=r"columns \['year'\].*ree_prices.yaml"):
        read_table("ree_prices", _local(tmp_path))


def test_a_truncated_wiod_file_is_a_format_error_naming_it(shared_data, tmp_path):
    from ree_assets.sources import wiod

    data = (shared_data / "wiod" / "wiot_2009.RData").read_bytes()
    path = tmp_path / "wiot_2009.RData"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(
        SourceFormatError,
        match=r"wiod: file '.*wiot_2009.RData': violates rule 'the file is a "
        r"readable WIOD table",
    ):
        wiod.read_wiod_2013_rdata(path)


def test_concordance_errors_name_the_file(tmp_path):
    from ree_assets.sources import concordances

    renamed = tmp_path / "naics2012_naics2002.csv"
    renamed.write_text("NAICS2012,NAICS2002\n111110,111110\n")
    with pytest.raises(
        SourceFormatError,
        match=r"bea_sic_concordance: file '.*naics2012_naics2002.csv', line 1:.*"
        r"missing \['NAICS2012_6d', 'NAICS2002_6d'\]",
    ):
        concordances.read_naics2012_naics2002(renamed)
    not_xls = tmp_path / "2002_NAICS_to_1987_SIC.xls"
    not_xls.write_text("2002 NAICS,SIC\n")
    with pytest.raises(SourceFormatError, match=r"file '.*2002_NAICS_to_1987_SIC.xls'.*xls workbook"):
        concordances.read_naics2002_sic1987(not_xls)
