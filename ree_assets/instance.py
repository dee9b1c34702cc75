"""The Dagster instance the project's commands use: the user's when they set ``DAGSTER_HOME``,
else the project's own, ``<project>/.dagster_home``.

Dagster reads ``DAGSTER_HOME`` from the environment when a process starts. A project's ``.env``
comes too late for that (dagster-io/dagster#10797): ``dg`` decides on usage data (the telemetry
banner, ``~/.dagster/.telemetry``, ``~/.dagster/logs/event.log``) before it reads ``.env``, and
where ``dagster`` applies ``.env`` it overrides the user's own ``DAGSTER_HOME``. So ``make setup``
installs a start-up hook in the project's venv (``ree_assets_instance.pth``, which Python runs at
every start of ``.venv/bin/python``, ``dg`` and ``dagster``): a ``DAGSTER_HOME`` the user set is
kept as it is; without one, the project's instance is used, created from
``dagster_home/dagster.yaml`` (the ``duckdb`` concurrency pool, telemetry off) when it is missing.

This module imports nothing of the project (Python runs it before anything else).
"""

import os
import shutil
import sysconfig
import warnings
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
#: The project's instance settings, copied into an instance the project creates.
SETTINGS = Path("dagster_home") / "dagster.yaml"
#: The start-up hook: a ``.pth`` file in the venv's site-packages (an ``import`` line runs at start).
HOOK_NAME = "ree_assets_instance.pth"
HOOK_LINE = "import ree_assets.instance; ree_assets.instance.default_to_project_instance()\n"


def project_home(root: Path = PROJECT_ROOT) -> Path:
    """The project's own instance: ``<root>/.dagster_home``."""
    return root / ".dagster_home"


def ensure_project_home(root: Path = PROJECT_ROOT) -> Path:
    """The project's instance, created with the project's settings when it (or its
    ``dagster.yaml``) is missing: a fresh checkout, or a deleted folder."""
    home = project_home(root)
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(root / SETTINGS, home / "dagster.yaml")
    return home


def default_to_project_instance(root: Path = PROJECT_ROOT) -> None:
    """The start-up hook: ``DAGSTER_HOME`` is the project's instance unless the user set one."""
    if not os.environ.get("DAGSTER_HOME"):
        os.environ["DAGSTER_HOME"] = str(ensure_project_home(root))


def instance_home(root: Path = PROJECT_ROOT) -> Path:
    """The instance a run of the project records into: the user's ``DAGSTER_HOME`` (which must
    exist, as Dagster requires; ``warn_if_foreign``), else the project's, created when missing."""
    if not os.environ.get("DAGSTER_HOME"):
        return ensure_project_home(root)
    home = Path(os.environ["DAGSTER_HOME"]).expanduser()
    if not home.is_dir():
        raise SystemExit(
            f"DAGSTER_HOME={home} does not exist: create it (mkdir -p {home}) to record the runs there, "
            f"or unset DAGSTER_HOME to use the project's instance {project_home(root)}"
        )
    warn_if_foreign(root)
    return home


def warn_if_foreign(root: Path = PROJECT_ROOT) -> None:
    """A warning when ``DAGSTER_HOME`` is an existing instance that is not the project's and lacks
    its concurrency pool (``foreign_instance_warning``); the code location and the CLI call it."""
    home = os.environ.get("DAGSTER_HOME")
    message = home and Path(home).expanduser().is_dir() and foreign_instance_warning(Path(home).expanduser(), root)
    if message:
        warnings.warn(message, UserWarning, stacklevel=2)


def foreign_instance_warning(home: Path, root: Path = PROJECT_ROOT) -> str | None:
    """Why an instance other than the project's may run DuckDB steps side by side, or ``None``:
    the project's ``dagster.yaml`` limits every concurrency pool (the ``duckdb`` pool of the
    steps that open the database) to one step at a time, and ``home``'s does not."""
    import yaml

    if home.resolve() == project_home(root).resolve():
        return None
    settings = home / "dagster.yaml"
    config = (yaml.safe_load(settings.read_text(encoding="utf-8")) if settings.exists() else None) or {}
    if ((config.get("concurrency") or {}).get("pools") or {}).get("default_limit") == 1:
        return None
    return (
        f"DAGSTER_HOME={home} is your instance, not the project's: runs are recorded there. Its "
        "dagster.yaml does not limit the `duckdb` concurrency pool to 1, so a multiprocess run may start "
        "several DuckDB steps at once (they wait for each other on the database's file lock); the "
        f"project's settings are in {root / SETTINGS}"
    )


def install_startup_hook(site_packages: Path) -> Path:
    """Write the start-up hook into a venv's ``site_packages``; returns its path."""
    hook = site_packages / HOOK_NAME
    hook.write_text(HOOK_LINE, encoding="utf-8")
    return hook


if __name__ == "__main__":  # `make setup`: the hook into the running interpreter's venv
    print(f"installed {install_startup_hook(Path(sysconfig.get_path('purelib')))}")
