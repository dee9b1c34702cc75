"""Timing helpers shared by the benchmarks: one result row and a best-of-3 stopwatch."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Timing:
    """One line of the benchmark table; ``target`` None means report only."""

    name: str
    what: str
    seconds: float
    target: float | None = None

    @property
    def ratio(self) -> float | None:
        """seconds / target (above 1: the target is missed)."""
        return None if self.target is None else self.seconds / self.target

    @property
    def status(self) -> str:
        if self.target is None:
            return "report"
        return "ok" if self.seconds < self.target else "SLOW"


def timed(run: Callable[[], Any], repeat_below: float = 1.0, repeats: int = 3) -> tuple[float, Any]:
    """(seconds, result) of ``run()`` by time.perf_counter; a run under ``repeat_below`` seconds is
    repeated to ``repeats`` runs in all and the best kept."""
    started = time.perf_counter()
    result = run()
    best = time.perf_counter() - started
    if best < repeat_below:
        for _ in range(repeats - 1):
            started = time.perf_counter()
            result = run()
            best = min(best, time.perf_counter() - started)
    return best, result
