"""One DuckDB file, one user at a time, across processes.

DuckDB lets one process write a database file, and a process that holds it open for writing
locks every other process out, readers included. Dagster's ``duckdb`` pool serialises the steps
of one instance, not a CLI run next to the UI's. So every opening of the project's file (a step's
read, the IO manager's write-audit-publish, a contract test, a dbt build) first takes an exclusive
``flock`` on ``<database>.lock``: a second process waits, and after ``timeout`` seconds fails with
a message naming the holder (process, host, what it is doing, since when). The kernel releases the
lock when its process dies, so a killed run never leaves the file locked.

A holder that starts a child process to work on the file (dbt) records it for as long as it runs
(:func:`child_process`). The child is tied to its holder (it is killed when the holder dies), but it
may take a moment to end and release DuckDB's own lock on the file: whoever takes the lock next
first waits for the children of a dead holder to end, so a run never fails on a lock held by a run
that is already dead.

The lock is re-entrant within a process (a write-audit-publish holds it while the contract test
opens the file again). The holder's description lives in ``<database>.lock.holder``.
:func:`connect` opens a DuckDB connection under the lock and closes it before releasing the lock,
whatever happens in between.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from filelock import FileLock, Timeout

#: Seconds a process waits for another one's hold on the database file (``REE_LOCK_TIMEOUT``).
DEFAULT_TIMEOUT_S = 900.0

_locks: dict[str, FileLock] = {}
_registry = threading.Lock()
#: database file -> the child processes this process runs on it: [{"pid": ..., "start": ...}].
_children: dict[str, list[dict[str, Any]]] = {}


class DatabaseBusyError(TimeoutError):
    """Another process held the DuckDB file for longer than the timeout."""


def lock_timeout() -> float:
    """``REE_LOCK_TIMEOUT`` seconds, or the default."""
    return float(os.environ.get("REE_LOCK_TIMEOUT", DEFAULT_TIMEOUT_S))


def _lock_for(database: str) -> FileLock:
    """The process-wide lock object of a database file (re-entrant: filelock counts holds)."""
    key = str(Path(database).resolve())
    with _registry:
        if key not in _locks:
            Path(key).parent.mkdir(parents=True, exist_ok=True)
            _locks[key] = FileLock(key + ".lock", thread_local=False)
        return _locks[key]


def holder_path(database: str) -> Path:
    """The file describing the current holder of the database lock."""
    return Path(str(Path(database).resolve()) + ".lock.holder")


def describe_holder(database: str) -> str:
    """Who holds (or last held) the lock, as its holder file says."""
    try:
        holder = json.loads(holder_path(database).read_text())
    except (OSError, ValueError):
        return "an unknown process (no holder file)"
    return f"pid {holder.get('pid')} on {holder.get('host')} ({holder.get('activity')}, since {holder.get('since')})"


def _write_holder(database: str, activity: str) -> None:
    holder = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "activity": activity,
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
        "children": _children.get(str(Path(database).resolve()), []),
    }
    path = holder_path(database)
    partial = path.with_name(path.name + f".{os.getpid()}")
    partial.write_text(json.dumps(holder))
    partial.replace(path)


@contextmanager
def database_lock(database: str, activity: str, timeout: float | None = None) -> Iterator[None]:
    """Hold the cross-process lock of ``database`` while doing ``activity`` (a few words: what
    is being done, e.g. ``"publishing raw.ree_prices"``; shown to whoever waits)."""
    lock = _lock_for(database)
    wait = lock_timeout() if timeout is None else timeout
    outermost = not lock.is_locked
    started = time.monotonic()
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        raise DatabaseBusyError(
            f"the DuckDB file {database} is in use by {describe_holder(database)}; waited "
            f"{time.monotonic() - started:.0f} s (REE_LOCK_TIMEOUT={wait:g}). Let that run finish, "
            "or stop it; a killed process releases the file by itself"
        ) from None
    previous = None if outermost else _current_activity(database)
    if outermost:
        try:
            _await_orphans(database, started + wait)
        except DatabaseBusyError:
            lock.release()
            raise
    _write_holder(database, activity)
    try:
        yield
    finally:
        if previous is not None:
            _write_holder(database, previous)
        lock.release()


@contextmanager
def child_process(database: str, pid: int) -> Iterator[None]:
    """Record, while it runs, that child process ``pid`` works on ``database`` under this
    process's hold of the lock (which must be held): if this process dies first, whoever takes
    the lock next waits for the child to end."""
    children = _children.setdefault(str(Path(database).resolve()), [])
    child = {"pid": pid, "start": _process_start(pid)}
    children.append(child)
    activity = _current_activity(database) or "running a child process"
    _write_holder(database, activity)
    try:
        yield
    finally:
        children.remove(child)
        _write_holder(database, activity)


def _proc_stat(path: Path) -> list[str] | None:
    """The fields of a ``/proc`` ``stat`` file after the command name, from the state on (Linux;
    None when the process or thread is gone)."""
    try:
        return path.read_text().rpartition(")")[2].split()
    except OSError:
        return None


def _process_start(pid: int) -> str | None:
    """When process ``pid`` started, in clock ticks since boot (Linux; None elsewhere): with the
    pid, it names one process even after the pid is reused."""
    fields = _proc_stat(Path(f"/proc/{pid}/stat"))
    return fields[19] if fields else None


def _process_alive(pid: int, start: str | None = None) -> bool:
    """Whether process ``pid`` (that started at ``start``, when known) still runs. On Linux a
    process whose threads are all zombies holds no file; one whose main thread is a zombie while
    another thread is still ending (a killed DuckDB writer) may still hold the file's lock."""
    if Path("/proc/self/task").is_dir():
        fields = _proc_stat(Path(f"/proc/{pid}/stat"))
        if fields is None or (start is not None and fields[19] != start):
            return False
        try:
            threads = [_proc_stat(task / "stat") for task in Path(f"/proc/{pid}/task").iterdir()]
        except OSError:
            return False
        return any(thread is not None and thread[0] not in ("Z", "X") for thread in threads)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _await_orphans(database: str, deadline: float) -> None:
    """Wait until the child processes that a dead holder of the lock left running have ended,
    or raise :class:`DatabaseBusyError` at ``deadline`` (``time.monotonic``)."""
    try:
        holder = json.loads(holder_path(database).read_text())
    except (OSError, ValueError):
        return
    if holder.get("pid") == os.getpid() or holder.get("host") != socket.gethostname():
        return
    for child in holder.get("children", []):
        while _process_alive(child["pid"], child.get("start")):
            if time.monotonic() > deadline:
                raise DatabaseBusyError(
                    f"the DuckDB file {database} is still open in process {child['pid']}, a child of "
                    f"{describe_holder(database)} that ended without it; stop that process"
                )
            time.sleep(0.05)


