"""FVD citation variables and patent sets on a hand-built universe where every count is known."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl
import pytest

from ree_assets.core.spillovers.citations import citation_variables, input_report
from ree_assets.core.spillovers.duck import MEMORY_SHARE, run_sql
from ree_assets.core.spillovers.patent_sets import fvd_patent_sets

#: id -> (application year or None, first inventor country, USPC codes with the main code first)
UNIVERSE = {
    "F1": (1995, "USA", ["148/301", "148/302"]),
    "F2": (1992, "JPN", ["148/302"]),
    "F3": (1991, "USA", ["502/304"]),
    "F4": (None, "USA", ["502/304"]),
    "P1": (1990, "USA", ["148/301"]),
    "M3": (1989, "DEU", ["148/301", "75/123"]),
    "P2": (1993, "USA", ["148/302"]),
    "P3": (1985, "USA", ["148/301"]),
    "P4": (1994, "FRA", ["420/83", "420/90"]),
    "P5": (1990, "USA", ["420/83"]),
    "P6": (1996, "USA", ["148/301"]),
    "P7": (1992, "GBR", ["420/90", "420/83"]),
    "P8": (1991, "USA", ["75/123"]),
    "P9": (1994, "JPN", ["999/1"]),
}
#: citing -> cited in sequence order (X999 is not in the universe)
CITATIONS = {"F1": ["P4", "P7", "M3", "P9", "X999", "P3", "P1"], "F2": ["M3", "P3"], "P1": ["P3"]}
FOCAL = {"F1": "magnet", "F2": "magnet", "M3": "magnet", "P1": "magnet", "F3": "catalyst", "F4": "catalyst"}


def canonical_tables() -> dict[str, pl.DataFrame]:
    ids = list(UNIVERSE)
    return {
        "patents": pl.DataFrame(
            {
                "patent_id": ids,
                "application_date": [dt.date(y, 6, 1) if y else None for y, _, _ in UNIVERSE.values()],
                "grant_date": [dt.date((y or 1990) + 2, 1, 1) for y, _, _ in UNIVERSE.values()],
                "title": ["Nd2Fe14B magnet" if i in FOCAL else "Layer of steel" for i in ids],
                "abstract": [""] * len(ids),
                "kind": ["B1"] * len(ids),
                "source": ["test"] * len(ids),
            }
        ),
        "patent_inventors": pl.DataFrame(
            {"patent_id": ids, "sequence": [0] * len(ids), "name": ids, "country": [c for _, c, _ in UNIVERSE.values()]}
        ),
        "patent_classes": pl.DataFrame(
            [(i, "uspc", code, k == 0) for i, (_, _, codes) in UNIVERSE.items() for k, code in enumerate(codes)],
            schema=["patent_id", "scheme", "code", "is_main"],
            orient="row",
        ),
        "patent_citations": pl.DataFrame(
            [(i, c, None, "US", "cited by examiner", k) for i, cs in CITATIONS.items() for k, c in enumerate(cs)],
            schema={
                "citing_id": pl.String,
                "cited_id": pl.String,
                "cited_date": pl.Date,
                "cited_office": pl.String,
                "category": pl.String,
                "sequence": pl.Int64,
            },
            orient="row",
        ),
    }


def focal_frame() -> pl.DataFrame:
    return pl.DataFrame({"patent_id": list(FOCAL), "technology": list(FOCAL.values())})


def variables(window: int = 7):
    t = canonical_tables()
    return citation_variables(
        focal_frame(), t["patents"], t["patent_classes"], t["patent_inventors"], t["patent_citations"], window=window
    )


def row(result, patent_id: str) -> dict:
    return result.table.filter(pl.col("patent_id") == patent_id).row(0, named=True)


def counts(r: dict) -> tuple[int, ...]:
    return tuple(r[c] for c in ("c_uw", "c_nw", "c_uo", "c_no", "a_uw", "a_nw", "a_uo", "a_no"))


def test_counts_of_the_hand_built_universe():
    result = variables()
    f1 = row(result, "F1")
    # list: own codes, then P4's main (shares none), P7 skipped (420/83 now listed), M3 skipped,
    # P9's main added; window 1988-1995; P3 (1985) and P6 (1996) fall outside
    assert f1["class_list"] == ["148/301", "148/302", "420/83", "999/1"]
    assert counts(f1) == (1, 1, 0, 3, 1, 2, 2, 3)
    assert (f1["us"], f1["d"], f1["application_year"]) == (1, 1, 1995)
    assert f1["perus"] == pytest.approx(1 / 5) and f1["perus_avail"] == pytest.approx(3 / 8)
    f2 = row(result, "F2")
    assert f2["class_list"] == ["148/302", "148/301"]  # M3 shares nothing: its main code joins
    assert counts(f2) == (0, 1, 1, 0, 1, 1, 1, 0) and f2["us"] == 0
    p1 = row(result, "P1")  # applied 1990: second period
    assert counts(p1) == (0, 0, 1, 0, 0, 1, 1, 0) and p1["d"] == 1 and p1["perus"] == 1.0
    assert p1["perus_avail"] == pytest.approx(0.5)


def test_window_width_is_a_parameter():
    f1 = row(variables(window=3), "F1")  # window 1992-1995
    assert counts(f1) == (0, 0, 0, 3, 0, 1, 1, 3)


def test_bad_input_is_counted_and_left_out():
    result = variables()
    assert set(result.table["patent_id"]) == {"F1", "F2", "P1"}
    assert result.report["citations_to_unknown_patents"] == 1
    assert result.report["focal_without_application_date"] == 1  # F4
    assert result.report["focal_without_citations_in_window"] == 2  # F3 (none), M3 (none)
    assert result.report["focal_patents"] == 3


def test_cited_patents_are_always_available():
    """Every citation in the window shares a code with the augmented list, so C_c <= A_c."""
    table = variables().table
    for cell in ("uw", "nw", "uo", "no"):
        assert (table[f"c_{cell}"] <= table[f"a_{cell}"]).all()


#: Sample end of :func:`left_out_tables`: every patent is granted by then except P3 (2001).
LEFT_OUT_END = 1999


def left_out_tables() -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    """(focal, canonical tables) with input of every kind the variables leave out, at the sample
    end :data:`LEFT_OUT_END`: P3 granted in 2001 (cited by F1, F2 and P1), X999 unknown (cited by
    F1), F4 undated and P10 without an inventor (both focal, both cited by F2), F5 focal and
    missing from ``patents``."""
    t = canonical_tables()
    late = pl.when(pl.col("patent_id") == "P3").then(dt.date(2001, 5, 1)).otherwise(pl.col("grant_date"))
    p10 = t["patents"].head(1).with_columns(patent_id=pl.lit("P10"), application_date=dt.date(1990, 6, 1))
    more_citations = pl.DataFrame(
        {"citing_id": ["F2", "F2"], "cited_id": ["F4", "P10"], "sequence": [2, 3]},
        schema_overrides={"sequence": pl.Int64},
    )
    tables = t | {
        "patents": pl.concat([t["patents"].with_columns(grant_date=late), p10]),
        "patent_citations": pl.concat([t["patent_citations"], more_citations], how="diagonal"),
    }
    focal = pl.concat([focal_frame(), pl.DataFrame({"patent_id": ["F5", "P10"], "technology": ["catalyst"] * 2})])
    return focal, tables


def test_each_kind_of_left_out_input_is_counted_once():
    focal, t = left_out_tables()
    report = input_report(focal, t["patents"], t["patent_inventors"], t["patent_citations"], LEFT_OUT_END)
    assert report == {
        "grant_year_end": LEFT_OUT_END,
        "citations_to_patents_granted_after_grant_year_end": 3,
        "focal_not_in_patents": 1,
        "focal_without_application_date": 1,
        "focal_without_first_inventor": 1,
        "citations_to_unknown_patents": 1,
        "citations_to_undated_patents": 1,
        "citations_to_patents_without_first_inventor": 1,
    }
    unbounded = input_report(focal, t["patents"], t["patent_inventors"], t["patent_citations"])
    assert unbounded == {key: value for key, value in report.items() if "grant_year_end" not in key}
    result = citation_variables(focal, **t, grant_year_end=LEFT_OUT_END)
    assert result.report == report | {"focal_without_citations_in_window": 3, "focal_patents": 2}
    assert result.table["patent_id"].to_list() == ["F1", "F2"]


def patent_set_tables() -> tuple[pl.DataFrame, ...]:
    """(patents, texts, classes, assignees): A1 meets every rule of the magnet set, A3 of the catalyst
    set, A4 by a symbol in its claims (granted 2003); A2 lacks a keyword, A5 an assignee, A6 is
    applied before 1976, A7 undated."""
    ids = ["A1", "A2", "A3", "A4", "A5", "A6", "A7"]
    patents = pl.DataFrame(
        {
            "patent_id": ids,
            "application_date": [dt.date(1985, 1, 1)] * 5 + [dt.date(1975, 1, 1), None],
            "title": [
                "Sintered NdFeB magnet",
                "Layered steel for Europe",
                "Catalyst with cerium oxide",
                "Magnet alloy",
                "SmCo5 magnet",
                "Nd magnet",
                "Nd magnet",
            ],
            "abstract": ["", "However, no rare metals", "", "", "", "", ""],
        }
    ).with_columns(
        grant_date=pl.when(pl.col("patent_id") == "A4").then(dt.date(2003, 1, 7)).otherwise(dt.date(1990, 1, 2)),
        kind=pl.lit("B1"),
        source=pl.lit("test"),
    )
    texts = pl.DataFrame({"patent_id": ["A4"], "section": ["claims"], "text": ["comprising 30% Dy by weight"]})
    classes = pl.DataFrame(
        {
            "patent_id": ids,
            "scheme": ["uspc"] * 7,
            "code": ["148/302", "148/302", "502/304", "148/101", "148/101", "148/302", "148/302"],
            "is_main": [True] * 7,
        }
    )
    assignees = pl.DataFrame(
        {
            "patent_id": ids[:4] + ids[5:],
            "sequence": [0] * 6,
            "name": ids[:4] + ids[5:],
            "country": ["USA"] * 6,
            "assignee_type": [
                "organisation",
                "organisation",
                "government",
                "organisation",
                "organisation",
                "organisation",
            ],
        }
    )
    return patents, texts, classes, assignees


def test_patent_sets_need_class_keyword_organisation_and_years():
    sets = fvd_patent_sets(*patent_set_tables())
    assert sets.table.select("patent_id", "technology").rows() == [
        ("A3", "catalyst"),
        ("A1", "magnet"),
        ("A4", "magnet"),
    ]
    assert sets.report == {
        "first_application_year": 1976,
        "last_application_year": 2002,
        "candidates_without_application_date": 1,
        "candidates_without_keyword": 1,
        "candidates_not_organisation": 1,
        "magnet_patents": 2,
        "catalyst_patents": 1,
    }


def test_patent_sets_keep_only_patents_granted_by_the_sample_end():
    """A4 (applied 1985, granted 2003) is in the set of a sample ending with 2003's grants, not in
    one ending with 2002's, and the report states the sample and counts it."""
    assert "A4" in fvd_patent_sets(*patent_set_tables(), grant_year_end=2003).table["patent_id"]
    sets = fvd_patent_sets(*patent_set_tables(), grant_year_end=2002)
    assert sets.table.select("patent_id", "technology").rows() == [("A3", "catalyst"), ("A1", "magnet")]
    assert sets.report["grant_year_end"] == 2002 and sets.report["candidates_granted_after_grant_year_end"] == 1
    assert sets.report["magnet_patents"] == 1


