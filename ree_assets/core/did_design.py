"""The design of AFSV's difference-in-differences (``specs/patents_and_did.md``): estimators,
clusters, samples, the treatment and its years, apart from ``core.did``'s estimation so that the
code location declares its assets without loading the estimation's numerical stack."""

from typing import Literal

Estimator = Literal["ppml", "ols"]
#: The cluster of the SEs: the spec's unit x sector, or the sector (every unit's cell of a sector in
#: one cluster: right when the outcome shares a sector shock across units, as growth relative to
#: China does, whose every unit subtracts China's growth in the sector).
Cluster = Literal["unit_sector", "sector"]

#: The columns of the AFSV tables: pooled non-China, everyone, and single regions.
SAMPLES: tuple[str, ...] = ("NONCHN", "ALL", "USA", "EUR", "JPN", "CHN")
POOLED = ("NONCHN", "ALL")
CHINA = "CHN"
POST_YEAR, REFERENCE_YEAR = 2010, 2009
TREATMENT = "sensitivity_x_post"
