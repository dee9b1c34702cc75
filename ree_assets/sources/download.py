"""Downloads into the cache of ``download`` mode: fetched to a partial file, verified, then moved.

A file enters the cache only whole and verified:

1. it is streamed into ``.<name>.part`` next to its cache path under two limits: a whole-file
   deadline (``deadline_s``, all attempts together: a server that drips bytes fails when it
   passes) and a stall limit (``stall_s``: no byte received for that long, connecting included,
   fails at once);
2. the body must have the length the server declared (``Content-Length``) and must not be served
   as ``text/html``;
3. its content must pass :func:`ree_assets.sources.files.check_content` (the format's structure,
   the expected CSV columns, a zip's CRCs and the member it must hold, the SHA-256 listed if any);
4. only then is it renamed onto its cache path (``os.replace``: atomic on one file system).

Transient failures are retried (:class:`Retry`): a connection dropped mid-file is continued at
once from the bytes already received with an HTTP ``Range`` request (a server that answers 200
instead of 206 sends the file again from its start); HTTP 429 waits for ``Retry-After`` (seconds
or a date), HTTP 5xx and refused connections wait ``backoff_s * 2**k``. At most
``max_concurrent`` requests per publisher run at once (:func:`publisher_slot`). Progress (bytes,
total, rate) goes to a callback: :func:`tqdm_progress` on the command line,
:func:`log_progress` at intervals in the Dagster log.

Across runs: a download that is interrupted (its attempts spent on dropped connections, the
deadline or the stall limit passed, the process killed) keeps its ``.part`` file in the cache,
with ``.<name>.part.json`` recording the validator of the file it holds the start of (the
``ETag``, else ``Last-Modified``) and its length. The next run continues it with ``Range`` and
``If-Range``; it starts again from zero when the server ignores the Range (answers 200), when the
validator or the length it serves differs (the publisher changed the file), or when the record is
missing. A file whose content fails its check, or that the server refuses (4xx), leaves nothing.

A file already in the cache is checked the same way (without the HTTP part) before use, once: the
check passed is recorded in ``.<name>.verified.json`` (size, modification time, SHA-256, the
server's validator, the checks passed) and a later use of the unchanged file (same size and
modification time) reads the record instead of checking a multi-GB zip's CRCs again. One that
fails, e.g. left by an older version, is deleted and fetched again with a
:class:`~ree_assets.errors.SourceNote`. Every failure is a :class:`~ree_assets.errors.DownloadError`
naming the URL, the cache path, the table and the rule.
"""

from __future__ import annotations

import contextlib
import email.utils
import http.client
import json
import threading
import time
import urllib.error
import urllib.request
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ree_assets.errors import DownloadError, SourceFormatError, SourceNote
from ree_assets.sources.files import check_content, sha256_of

#: Time allowed for one whole file, seconds (``DataSource.download_deadline_s``).
DEFAULT_DEADLINE_S = 600.0
#: Longest time without receiving a byte (connecting included), seconds (``DataSource.download_stall_s``).
DEFAULT_STALL_S = 60.0
#: Requests at once to one publisher (``DataSource.download_concurrency``).
DEFAULT_CONCURRENCY = 2
_CHUNK = 1 << 16
#: (bytes received so far, total bytes or None, bytes per second).
Progress = Callable[[int, int | None, float], None]


@dataclass(frozen=True)
class Retry:
    """How often a transient failure is retried: ``attempts`` in all; 5xx and refused
    connections wait ``backoff_s * 2**k`` (k = 0, 1, ...), 429 its ``Retry-After`` (else the
    same backoff), each wait at most ``max_wait_s``; a dropped connection that delivered bytes
    is continued at once."""

    attempts: int = 5
    backoff_s: float = 1.0
    max_wait_s: float = 300.0


class NotPublished(DownloadError):
    """The publisher has no file at the address (HTTP 404 or 410): a USPTO week without an issue,
    a file the registry names that moved."""


