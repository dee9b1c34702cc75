"""The classes of the synthetic USPTO's AFSV grants, drawn through the world's own class -> SIC
concordance (``specs/patents_and_did.md``, Classification).

The concordance ``class_sic_concordance.csv`` (scheme, code, sic4, weight) ships as data, like
the concordances economists use (Silverman's IPC -> SIC, built from examiner-assigned Canadian
patents): weight = P(sic4 | code), summing to 1 per (scheme, code), and noisy as the real ones
are, a code pointing to several industries. Two kinds of codes:

- *industry codes* (CPC main groups and USPC subclasses of each SIC major group's fields): every
  SIC 1987 industry is the primary industry (weight 0.5-0.9) of two CPC and two USPC codes, whose
  remaining weight goes to up to three other industries (70% of them in the same major group).
  The table was drawn once (seed 18) and is kept as data; :func:`class_sic_concordance` reads it.
- *technology codes* (:data:`TECHNOLOGY_CODES`: the magnet, battery, catalyst, ... classes of
  REE patents, including the FVD magnet and catalyst sets of ``core.spillovers.patent_sets``):
  drawn by technology alone, so their P(sic4 | code) is the world's P(sic4 | technology) among
  REE patents, here as computed for the default world (seed 20100701, size full) and cut to the
  industries holding at least 2% of it (renormalised).

A patent of industry s draws its industry codes by Bayes from the table,

    P(code | s) = w(s | code) f(code) / sum_c' w(s | c') f(c'),

where f, the frequency of the codes in the world, solves P(s) = sum_c w(s | c) f(c) for the
world's expected share P(s) of grants by industry (the EM fixed point for mixture proportions,
:func:`code_frequencies`), so the share of industry s among the grants of a code is its weight in
the table (exactly so when P is in the hull of the table's columns). A non-REE grant takes one
main CPC and, with probability 0.9, one USPC industry code; an REE grant takes its technology's
main CPC and USPC code (:data:`TECHNOLOGY_CODES`, by frequency) and, with probabilities 0.85 and
0.7, further CPC and USPC industry codes.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from functools import cache
from importlib import resources

import numpy as np
import polars as pl

from ree_assets.errors import DataValidationError
from ree_assets.sources.embedded.dims import sic1987_manufacturing

CONCORDANCE_FILE = "class_sic_concordance.csv"
SCHEMES = ("cpc", "uspc")
#: Technology -> scheme -> (code, frequency among the technology's REE grants). The magnet and
#: catalyst USPC codes are mostly those of the FVD sets (148/301-303 ..., 502/302-304 ...): 80%
#: and 75% of the grants, the rest in neighbouring classes outside the sets.
TECHNOLOGY_CODES: dict[str, dict[str, tuple[tuple[str, float], ...]]] = {
    "Magnet": {
        "cpc": (("H01F 1/0577", 0.55), ("H01F 1/057", 0.2), ("H01F 41/0293", 0.15), ("C22C 38/005", 0.1)),
        "uspc": (
            ("148/302", 0.5),
            ("148/301", 0.1),
            ("148/303", 0.08),
            ("148/101", 0.07),
            ("148/122", 0.05),
            ("335/302", 0.1),
            ("419/12", 0.1),
        ),
    },
    "Battery": {
        "cpc": (("H01M 4/383", 0.6), ("H01M 10/345", 0.25), ("C22C 19/03", 0.15)),
        "uspc": (("429/218.2", 0.6), ("420/900", 0.25), ("429/223", 0.15)),
    },
    "Catalyst": {
        "cpc": (("B01J 23/10", 0.5), ("B01D 53/945", 0.3), ("B01J 23/63", 0.2)),
        "uspc": (
            ("502/304", 0.45),
            ("502/303", 0.1),
            ("502/302", 0.08),
            ("502/327", 0.07),
            ("502/355", 0.05),
            ("423/213.5", 0.15),
            ("208/120.01", 0.1),
        ),
    },
    "Lamp": {
        "cpc": (("C09K 11/7774", 0.5), ("C09K 11/7734", 0.3), ("H01L 33/502", 0.2)),
        "uspc": (("252/301.4", 0.55), ("313/503", 0.25), ("313/486", 0.2)),
    },
    "Motor": {
        "cpc": (("H02K 1/276", 0.5), ("H02K 1/2766", 0.3), ("H02K 15/03", 0.2)),
        "uspc": (("310/156.01", 0.55), ("310/156.43", 0.3), ("318/400.01", 0.15)),
    },
    "Turbine": {
        "cpc": (("F03D 9/25", 0.6), ("H02K 7/1838", 0.4)),
        "uspc": (("290/55", 0.7), ("290/44", 0.3)),
    },
    "Other": {
        "cpc": (("C03C 3/095", 0.3), ("H01S 3/1611", 0.25), ("C09G 1/02", 0.2), ("A61K 49/10", 0.25)),
        "uspc": (("501/64", 0.3), ("372/41", 0.25), ("106/3", 0.2), ("424/9.36", 0.25)),
    },
}
#: P(an REE grant carries an industry code of the scheme); every non-REE grant has a CPC one.
INDUSTRY_CODE_RATE = {"ree": {"cpc": 0.85, "uspc": 0.7}, "background": {"cpc": 1.0, "uspc": 0.9}}


@cache
def class_sic_concordance() -> pl.DataFrame:
    """The embedded world's class -> SIC concordance (scheme, code, sic4, weight = P(sic4 |
    code), summing to 1 per scheme and code): the table the synthetic USPTO draws its classes
    through, and the one the ``concordance`` classifier reads in embedded mode."""
    text = resources.files(__package__).joinpath(CONCORDANCE_FILE).read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    frame = pl.DataFrame(
        rows, schema={"scheme": pl.String, "code": pl.String, "sic4": pl.String, "weight": pl.String}
    ).with_columns(pl.col("weight").cast(pl.Float64))
    return validate_concordance(frame, CONCORDANCE_FILE)


def validate_concordance(frame: pl.DataFrame, source: str) -> pl.DataFrame:
    """``frame`` if it is a class -> SIC concordance (schemes cpc/uspc, SIC 1987 manufacturing
    codes, weights in (0, 1] summing to 1 per scheme and code), else a DataValidationError
    naming ``source``, the column and the rule with the first offending row (line numbers count
    the header as line 1)."""
    sic = {code for code, _ in sic1987_manufacturing()}
    numbered = frame.with_row_index("line", offset=2)
    rules = (
        ("scheme", ~pl.col("scheme").is_in(SCHEMES), f"scheme is one of {SCHEMES}"),
        ("sic4", ~pl.col("sic4").is_in(sorted(sic)), "sic4 is a SIC 1987 manufacturing code"),
        ("weight", ~pl.col("weight").is_between(0.0, 1.0, closed="right"), "weight lies in (0, 1]"),
        (
            "weight",
            (pl.col("weight").sum().over("scheme", "code") - 1).abs() > 1e-6,
            "weights sum to 1 per (scheme, code)",
        ),
    )
    for column, bad, rule in rules:
        offending = numbered.filter(bad.fill_null(True))
        if offending.height:
            row = offending.row(0, named=True)
            raise DataValidationError(
                "class_sic_concordance",
                rule,
                column=column,
                file=source,
                line=row["line"],
                detail=f"{offending.height} rows fail, first: {row['scheme']} {row['code']} -> {row['sic4']}, "
                f"weight {row['weight']}",
            )
    return frame


def technology_code_rows() -> set[tuple[str, str]]:
    """(scheme, code) of every technology code."""
    return {(scheme, code) for by in TECHNOLOGY_CODES.values() for scheme, codes in by.items() for code, _ in codes}


@cache
def _industry_matrix(scheme: str) -> tuple[tuple[str, ...], tuple[str, ...], np.ndarray]:
    """(codes, sic4s, W) of the scheme's industry codes, W[s, c] = w(s | c)."""
    technology = pl.DataFrame(sorted(technology_code_rows()), schema=["scheme", "code"], orient="row")
    table = (
        class_sic_concordance().filter(pl.col("scheme") == scheme).join(technology, on=["scheme", "code"], how="anti")
    )
    codes = tuple(sorted(table["code"].unique()))
    sics = tuple(code for code, _ in sic1987_manufacturing())
    matrix = np.zeros((len(sics), len(codes)))
    matrix[
        [sics.index(s) for s in table["sic4"]],
        np.searchsorted(np.array(codes), table["code"].to_numpy()),
    ] = table["weight"].to_numpy()
    return codes, sics, matrix


