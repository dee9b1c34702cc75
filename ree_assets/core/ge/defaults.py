"""The GE model's default parameters (``specs/ge_model.md``), apart from the calibration so that the
code location declares its configs without loading the numerical stack."""

DEFAULT_ENDOWMENT_SHARES: dict[str, float] = {"CHN": 0.97, "ROW": 0.03}
"""Shares of world REE endowment (USGS 2009 mine production: China about 97%, the rest ROW)."""

DEFAULT_THETA = 4.0
DEFAULT_KAPPA = 0.5
