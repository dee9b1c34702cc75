"""Words for the codes that figures and the replication report show: regions, samples, GE
sectors and scenarios, REE elements, SIC industries, outcomes; the caption naming the data; and
the note on series that coincide. Pure: strings and numbers in, strings out."""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Mapping, Sequence

from ree_assets.core.patents.ree_filter import RARE_EARTHS

#: Regions of ``specs/tables.md`` and the aggregates the results use (WLD, non_CHN).
REGION_NAMES: Mapping[str, str] = {
    "CHN": "China",
    "EUR": "Europe",
    "USA": "United States",
    "JPN": "Japan",
    "KOR": "South Korea",
    "RUS": "Russia",
    "AUS": "Australia",
    "ROW": "rest of the world",
    "WLD": "world",
    "non_CHN": "regions other than China",
}

#: The DiD samples (columns of the AFSV tables).
SAMPLE_NAMES: Mapping[str, str] = {
    "NONCHN": "all regions except China",
    "ALL": "all regions",
    **{code: REGION_NAMES[code] for code in ("USA", "EUR", "JPN", "CHN")},
}

#: The GE model's sectors (``core.ge.aggregate.DEFAULT_SECTOR_MAP``, WIOD 2013 industries).
SECTOR_NAMES: Mapping[str, str] = {
    "agriculture": "Agriculture",
    "mining_petroleum_coal": "Mining, coke and refined petroleum",
    "food": "Food, beverages and tobacco",
    "textiles": "Textiles, leather and footwear",
    "wood_paper": "Wood, paper and printing",
    "chemicals": "Chemicals",
    "rubber_plastics": "Rubber and plastics",
    "non_metallic_minerals": "Other non-metallic minerals",
    "basic_fabricated_metals": "Basic and fabricated metals",
    "machinery": "Machinery",
    "computers_electronics": "Electrical and optical equipment",
    "transport_equipment": "Transport equipment",
    "furniture_misc": "Furniture and other manufacturing",
    "services": "Services",
    "all": "all sectors",
}

#: DiD outcomes (asset suffix or outcome column) and robustness variants.
OUTCOME_NAMES: Mapping[str, str] = {
    "patents": "REE-enhancing patent stock",
    "ree_enhancing_stock": "REE-enhancing patent stock",
    "tfp_growth": "TFP growth",
    "labour_productivity_growth": "labour productivity growth",
    "export_growth": "export growth",
    "export_growth_vs_china": "export growth relative to China",
}
VARIANT_NAMES: Mapping[str, str] = {
    "baseline": "baseline",
    "price_spike": "price-spike sensitivity",
    "china_import_share": "China-import-share sensitivity",
    "labour_productivity": "labour productivity",
    "application_year": "patents by application year",
}

#: The mixture models of the FVD stage (``core.spillovers.estimates``).
MIXTURE_MODEL_NAMES: Mapping[str, str] = {
    "restricted": "restricted model",
    "unrestricted_before": "unrestricted model, before 1990",
    "unrestricted_after": "unrestricted model, 1990 and after",
}

_SCENARIO = re.compile(r"^(?P<instrument>tax|quota)_(?P<level>[0-9.e+-]+)_kappa_(?P<kappa>[0-9.e+-]+)$")


def _words(code: str) -> str:
    """A snake_case code in words, first letter capitalised (``rare_earths`` -> ``Rare earths``)."""
    text = code.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def region_label(code: str) -> str:
    """A region or aggregate code in words (``EUR`` -> ``Europe``); an unknown code is kept."""
    return REGION_NAMES.get(code, code)


def sample_label(code: str) -> str:
    """A DiD sample in words (``NONCHN`` -> ``all regions except China``)."""
    return SAMPLE_NAMES.get(code, region_label(code))


def sector_label(code: str) -> str:
    """A GE sector in words (``basic_fabricated_metals`` -> ``Basic and fabricated metals``); a
    user's own sector name (run configuration ``sector_map``) in words with its underscores removed."""
    return SECTOR_NAMES.get(code, _words(code))


def element_label(symbol: str) -> str:
    """An element symbol with its name (``Nd`` -> ``Neodymium (Nd)``); ``All`` -> ``all elements``."""
    if symbol == "All":
        return "all elements"
    name = RARE_EARTHS.get(symbol)
    return f"{_words(name)} ({symbol})" if name else symbol


