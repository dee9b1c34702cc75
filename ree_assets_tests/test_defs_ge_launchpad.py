"""What the launchpad pre-fills for the GE counterfactuals: kappa 0 for the exogenous-technology
model (and nothing else accepted there), the default innovation elasticity for the endogenous one."""

import pytest
from pydantic import ValidationError

from ree_assets.core.ge.calibrate import DEFAULT_KAPPA
from ree_assets.defs import ge_model


def _default(asset, field: str):
    return asset.op.config_schema.config_type.fields[field].default_value


def test_the_exogenous_model_prefills_kappa_zero():
    assert _default(ge_model.ge_counterfactual_exogenous, "kappa") == 0.0
    assert _default(ge_model.ge_counterfactual_endogenous, "kappa") == DEFAULT_KAPPA > 0
    for field in ("tax_rate", "quota_fraction"):
        assert _default(ge_model.ge_counterfactual_exogenous, field) == _default(
            ge_model.ge_counterfactual_endogenous, field
        )


def test_the_exogenous_model_refuses_another_kappa():
    with pytest.raises(ValidationError, match="kappa"):
        ge_model.ExogenousCounterfactualConfig(kappa=DEFAULT_KAPPA)
    with pytest.raises(ValidationError, match="kappa"):
        ge_model.CounterfactualConfig(kappa=0.0)