def code_frequencies(weights: np.ndarray, target: np.ndarray, iterations: int = 500) -> np.ndarray:
    """f >= 0, sum 1, maximising sum_s P(s) log sum_c w(s | c) f(c) (EM for the proportions of a
    mixture with known components w(. | c), Dempster, Laird and Rubin 1977):

        f(c) <- f(c) sum_s P(s) w(s | c) / sum_c' w(s | c') f(c'),

    so that sum_c w(s | c) f(c) = P(s) wherever P lies in the hull of the components.
    ``weights``: W[s, c]; ``target``: P(s) (normalised here)."""
    target = target / target.sum()
    frequency = np.full(weights.shape[1], 1.0 / weights.shape[1])
    for _ in range(iterations):
        mixture = weights @ frequency
        ratio = np.divide(target, mixture, out=np.zeros_like(target), where=mixture > 0)
        frequency = frequency * (weights.T @ ratio)
        frequency /= frequency.sum()
    return frequency


def industry_code_sampler(grants: Mapping[str, float]) -> dict[str, tuple[np.ndarray, dict[str, np.ndarray]]]:
    """Scheme -> (codes, SIC -> cumulative P(code | SIC)) of the industry codes, by Bayes from the
    concordance and the code frequencies that reproduce ``grants`` (expected grants by SIC, e.g.
    ``patent_world.expected_grants_by_sic``: non-REE and REE over 2002-2018)."""
    sampler = {}
    for scheme in SCHEMES:
        codes, sics, weights = _industry_matrix(scheme)
        target = np.array([grants.get(s, 0.0) for s in sics])
        joint = weights * code_frequencies(weights, target)[None, :]
        sampler[scheme] = (
            np.array(codes),
            {s: np.cumsum(joint[k]) / joint[k].sum() for k, s in enumerate(sics) if s in grants},
        )
    return sampler


