"""BEA 2012 detail -> NAICS 2012 -> NAICS 2002 -> SIC 1987 4-digit: canonical
``bea_sic_concordance`` (bea_code, sic4, weight).

Files (Census / BEA via jonathankay2/concordance, in ``concordances/``): ``2012_BEA_to_2012_NAICS.csv``
(or ``bea2012_naics2012.csv``), ``naics2012_naics2002.csv``, ``2002_NAICS_to_1987_SIC.xls`` (or
``sic87_naics02.csv``). Census xls files store codes as numbers (SIC ``111.0``): codes are
restored as zero-padded strings (``'0111'``); rows whose SIC is not a code (``Aux``) are dropped.

The weighting rule, applied link by link: a code that maps to n codes of the next classification
splits its weight over them in proportion to their output where an output table is given and
covers every one of them (``naics_output`` for NAICS 2012 codes, ``sic_output`` for SIC codes),
and equally (1/n) otherwise. Links into a code with no further link (NAICS 2002 "null set for
U.S." codes) are dropped before splitting. The weight of (BEA b, SIC s) is the sum over paths b ->
n12 -> n02 -> s of the product of link weights, so it sums to 1 per BEA code.

Output weights come from an optional user file ``concordances/sic_weights.csv`` (sic4,
weight_basis, value: one value per SIC industry on one basis, e.g. 1997 shipments ``vship`` of
NBER-CES or the Census NAICS-SIC bridge; :func:`read_sic_weights`). No such file is shipped, so
without it every link splits equally (the documented fallback); the embedded world ships
output-based weights.

BEA codes with no NAICS counterpart land by two documented fallbacks: (1) a code whose NAICS
links are missing but whose digits name a NAICS prefix (``541920`` -> ``54192*``) takes every
NAICS 2012 code with that prefix; (2) government, housing and adjustment codes land on the SIC
industry of :data:`SPECIAL_BEA_SIC` (``9999`` Nonclassifiable establishments for pure accounting
rows). :func:`unmapped_bea_codes` lists any commodity or industry still not landing anywhere.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ree_assets.errors import DataValidationError, SourceFormatError
from ree_assets.sources.files import read_csv

#: The canonical table these readers feed (errors name it).
TABLE = "bea_sic_concordance"

#: BEA 2012 codes without a NAICS industry -> the SIC 1987 industry they land on.
SPECIAL_BEA_SIC: dict[str, str] = {
    "4200ID": "9311",  # customs duties -> public finance, taxation
    "531HSO": "6514",  # owner-occupied housing -> operators of dwellings
    "S00101": "4911",
    "S00202": "4911",  # government electric utilities -> electric services
    "S00201": "4111",  # state and local passenger transit -> local and suburban transit
    "S00102": "9199",
    "S00203": "9199",
    "S00600": "9199",
    "GSLGO": "9199",  # general government
    "S00500": "9711",  # federal defense -> national security
    "GSLGE": "8211",  # state and local education -> elementary and secondary schools
    "GSLGH": "8062",  # state and local hospitals -> general medical and surgical hospitals
    "S00401": "5093",  # scrap -> scrap and waste materials
    "S00402": "5932",  # used and secondhand goods -> used merchandise stores
    "S00300": "9999",
    "S00900": "9999",  # noncomparable imports, rest-of-world adjustment
}


#: Links of ``2012_BEA_to_2012_NAICS.csv`` (and ``bea2012_naics2012.csv``) that contradict BEA's own
#: MasterCrosswalk2012 and the code titles: 331520 "Nonferrous metal foundries" is linked to the
#: ferrous foundries 331511-331513, and 335120 "Lighting fixtures" misses 335129. Replaced by the
#: NAICS 2012 codes below (without the fix SIC 3363-3369 and 3648 would receive no BEA code).
BEA_NAICS_CORRECTIONS: dict[str, tuple[str, ...]] = {
    "331520": ("331523", "331524", "331529"),
    "335120": ("335121", "335122", "335129"),
}


def sic_code(value: object) -> str | None:
    """A SIC 1987 code as 4 characters (``111.0`` -> ``'0111'``), or None if not a code."""
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    return text.zfill(4) if text.isdigit() and len(text) <= 4 else None


def read_bea_naics2012(path: Path | str) -> pl.DataFrame:
    """(bea_code, naics2012) from ``2012_BEA_to_2012_NAICS.csv`` or ``bea2012_naics2012.csv``,
    with :data:`BEA_NAICS_CORRECTIONS` applied."""
    frame = read_csv(Path(path), TABLE, {"BEA2012": pl.String, "NAICS2012_6d": pl.String}).select(
        pl.col("BEA2012").str.strip_chars().alias("bea_code"),
        pl.col("NAICS2012_6d").str.strip_chars().alias("naics2012"),
    )
    corrections = pl.DataFrame(
        [(b, n) for b, codes in BEA_NAICS_CORRECTIONS.items() for n in codes],
        schema={"bea_code": pl.String, "naics2012": pl.String},
        orient="row",
    )
    return pl.concat([frame.filter(~pl.col("bea_code").is_in(list(BEA_NAICS_CORRECTIONS))), corrections]).unique(
        maintain_order=True
    )


def read_naics2012_naics2002(path: Path | str) -> pl.DataFrame:
    """(naics2012, naics2002) 6-digit links from ``naics2012_naics2002.csv``."""
    frame = read_csv(Path(path), TABLE, {"NAICS2012_6d": pl.String, "NAICS2002_6d": pl.String})
    return frame.select(pl.col("NAICS2012_6d").alias("naics2012"), pl.col("NAICS2002_6d").alias("naics2002")).unique(
        maintain_order=True
    )


def read_naics2002_sic1987(path: Path | str) -> pl.DataFrame:
    """(naics2002, sic4) from Census ``2002_NAICS_to_1987_SIC.xls`` or ``sic87_naics02.csv``."""
    import pandas as pd  # for xlrd's Census xls; imported only when a concordance is read
    import xlrd

    path = Path(path)
    if path.suffix.lower() == ".xls":
        try:
            raw = pd.read_excel(path, dtype=object, engine="xlrd")
        except (xlrd.XLRDError, ValueError, OSError) as error:
            raise SourceFormatError(
                TABLE, "the file is an xls workbook", file=path, detail=f"{type(error).__name__}: {error}"
            ) from error
        if missing := [c for c in ("2002 NAICS", "SIC") if c not in raw.columns]:
            raise SourceFormatError(
                TABLE, "the header has the columns the reader needs", file=path, detail=f"missing {missing}"
            )
        pairs = zip(raw["2002 NAICS"], raw["SIC"], strict=False)
    else:
        raw = read_csv(path, TABLE, {"NAICS_6d": pl.String, "SIC_4d": pl.String})
        pairs = zip(raw["NAICS_6d"], raw["SIC_4d"], strict=False)
    rows = [(str(naics).strip().removesuffix(".0"), sic_code(sic)) for naics, sic in pairs]
    return pl.DataFrame(
        [r for r in rows if r[1] is not None and r[0].isdigit()],
        schema={"naics2002": pl.String, "sic4": pl.String},
        orient="row",
    ).unique(maintain_order=True)


def read_census_naics_links(path: Path | str) -> pl.DataFrame:
    """(source, target) 6-digit links of a Census NAICS-to-NAICS workbook
    (``2012_to_2007_NAICS.xls``: title lines, then a header row whose first cell is
    ``<year> NAICS Code`` and whose third is the target year's code column)."""
    import pandas as pd  # for xlrd's Census xls; imported only when a concordance is read
    import xlrd

    path = Path(path)
    try:
        raw = pd.read_excel(path, dtype=object, engine="xlrd", header=None)
    except (xlrd.XLRDError, ValueError, OSError) as error:
        raise SourceFormatError(
            TABLE, "the file is an xls workbook", file=path, detail=f"{type(error).__name__}: {error}"
        ) from error
    header = next((i for i, cell in enumerate(raw[0]) if str(cell).strip().endswith("NAICS Code")), None)
    if header is None or raw.shape[1] < 3 or not str(raw.iloc[header, 2]).strip().endswith("NAICS Code"):
        raise SourceFormatError(
            TABLE,
            "a header row '<year> NAICS Code', title, '<year> NAICS Code'",
            file=path,
            detail="no such row in the first column",
        )
    rows = [
        (str(a).strip().removesuffix(".0"), str(b).strip().removesuffix(".0"))
        for a, b in raw.iloc[header + 1 :, [0, 2]].itertuples(index=False)
    ]
    return pl.DataFrame(
        [r for r in rows if r[0].isdigit() and r[1].isdigit()],
        schema={"source": pl.String, "target": pl.String},
        orient="row",
    ).unique(maintain_order=True)


def read_census_naics_chain(naics_2012_2007: Path | str, naics_2007_2002: Path | str) -> pl.DataFrame:
    """(naics2012, naics2002): the Census 2012 -> 2007 links joined with the 2007 -> 2002 links
    (every path through a 2007 code), the chain ``naics2012_naics2002.csv`` holds."""
    first, second = read_census_naics_links(naics_2012_2007), read_census_naics_links(naics_2007_2002)
    chained = first.join(second, left_on="target", right_on="source", how="inner")
    return chained.select(pl.col("source").alias("naics2012"), pl.col("target_right").alias("naics2002")).unique(
        maintain_order=True
    )


def read_sic_weights(path: Path | str) -> pl.DataFrame:
    """(sic4, output) from ``sic_weights.csv`` (sic4, weight_basis, value), for the
    ``sic_output`` of :func:`build_bea_sic_concordance`.

    Rules, each an error naming the file, column and row: the three columns exist; sic4 is a SIC
    code (leading zeros restored); one row per sic4; one weight_basis in the file (values on
    different bases do not add up); value is finite and >= 0.
    """
    table = f"bea_sic_concordance ({Path(path).name})"
    frame = read_csv(Path(path), TABLE, {"sic4": pl.String, "weight_basis": pl.String, "value": pl.Float64})
    frame = frame.with_columns(pl.col("sic4").map_elements(sic_code, return_dtype=pl.String))
    rules = [
        (pl.col("sic4").is_null(), "sic4", "sic4 is a SIC 1987 code"),
        (pl.col("sic4").is_duplicated(), "sic4", "one row per sic4"),
        (pl.col("weight_basis") != frame["weight_basis"][0], "weight_basis", "one weight_basis in the file"),
        (~pl.col("value").is_finite() | (pl.col("value") < 0), "value", "value is finite and >= 0"),
    ]
    for condition, column, rule in rules:
        bad = frame.with_row_index("line", offset=2).filter(condition.fill_null(True))
        if bad.height:
            raise DataValidationError(table, rule, row=f"line {bad['line'][0]}", column=column)
    return frame.select("sic4", pl.col("value").alias("output"))


def _split(links: pl.DataFrame, source: str, target: str, output: pl.DataFrame | None) -> pl.DataFrame:
    """Link weights (source, target, weight) summing to 1 per source: by ``output`` (target,
    output) when it covers every target of the source with a positive total, else 1/n."""
    if output is not None:
        links = links.join(output.rename({output.columns[0]: target, output.columns[1]: "_out"}), on=target, how="left")
    else:
        links = links.with_columns(_out=pl.lit(None, dtype=pl.Float64))
    covered = pl.col("_out").is_not_null().all().over(source) & (pl.col("_out").sum().over(source) > 0)
    return links.with_columns(
        weight=pl.when(covered)
        .then(pl.col("_out") / pl.col("_out").sum().over(source))
        .otherwise(1.0 / pl.len().over(source))
    ).select(source, target, "weight")


def _prefix_links(codes: list[str], naics2012: pl.Series) -> pl.DataFrame:
    """Fallback (1): BEA code -> NAICS 2012 codes starting with the code's digits, trailing
    zeros stripped (``541920`` -> ``54192``)."""
    rows = []
    for code in codes:
        prefix = code.rstrip("0")
        if code.isdigit() and len(prefix) >= 2:
            rows += [(code, n) for n in naics2012.unique().sort() if n.startswith(prefix)]
    return pl.DataFrame(rows, schema={"bea_code": pl.String, "naics2012": pl.String}, orient="row")


def build_bea_sic_concordance(
    bea_naics: pl.DataFrame,
    naics2012_2002: pl.DataFrame,
    naics2002_sic: pl.DataFrame,
    bea_codes: list[str] | None = None,
    naics_output: pl.DataFrame | None = None,
    sic_output: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Canonical ``bea_sic_concordance`` by the rule of the module docstring. ``bea_codes``
    (default: those in ``bea_naics`` and the special codes) are the codes that must land; codes missing from
    ``bea_naics`` take the prefix and special-code fallbacks."""
    naics2012_2002 = naics2012_2002.filter(pl.col("naics2002").is_in(naics2002_sic["naics2002"].implode()))
    bea_naics = bea_naics.filter(pl.col("naics2012").is_in(naics2012_2002["naics2012"].implode()))
    codes = list(
        dict.fromkeys(bea_codes if bea_codes is not None else [*bea_naics["bea_code"].to_list(), *SPECIAL_BEA_SIC])
    )
    missing = [c for c in codes if c not in set(bea_naics["bea_code"]) and c not in SPECIAL_BEA_SIC]
    bea_naics = pl.concat([bea_naics, _prefix_links(missing, naics2012_2002["naics2012"])])
    chained = (
        _split(bea_naics, "bea_code", "naics2012", naics_output)
        .rename({"weight": "w1"})
        .join(_split(naics2012_2002, "naics2012", "naics2002", None).rename({"weight": "w2"}), on="naics2012")
        .join(_split(naics2002_sic, "naics2002", "sic4", sic_output).rename({"weight": "w3"}), on="naics2002")
        .group_by("bea_code", "sic4")
        .agg((pl.col("w1") * pl.col("w2") * pl.col("w3")).sum().alias("weight"))
    )
    special = pl.DataFrame(
        {"bea_code": list(SPECIAL_BEA_SIC), "sic4": list(SPECIAL_BEA_SIC.values()), "weight": 1.0}
    ).filter(~pl.col("bea_code").is_in(chained["bea_code"].implode()))
    return pl.concat([chained, special]).filter(pl.col("bea_code").is_in(codes)).sort("bea_code", "sic4")


def read_bea_sic_concordance(
    folder: Path | str, bea_codes: list[str] | None = None, sic_output: pl.DataFrame | None = None
) -> pl.DataFrame:
    """:func:`build_bea_sic_concordance` from the standard files in ``folder`` (the Census xls is
    preferred to its CSV conversion when both exist)."""
    folder = Path(folder)
    sic_file = folder / "2002_NAICS_to_1987_SIC.xls"
    return build_bea_sic_concordance(
        read_bea_naics2012(folder / "2012_BEA_to_2012_NAICS.csv"),
        read_naics2012_naics2002(folder / "naics2012_naics2002.csv"),
        read_naics2002_sic1987(sic_file if sic_file.exists() else folder / "sic87_naics02.csv"),
        bea_codes=bea_codes,
        sic_output=sic_output,
    )


def _for_use_table(
    use: Path | str,
    sheet: str | None,
    bea_naics: Path | str,
    naics2012_2002: pl.DataFrame,
    naics_2002_sic: Path | str,
    sic_weights: Path | str | None,
) -> pl.DataFrame:
    """:func:`build_bea_sic_concordance` for every code of the Use table ``use`` (its ``sheet``),
    split by the SIC output weights where given."""
    from ree_assets.sources.bea import read_use

    codes = read_use(use, sheet=sheet, validate=False)
    return build_bea_sic_concordance(
        read_bea_naics2012(bea_naics),
        naics2012_2002,
        read_naics2002_sic1987(naics_2002_sic),
        bea_codes=sorted(set(codes["row_code"]) | set(codes["col_code"])),
        sic_output=read_sic_weights(sic_weights) if sic_weights is not None else None,
    )


def read_chained_bea_sic_concordance(
    use: Path | str,
    bea_naics: Path | str,
    naics_2012_2002: Path | str,
    naics_2002_sic: Path | str,
    sic_weights: Path | str | None,
    *,
    sheet: str | None = None,
) -> pl.DataFrame:
    """The BEA -> NAICS 2012 -> NAICS 2002 -> SIC 1987 concordance of the Use table's codes, the
    NAICS chain read from ``naics2012_naics2002.csv`` (``local`` mode)."""
    return _for_use_table(use, sheet, bea_naics, read_naics2012_naics2002(naics_2012_2002), naics_2002_sic, sic_weights)


def read_published_bea_sic_concordance(
    use: Path | str,
    bea_naics: Path | str,
    naics_2012_2007: Path | str,
    naics_2007_2002: Path | str,
    naics_2002_sic: Path | str,
    sic_weights: Path | str | None,
    *,
    sheet: str | None = None,
) -> pl.DataFrame:
    """The same concordance from the publishers' files (``download`` mode): the NAICS chain is
    the Census 2012 -> 2007 and 2007 -> 2002 workbooks joined (:func:`read_census_naics_chain`)."""
    chain = read_census_naics_chain(naics_2012_2007, naics_2007_2002)
    return _for_use_table(use, sheet, bea_naics, chain, naics_2002_sic, sic_weights)


def unmapped_bea_codes(concordance: pl.DataFrame, bea_codes: pl.DataFrame) -> list[str]:
    """Commodity and industry codes of canonical ``bea_codes`` with no concordance row."""
    wanted = bea_codes.filter(pl.col("kind").is_in(["commodity", "industry"]))["code"].unique(maintain_order=True)
    return sorted(set(wanted) - set(concordance["bea_code"]))