def _current_activity(database: str) -> str | None:
    try:
        return json.loads(holder_path(database).read_text()).get("activity")
    except (OSError, ValueError):
        return None


@contextmanager
def connect(
    database: str, activity: str, read_only: bool = False, config: Mapping[str, Any] | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to ``database`` (DuckDB settings ``config``), opened under its cross-process
    lock and closed, even when the caller fails, before the lock is released: a connection kept
    alive by a traceback would hold DuckDB's own lock on the file after ours is gone."""
    with database_lock(database, activity):  # the lock creates the file's folder
        con = duckdb.connect(database, read_only=read_only, config=dict(config or {}))
        try:
            yield con
        finally:
            con.close()


@contextmanager
def attached(
    database: str, activity: str, alias: str, config: Mapping[str, Any] | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB (settings ``config``) where ``database`` is attached read-only as
    ``alias``, under the file's cross-process lock like :func:`connect` (and closed, even when the
    caller fails, before the lock is released): joins too large for Python's memory read the file's
    tables there, and the in-memory database takes their temporary tables."""
    with database_lock(database, activity):
        con = duckdb.connect(":memory:", config=dict(config or {}))
        try:
            path = str(database).replace("'", "''")
            con.execute(f"ATTACH '{path}' AS {alias} (READ_ONLY)")
            yield con
        finally:
            con.close()
