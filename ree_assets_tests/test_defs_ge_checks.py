"""The ge_model group's custom asset checks, each shown passing on good input and failing on bad."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from ree_assets.core.ge.calibrate import baseline_identity_errors
from ree_assets.defs.ge_model import BASELINE_IDENTITY_TOLERANCE, SOLVER_AGREEMENT, baseline_check, solver_check
from ree_assets_tests.test_core_ge_model import small_baseline


@pytest.fixture(scope="module")
def baseline():
    return small_baseline()


def test_baseline_identities_pass_on_the_calibrated_baseline(baseline):
    assert baseline_check(baseline).passed
    assert max(baseline_identity_errors(baseline).values()) < 1e-15


def _shift_labour_income(baseline, amount: float):
    """Move labour income from region 1 to region 0 and redefine the deficits from it, D = I - wL - R:
    the deficits still sum to zero and match their definition, but no longer the trade balance."""
    labour_income = baseline.labour_income + amount * np.array([1.0, -1.0, 0.0, 0.0])
    return replace(
        baseline, labour_income=labour_income, deficit=baseline.income - labour_income - baseline.ree_endowment
    )


@pytest.mark.parametrize(
    "corrupt, identity",
    [
        (lambda b: replace(b, pi=b.pi * 1.01), "trade_shares"),
        (lambda b: replace(b, alpha=b.alpha * 1.01), "final_shares"),
        (lambda b: replace(b, beta=b.beta * 1.01), "cost_shares"),
        (lambda b: replace(b, Y=b.Y * 1.01), "market_clearing"),
        (lambda b: replace(b, deficit=b.deficit + 1.0), "deficits"),
        (lambda b: _shift_labour_income(b, 5.0), "deficits"),
    ],
)
def test_baseline_identities_fail_on_a_corrupted_baseline(baseline, corrupt, identity):
    bad = corrupt(baseline)
    errors = baseline_identity_errors(bad)
    assert errors[identity] > BASELINE_IDENTITY_TOLERANCE
    assert not baseline_check(bad).passed


def test_shifted_labour_income_keeps_the_definitional_deficit_identities(baseline):
    bad = _shift_labour_income(baseline, 5.0)
    assert abs(bad.deficit.sum()) < 1e-9
    np.testing.assert_allclose(bad.deficit, bad.income - bad.labour_income - bad.ree_endowment)


def test_solvers_agree_passes_and_fails():
    assert solver_check([1e-12, 5e-9], [True, True], 1e-11).passed
    assert not solver_check([1e-12, 2 * SOLVER_AGREEMENT], [True, True], 1e-11).passed  # solvers disagree
    assert not solver_check([1e-12, 1e-12], [True, False], 1e-11).passed  # a solution misses tol
    assert solver_check([1e-12], [False], 1e-11).metadata["solutions_within_tolerance"].value == "0 of 1"
