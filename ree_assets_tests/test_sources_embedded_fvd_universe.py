"""The FVD part of the synthetic USPTO: canonical tables by grant year, the designed patent sets
found by the pipeline's rules, heavy-tailed subclasses, the mixture truth recovered, and one
coherent office: set patents granted after 2001 cite as the mixture says too."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ree_assets.core.spillovers import logit, mixture
from ree_assets.core.spillovers.citations import citation_variables
from ree_assets.core.spillovers.patent_sets import fvd_patent_sets
from ree_assets.sources.embedded import fvd_universe as fu
from ree_assets.sources.embedded import patent_office
from ree_assets.sources.embedded import patent_world as pw
from ree_assets.sources.patent_tables import PATENT_TABLES

SEED = 7


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    years = [fu.fvd_universe_tables(year, SEED, "small") for year in range(fu.FIRST_GRANT_YEAR, fu.LAST_GRANT_YEAR + 1)]
    tables = {name: pl.concat([y[name] for y in years]) for name in fu.CANONICAL}
    everything = fu.fvd_universe_all_years(SEED, "small")
    assert all(
        tables[name].sort(tables[name].columns).equals(everything[name].sort(everything[name].columns))
        for name in fu.CANONICAL
    )
    return tables


@pytest.fixture(scope="module")
def variables(tables):
    sets = fvd_patent_sets(
        tables["patents"], tables["patent_texts"], tables["patent_classes"], tables["patent_assignees"]
    )
    return sets, citation_variables(
        sets.table, tables["patents"], tables["patent_classes"], tables["patent_inventors"], tables["patent_citations"]
    )


def test_years_partition_the_universe_with_ids_below_the_afsv_range(tables):
    patents = tables["patents"]
    assert patents.height == fu.SIZES["small"][0] and patents["patent_id"].is_unique().all()
    assert patents["patent_id"].cast(pl.Int64).max() < 6_300_000
    assert patents["grant_date"].dt.year().is_between(1969, 2001).all()
    assert (patents["application_date"] < patents["grant_date"]).all()
    assert tables["patent_citations"]["citing_id"].is_in(patents["patent_id"].implode()).all()
    assert patents.columns == ["patent_id", "grant_date", "application_date", "title", "abstract", "kind", "source"]
    with pytest.raises(ValueError, match="1969-2001"):
        fu.fvd_universe_tables(2002, SEED, "small")


def test_subclass_sizes_are_heavy_tailed(tables):
    """Zipf sizes: the largest subclass holds over 5% of the patents and hundreds of times the
    median (at the bench size, 3 million patents, that is hundreds of thousands)."""
    sizes = tables["patent_classes"].group_by("code").len()["len"].sort(descending=True)
    assert sizes[0] > 0.05 * fu.SIZES["small"][0] and sizes[0] > 200 * sizes.median()


def test_pipeline_rules_find_exactly_the_designed_sets(variables):
    sets, _ = variables
    designed = (
        fu.generate_universe(SEED, "small")["patents"]
        .filter(pl.col("role") == "set")
        .select(pl.col("patent_id").cast(pl.String), "technology")
        .sort("technology", "patent_id")
    )
    assert sets.table.select("patent_id", "technology").equals(designed)
    assert sets.report["candidates_without_keyword"] > 0 and sets.report["candidates_not_organisation"] > 0


def test_bad_citations_are_reported(variables):
    _, result = variables
    assert result.report["citations_to_unknown_patents"] > 0
    assert result.report["focal_patents"] + result.report["focal_without_citations_in_window"] == 800


@pytest.mark.parametrize("technology", ["magnet", "catalyst"])
def test_identified_quantities_of_the_truth_are_recovered_within_three_se(variables, technology):
    _, result = variables
    us = result.table.filter((pl.col("technology") == technology) & (pl.col("us") == 1))
    citations, available, period = mixture.patent_arrays(us)
    fit = mixture.fit_mixture(mixture.citation_moments(citations, available, period), n_starts=6, seed=1)
    draws = mixture.bootstrap_reduced_forms(citations, available, period, fit, n_draws=60, seed=1)
    z = (fit.reduced_form - mixture.reduced_form(fu.truth_theta(technology))) / draws.std(axis=0, ddof=1)
    assert np.all(np.abs(z) < 3), dict(zip(mixture.REDUCED_FORM, z, strict=False))


def test_logit_coefficients_have_the_signs_the_generator_implies(variables):
    """US focal patents cite US knowledge more (b > 0), more US patents available means more US
    citations (f > 0), and US*d has the sign of a_d (magnets up, catalysts down)."""
    table = logit.logit_regressions(variables[1].table)
    estimate = {(r["technology"], r["model"], r["term"]): r["estimate"] for r in table.iter_rows(named=True)}
    for technology in ("magnet", "catalyst"):
        assert estimate[(technology, "1a", "US")] > 0 and estimate[(technology, "1a", "perus_avail")] > 0
        assert np.sign(estimate[(technology, "1b", "US*d")]) == np.sign(fu.TRUTH[technology][1])


def test_truth_rows_are_unique_and_hold_the_parameters():
    truth = fu.fvd_truth()
    assert truth.select("stage", "parameter", "key").is_unique().all()
    row = truth.filter((pl.col("parameter") == "a_d") & (pl.col("key") == "catalyst:restricted"))
    assert row["value"].item() == pytest.approx(-0.3)


@pytest.fixture(scope="module")
def office() -> dict[str, pl.DataFrame]:
    """The canonical tables of every grant year that can hold applications up to 2002 (1969-2007)."""
    last = pw.last_grant_year_of_filings(fu.LAST_SET_YEAR)
    years = [patent_office.patent_tables(year, SEED, "small") for year in range(pw.FIRST_GRANT_YEAR, last + 1)]
    return {name: pl.concat([y[name] for y in years], how="diagonal_relaxed") for name in PATENT_TABLES}


def test_set_patents_granted_after_2001_cite_as_the_mixture_says(office):
    """The set rule on the whole office finds AFSV grants (2002 on) too; each cites only patents
    sharing one of its own codes (its class list is its codes), and per technology, cell and
    first-inventor location its citations in the window add up to the mixture's expectation
    given at least one citation (the pipeline drops patents without): sum_i delta_c A_c,i /
    (1 - exp(-sum_c delta_c A_c,i)), Poisson z within 4. Random citations, as before the office
    was made coherent, miss by far more."""
    sets = fvd_patent_sets(
        office["patents"], office["patent_texts"], office["patent_classes"], office["patent_assignees"]
    )
    later = sets.table.filter(pl.col("patent_id").cast(pl.Int64) >= pw.FIRST_AFSV_ID)
    assert later.group_by("technology").len().sort("technology")["len"].to_list() > [50, 50]
    result = citation_variables(
        sets.table, office["patents"], office["patent_classes"], office["patent_inventors"], office["patent_citations"]
    )
    own = office["patent_classes"].filter(pl.col("scheme") == "uspc").group_by("patent_id").len("codes")
    table = result.table.join(later, on=["patent_id", "technology"], how="semi").join(own, on="patent_id")
    assert (table["class_list"].list.len() == table["codes"]).all()
    assert table.height > 0.7 * later.height
    z = {}
    for (technology, us, d), group in table.group_by("technology", "us", "d"):
        rates = fu.true_rates(technology, bool(us), d)
        means = np.column_stack(
            [r * group[mixture.CELL_COLUMNS[cell][1]] for r, cell in zip(rates, mixture.CELLS, strict=True)]
        )
        expected = (means / (1 - np.exp(-means.sum(axis=1, keepdims=True)))).sum(axis=0)
        for k, cell in enumerate(mixture.CELLS):
            cited = group[mixture.CELL_COLUMNS[cell][0]].sum()
            z[(technology, us, cell)] = (cited - expected[k]) / np.sqrt(expected[k])
    assert len(z) == 16 and max(abs(v) for v in z.values()) < 4, z
