"""The world input-output table the GE model is calibrated on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WorldIOTable:
    """A world input-output table in USD million, country-major ordering.

    Row ``i * J + j`` is sector ``j`` of supplier country ``i``. ``intermediate[:, n * J + k]`` is
    what sector ``k`` of country ``n`` buys; ``final[:, n * F + f]`` is final-use category ``f``
    of country ``n``. ``output`` is gross output as published (for the row identity
    output = intermediate use + final use, which holds only to the table's rounding).
    """

    countries: tuple[str, ...]
    sectors: tuple[str, ...]
    final_uses: tuple[str, ...]
    intermediate: np.ndarray
    final: np.ndarray
    output: np.ndarray

    @property
    def n_countries(self) -> int:
        return len(self.countries)

    @property
    def n_sectors(self) -> int:
        return len(self.sectors)

    def row_residuals(self) -> np.ndarray:
        """output - (intermediate use + final use), one entry per country-sector row."""
        return self.output - self.intermediate.sum(axis=1) - self.final.sum(axis=1)