def test_patents_granted_after_the_sample_end_are_neither_cited_nor_available():
    """P3 (applied 1985) granted only in 2001: in a sample ending with 1995's grants F2 loses it as
    an available patent and P1 its one citation (P1 then has none and is dropped); both citations
    to P3 are counted as citations to patents granted after the end."""
    t = canonical_tables()
    patents = t["patents"].with_columns(
        grant_date=pl.when(pl.col("patent_id") == "P3").then(dt.date(2001, 5, 1)).otherwise(pl.col("grant_date"))
    )
    focal = focal_frame().filter(pl.col("patent_id").is_in(["F2", "M3", "P1"]))

    def sample(end: int | None):
        return citation_variables(
            focal, patents, t["patent_classes"], t["patent_inventors"], t["patent_citations"], grant_year_end=end
        )

    assert counts(row(sample(None), "F2")) == (0, 1, 1, 0, 1, 1, 1, 0)
    assert counts(row(sample(2001), "F2")) == (0, 1, 1, 0, 1, 1, 1, 0)
    ended = sample(1995)
    assert counts(row(ended, "F2")) == (0, 1, 0, 0, 1, 1, 0, 0)
    assert set(ended.table["patent_id"]) == {"F2"}
    assert ended.report["grant_year_end"] == 1995
    assert ended.report["citations_to_patents_granted_after_grant_year_end"] == 2
    assert ended.report["citations_to_unknown_patents"] == 0


def test_a_focal_patent_granted_after_the_sample_end_is_an_error():
    t = canonical_tables()
    with pytest.raises(ValueError, match=r"1 focal patent\(s\) granted after grant_year_end=1996 \(e.g. F1\)"):
        citation_variables(
            focal_frame(),
            t["patents"],
            t["patent_classes"],
            t["patent_inventors"],
            t["patent_citations"],
            grant_year_end=1996,
        )


def test_duckdb_keeps_to_its_share_of_memory_and_spills_to_a_temporary_folder():
    """At the USPTO's size (100 million citations) DuckDB's default limit (80% of memory) on top of
    the Polars inputs ran the machine out of memory; each script now runs with its share."""
    limit, spill = run_sql("SELECT current_setting('memory_limit') AS m, current_setting('temp_directory') AS t").row(0)
    value, unit = limit.split()
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert float(value) * {"MiB": 2**20, "GiB": 2**30}[unit] == pytest.approx(MEMORY_SHARE * total, rel=0.02)
    assert Path(spill).name.startswith("ree_duckdb_spill_") and not Path(spill).exists()
