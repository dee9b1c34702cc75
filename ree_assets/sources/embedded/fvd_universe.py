"""The FVD part of the synthetic USPTO: utility patents granted 1969-2001 (``specs/spillovers.md``),
and the citations of every FVD set patent of the whole office.

A universe of patents with heavy-tailed USPC subclass sizes (Zipf over 20,000 background
subclasses: at the ``bench`` size a few hold hundreds of thousands of patents), first-inventor
countries, assignees, titles, abstracts and citations, in which the rare-earth magnet and catalyst
sets (their USPC subclasses + a rare-earth keyword + an organisation as first assignee +
application year 1976-2002) cite as the FVD mixture model says.

One patent office: the set rule (``core.spillovers.patent_sets``) applied to the generated
tables of this universe and of the AFSV grants that can hold applications up to 2002
(``patent_world``, grant years 2002-2007) picks the set patents, whatever their grant year and
however their texts and classes were drawn (:func:`set_citations`). Each of them cites:

- each patent available to it in the whole office (sharing a USPC code, application year in
  [t - 7, t], not itself) with probability delta_c(d) of the restricted model with the parameters
  ``TRUTH`` of its technology, d = 1{t >= 1990}, if it is a US patent (c: US/non-US first inventor
  x within/outside the set); a non-US one with ``FOREIGN_RATES`` x the period-0 US rates (fewer US
  citations, no change after 1990);
- a few older patents sharing a code (outside the window) and, some, a patent that is not in the
  office (bad input the pipeline must count);
and nothing else, each set patent from its own random stream (its draws do not move when patents
are added elsewhere in the office, such as a larger AFSV part). So the pipeline's class list adds
nothing to its own codes and its availability counts are exactly the generator's at every sample
end (``grant_year_end``): a patent granted after the end leaves the universe, its citations and
its availability together. To keep that so,
a set patent may cite an available patent granted after itself (a later grant the pipeline's
window admits). Other patents cite a few earlier patents at random.

Patent numbers are below 6,300,000 (the AFSV part uses numbers from 6,300,000 on). Generated in
vectorised NumPy/Polars once per (seed, size) and sliced by grant year.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import get_args

import numpy as np
import polars as pl

from ree_assets.core.spillovers import mixture
from ree_assets.core.spillovers.citations import US
from ree_assets.core.spillovers.patent_sets import LAST_APPLICATION_YEAR, TECHNOLOGY_CLASSES, fvd_patent_sets
from ree_assets.sources.embedded import patent_world
from ree_assets.sources.embedded.dims import FVD_GRANT_YEARS, WorldSize
from ree_assets.sources.embedded.world import stage_rng

FIRST_GRANT_YEAR, LAST_GRANT_YEAR = FVD_GRANT_YEARS
WINDOW, BREAK_YEAR, FIRST_SET_YEAR, LAST_SET_YEAR = 7, 1990, 1976, LAST_APPLICATION_YEAR
#: size -> (patents, magnet set, catalyst set, patents per neighbour subclass)
SIZES = {
    "small": (60_000, 300, 500, 600),
    "full": (500_000, 637, 1_242, 1_500),
    "bench": (3_000_000, 637, 1_242, 1_500),
}
#: True restricted-model parameters (a, a_d, s_ll, s_lg, s_gl, s_gg, w, w_d) per technology: local
#: activity rises after 1990 for magnets and falls for catalysts (as in FVD's estimates).
TRUTH = {
    "magnet": (0.25, 0.45, 0.08, 0.02, 0.01, 0.06, 0.7, -0.05),
    "catalyst": (0.6, -0.3, 0.07, 0.01, 0.008, 0.03, 0.45, 0.2),
}
#: Non-US focal patents: their (local, global) rates are these multiples of m_l0, m_g0.
FOREIGN_RATES = (0.6, 1.2)
#: Probability that a focal patent cites an older patent of its subclasses (outside the window).
OLD_CITATION_RATE = 0.005
#: Share of set patents that also cite a patent not in the office (bad input the pipeline counts).
UNKNOWN_CITATION_SHARE = 0.05
NEIGHBOURS = {
    "magnet": (
        "148/104",
        "148/105",
        "148/120",
        "148/121",
        "148/300",
        "148/304",
        "148/305",
        "148/306",
        "148/307",
        "148/308",
    ),
    "catalyst": (
        "502/300",
        "502/301",
        "502/305",
        "502/306",
        "502/307",
        "502/308",
        "502/309",
        "502/310",
        "502/311",
        "502/312",
    ),
}
FOREIGN = ("JPN", "DEU", "FRA", "GBR", "KOR", "CAN", "ITA", "NLD", "CHE", "SWE", "CHN", "TWN")
SET_TITLES = {
    "magnet": (
        "Sintered Nd-Fe-B permanent magnet",
        "Rare earth cobalt magnet alloy",
        "SmCo5 magnet powder",
        "Method for producing a Dy-containing magnet",
        "Neodymium iron boron magnet",
    ),
    "catalyst": (
        "Cerium oxide catalyst support",
        "Lanthanum-containing exhaust gas catalyst",
        "Catalyst comprising CeO2 and platinum",
        "Rare-earth exchanged zeolite catalyst",
        "Yttrium stabilised catalyst carrier",
    ),
}
PLAIN_TITLES = (
    "Heat treatment of steel strip",
    "Layered alumina catalyst carrier",
    "Method of making a fastener",
    "Apparatus for sorting mail",
    "Zeolite catalyst for cracking",
    "Process for annealing wire",
    "Electrical connector",
    "Valve assembly",
    "Method of coating glass",
    "Polymer composition",
    "Semiconductor device",
    "Engine control system",
    "Toy vehicle",
    "Container closure",
    "However improved hinge",
    "Europe-style plug adapter",
)
PLAIN_ABSTRACT = "An improved device and method are disclosed."
RE_ABSTRACT = "The alloy contains neodymium and a rare earth element."


def truth_theta(technology: str) -> np.ndarray:
    return np.array(TRUTH[technology])


def true_rates(technology: str, us: bool, d: int) -> np.ndarray:
    """Citation probability per available patent (lw, gw, lo, go) of a focal patent."""
    theta = truth_theta(technology)
    if us:
        return mixture.deltas(theta, d)
    w, (m_l, m_g) = theta[mixture.W], mixture.mixed_rates(theta, 0)
    m_l, m_g = m_l * FOREIGN_RATES[0], m_g * FOREIGN_RATES[1]
    return np.array([w * m_l, w * m_g, (1 - w) * m_l, (1 - w) * m_g])


def _dates(rng: np.random.Generator, years: np.ndarray) -> np.ndarray:
    """A uniform day of each year, as numpy datetime64[D]."""
    starts = (years - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    return starts + rng.integers(0, 365, years.size).astype("timedelta64[D]")


def _background_codes() -> np.ndarray:
    """20,000 background subclass codes outside classes 148 and 502, in Zipf-rank order."""
    classes = np.array([c for c in range(2, 1000) if c not in (148, 502)])
    return np.array([f"{classes[k % classes.size]}/{1 + k // classes.size}" for k in range(20_000)])


def _zipf_codes(rng: np.random.Generator, n: int, codes: np.ndarray, exponent: float = 1.1) -> np.ndarray:
    weights = 1.0 / np.arange(1, codes.size + 1) ** exponent
    return codes[rng.choice(codes.size, n, p=weights / weights.sum())]


@cache
def generate_universe(seed: int, size: str) -> dict[str, pl.DataFrame]:
    """The whole FVD universe (every grant year; patent numbers as integers, citations' as strings)
    with internal columns: ``patents`` has ``grant_year``, ``role`` (set, fvd_class, neighbour,
    background), ``technology`` and ``us``."""
    grants = _universe_grants(seed, size)
    return {
        **grants,
        "patent_citations": _citations(stage_rng(seed, "fvd_universe:citations"), grants["patents"], seed, size),
    }


@cache
def _universe_grants(seed: int, size: str) -> dict[str, pl.DataFrame]:
    """:func:`generate_universe` but the citations."""
    if size not in SIZES:
        raise ValueError(f"unknown FVD universe size {size!r}: expected one of {', '.join(SIZES)}")
    rng = stage_rng(seed, "fvd_universe")
    n, n_magnet, n_catalyst, per_neighbour = SIZES[size]
    years = np.arange(FIRST_GRANT_YEAR, LAST_GRANT_YEAR + 1)
    growth = np.exp(0.035 * (years - FIRST_GRANT_YEAR))
    grant_year = np.sort(rng.choice(years, n, p=growth / growth.sum()))
    app_year = grant_year - rng.choice([1, 2, 3, 4], n, p=[0.3, 0.45, 0.2, 0.05])
    ids = np.arange(6_300_000 - n, 6_300_000)
    roles, technology = _roles(rng, app_year, n_magnet, n_catalyst, per_neighbour)
    us = rng.random(n) < np.where(roles == "set", 0.5, 0.55)
    classes = _classes(rng, roles, technology)
    patents = pl.DataFrame(
        {
            "patent_id": ids,
            "grant_year": grant_year.astype(np.int32),
            "application_date": _dates(rng, app_year),
            "grant_date": _dates(rng, grant_year),
            "role": roles.astype(str),
            "technology": technology.astype(str),
            "us": us,
        }
    ).with_columns(
        application_year=pl.col("application_date").dt.year(),
        technology=pl.when(pl.col("role") == "background").then(None).otherwise(pl.col("technology")),
    )
    classes = classes.with_columns(patent_id=pl.Series(ids)[classes["row"]]).drop("row")
    return {
        **_texts_and_assignees(rng, patents),
        "patent_classes": classes,
        "patent_inventors": _inventors(rng, patents),
        "patents": patents,
    }


def _roles(
    rng: np.random.Generator, app_year: np.ndarray, n_magnet: int, n_catalyst: int, per_neighbour: int
) -> tuple[np.ndarray, np.ndarray]:
    """Role and technology of each patent, drawn without replacement: the sets (application year
    from 1976), three times as many other patents in the sets' subclasses, the neighbour-subclass
    patents; the rest is background."""
    n = app_year.size
    roles, technology = np.full(n, "background", dtype=object), np.full(n, None, dtype=object)
    order, free = rng.permutation(n), np.ones(n, bool)
    for tech, n_set in (("magnet", n_magnet), ("catalyst", n_catalyst)):
        for role, count, condition in (
            ("set", n_set, app_year >= FIRST_SET_YEAR),
            ("fvd_class", 3 * n_set, None),
            ("neighbour", per_neighbour * len(NEIGHBOURS[tech]), None),
        ):
            keep = free[order] if condition is None else free[order] & condition[order]
            chosen = order[keep][:count]
            roles[chosen], technology[chosen], free[chosen] = role, tech, False
    return roles, technology


def _classes(rng: np.random.Generator, roles: np.ndarray, technology: np.ndarray) -> pl.DataFrame:
    """USPC codes (row index, code, is_main): set patents in their technology's subclasses (a
    second one with p = 0.4, a neighbour subclass always, one of the ten largest background
    subclasses with p = 0.02); other patents of those subclasses likewise without the big ones;
    neighbour-subclass patents with a background code with p = 0.3; background patents a Zipf main
    code and Poisson(0.8) further ones."""
    n = roles.size
    background = _background_codes()
    main = _zipf_codes(rng, n, background).astype(object)
    rows, codes = [np.arange(n)], []
    for tech in TECHNOLOGY_CLASSES:
        fvd, neighbours = np.array(TECHNOLOGY_CLASSES[tech]), np.array(NEIGHBOURS[tech])
        in_fvd = (technology == tech) & np.isin(roles, ["set", "fvd_class"])
        main[in_fvd] = rng.choice(fvd, in_fvd.sum())
        in_neighbour = (technology == tech) & (roles == "neighbour")
        main[in_neighbour] = rng.choice(neighbours, in_neighbour.sum())
        for mask, pool, p in (
            (in_fvd, fvd, 0.4),
            (in_fvd, neighbours, 1.0),
            (in_fvd & (roles == "set"), background[:10], 0.02),
            (in_neighbour, background, 0.3),
        ):
            chosen = np.flatnonzero(mask & (rng.random(n) < p))
            rows.append(chosen)
            codes.append(_zipf_codes(rng, chosen.size, pool) if pool is background else rng.choice(pool, chosen.size))
    plain = np.flatnonzero(roles == "background")
    extra = np.repeat(plain, rng.poisson(0.8, plain.size))
    rows.append(extra)
    codes = [main, *codes, _zipf_codes(rng, extra.size, background)]
    frame = pl.DataFrame(
        {
            "row": np.concatenate(rows),
            "code": np.concatenate(codes).astype(str),
            "is_main": np.concatenate([np.ones(n, bool), np.zeros(sum(r.size for r in rows[1:]), bool)]),
        }
    )
    return (
        frame.unique(["row", "code"], keep="first", maintain_order=True)
        .with_columns(scheme=pl.lit("uspc"))
        .select("row", "scheme", "code", "is_main")
    )


def _texts_and_assignees(rng: np.random.Generator, patents: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Titles, abstracts, claims and first assignees. Set patents carry a rare-earth keyword in the
    title (60%), the abstract (20%) or only the claims (20%) and an organisation or government as
    first assignee. Other patents of the set subclasses either have no keyword, or have one but an
    individual / no assignee or an application year before 1976."""
    n = patents.height
    role, tech = patents["role"].to_numpy(), patents["technology"].to_numpy()
    is_set = role == "set"
    keyword_elsewhere = (role == "fvd_class") & (rng.random(n) < 0.5)
    assignee_type = rng.choice(["organisation", "individual", "none"], n, p=[0.8, 0.15, 0.05])
    assignee_type[is_set] = rng.choice(["organisation", "government"], is_set.sum(), p=[0.9, 0.1])
    early = patents["application_year"].to_numpy() < FIRST_SET_YEAR
    org = np.isin(assignee_type, ["organisation", "government"])
    keyword_elsewhere &= ~org | early
    where = np.where(
        is_set | keyword_elsewhere, rng.choice(["title", "abstract", "claims"], n, p=[0.6, 0.2, 0.2]), "none"
    )
    titles = np.array(PLAIN_TITLES)[rng.integers(0, len(PLAIN_TITLES), n)]
    for name, options in SET_TITLES.items():
        chosen = (where == "title") & (tech == name)
        titles[chosen] = np.array(options)[rng.integers(0, len(options), chosen.sum())]
    abstracts = np.where(where == "abstract", RE_ABSTRACT, PLAIN_ABSTRACT)
    ids = patents["patent_id"]
    base = patents.select("patent_id", "grant_date", "application_date").with_columns(
        title=pl.Series(titles),
        abstract=pl.Series(abstracts),
        kind=pl.when(pl.col("grant_date").dt.year() >= 2001).then(pl.lit("B1")).otherwise(pl.lit("A")),
        source=pl.lit("embedded"),
    )
    claims = where != "none"
    texts = pl.DataFrame(
        {
            "patent_id": ids.filter(pl.Series(claims)),
            "section": "claims",
            "text": np.where(
                where[claims] == "claims", "1. A composition comprising 5% Nd and Dy.", "1. A composition as described."
            ),
        }
    )
    has_assignee = assignee_type != "none"
    assignees = pl.DataFrame(
        {
            "patent_id": ids.filter(pl.Series(has_assignee)),
            "sequence": np.zeros(has_assignee.sum(), np.int64),
            "assignee_type": assignee_type[has_assignee],
        }
    ).with_columns(
        name=pl.concat_str(pl.lit("Assignee "), pl.col("patent_id").cast(pl.String)), country=pl.lit(None, pl.String)
    )
    return {
        "patents_base": base,
        "patent_texts": texts,
        "patent_assignees": assignees.select("patent_id", "sequence", "name", "country", "assignee_type"),
    }


