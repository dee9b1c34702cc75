"""The calibrated baseline as a tidy table, and back: how ``ge_baseline`` is stored in DuckDB.

One row per number: (variable, region, partner, sector, input_sector, value), with the axes a
variable does not have left null. ``region_order`` and ``sector_order`` rows keep the order of
the model's axes, so :func:`baseline_from_long` rebuilds exactly the arrays it was given.
"""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl

from ree_assets.core.ge.calibrate import Baseline, ModelParameters

#: Baseline arrays by their axes: r = region, p = partner (seller) region, s = sector,
#: k = input sector.
_AXES: dict[str, str] = {
    "income": "r",
    "labour_income": "r",
    "ree_endowment": "r",
    "deficit": "r",
    "X": "rs",
    "Y": "rs",
    "beta": "rs",
    "alpha": "rs",
    "omega": "rs",
    "pi": "rps",
    "gam": "rsk",
    "eps": "s",
    "theta": "s",
}
_COLUMNS = {"r": "region", "p": "partner", "s": "sector", "k": "input_sector"}
SCHEMA = {
    "variable": pl.String,
    "region": pl.String,
    "partner": pl.String,
    "sector": pl.String,
    "input_sector": pl.String,
    "value": pl.Float64,
}


def _array(baseline: Baseline, variable: str) -> np.ndarray:
    if variable in ("omega", "eps", "theta"):
        return getattr(baseline.parameters, variable)
    return getattr(baseline, variable)


def baseline_to_long(baseline: Baseline) -> pl.DataFrame:
    """Every array of the baseline as rows (variable, region, partner, sector, input_sector, value)."""
    labels = {"r": baseline.regions, "p": baseline.regions, "s": baseline.sectors, "k": baseline.sectors}
    Row = tuple[str, str | None, str | None, str | None, str | None, float]
    rows: list[Row] = [
        ("region_order", region, None, None, None, float(i)) for i, region in enumerate(baseline.regions)
    ]
    rows += [("sector_order", None, None, sector, None, float(i)) for i, sector in enumerate(baseline.sectors)]
    rows += [
        ("china", baseline.regions[baseline.china], None, None, None, 1.0),
        ("kappa", None, None, None, None, baseline.parameters.kappa),
        ("clipped_final_cells", None, None, None, None, float(baseline.clipped_final_cells)),
        ("clipped_final_value", None, None, None, None, baseline.clipped_final_value),
    ]
    for variable, axes in _AXES.items():
        values = _array(baseline, variable)
        for index in itertools.product(*(range(len(labels[a])) for a in axes)):
            keys = {_COLUMNS[a]: labels[a][i] for a, i in zip(axes, index, strict=False)}
            rows.append(
                (
                    variable,
                    keys.get("region"),
                    keys.get("partner"),
                    keys.get("sector"),
                    keys.get("input_sector"),
                    float(values[index]),
                )
            )
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def baseline_from_long(frame: pl.DataFrame) -> Baseline:
    """The :class:`Baseline` stored by :func:`baseline_to_long`."""
    order = lambda variable, column: tuple(  # noqa: E731 - a two-line lookup
        frame.filter(pl.col("variable") == variable).sort("value")[column].to_list()
    )
    regions, sectors = order("region_order", "region"), order("sector_order", "sector")
    position = {
        "region": {r: i for i, r in enumerate(regions)},
        "partner": {r: i for i, r in enumerate(regions)},
        "sector": {s: i for i, s in enumerate(sectors)},
        "input_sector": {s: i for i, s in enumerate(sectors)},
    }
    sizes = {"r": len(regions), "p": len(regions), "s": len(sectors), "k": len(sectors)}
    arrays = {}
    for variable, axes in _AXES.items():
        rows = frame.filter(pl.col("variable") == variable)
        values = np.zeros(tuple(sizes[a] for a in axes))
        index = tuple(np.array([position[_COLUMNS[a]][key] for key in rows[_COLUMNS[a]]]) for a in axes)
        values[index] = rows["value"].to_numpy()
        arrays[variable] = values
    china = frame.filter(pl.col("variable") == "china")["region"][0]
    scalar = lambda variable: float(frame.filter(pl.col("variable") == variable)["value"][0])  # noqa: E731
    parameters = ModelParameters(
        omega=arrays.pop("omega"), eps=arrays.pop("eps"), theta=arrays.pop("theta"), kappa=scalar("kappa")
    )
    return Baseline(
        regions=regions,
        sectors=sectors,
        china=regions.index(china),
        parameters=parameters,
        clipped_final_cells=int(scalar("clipped_final_cells")),
        clipped_final_value=scalar("clipped_final_value"),
        **arrays,
    )
