"""The embedded synthetic world: seeded, stage by stage, with its true parameters.

Each stage of the pipeline adds a generator here that returns canonical raw tables (the grain
and columns of ``specs/tables.md``). Every stage draws from its own random stream, derived from
the world seed and the stage name, so adding a stage never changes the bytes another stage
produces, and the same seed always gives the same tables.
"""

from __future__ import annotations

import importlib
import zlib
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING

import polars as pl

from ree_assets.sources.embedded import ree_defaults
from ree_assets.sources.embedded.dims import WorldDims, WorldSize, world_dims

if TYPE_CHECKING:  # NumPy is imported when a stage is generated, not when the code location loads
    import numpy as np

StageGenerator = Callable[["np.random.Generator", WorldDims], Mapping[str, pl.DataFrame]]

TRUTH_SCHEMA = {"stage": pl.String, "parameter": pl.String, "key": pl.String, "value": pl.Float64}


def _ree_tables(rng: np.random.Generator, dims: WorldDims) -> dict[str, pl.DataFrame]:
    """The published-figure defaults of ``specs/ree_defaults.md`` plus synthetic country-level
    prices and imports for the robustness variants of the sensitivity index."""
    from ree_assets.sources.embedded.bea_world import generate_ree_country_tables

    country = generate_ree_country_tables(rng, dims)
    return {
        "ree_prices": pl.concat([ree_defaults.ree_prices(dims.years[0], dims.years[-1]), country["ree_prices"]]),
        "ree_imports": country["ree_imports"],
        "ree_complementarity": ree_defaults.ree_complementarity(),
        "ree_application_composition": ree_defaults.ree_application_composition(),
        "ree_end_use": ree_defaults.ree_end_use(),
        "ree_consumption": ree_defaults.ree_consumption(),
        "application_industry_map": ree_defaults.application_industry_map(),
        "ree_parameters": ree_defaults.ree_parameters(),
        "magnet_use_map": ree_defaults.magnet_use_map(),
    }


def _world_truth(rng: np.random.Generator, dims: WorldDims) -> dict[str, pl.DataFrame]:
    """The world's own dimensions, recorded as truth so a result can be traced to its world."""
    rows = [
        ("world", "n_industries", "sic4", float(len(dims.sic4))),
        ("world", "n_economies", "country", float(len(dims.economies))),
        ("world", "first_year", "year", float(dims.years[0])),
        ("world", "last_year", "year", float(dims.years[-1])),
    ]
    return {"synthetic_truth": pl.DataFrame(rows, schema=TRUTH_SCHEMA, orient="row")}


def _imported(path: str) -> StageGenerator:
    """A stage generator named ``module:function``, imported when the stage is first generated
    (the generators pull in SciPy and the estimators; loading the code location must not)."""
    module, function = path.split(":")
    return getattr(importlib.import_module(module), function)


#: Stage name -> (its generator, or ``module:function`` naming it; the canonical raw tables it
#: produces, besides its truth rows).
STAGES: dict[str, tuple[StageGenerator | str, tuple[str, ...]]] = {
    "world": (_world_truth, ()),
    "ree": (
        _ree_tables,
        (
            "ree_prices",
            "ree_imports",
            "ree_complementarity",
            "ree_application_composition",
            "ree_end_use",
            "ree_consumption",
            "application_industry_map",
            "ree_parameters",
            "magnet_use_map",
        ),
    ),
    "bea": (
        "ree_assets.sources.embedded.bea_world:generate_bea_world",
        (
            "bea_use",
            "bea_make",
            "bea_codes",
            "bea_sic_concordance",
            "bea_summary_use",
            "bea_summary_make",
            "bea_published_total_requirements",
        ),
    ),
    "wiod": ("ree_assets.sources.embedded.wiod_world:generate_wiod_world", ("wiod",)),
    "innovation": ("ree_assets.sources.embedded.innovation_world:generate_innovation_panel", ("ge_innovation_panel",)),
    "patents": ("ree_assets.sources.embedded.patent_world:generate_patent_truth", ()),
    "spillovers": ("ree_assets.sources.embedded.fvd_universe:generate_fvd_truth", ()),
    "outcomes": (
        "ree_assets.sources.embedded.outcome_world:generate_outcomes",
        (
            "trade",
            "hs_sic_concordance",
            "industry_stats_us",
            "industry_stats",
            "isic_sic_concordance",
            "subsidies",
            "gdp",
        ),
    ),
}

#: Stages whose generator also takes the world's ``seed`` and ``size`` (keywords): they draw on
#: tables derived from other stages, e.g. the outcome generators on ``embedded_sensitivity``.
WORLD_AWARE_STAGES: set[str] = {"outcomes", "patents"}


def stage_rng(seed: int, stage: str, *keys: int) -> np.random.Generator:
    """An independent random stream for one stage, or for one item ``keys`` of it:
    SeedSequence(seed, spawn_key=(crc32(stage), *keys))."""
    import numpy as np

    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(stage.encode()), *keys)))


@cache
def generate_stage(stage: str, seed: int, size: WorldSize) -> Mapping[str, pl.DataFrame]:
    """All tables of one stage of the world (cached: a stage is generated once per process)."""
    generator, _ = STAGES[stage]
    if isinstance(generator, str):
        generator = _imported(generator)
    extra = {"seed": seed, "size": size} if stage in WORLD_AWARE_STAGES else {}
    return generator(stage_rng(seed, stage), world_dims(size), **extra)


def embedded_tables() -> tuple[str, ...]:
    """Every canonical raw table the embedded world can produce."""
    return tuple(t for _, tables in STAGES.values() for t in tables) + ("synthetic_truth",)


def embedded_table(table: str, seed: int, size: WorldSize) -> pl.DataFrame:
    """One canonical raw table of the embedded world.

    ``synthetic_truth`` is the union of every stage's true parameters.
    """
    if table == "synthetic_truth":
        parts = [generate_stage(stage, seed, size).get("synthetic_truth") for stage in STAGES]
        return pl.concat([p for p in parts if p is not None], how="vertical")
    for stage, (_, tables) in STAGES.items():
        if table in tables:
            return generate_stage(stage, seed, size)[table]
    raise KeyError(f"the embedded world has no table {table!r}; it has {', '.join(embedded_tables())}")
