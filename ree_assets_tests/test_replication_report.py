"""The replication report's pure part: self-contained rendering, estimates next to the truth,
the checks' status, variants and the parts that are not materialised or cannot be shown."""

import re

import polars as pl
import pytest

from ree_assets import replication_report as report
from ree_assets.core.did import TREATMENT

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


def materials(**overrides) -> report.Materials:
    """Materials of a report on an empty store: nothing materialised, no file, no check."""
    files: dict[str, bytes] = overrides.pop("file_bytes", {})
    defaults = {
        "data": report.DataMode("embedded", "small", 7),
        "stored": set(),
        "tables": {},
        "metadata": {},
        "files": sorted(files),
        "read_file": files.__getitem__,
        "checks": pl.DataFrame(schema=report.CHECK_COLUMNS),
        "sources": pl.DataFrame(schema=report.SOURCE_COLUMNS),
    }
    return report.Materials(**{**defaults, **overrides})


def test_the_html_is_self_contained_and_escapes_what_it_is_given():
    sections = [
        report.Section(
            "Tables",
            (
                report.Text(
                    "A [link](https://example.com) and <script>alert(1)</script>.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
                ),
                report.Figure("A figure", "a.png", PNG),
                report.Missing("ge_tax_sweep"),
            ),
        )
    ]
    page = report.render_html("Title", "Preamble with ![an image](http://example.com/x.png).", sections)
    references = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert references == [
        "#tables",
        "data:image/png;base64,iVBORw0KGgoAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/",
    ]
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<table>" in page and "<td>1</td>" in page
    assert "ge_tax_sweep: not materialised." in page
    markdown = report.render_markdown("Title", "Preamble", sections)
    assert "![A figure](a.png)" in markdown and "*ge_tax_sweep: not materialised.*" in markdown


def test_on_an_empty_store_every_part_says_not_materialised():
    sections = report.build_sections(materials(), TREATMENT)
    assert report.missing_assets(sections) == list(report.REPORTED_ASSETS)
    page = report.render_html("Title", report.preamble(materials(), sections, "now"), sections)
    assert page.count(report.NOT_MATERIALISED) > len(report.REPORTED_ASSETS)
    assert "No asset check has been evaluated yet" in page and "Raw tables: not materialised" in page


def test_a_part_that_cannot_be_shown_says_so_and_the_rest_is_written():
    broken = materials(
        stored={"ree_sensitivity", "ree_total_requirements"},
        tables={"ree_sensitivity": pl.DataFrame({"sic4": ["3691"]})},  # no sensitivity column
        file_bytes={"ree_total_requirements.md": b"# REE Total Requirements\n\n| SIC |\n|---|\n| 3691 |\n"},
    )
    sections = {s.title: s for s in report.build_sections(broken, TREATMENT)}
    (failure,) = [i for i in sections["AFSV: REE sensitivity"].items if isinstance(i, report.Text)]
    assert failure.markdown.startswith("**ree_sensitivity: could not be shown** (ColumnNotFoundError")
    io_items = sections["AFSV: REE-extended input-output table and REE requirements"].items
    assert io_items[0] == report.Text("### REE Total Requirements\n\n| SIC |\n|---|\n| 3691 |\n")


def test_failed_checks_come_first_with_what_they_found():
    rows = [
        ("ree_prices", "odcs_contract", True, "passed", "ERROR", "t1", "r1", ""),
        ("ree_prices", "great_expectations", True, "passed", "ERROR", "t1", "r1", ""),
        ("ree_complementarity", "odcs_contract", True, "failed", "ERROR", "t2", "r2", "the score lies in [0, 100]"),
        ("ree_requirements_vs_published", "ranks_like_published", False, "failed", "WARN", "t3", "r3", ""),
        ("fvd_parameter_sets", "odcs_contract", True, "not evaluated", "", "t4", "r4", ""),
    ]
    checks = pl.DataFrame(rows, schema=report.CHECK_COLUMNS, orient="row")
    text = "\n".join(i.markdown for i in report.check_section(checks).items if isinstance(i, report.Text))
    assert "5 checks: 2 passed, 2 failed, 1 not evaluated" in text
    assert (
        "- **FAILED** `ree_complementarity` odcs_contract (ERROR, blocking; t2, run r2): the score lies in [0, 100]"
        in text
    )
    assert "- **FAILED** `ree_requirements_vs_published` ranks_like_published (warning, not blocking" in text
    assert "| fvd_parameter_sets | odcs_contract |" in text
    assert "| ree_prices | odcs_contract, great_expectations |" in text