_PART_SCHEMA = {"row": pl.Int64, "scheme": pl.String, "code": pl.String, "is_main": pl.Boolean}


def draw_classes(
    rng: np.random.Generator,
    ids: list[str],
    sic4: np.ndarray,
    technology: list[str | None],
    year: int,
    sampler: Mapping[str, tuple[np.ndarray, Mapping[str, np.ndarray]]],
) -> pl.DataFrame:
    """The ``patent_classes`` rows (patent_id, scheme, code, is_main, grant_year) of a grant
    year's patents: technology codes of REE grants by :data:`TECHNOLOGY_CODES`, industry codes by
    P(code | SIC) of ``sampler`` (:func:`industry_code_sampler`; module docstring)."""
    technology_array = np.array([t or "" for t in technology])
    is_ree = technology_array != ""
    industries, industry_of = np.unique(sic4, return_inverse=True)
    parts: list[pl.DataFrame] = []

    def add(members: np.ndarray, scheme: str, drawn: np.ndarray, is_main: np.ndarray) -> None:
        parts.append(
            pl.DataFrame({"row": members, "scheme": scheme, "code": drawn, "is_main": is_main}, schema=_PART_SCHEMA)
        )

    for scheme in SCHEMES:
        for tech, by_scheme in TECHNOLOGY_CODES.items():
            members = np.flatnonzero(technology_array == tech)
            names, frequency = zip(*by_scheme[scheme], strict=True)
            picks = rng.choice(len(names), members.size, p=np.array(frequency) / sum(frequency))
            add(members, scheme, np.array(names)[picks], np.ones(members.size, dtype=bool))
        codes, by_sic = sampler[scheme]
        rate = np.where(is_ree, INDUSTRY_CODE_RATE["ree"][scheme], INDUSTRY_CODE_RATE["background"][scheme])
        carriers = np.flatnonzero(rng.random(len(ids)) < rate)
        uniform = rng.random(carriers.size)
        picks = np.empty(carriers.size, dtype=np.int64)
        groups = industry_of[carriers]
        for k in np.unique(groups):
            where = groups == k
            picks[where] = np.searchsorted(by_sic[industries[k]], uniform[where])
        picks = np.minimum(picks, codes.size - 1)
        add(carriers, scheme, codes[picks], ~is_ree[carriers])
    table = pl.concat(parts).sort("row", "scheme", "is_main", descending=[False, False, True], maintain_order=True)
    return table.select(
        pl.Series("patent_id", ids).gather(table["row"]), "scheme", "code", "is_main", pl.lit(year).alias("grant_year")
    )
