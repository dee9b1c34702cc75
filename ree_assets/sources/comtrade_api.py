"""UN Comtrade API v1 client: the ``trade`` pull of ``download`` mode, year by year, within the
free plan's limits, resumable across days.

The endpoint is ``data/v1/get/C/A/HS`` (final data, goods, annual, HS as reported; UN Comtrade
help centre, https://uncomtrade.org/docs/un-comtrade-api), the key the user's
``COMTRADE_API_KEY`` in the header ``Ocp-Apim-Subscription-Key``. One call is one *page*: a year
and a slice of the query (:class:`ComtradeQuery`: a chunk of the reporters, or all of them, times
a chunk of the HS6 codes), with ``flowCode=M,X``, ``partner2Code=0``, ``motCode=0``,
``customsCode=C00`` (the totals :mod:`ree_assets.sources.comtrade` keeps) and ``maxRecords``. The
v1 ``get`` has no offset parameter, so a page that comes back with ``maxRecords`` rows may be cut
short and fails, naming the page, rather than being stored incomplete.

Each page's answer is saved under ``REE_CACHE_DIR/trade/comtrade_api/<year>/<page>.json`` (named
by a hash of its parameters, so a changed query never reuses an old page) before the next call,
and a cached page is never fetched again. Calls are spaced ``60 / calls_per_minute`` seconds
apart and counted per UTC day in ``trade/comtrade_api/calls.json``. When the day's calls are
spent (the count reaches ``calls_per_day``, or the API answers HTTP 429 with its quota message)
the pull stops with :class:`QuotaExhausted`, which says what was fetched and when to resume: the
next run, after 00:00 UTC, continues with the pages not yet cached. Any other HTTP 429 (the
per-second rate) waits ``Retry-After`` and tries again.

The pages of a year, read by :func:`~ree_assets.sources.comtrade.read_api_json`, normalise to the
same canonical ``trade`` rows as a Comtrade file in ``local`` mode.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import polars as pl

from ree_assets.errors import DownloadError, SourceError, SourceUnavailableError
from ree_assets.sources.comtrade import read_api_json, to_trade
from ree_assets.sources.contracts import contract_path
from ree_assets.sources.download import Progress, read_reporting, retry_after
from ree_assets.sources.publishers import load_registry, mirrored
from ree_assets.sources.settings import SourceSettings

SOURCE = "comtrade_trade"
FOLDER = "trade/comtrade_api"
#: HS6 codes of the REE trade AFSV studies: rare-earth metals (280530), cerium compounds (284610),
#: other rare-earth compounds (284690), permanent magnets of metal (850511).
REE_HS6 = ("280530", "284610", "284690", "850511")
_TRADE = {
    "reporter": pl.String,
    "partner": pl.String,
    "flow": pl.String,
    "hs6": pl.String,
    "hs_vintage": pl.String,
    "year": pl.Int64,
    "value_usd": pl.Float64,
}


class QuotaExhausted(SourceError):
    """The day's calls are spent: what was fetched is cached; the next day's run resumes."""


@dataclass(frozen=True)
class ComtradeQuery:
    """What one year of the pull asks for, and the plan's limits (settable from the environment:
    ``REE_COMTRADE_CMD_CODES``, ``REE_COMTRADE_REPORTERS`` (M49 codes, empty: all),
    ``REE_COMTRADE_CALLS_PER_DAY``, ``REE_COMTRADE_CALLS_PER_MINUTE``,
    ``REE_COMTRADE_MAX_RECORDS``)."""

    cmd_codes: tuple[str, ...] = REE_HS6
    reporters: tuple[str, ...] = ()
    codes_per_call: int = 20
    reporters_per_call: int = 5
    max_records: int = 100_000
    calls_per_day: int = 500
    calls_per_minute: float = 10.0
    attempts: int = 5

    @classmethod
    def from_env(cls) -> ComtradeQuery:
        def codes(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
            value = os.environ.get(name)
            return default if value is None else tuple(c.strip() for c in value.split(",") if c.strip())

        return cls(
            cmd_codes=codes("REE_COMTRADE_CMD_CODES", REE_HS6),
            reporters=codes("REE_COMTRADE_REPORTERS", ()),
            max_records=int(os.environ.get("REE_COMTRADE_MAX_RECORDS", cls.max_records)),
            calls_per_day=int(os.environ.get("REE_COMTRADE_CALLS_PER_DAY", cls.calls_per_day)),
            calls_per_minute=float(os.environ.get("REE_COMTRADE_CALLS_PER_MINUTE", cls.calls_per_minute)),
        )

    def pages(self, year: int) -> list[dict[str, str]]:
        """The query parameters of each call of ``year``: reporter chunks times code chunks."""
        reporters: list[str | None] = [",".join(c) for c in _chunks(self.reporters, self.reporters_per_call)]
        return [
            {
                "period": str(year),
                **({"reporterCode": r} if r else {}),
                "cmdCode": ",".join(codes),
                "flowCode": "M,X",
                "partner2Code": "0",
                "motCode": "0",
                "customsCode": "C00",
                "maxRecords": str(self.max_records),
                "format": "JSON",
            }
            for r in reporters or [None]
            for codes in _chunks(self.cmd_codes, self.codes_per_call)
        ]


def _chunks(items: Sequence[str], size: int) -> Iterator[tuple[str, ...]]:
    for start in range(0, len(items), size):
        yield tuple(items[start : start + size])


def page_path(cache_dir: Path, year: int, params: dict[str, str]) -> Path:
    """Where the answer of one page is kept: named by a hash of its parameters."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    return cache_dir / FOLDER / str(year) / f"{digest}.json"