def test_estimates_stand_next_to_the_truth_with_their_intervals():
    truth = pl.DataFrame(
        {
            "stage": ["did", "did", "world"],
            "parameter": ["beta", "beta", "n_industries"],
            "key": ["tfp_growth:NONCHN", "tfp_growth:CHN", "sic4"],
            "value": [66.0, -66.0, 105.0],
        }
    )
    did = pl.DataFrame(
        {
            "outcome": ["tfp_growth"] * 3,
            "sample": ["NONCHN", "CHN", "NONCHN"],
            "variant": ["baseline", "baseline", "price_spike"],
            "term": [TREATMENT, TREATMENT, TREATMENT],
            "estimate": [65.0, -60.0, 10.0],
            "std_error": [1.0, 2.0, 1.0],
        }
    )
    elasticities = pl.DataFrame(
        {"sector": ["machinery"], "eps_hat": [0.97], "ci_low": [0.95], "ci_high": [1.01], "eps_true": [0.98]}
    )
    mixture = pl.DataFrame(
        {
            "technology": ["magnet", "magnet"],
            "model": ["restricted", "unrestricted_after"],
            "parameter": ["a", "w"],
            "point": [0.4, 0.66],
            "conf_min": [0.0, 0.60],
            "conf_max": [1.0, 0.64],
            "identified": [False, True],
            "truth": [0.25, 0.65],
        }
    )
    table = report.truth_table(truth, did, elasticities, mixture, TREATMENT)
    rows = {row["key"]: row for row in table.iter_rows(named=True)}
    assert set(rows) == {
        "tfp_growth:NONCHN",
        "tfp_growth:CHN",
        "machinery",
        "magnet:restricted",
        "magnet:unrestricted_after",
    }
    nonchn, chn = rows["tfp_growth:NONCHN"], rows["tfp_growth:CHN"]
    assert (nonchn["interval_low"], nonchn["interval_high"]) == pytest.approx((65 - 1.96, 65 + 1.96), abs=1e-3)
    assert nonchn["truth_in_interval"] and nonchn["label"] == "TFP growth, all regions except China"
    assert not chn["truth_in_interval"]  # -66 lies 3 SEs from -60
    assert rows["machinery"]["truth_in_interval"] and rows["machinery"]["label"] == "Machinery"
    assert rows["magnet:restricted"]["interval"] == "confidence set (point not identified)"
    assert not rows["magnet:unrestricted_after"]["truth_in_interval"]
    assert rows["magnet:unrestricted_after"]["label"] == "magnet, unrestricted model, 1990 and after"
    assert report.truth_table(truth.clear(), did, elasticities, mixture, TREATMENT).is_empty()  # real data
    by_stage = {row["stage"]: row for row in report.coverage_by_stage(table).iter_rows(named=True)}
    assert {stage: (row["values"], row["covered"]) for stage, row in by_stage.items()} == {
        "DiD": (2, 1),
        "eps": (1, 1),
        "FVD set-identified": (1, 1),
        "FVD identified": (1, 0),
    }
    assert by_stage["DiD"]["share_covered"] == 0.5


def test_on_real_data_the_truth_section_says_there_is_none():
    real = materials(data=report.DataMode("local", "full", 7, "/data"), stored={"synthetic_truth"})
    (item,) = report.truth_section(real, TREATMENT).items
    assert item == report.Text("Real data: only the embedded world has true values to compare with.\n")


def test_variants_are_the_known_ones_of_that_outcome_baseline_first():
    files = [
        "did_export_growth_price_spike.md",
        "did_export_growth_baseline.md",
        "did_export_growth_vs_china_baseline.md",
        "did_export_growth_china_import_share.md",
    ]
    assert report.variants(files, "did_export_growth", ".md") == ["baseline", "china_import_share", "price_spike"]
    assert report.variants(files, "did_export_growth_vs_china", ".md") == ["baseline"]


def test_headings_of_a_rendered_table_move_below_the_report_sections():
    assert (
        report.demote_headings("# T\n\ntext # not a heading\n## kind\n", 3)
        == "### T\n\ntext # not a heading\n#### kind\n"
    )


def test_the_fvd_part_states_the_sample_the_sets_were_drawn_from():
    sets = pl.DataFrame({"patent_id": ["1", "2", "3"], "technology": ["magnet", "magnet", "catalyst"]})
    meta = {"first_application_year": 1976, "last_application_year": 2002, "grant_year_end": 2018}
    drawn = materials(stored={"fvd_patent_sets"}, tables={"fvd_patent_sets": sets}, metadata={"fvd_patent_sets": meta})
    sections = {s.title: s for s in report.build_sections(drawn, TREATMENT)}
    (text,) = sections["FVD: patent sets, citation variables and descriptives"].items[:1]
    assert "applications 1976-2002, granted by 2018 (grant_year_end)" in text.markdown
    assert "- grant year end: 2018" in text.markdown
    assert "granted by not recorded" in report.fvd_sample({})
