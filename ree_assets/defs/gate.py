"""Invariants an asset computes itself are part of its audit (write-audit-publish): the asset
yields their check results first, and hands its outputs to the IO manager only when every
ERROR-severity check passed. A version that breaks an invariant is never stored."""

from collections.abc import Iterable, Iterator, Sequence

import dagster as dg


def publish_if_invariants_hold(outputs: Iterable[dg.Output], checks: Sequence[dg.AssetCheckResult]) -> Iterator:
    """The checks, then the outputs; or, if an ERROR check failed, the checks and a failure
    naming each broken invariant (the stored tables keep their previous rows)."""
    yield from checks
    broken = [c for c in checks if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR]
    if broken:
        details = "; ".join(
            f"{c.check_name or 'invariant'} on {c.asset_key.to_user_string() if c.asset_key else 'the asset'}: "
            + ", ".join(f"{k}={getattr(v, 'value', v)}" for k, v in (c.metadata or {}).items())
            for c in broken
        )
        raise dg.Failure(description=f"not published: broken invariant(s) {details}")
    yield from outputs