class _Refused(ValueError):
    """An HTTP error another attempt will not cure, with its status."""

    def __init__(self, reason: str, status: int):
        super().__init__(reason)
        self.status = status


class _Interrupted(ValueError):
    """A download cut short with its partial file worth continuing by a later run."""


class _Restart(Exception):
    """The partial file does not continue the file served now: it is discarded and the same
    attempt fetches the file from its start."""


class _Transient(Exception):
    """A failure worth another attempt, after ``wait`` seconds (None: the backoff); ``received``:
    the bytes the failed attempt delivered."""

    def __init__(self, reason: str, wait: float | None = None, received: int = 0):
        super().__init__(reason)
        self.wait, self.received = wait, received


_SLOTS: dict[str, threading.BoundedSemaphore] = {}
_SLOTS_LOCK = threading.Lock()


@contextlib.contextmanager
def publisher_slot(publisher: str, max_concurrent: int) -> Iterator[None]:
    """Hold one of ``max_concurrent`` request slots of ``publisher`` (shared by every thread of
    the process; the first caller's limit sets the pool)."""
    with _SLOTS_LOCK:
        slot = _SLOTS.setdefault(publisher, threading.BoundedSemaphore(max(1, max_concurrent)))
    with slot:
        yield


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date; None if absent
    or unreadable."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None


def _request(url: str, start: int, headers: Mapping[str, str], record: dict | None) -> urllib.request.Request:
    """A GET of ``url``, from byte ``start`` when continuing a partial file (``Range``), only if the
    file is still the one the partial file began (``If-Range`` with its strong validator)."""
    ranged = {"Range": f"bytes={start}-"} if start else {}
    validator = (record or {}).get("validator")
    if start and validator and not validator.startswith("W/"):
        ranged["If-Range"] = validator
    return urllib.request.Request(url, headers={**headers, **ranged})


def _validator(response) -> str | None:
    """What identifies the version of the file served: its ``ETag``, else ``Last-Modified``."""
    return response.headers.get("ETag") or response.headers.get("Last-Modified")


def _same_file(record: dict | None, response) -> bool:
    """Whether a 206 answer continues the file the partial download began: the same validator and
    the same total length, each where both sides know it."""
    record = record or {}
    served = _validator(response)
    content_range = response.headers.get("Content-Range") or ""
    total = content_range.rpartition("/")[2]
    same_version = not (record.get("validator") and served) or record["validator"] == served
    same_length = not (record.get("total") and total.isdigit()) or int(total) == record["total"]
    return same_version and same_length


def _part_json(partial: Path) -> Path:
    return partial.with_name(f"{partial.name}.json")


def verified_json(cached: Path) -> Path:
    """The record of the checks ``cached`` passed: ``.<name>.verified.json`` beside it."""
    return cached.with_name(f".{cached.name}.verified.json")


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data), "utf-8")


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def _part_record(partial: Path) -> dict | None:
    """The record of a partial file (None when either is absent: it cannot be continued)."""
    return _read_json(_part_json(partial)) if partial.exists() else None


def _discard(partial: Path) -> None:
    """Delete a partial file and its record."""
    partial.unlink(missing_ok=True)
    _part_json(partial).unlink(missing_ok=True)


def _check_key(columns: Iterable[str], sha256: str | None, member: str | None) -> str:
    """The name of one content check (its columns, digest and member) in a verified record."""
    return json.dumps([sorted(columns), sha256, member])


def _record_verified(cached: Path, check: str, validator: str | None = None) -> None:
    """Record that ``cached`` as it is now (size, modification time, SHA-256) passed ``check``."""
    stat, record = cached.stat(), _read_json(verified_json(cached)) or {}
    unchanged = record.get("size") == stat.st_size and record.get("mtime_ns") == stat.st_mtime_ns
    _write_json(
        verified_json(cached),
        {
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "sha256": record["sha256"] if unchanged and "sha256" in record else sha256_of(cached),
            "validator": validator or (record.get("validator") if unchanged else None),
            "checks": sorted({*(record.get("checks", []) if unchanged else []), check}),
        },
    )