class _Calls:
    """The calls made today (UTC), kept in ``calls.json`` so every run of the day counts them,
    and the spacing between calls."""

    def __init__(self, path: Path, query: ComtradeQuery, now: Callable[[], dt.datetime]):
        self.path, self.query, self.now = path, query, now
        self.last = float("-inf")

    def today(self) -> int:
        try:
            state = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return 0
        return int(state["calls"]) if state.get("day") == self.now().date().isoformat() else 0

    def spend(self) -> None:
        """Wait for the spacing, then count one call."""
        wait = self.last + 60.0 / self.query.calls_per_minute - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self.last = time.monotonic()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        day = self.now().date().isoformat()
        self.path.write_text(json.dumps({"day": day, "calls": self.today() + 1}), "utf-8")

    def exhaust(self) -> None:
        """The API says the day's quota is spent: record it so no run of today calls again."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        day = self.now().date().isoformat()
        self.path.write_text(json.dumps({"day": day, "calls": max(self.today(), self.query.calls_per_day)}), "utf-8")


def _resume_at(now: dt.datetime) -> str:
    """The next 00:00 UTC, when the day's calls are counted anew."""
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return midnight.strftime("%Y-%m-%d %H:%M UTC")


def _quota_message(body: bytes) -> str | None:
    """The API's message when a 429 is the day's quota (not the per-second rate), else None."""
    text = body.decode("utf-8", "replace")
    return text if "quota" in text.lower() else None