def _inventors(rng: np.random.Generator, patents: pl.DataFrame) -> pl.DataFrame:
    """First inventors (sequence 0: USA or a foreign country) and a second one for 30%."""
    n = patents.height
    first = np.where(patents["us"].to_numpy(), "USA", np.array(FOREIGN)[rng.integers(0, len(FOREIGN), n)])
    second = np.flatnonzero(rng.random(n) < 0.3)
    ids = patents["patent_id"].to_numpy()
    return (
        pl.DataFrame(
            {
                "patent_id": np.concatenate([ids, ids[second]]),
                "sequence": np.concatenate([np.zeros(n, np.int64), np.ones(second.size, np.int64)]),
                "country": np.concatenate([first, np.array(FOREIGN)[rng.integers(0, len(FOREIGN), second.size)]]),
            }
        )
        .with_columns(
            name=pl.concat_str(
                pl.lit("Inventor "),
                pl.col("patent_id").cast(pl.String),
                pl.lit("-"),
                pl.col("sequence").cast(pl.String),
            )
        )
        .select("patent_id", "sequence", "name", "country")
    )


def _focal_candidates(
    focal: pl.DataFrame, universe: pl.DataFrame, classes: pl.DataFrame, members: pl.DataFrame
) -> pl.DataFrame:
    """Every (focal patent, other patent of ``universe`` sharing a USPC code, applied in the
    2 x WINDOW years up to the focal year) pair, with the cell of the other patent (its US flag;
    within = a member of the focal patent's set), whether it is in the window, and the focal d."""
    focal_codes = focal.join(classes.rename({"patent_id": "focal_id"}), on="focal_id")
    within = members.select("patent_id", focal_tech="technology", within=pl.lit(True))
    return (
        focal_codes.join(classes.join(universe, on="patent_id"), on="code")
        .filter(
            pl.col("application_year").is_between(pl.col("focal_year") - 2 * WINDOW, pl.col("focal_year"))
            & (pl.col("patent_id") != pl.col("focal_id"))
        )
        .drop("code")
        .unique(["focal_id", "patent_id"])
        .join(within, on=["patent_id", "focal_tech"], how="left")
        .with_columns(
            within=pl.col("within").fill_null(False),
            in_window=pl.col("application_year") >= pl.col("focal_year") - WINDOW,
            d=(pl.col("focal_year") >= BREAK_YEAR).cast(pl.Int64),
        )
    )


