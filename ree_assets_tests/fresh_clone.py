"""A copy of the project as a fresh clone is after ``make setup``, for tests that run its commands
in subprocesses: no data, no instance, no caches; a ``.venv`` of this Python that sees this
environment's packages, has their console scripts (``dg``, ``dagster``, ...), the dbt environment
(``.venv/dbt``) and the project's start-up hook (``ree_assets.instance``, what ``make setup``
installs); the project's modules are compiled, as ``make setup`` compiles them."""

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: What a fresh clone does not have (environment, data, instance, caches).
NOT_COPIED = (".git", ".venv", "data", ".dagster_home*", "__pycache__", "*_cache", "logs", "*.duckdb*")
#: Variables of this process that would point a command elsewhere than the copy.
FOREIGN = ("DAGSTER_HOME", "REE_DUCKDB_PATH", "VIRTUAL_ENV", "REE_SOURCE", "REE_DATA_DIR", "PYTHONPATH")


def fresh_clone(destination: Path) -> Path:
    """The project copied to ``destination`` with its ``.venv`` set up; returns ``destination``."""
    shutil.copytree(ROOT, destination, ignore=shutil.ignore_patterns(*NOT_COPIED))
    environment = destination / ".venv"
    venv.EnvBuilder(symlinks=True).create(environment)
    site_packages = Path(sysconfig.get_path("purelib", vars={"base": environment, "platbase": environment}))
    # Processed before the hook (site reads .pth files in name order): this environment's packages.
    (site_packages / "00_environment.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_path('purelib')!r})\n", encoding="utf-8"
    )
    ours = os.path.realpath(Path(sys.prefix))
    for script in sorted(Path(sys.prefix, "bin").iterdir()):
        target = environment / "bin" / script.name
        if target.exists() or not script.is_file():
            continue
        first, _, rest = script.read_bytes().partition(b"\n")
        if first.startswith(b"#!") and os.path.realpath(Path(first[2:].decode()).parent.parent) == ours:
            target.write_bytes(b"#!" + str(environment / "bin" / "python").encode() + b"\n" + rest)
            target.chmod(0o755)
    (environment / "dbt").symlink_to(ROOT / ".venv" / "dbt")  # the dbt environment make setup made
    python = environment / "bin" / "python"
    subprocess.run([python, "-m", "compileall", "-q", "ree_assets"], cwd=destination, check=True)  # as make setup
    hook = [python, "-m", "ree_assets.instance"]  # the Makefile's step
    # An instance for this one step (the settings folder): a start-up hook already installed in
    # this environment would otherwise create the copy's .dagster_home, which a fresh clone lacks.
    subprocess.run(hook, env=clone_env(destination, DAGSTER_HOME=str(destination / "dagster_home")), check=True)
    return destination


def clone_env(clone: Path, **extra: str) -> dict[str, str]:
    """This process's environment for a command run in ``clone`` (the copy's package first), with
    ``extra`` on top."""
    env = {key: value for key, value in os.environ.items() if key not in FOREIGN}
    return {**env, "PYTHONPATH": str(clone), "PWD": str(clone), **extra}