def _verified_before(cached: Path, check: str) -> bool:
    """Whether ``cached``, unchanged since (same size and modification time), passed ``check``."""
    record, stat = _read_json(verified_json(cached)), cached.stat()
    return (
        record is not None
        and record.get("size") == stat.st_size
        and record.get("mtime_ns") == stat.st_mtime_ns
        and check in record.get("checks", [])
    )


def _stream(
    url: str,
    partial: Path,
    headers: Mapping[str, str],
    deadline_at: float,
    deadline_s: float,
    stall_s: float,
    progress: Progress | None,
) -> None:
    """One attempt: continue ``partial`` from its size (a Range request), or write it anew when
    the server sends the whole file. Raises _Transient for what another attempt may cure and
    ValueError (the DownloadError reason) for what it may not."""
    record = _part_record(partial)
    start = partial.stat().st_size if partial.exists() and record is not None else 0
    began, received = time.monotonic(), 0
    try:
        with urllib.request.urlopen(
            _request(url, start, headers, record), timeout=min(deadline_s, stall_s)
        ) as response:
            if response.headers.get_content_type() == "text/html":
                raise ValueError("the server answered with an HTML page (Content-Type text/html), not the file")
            resumed = start > 0 and response.status == 206
            if resumed and not _same_file(record, response):
                _discard(partial)
                raise _Restart("the file changed on the server since the partial download began")
            offset = start if resumed else 0
            declared = response.headers.get("Content-Length")
            total = offset + int(declared) if declared is not None else None
            if not resumed:
                _write_json(_part_json(partial), {"validator": _validator(response), "total": total})
            with open(partial, "ab" if resumed else "wb") as out:
                while chunk := response.read1(_CHUNK):
                    out.write(chunk)
                    received += len(chunk)
                    if progress is not None:
                        progress(offset + received, total, received / max(time.monotonic() - began, 1e-6))
                    if time.monotonic() > deadline_at:
                        raise _Interrupted(
                            f"not complete within the deadline of {deadline_s:g} s ({offset + received} bytes "
                            "received; raise download_deadline_s, env REE_DOWNLOAD_DEADLINE_S, for a larger file)"
                        )
            if total is not None and offset + received != total:
                raise _Transient(
                    f"truncated body: {offset + received} of the {total} bytes declared by Content-Length",
                    received=received,
                )
    except urllib.error.HTTPError as error:
        if error.code == 429:
            wait = retry_after(error.headers.get("Retry-After"), time.time())
            raise _Transient("HTTP 429 Too Many Requests", wait) from error
        if error.code == 416 and start:  # the partial file is not a prefix of the file served now
            _discard(partial)
            raise _Restart("HTTP 416: the partial file does not fit the file served") from error
        if error.code >= 500:
            raise _Transient(f"HTTP {error.code} {error.reason}") from error
        raise _Refused(f"HTTP {error.code} {error.reason}", error.code) from error
    except TimeoutError as error:
        waited = min(deadline_s, stall_s)
        limit = (
            "the deadline of" if deadline_s < stall_s else "the stall limit download_stall_s (REE_DOWNLOAD_STALL_S) of"
        )
        raise _Interrupted(
            f"stalled: no byte received for {waited:g} s, {limit} {waited:g} s ({start + received} bytes received)"
        ) from error
    except (http.client.HTTPException, ConnectionResetError, ConnectionAbortedError) as error:
        reason = f"connection dropped after {start + received} bytes ({type(error).__name__})"
        raise _Transient(reason, received=received) from error
    except (urllib.error.URLError, ConnectionRefusedError) as error:
        raise _Transient(f"{type(error).__name__}: {error}") from error