def _office_tables(seed: int, size: str) -> dict[str, pl.DataFrame]:
    """The canonical tables (no citations) of every patent of the office that can be a set patent
    or available to one: this universe and, for a world size, the AFSV grants up to the last
    grant year of applications filed in LAST_SET_YEAR."""
    parts = [_canonical(_universe_grants(seed, size))]
    if size in get_args(WorldSize):
        last = patent_world.last_grant_year_of_filings(LAST_SET_YEAR)
        parts += [patent_world.afsv_grants(year, seed, size) for year in range(patent_world.AFSV_FIRST_YEAR, last + 1)]
    return {
        name: pl.concat([part[name] for part in parts], how="diagonal_relaxed")
        for name in CANONICAL
        if name != "patent_citations"
    }


@dataclass(frozen=True)
class SetCitations:
    """The set patents of the office (patent_id, technology) and their citations (canonical
    columns but grant_year)."""

    members: pl.DataFrame
    citations: pl.DataFrame


@cache
def set_citations(seed: int, size: str) -> SetCitations:
    """Every patent of the office that meets the FVD set rule and its citations (module
    docstring). A patent in both sets (the embedded world has none) draws as a member of the
    first, catalyst."""
    office = _office_tables(seed, size)
    members = fvd_patent_sets(
        office["patents"], office["patent_texts"], office["patent_classes"], office["patent_assignees"]
    ).table.select("patent_id", "technology")
    first_inventors = office["patent_inventors"].filter((pl.col("sequence") == 0) & pl.col("country").is_not_null())
    universe = (
        office["patents"]
        .filter(pl.col("application_date").is_not_null())
        .join(first_inventors, on="patent_id")
        .select("patent_id", application_year=pl.col("application_date").dt.year(), us=pl.col("country") == US)
    )
    focal = members.unique("patent_id", keep="first", maintain_order=True).join(universe, on="patent_id")
    focal = focal.select(
        focal_id="patent_id", focal_tech="technology", focal_year="application_year", focal_us="us"
    ).sort("focal_id")
    classes = office["patent_classes"].filter(pl.col("scheme") == "uspc").select("patent_id", "code").unique()
    candidates = _focal_candidates(focal, universe, classes, members).sort("focal_id", "patent_id")
    rate_table = pl.DataFrame(
        [
            (tech, us, d, within, cited_us, float(true_rates(tech, us, d)[k]))
            for tech in TRUTH
            for us in (True, False)
            for d in (0, 1)
            for k, (cited_us, within) in enumerate([(True, True), (False, True), (True, False), (False, False)])
        ],
        schema=["focal_tech", "focal_us", "d", "within", "us", "rate"],
        orient="row",
    )
    candidates = candidates.join(rate_table, on=["focal_tech", "focal_us", "d", "within", "us"], maintain_order="left")
    candidates = candidates.with_columns(
        probability=pl.when("in_window").then("rate").otherwise(OLD_CITATION_RATE)
    ).sort("focal_id", pl.col("patent_id").cast(pl.Int64))
    by_focal = candidates.select("focal_id", "patent_id", "probability").partition_by("focal_id", as_dict=True)
    pairs = [
        _focal_citations(seed, focal_id, k, by_focal.get((focal_id,)))
        for k, focal_id in enumerate(focal["focal_id"].to_list())
    ]
    return SetCitations(members=members, citations=_records(pl.concat(pairs), office["patents"]))


