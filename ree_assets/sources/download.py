"""Downloads into the cache of ``download`` mode: fetched to a temporary file, verified, then moved.

A file enters the cache only whole and verified:

1. it is streamed into a temporary file next to its cache path under two limits: a whole-file
   deadline (``deadline_s``: a server that drips bytes fails when it passes) and a stall limit
   (``stall_s``: no byte received for that long, connecting included, fails at once);
2. the body must have the length the server declared (``Content-Length``) and must not be served
   as ``text/html``;
3. its content must pass :func:`ree_assets.sources.files.check_content` (the format's structure,
   the expected CSV columns, the SHA-256 listed in the layout if any);
4. only then is it renamed onto its cache path (``os.replace``: atomic on one file system).

A file already in the cache is checked the same way (without the HTTP part) before use; one that
fails, e.g. left by an older version, is deleted and fetched again with a
:class:`~ree_assets.errors.SourceNote`. Every failure is a :class:`~ree_assets.errors.DownloadError`
naming the URL, the cache path and the table, and leaves nothing in the cache.
"""

from __future__ import annotations

import http.client
import os
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterable
from pathlib import Path

from ree_assets.errors import DownloadError, SourceFormatError, SourceNote
from ree_assets.sources.files import check_content

#: Time allowed for one whole file, seconds (``DataSource.download_deadline_s``).
DEFAULT_DEADLINE_S = 600.0
#: Longest time without receiving a byte (connecting included), seconds (``DataSource.download_stall_s``).
DEFAULT_STALL_S = 60.0
_CHUNK = 1 << 16


def _stream(url: str, out, deadline_s: float, stall_s: float) -> None:
    """Copy the body at ``url`` into ``out``; raise DownloadError-ready messages as ValueError."""
    start, received = time.monotonic(), 0
    try:
        with urllib.request.urlopen(url, timeout=min(deadline_s, stall_s)) as response:
            if response.headers.get_content_type() == "text/html":
                raise ValueError("the server answered with an HTML page (Content-Type text/html), not the file")
            declared = response.headers.get("Content-Length")
            while chunk := response.read1(_CHUNK):
                out.write(chunk)
                received += len(chunk)
                if time.monotonic() - start > deadline_s:
                    raise ValueError(
                        f"not complete within the deadline of {deadline_s:g} s ({received} bytes received; "
                        "raise download_deadline_s, env REE_DOWNLOAD_DEADLINE_S, for a larger file)"
                    )
            if declared is not None and received != int(declared):
                raise ValueError(f"truncated body: {received} of the {declared} bytes declared by Content-Length")
    except TimeoutError as error:
        waited = min(deadline_s, stall_s)
        limit = (
            "the deadline of" if deadline_s < stall_s else "the stall limit download_stall_s (REE_DOWNLOAD_STALL_S) of"
        )
        raise ValueError(
            f"stalled: no byte received for {waited:g} s, {limit} {waited:g} s ({received} bytes received)"
        ) from error


def _what_failed(error: SourceFormatError) -> str:
    """The rule a file broke, its line if known, and the detail."""
    line = f" on line {error.line}" if error.line is not None else ""
    return f"{error.rule}{line}: {error.detail}" if error.detail else f"{error.rule}{line}"


def fetch(
    url: str,
    destination: Path,
    table: str,
    *,
    columns: Iterable[str] = (),
    sha256: str | None = None,
    deadline_s: float = DEFAULT_DEADLINE_S,
    stall_s: float = DEFAULT_STALL_S,
) -> Path:
    """Download ``url`` to ``destination``, verified (see the module docstring) and atomically,
    within ``deadline_s`` for the whole file and never ``stall_s`` without a byte.

    Raises DownloadError naming the URL, ``destination`` and ``table``; nothing is left behind.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".part", dir=destination.parent)
    partial = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            _stream(url, out, deadline_s, stall_s)
        check_content(partial, table, suffix=destination.suffix, columns=columns, sha256=sha256)
        partial.replace(destination)
    except urllib.error.HTTPError as error:
        raise DownloadError(table, url, destination, f"HTTP {error.code} {error.reason}") from error
    except (urllib.error.URLError, TimeoutError, http.client.HTTPException, ConnectionError) as error:
        raise DownloadError(table, url, destination, f"{type(error).__name__}: {error}") from error
    except ValueError as error:  # what _stream rejected, and SourceFormatError from the content check
        reason = _what_failed(error) if isinstance(error, SourceFormatError) else str(error)
        raise DownloadError(table, url, destination, reason) from error
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
    deadline_s: float = DEFAULT_DEADLINE_S,
    stall_s: float = DEFAULT_STALL_S,
) -> Path:
    """``cached`` if it passes verification; otherwise (absent, or bad: then deleted with a
    :class:`SourceNote`) the file fetched from ``url`` into it."""
    if cached.is_file():
        try:
            check_content(cached, table, columns=columns, sha256=sha256)
            return cached
        except SourceFormatError as error:
            warnings.warn(
                SourceNote(
                    f"{cached}: the cached file for table {table!r} fails verification "
                    f"({_what_failed(error)}); deleted and fetched again from {url}"
                ),
                stacklevel=2,
            )
            cached.unlink()
    return fetch(url, cached, table, columns=columns, sha256=sha256, deadline_s=deadline_s, stall_s=stall_s)
