"""Real sample files, copied and corrupted: every error names the file, the line (or record), the
column and the rule, and says what the reader found; every table names the files it is read from."""

import json
import shutil

import openpyxl
import polars as pl
import pytest

from ree_assets.errors import DataValidationError, SourceFormatError
from ree_assets.sources import bea, comtrade, worldbank
from ree_assets.sources.catalog import BEA_USE, SourceSettings, describe_origin, read_table
from ree_assets.sources.patents import PATENTSVIEW_DIR, patent_origin
from ree_assets.sources.patentsview import read_patentsview


@pytest.fixture
def patentsview(shared_data, tmp_path):
    """A copy of the real PatentsView sample (patent.tsv, uspatentcitation.tsv: grants of 2018)."""
    folder = tmp_path / PATENTSVIEW_DIR
    shutil.copytree(shared_data / "patents" / "patentsview_sample", folder)
    return folder


def _replace_bytes(path, old: bytes, new: bytes) -> None:
    data = path.read_bytes()
    assert data.count(old) == 1, old
    path.write_bytes(data.replace(old, new))


@pytest.mark.parametrize(
    ("old", "new", "line", "column"),
    [
        (b"PEX expanding", b"PEX\xe9expanding", 9, "title"),  # a Latin-1 e-acute in 10000007's title
        (b"laser detection and ranging", b"laser detection\xffand ranging", 2, "abstract"),
        (b'"title"', b'"t\x81tle"', 1, "field 7"),  # in the header itself
    ],
)
def test_a_non_utf8_byte_in_a_patentsview_tsv_names_file_line_column_and_rule(patentsview, old, new, line, column):
    _replace_bytes(patentsview / "patent.tsv", old, new)
    with pytest.raises(SourceFormatError) as error:
        read_patentsview(patentsview, 2018)
    message = str(error.value)
    assert f"file '{patentsview / 'patent.tsv'}', line {line}, column '{column}'" in message, message
    byte = next(b for b in new if b >= 0x80)
    assert f"violates rule 'the file is UTF-8 text' (byte {byte:#04x} is not UTF-8" in message, message
    assert "patents.yaml" in message


def test_the_pull_names_each_tables_files_not_the_folder(patentsview, tmp_path):
    settings = SourceSettings(mode="local", data_dir=tmp_path)
    assert patent_origin(settings, "auto", [2018], "patent_citations") == (
        f"{patentsview / 'patent.tsv'}, {patentsview / 'uspatentcitation.tsv'}"
    )
    assert patent_origin(settings, "auto", [2018], "patents") == str(patentsview / "patent.tsv")


def _api_json(shared_data, tmp_path, record: int, column: str, value) -> object:
    payload = json.loads((shared_data / "trade" / "HS-60a6ad.json").read_text())
    payload["data"][record][column] = value
    path = tmp_path / "comtrade.json"
    path.write_text(json.dumps(payload))
    return path


def test_text_in_a_numeric_column_of_a_comtrade_response_names_the_record(shared_data, tmp_path):
    path = _api_json(shared_data, tmp_path, 2, "primaryValue", "n/a")
    with pytest.raises(SourceFormatError) as error:
        comtrade.read_trade_file(path)
    assert str(error.value).startswith(
        f"trade: file '{path}', row 2, column 'primaryValue': violates rule 'values of primaryValue parse as Float64' "
        "(value 'n/a')"
    ), str(error.value)


def test_text_in_a_numeric_column_of_a_comtrade_bulk_file_names_the_line(shared_data, tmp_path):
    data = json.loads((shared_data / "trade" / "HS-60a6ad.json").read_text())["data"]
    records = pl.DataFrame(data, infer_schema_length=None).select("refYear", *comtrade.REQUIRED[1:], "cmdDesc")
    bulk = tmp_path / "comtrade.csv"
    records.with_columns(
        cmdDesc=pl.lit("All\ncommodities"),  # a quoted line break: line numbers count it
        refYear=pl.Series(["2010", "2010", "20l0", "2010"]),
    ).write_csv(bulk)
    with pytest.raises(SourceFormatError) as error:
        comtrade.read_trade_file(bulk)
    assert f"trade: file '{bulk}', line 6, column 'refYear': violates rule 'values of refYear parse as Int64'" in str(
        error.value
    )
    assert bulk.read_text().splitlines()[5].startswith("20l0")


def test_text_in_a_numeric_column_of_a_world_bank_file_names_the_line(shared_data, tmp_path):
    path = tmp_path / "gdp.csv"
    lines = (shared_data / "gdp" / "gdp.csv").read_text().splitlines()
    lines[41] = lines[41].rsplit(",", 1)[0] + ",1.2e9 USD"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(SourceFormatError) as error:
        worldbank.read_gdp(path)
    assert str(error.value).startswith(
        f"gdp: file '{path}', line 42, column 'Value': violates rule 'values of Value parse as Float64' "
        "(value '1.2e9 USD')"
    ), str(error.value)


def test_a_bea_csv_is_named_as_the_file_read_not_the_xlsx(shared_data, tmp_path):
    csv = (tmp_path / BEA_USE.path).with_suffix(".csv")
    csv.parent.mkdir(parents=True)
    shutil.copy(shared_data / "bea" / "Detail_Use_2012_PRO_BeforeRedef.csv", csv)
    assert describe_origin("bea_use", SourceSettings(mode="local", data_dir=tmp_path)) == str(csv)


def test_a_duplicated_use_row_is_named_as_the_duplicate_not_a_totals_mismatch(shared_data, tmp_path):
    lines = (shared_data / "bea" / "Detail_Use_2012_PRO_BeforeRedef.csv").read_text().splitlines(keepends=True)
    row = next(i for i, line in enumerate(lines) if line.startswith(("331410,", '"331410",')))
    csv = (tmp_path / BEA_USE.path).with_suffix(".csv")
    csv.parent.mkdir(parents=True)
    csv.write_text("".join([*lines[: row + 1], lines[row], *lines[row + 1 :]]))
    with pytest.raises(DataValidationError) as error:
        read_table("bea_use", SourceSettings(mode="local", data_dir=tmp_path))
    message = str(error.value)
    assert message.startswith(
        f"bea_use: file '{csv}', line {row + 2}, row '331410', column 'code': violates rule 'one line per code' "
        f"(code '331410' is on lines {[row + 1, row + 2]}"
    ), message
    assert "bea_use.yaml" in message and "sum" not in message


def test_a_duplicated_make_row_of_a_workbook_names_the_sheet_row(shared_data, tmp_path):
    path = tmp_path / "make.xlsx"
    workbook = openpyxl.load_workbook(
        shared_data / "bea" / "bea_xlsx" / "IOMake_Before_Redefinitions_2007_2012_Detail.xlsx"
    )
    sheet = workbook["2012"]
    sheet.insert_rows(8)
    for column in range(1, sheet.max_column + 1):
        sheet.cell(8, column).value = sheet.cell(7, column).value
    workbook.save(path)
    with pytest.raises(DataValidationError) as error:
        bea.read_make(path, "2012")
    assert str(error.value).startswith(
        f"bea_make: file '{path} [sheet 2012]', line 8, row '1111A0', column 'code': violates rule 'one line per code' "
        "(code '1111A0' is on lines [7, 8]"
    ), str(error.value)