def _what_failed(error: SourceFormatError) -> str:
    """The rule a file broke, its line if known, and the detail."""
    line = f" on line {error.line}" if error.line is not None else ""
    return f"{error.rule}{line}: {error.detail}" if error.detail else f"{error.rule}{line}"


def _download(
    url: str,
    partial: Path,
    headers: Mapping[str, str],
    deadline_s: float,
    stall_s: float,
    retry: Retry,
    progress: Progress | None,
) -> None:
    """Attempts of :func:`_stream` until the file is whole, the attempts run out (the last reason
    as ValueError) or a wait would pass the deadline."""
    deadline_at = time.monotonic() + deadline_s
    backoff = 0
    for attempt in range(1, retry.attempts + 1):
        try:
            try:
                _stream(url, partial, headers, deadline_at, deadline_s, stall_s, progress)
            except _Restart:  # from zero, within the same attempt
                _stream(url, partial, headers, deadline_at, deadline_s, stall_s, progress)
            return
        except _Transient as failure:
            if attempt == retry.attempts:
                raise _Interrupted(f"{failure} (after {attempt} attempts)") from failure
            if failure.received and failure.wait is None:
                continue  # a dropped connection that delivered bytes: continue at once with Range
            wait = min(failure.wait if failure.wait is not None else retry.backoff_s * 2**backoff, retry.max_wait_s)
            backoff += failure.wait is None
            if time.monotonic() + wait > deadline_at:
                raise _Interrupted(
                    f"{failure}; waiting {wait:g} s more would pass the deadline of {deadline_s:g} s"
                ) from failure
            time.sleep(wait)