def _focal_citations(seed: int, focal_id: str, index: int, candidates: pl.DataFrame | None) -> pl.DataFrame:
    """The citations of one set patent (citing_id, cited_id, sequence), drawn from its own random
    stream: each candidate (in the order of its number) with its probability, then with
    probability ``UNKNOWN_CITATION_SHARE`` one patent that is not in the office (number 3,000,000 +
    ``index``), in a random order (the sequence). Its own stream makes a set patent's draws
    depend on its candidates alone: patents added elsewhere in the office (a larger AFSV part)
    redraw nothing, and candidates granted later (numbered higher) come last."""
    rng = stage_rng(seed, "fvd_universe:set_citations", int(focal_id))
    cited: list[str] = []
    if candidates is not None:
        cited = candidates.filter(pl.Series(rng.random(candidates.height) < candidates["probability"].to_numpy()))[
            "patent_id"
        ].to_list()
    if rng.random() < UNKNOWN_CITATION_SHARE:
        cited.append(str(3_000_000 + index))
    return pl.DataFrame(
        {"citing_id": [focal_id] * len(cited), "cited_id": cited, "sequence": rng.permutation(len(cited))},
        schema={"citing_id": pl.String, "cited_id": pl.String, "sequence": pl.Int64},
    )


def _records(pairs: pl.DataFrame, patents: pl.DataFrame) -> pl.DataFrame:
    """Citation records of (citing_id, cited_id, sequence): the cited patent's grant date (from
    ``patents``; null when not there), US office, cited by examiner."""
    grant = patents.select(cited_id=pl.col("patent_id").cast(pl.String), cited_date="grant_date")
    return (
        pairs.join(grant, on="cited_id", how="left", maintain_order="left")
        .with_columns(cited_office=pl.lit("US"), category=pl.lit("cited by examiner"))
        .select("citing_id", "cited_id", "cited_date", "cited_office", "category", "sequence")
    )