def outcome_label(code: str) -> str:
    """A DiD outcome in words (``tfp_growth`` -> ``TFP growth``)."""
    return OUTCOME_NAMES.get(code, _words(code).lower())


def variant_label(code: str) -> str:
    """A robustness variant in words (``price_spike`` -> ``price-spike sensitivity``)."""
    return VARIANT_NAMES.get(code, _words(code).lower())


def mixture_model_label(code: str) -> str:
    """An FVD mixture model in words (``unrestricted_before`` -> ``unrestricted model, before 1990``)."""
    return MIXTURE_MODEL_NAMES.get(code, _words(code).lower())


def kappa_label(kappa: float) -> str:
    """kappa = 0 is the model with exogenous technology, kappa > 0 the one with directed innovation."""
    return "exogenous technology (κ = 0)" if kappa == 0 else f"directed innovation (κ = {kappa:g})"


def scenario_label(scenario: str) -> str:
    """A GE scenario id of ``core.ge.outcomes.scenario_name`` in words:
    ``tax_0.25_kappa_0`` -> ``export tax 25%, exogenous technology (κ = 0)``,
    ``quota_0.28_kappa_0.5`` -> ``export quota 28% of baseline exports, directed innovation (κ = 0.5)``.
    Any other string is an error (a raw id never reaches a legend)."""
    match = _SCENARIO.match(scenario)
    if match is None:
        raise ValueError(f"not a GE scenario id (instrument_level_kappa_k): {scenario!r}")
    level, kappa = float(match["level"]), float(match["kappa"])
    instrument = (
        f"export tax {100 * level:g}%"
        if match["instrument"] == "tax"
        else f"export quota {100 * level:g}% of baseline exports"
    )
    return f"{instrument}, {kappa_label(kappa)}"


def industry_label(sic4: str, title: str, rank: int | None = None, width: int = 40) -> str:
    """``#rank sic4 title`` with the whole title, wrapped onto lines of at most ``width``
    characters (never cut off)."""
    text = " ".join(part for part in (f"#{rank}" if rank is not None else "", sic4, title) if part)
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False))


def data_caption(mode: str, *, seed: int, size: str, sources: Sequence[str] = ()) -> str:
    """The caption naming the data behind a figure or table: the synthetic embedded world (its
    seed and size) when the data source is embedded, else ``real data`` and its sources."""
    if mode == "embedded":
        return f"Data: synthetic embedded world (seed {seed}, size {size}), not real observations."
    return f"Data: real data ({mode} mode): {', '.join(sources) or 'sources not recorded'}."


def axis_tolerance(series: Mapping[str, Sequence[float | None]], share: float = 0.01) -> float:
    """``share`` of the span of every value of ``series`` (of their largest magnitude when they
    are all equal): two lines closer than this everywhere look like one line on the axis."""
    values = [v for values in series.values() for v in values if v is not None and math.isfinite(v)]
    if not values:
        return 0.0
    span = max(values) - min(values)
    return share * (span if span > 0 else max(abs(v) for v in values))


def coinciding(series: Mapping[str, Sequence[float | None]], tolerance: float) -> list[tuple[str, ...]]:
    """Groups (two or more labels, in the order given) of series that are drawn on top of each
    other: same length, |x - y| <= ``tolerance`` at every point (missing points in the same places).
    A series joins the first group whose first series it matches."""

    def close(x: float | None, y: float | None) -> bool:
        return (x is None and y is None) or (x is not None and y is not None and abs(x - y) <= tolerance)

    def same(a: Sequence[float | None], b: Sequence[float | None]) -> bool:
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))

    groups: list[list[str]] = []
    for label, values in series.items():
        group = next((g for g in groups if same(series[g[0]], values)), None)
        if group is None:
            groups.append([label])
        else:
            group.append(label)
    return [tuple(g) for g in groups if len(g) > 1]


def overlap_note(groups: Sequence[Sequence[str]], share: float = 0.01, how: str = "drawn on top of each other") -> str:
    """The note a figure carries when some of its series coincide ("" when none do): which are
    ``how`` (drawn on top of each other, of equal height), and within what (``share`` of the
    axis range)."""
    if not groups:
        return ""
    return (
        f"{how[:1].upper() + how[1:]} (they differ by less than {100 * share:g}% of the axis range): "
        + "; ".join(" = ".join(g) for g in groups)
        + "."
    )
