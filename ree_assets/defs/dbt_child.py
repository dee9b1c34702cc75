#!/usr/bin/env python3
"""dbt, tied to the run that starts it: ``defs/dbt.py`` gives this file to dagster-dbt as its dbt
executable. On Linux it asks the kernel to kill it (SIGKILL) when the thread that started it ends
(``prctl(PR_SET_PDEATHSIG)``), gives up if that parent (``REE_DBT_PARENT``) is already gone, then
becomes the real dbt (``REE_DBT_EXECUTABLE``) by ``exec``: the same process, which keeps the death
signal. So a ``kill -9`` of a run leaves no dbt behind to publish models or to hold the DuckDB file.

Standard library only: it runs under whichever ``python3`` the PATH holds, before dbt's own.
"""

import ctypes
import os
import signal
import sys

#: ``PR_SET_PDEATHSIG`` of ``<linux/prctl.h>``.
PR_SET_PDEATHSIG = 1


def main(argv: list[str]) -> None:
    """Arm the parent-death signal, check the parent lives, and run dbt with ``argv``."""
    dbt = os.environ.get("REE_DBT_EXECUTABLE", "dbt")
    parent = os.environ.get("REE_DBT_PARENT")
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if parent is not None and os.getppid() != int(parent):
        sys.exit(f"dbt not started: the run that launched it (pid {parent}) has ended")
    os.execvp(dbt, [dbt, *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