def with_set_citations(citations: pl.DataFrame, citing: pl.Series, seed: int, size: str) -> pl.DataFrame:
    """``citations`` (canonical columns but grant_year) of the patents ``citing``, with those of
    every set patent among them replaced by its draws of :func:`set_citations`."""
    drawn = set_citations(seed, size)
    members = drawn.members["patent_id"].filter(drawn.members["patent_id"].is_in(citing.cast(pl.String).implode()))
    return pl.concat(
        [
            citations.filter(~pl.col("citing_id").is_in(members.implode())),
            drawn.citations.filter(pl.col("citing_id").is_in(members.implode())),
        ],
        how="vertical_relaxed",
    )


def _citations(rng: np.random.Generator, patents: pl.DataFrame, seed: int, size: str) -> pl.DataFrame:
    """Poisson(3) random earlier patents for every patent, then the set patents' own
    (:func:`with_set_citations`)."""
    citing = np.repeat(np.arange(patents.height), rng.poisson(3.0, patents.height))
    citing = citing[citing > 0]
    cited = (rng.random(citing.size) * citing).astype(np.int64)
    ids = patents["patent_id"].cast(pl.String)
    random = pl.DataFrame({"citing_id": ids.gather(citing), "cited_id": ids.gather(cited)}).unique(maintain_order=True)
    ordered = (
        random.with_columns(shuffle=pl.Series(rng.permutation(random.height)))
        .sort("citing_id", "shuffle")
        .with_columns(sequence=pl.int_range(pl.len()).over("citing_id").cast(pl.Int64))
    )
    return with_set_citations(_records(ordered, patents), ids, seed, size)