def _call(
    url: str, key: str, timeout_s: float, query: ComtradeQuery, calls: _Calls, progress: Progress | None = None
) -> bytes:
    """One page's answer (its bytes reported to ``progress``), retried after the per-second
    rate's 429 and 5xx; QuotaExhausted on the day's quota."""
    for attempt in range(1, query.attempts + 1):
        calls.spend()
        request = urllib.request.Request(url, headers={"Ocp-Apim-Subscription-Key": key, "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                return read_reporting(response, progress)
        except urllib.error.HTTPError as error:
            body = error.read()
            if error.code == 429 and (message := _quota_message(body)):
                calls.exhaust()
                raise QuotaExhausted(f"the API refused the call ({message.strip()})") from error
            if (error.code != 429 and error.code < 500) or attempt == query.attempts:
                raise DownloadError("trade", url, "", f"HTTP {error.code} {error.reason}: {body[:200]!r}") from error
            time.sleep(retry_after(error.headers.get("Retry-After"), time.time()) or 2.0**attempt)
    raise AssertionError("unreachable: the last attempt returns or raises")


def fetch_year_pages(
    year: int,
    settings: SourceSettings,
    query: ComtradeQuery | None = None,
    *,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    log: Callable[[str], None] = lambda message: None,
    progress: Callable[[str], Progress | None] = lambda label: None,
) -> list[Path]:
    """The cached answer of every page of ``year``, each fetched once (see the module
    docstring; ``progress``: a progress callback per page's label). Raises QuotaExhausted saying
    what is cached and when to resume, SourceUnavailableError without ``COMTRADE_API_KEY``,
    DownloadError naming a page's URL."""
    query = query or ComtradeQuery.from_env()
    source = load_registry().sources[SOURCE]
    key = os.environ.get(source.api_key_env or "")
    if not key:
        raise SourceUnavailableError(
            "trade",
            f"a UN Comtrade API key in {source.api_key_env} (free: {source.documentation})",
            settings.mode,
            str(contract_path("trade")),
        )
    assert source.url is not None
    endpoint = mirrored(source.url.partition("?")[0], settings.base_urls.get(source.publisher))
    calls = _Calls(settings.cache_dir / FOLDER / "calls.json", query, now)
    pages = query.pages(year)
    paths = [page_path(settings.cache_dir, year, params) for params in pages]
    for number, (params, path) in enumerate(zip(pages, paths, strict=True), start=1):
        if path.is_file():
            continue
        cached = sum(p.is_file() for p in paths)
        if calls.today() >= query.calls_per_day:
            raise QuotaExhausted(_stopped(year, cached, len(pages), path.parent, now(), f"{calls.today()} calls today"))
        url = f"{endpoint}?{urlencode(params)}"
        try:
            body = _call(url, key, settings.download_stall_s, query, calls, progress(f"trade {year} page {number}"))
        except QuotaExhausted as error:
            raise QuotaExhausted(_stopped(year, cached, len(pages), path.parent, now(), str(error))) from error
        _store(body, path, url, query)
        log(f"trade {year}: page {number} of {len(pages)} fetched ({url})")
    return paths


def _stopped(year: int, cached: int, total: int, folder: Path, now: dt.datetime, why: str) -> str:
    return (
        f"UN Comtrade daily call limit reached ({why}): {cached} of the {total} pages of {year} are cached in "
        f"{folder}; run the pull again after {_resume_at(now)} to fetch the other {total - cached} "
        "(cached pages are not fetched again)"
    )


def _store(body: bytes, path: Path, url: str, query: ComtradeQuery) -> None:
    """Keep a page's answer, atomically, once it is a complete Comtrade answer."""
    try:
        answer = json.loads(body)
    except ValueError as error:
        raise DownloadError("trade", url, path, f"the answer is not JSON: {body[:200]!r}") from error
    if not isinstance(answer, dict) or answer.get("error") or "data" not in answer:
        raise DownloadError("trade", url, path, f"the answer is not Comtrade data: {str(answer)[:200]}")
    if len(answer["data"]) >= query.max_records:
        raise DownloadError(
            "trade",
            url,
            path,
            f"the page holds maxRecords={query.max_records} rows and may be cut short (the v1 get has no offset): "
            "query fewer reporters or codes per call",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.part")
    partial.write_bytes(body)
    partial.replace(path)


def read_api_years(
    years: range,
    settings: SourceSettings,
    query: ComtradeQuery | None = None,
    **options,
) -> pl.DataFrame:
    """Canonical ``trade`` of ``years`` from the API: every page fetched (or cached), read and
    normalised as a Comtrade file is (:func:`fetch_year_pages` says what stops it)."""
    pages = [path for year in years for path in fetch_year_pages(year, settings, query, **options)]
    records = [read_api_json(path) for path in pages if json.loads(path.read_text("utf-8"))["data"]]
    return to_trade(pl.concat(records, how="vertical_relaxed")) if records else pl.DataFrame(schema=_TRADE)