def fetch(
    url: str,
    destination: Path,
    table: str,
    *,
    columns: Iterable[str] = (),
    sha256: str | None = None,
    member: str | None = None,
    deadline_s: float = DEFAULT_DEADLINE_S,
    stall_s: float = DEFAULT_STALL_S,
    retry: Retry = Retry(),
    headers: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> Path:
    """Download ``url`` to ``destination``, verified (see the module docstring) and atomically,
    within ``deadline_s`` for the whole file and never ``stall_s`` without a byte; a zip must
    hold ``member`` when given.

    Raises DownloadError naming the URL, ``destination``, ``table`` and the rule; nothing is left
    behind.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.part")
    try:
        _download(url, partial, headers or {}, deadline_s, stall_s, retry, progress)
        check_content(partial, table, suffix=destination.suffix, columns=columns, sha256=sha256, member=member)
        validator = (_part_record(partial) or {}).get("validator")
        partial.replace(destination)
        _record_verified(destination, _check_key(columns, sha256, member), validator)
    except _Interrupted as error:  # the bytes received are kept for the next run
        kept = partial.stat().st_size if partial.exists() else 0
        reason = f"{error}; the {kept} bytes received are kept in {partial} and continued by the next run"
        raise DownloadError(table, url, destination, reason) from error
    except ValueError as error:  # what _download rejected, and SourceFormatError from the content check
        _discard(partial)
        reason = _what_failed(error) if isinstance(error, SourceFormatError) else str(error)
        missing = isinstance(error, _Refused) and error.status in (404, 410)
        raise (NotPublished if missing else DownloadError)(table, url, destination, reason) from error
    _part_json(partial).unlink(missing_ok=True)
    return destination


def extract_member(archive: Path, member: str, destination: Path, table: str) -> Path:
    """Copy ``member`` of the zip ``archive`` (streamed, nothing else unpacked) to
    ``destination``, atomically; raises SourceFormatError naming the archive when it lacks it."""
    partial = destination.with_name(f".{destination.name}.part")
    try:
        with zipfile.ZipFile(archive) as zipped, zipped.open(member) as stream, open(partial, "wb") as out:
            while chunk := stream.read(_CHUNK):
                out.write(chunk)
        check_content(partial, table, suffix=destination.suffix)
        partial.replace(destination)
    except KeyError as error:
        with zipfile.ZipFile(archive) as zipped:
            held = zipped.namelist()[:10]
        raise SourceFormatError(
            table, "the archive holds the member", file=archive, detail=f"no {member!r}; it holds {held}"
        ) from error
    finally:
        partial.unlink(missing_ok=True)
    return destination


def cached_or_fetched(
    url: str,
    cached: Path,
    table: str,
    *,
    columns: Iterable[str] = (),
    sha256: str | None = None,
    member: str | None = None,
    deadline_s: float = DEFAULT_DEADLINE_S,
    stall_s: float = DEFAULT_STALL_S,
    retry: Retry = Retry(),
    headers: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> Path:
    """``cached`` if it passes verification; otherwise (absent, or bad: then deleted with a
    :class:`SourceNote`) the file fetched from ``url`` into it."""
    if is_cached(cached, table, columns=columns, sha256=sha256, member=member, refetched_from=url):
        return cached
    return fetch(
        url,
        cached,
        table,
        columns=columns,
        sha256=sha256,
        member=member,
        deadline_s=deadline_s,
        stall_s=stall_s,
        retry=retry,
        headers=headers,
        progress=progress,
    )


def is_cached(
    cached: Path,
    table: str,
    *,
    columns: Iterable[str] = (),
    sha256: str | None = None,
    member: str | None = None,
    refetched_from: str = "",
) -> bool:
    """Whether ``cached`` is present and passes verification; a bad one is deleted with a
    :class:`SourceNote` saying it will be fetched again from ``refetched_from``."""
    if not cached.is_file():
        return False
    check = _check_key(columns, sha256, member)
    if _verified_before(cached, check):
        return True
    try:
        check_content(cached, table, columns=columns, sha256=sha256, member=member)
        _record_verified(cached, check)
        return True
    except SourceFormatError as error:
        warnings.warn(
            SourceNote(
                f"{cached}: the cached file for table {table!r} fails verification "
                f"({_what_failed(error)}); deleted and fetched again from {refetched_from}"
            ),
            stacklevel=3,
        )
        cached.unlink()
        verified_json(cached).unlink(missing_ok=True)
        return False


def read_reporting(response, progress: Progress | None) -> bytes:
    """The whole body of an HTTP ``response``, read in chunks, each reported to ``progress``
    (bytes received, ``Content-Length`` or None, bytes per second): an API answer held in memory."""
    declared = response.headers.get("Content-Length")
    total = int(declared) if declared is not None else None
    began, chunks, received = time.monotonic(), [], 0
    while chunk := response.read1(_CHUNK):
        chunks.append(chunk)
        received += len(chunk)
        if progress is not None:
            progress(received, total, received / max(time.monotonic() - began, 1e-6))
    return b"".join(chunks)


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.1f} GiB"


def log_progress(log: Callable[[str], None], label: str, interval_s: float = 10.0) -> Progress:
    """A progress callback writing ``label: received of total (percent) at rate`` to ``log`` (e.g.
    ``context.log.info``) at most every ``interval_s`` seconds, and when the total is reached."""
    last = [float("-inf")]

    def report(received: int, total: int | None, rate: float) -> None:
        now = time.monotonic()
        if now - last[0] < interval_s and received != total:
            return
        last[0] = now
        share = f" of {_size(total)} ({100 * received / total:.0f}%)" if total else ""
        log(f"{label}: {_size(received)}{share} at {_size(rate)}/s")

    return report


@contextlib.contextmanager
def tqdm_progress(label: str) -> Iterator[Progress]:
    """A progress callback drawing a tqdm bar (bytes, rate, time left) for the command line."""
    from tqdm import tqdm

    with tqdm(desc=label, unit="B", unit_scale=True, unit_divisor=1024, leave=False) as bar:

        def report(received: int, total: int | None, rate: float) -> None:
            if total is not None and bar.total != total:
                bar.total = total
            bar.update(received - bar.n)

        yield report