CANONICAL = ("patents", "patent_texts", "patent_assignees", "patent_inventors", "patent_classes", "patent_citations")


def fvd_universe_tables(year: int, seed: int, size: str) -> dict[str, pl.DataFrame]:
    """The six canonical patent tables (``specs/tables.md`` columns) of the patents granted in
    ``year`` (1969-2001); citations are those made by these patents."""
    if not FIRST_GRANT_YEAR <= year <= LAST_GRANT_YEAR:
        raise ValueError(f"the FVD universe covers grant years {FIRST_GRANT_YEAR}-{LAST_GRANT_YEAR}, not {year}")
    patents = generate_universe(seed, size)["patents"]
    ids = patents.filter(pl.col("grant_year") == year)["patent_id"].cast(pl.String).implode()
    return {
        name: frame.filter(pl.col("citing_id" if name == "patent_citations" else "patent_id").is_in(ids))
        for name, frame in fvd_universe_all_years(seed, size).items()
    }


@cache
def fvd_universe_all_years(seed: int, size: str) -> dict[str, pl.DataFrame]:
    """The six canonical tables of every grant year at once (what the yearly tables add up to)."""
    return _canonical(generate_universe(seed, size))


def _canonical(universe: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The canonical tables of ``universe`` (those it has), patent numbers as strings."""
    tables = {
        "patents": universe["patents_base"],
        **{name: universe[name] for name in CANONICAL[1:] if name in universe},
    }
    return {
        name: frame.with_columns(
            pl.col(c).cast(pl.String) for c in ("patent_id", "citing_id", "cited_id") if c in frame.columns
        )
        for name, frame in tables.items()
    }


def generate_fvd_truth(rng: np.random.Generator, dims) -> dict[str, pl.DataFrame]:
    """The world stage ``spillovers``: only truth rows (the tables come by grant year from
    :func:`fvd_universe_tables`); the parameters do not depend on the seed or size."""
    return {"synthetic_truth": fvd_truth()}


def fvd_truth() -> pl.DataFrame:
    """synthetic_truth rows of the FVD universe: stage ``spillovers``, the restricted parameters and
    their reduced form (key ``<technology>:restricted``), and each period's one-period parameters
    (key ``<technology>:unrestricted:<d>``)."""
    rows = []
    for tech in TRUTH:
        theta = truth_theta(tech)
        values = {
            **dict(zip(mixture.PARAMETERS, theta, strict=False)),
            **dict(zip(mixture.REDUCED_FORM, mixture.reduced_form(theta), strict=False)),
            **mixture.quantity_values(theta),
        }
        rows += [("spillovers", name, f"{tech}:restricted", float(v)) for name, v in values.items()]
        for d in (0, 1):
            a, w = mixture.period_shares(theta, d)
            period = np.array([a, 0.0, *theta[2:6], w, 0.0])
            rows += [
                ("spillovers", name, f"{tech}:unrestricted:{d}", float(v))
                for name, v in mixture.quantity_values(period, mixture.ONE_PERIOD_QUANTITIES).items()
            ]
    return pl.DataFrame(
        rows, schema={"stage": pl.String, "parameter": pl.String, "key": pl.String, "value": pl.Float64}, orient="row"
    )
