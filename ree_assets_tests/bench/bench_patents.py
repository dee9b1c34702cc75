"""Benchmarks of the patents stage (run by ``python -m ree_assets_tests.bench``; not tests).

- REE keyword filter on 1,000,000 synthetic abstracts: the vectorised Polars filter
  (``mentions_ree_expr``, target < 20 s) and, in the same run, a plain per-row Python loop of the
  same regular expression (report; the ratio is in the row's text).
- Streaming USPTO grant XML: a synthetic weekly file of >= 1 GB in the real schema, made of the
  real grants of ``ipg120327.196.xml`` (mean ~16 KB a grant) with fresh patent numbers, read by
  ``iter_grant_batches`` (two parsing processes) in a fresh process: throughput (target >= 40 MB/s,
  i.e. < 1 GB / 40 MB/s seconds) and peak memory (< 2 GiB, in the row's text; over the limit prints SLOW).
- Classification time per 1,000 patents for each classifier: keyword, embedding (when the extra
  is installed) and llm against a loopback fake endpoint (client and cache overhead only).
- The default control sample on the small world, seeds 1-10 (report): per seed the least expected
  number of controls of any GE sector-year and P(some GE sector-year draws none), which the GE
  panel's logs need to be negligible (``classify.empty_domain_probability``, true SICs).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import polars as pl

from ree_assets_tests.bench.timing import Timing, timed

SEED, SIZE = 20100701, "full"
N_ABSTRACTS = 1_000_000
XML_BYTES = 1 << 30
MAX_RSS_BYTES = 2 << 30


def synthetic_abstracts(n: int) -> pl.Series:
    """``n`` abstracts drawn with replacement from the synthetic USPTO's grants of 2012 (REE and
    background, distractors included), each with a random number appended so rows differ."""
    from ree_assets.sources.embedded.patent_office import afsv_year

    pool = afsv_year(2012, SEED, SIZE)["patents"]["abstract"]
    rng = np.random.default_rng(0)
    picked = pool.gather(rng.integers(0, pool.len(), n))
    return picked + pl.Series(rng.integers(0, 10**6, n)).cast(pl.String).map_elements(
        lambda k: f" Ref {k}.", return_dtype=pl.String
    )


def ree_filter_timings() -> list[Timing]:
    from ree_assets.core.patents.ree_filter import mentions_ree_expr, ree_pattern

    abstracts = pl.DataFrame({"abstract": synthetic_abstracts(N_ABSTRACTS)})
    vector_seconds, found = timed(lambda: abstracts.select(mentions_ree_expr("abstract").sum()).item(), repeat_below=0)
    pattern = re.compile(ree_pattern())
    texts = abstracts["abstract"].to_list()
    loop_seconds, looped = timed(lambda: sum(pattern.search(t) is not None for t in texts), repeat_below=0)
    if found != looped:
        raise AssertionError(f"vectorised and per-row filters disagree: {found} vs {looped}")
    return [
        Timing(
            "patents REE filter (Polars)",
            f"{N_ABSTRACTS:,} abstracts, {found:,} REE; "
            f"{loop_seconds / vector_seconds:.1f}x faster than the per-row loop",
            vector_seconds,
            20.0,
        ),
        Timing("patents REE filter (per-row re loop)", f"{N_ABSTRACTS:,} abstracts, same answers", loop_seconds),
    ]


def write_grant_file(sample: Path, target: Path, size: int) -> tuple[int, int]:
    """Concatenate the sample's grant documents, renumbered, until the file has ``size`` bytes;
    returns (bytes, grants)."""
    from ree_assets.sources.uspto_xml import grant_documents

    documents = [document for _, document in grant_documents(sample)]
    written = grants = 0
    with open(target, "wb") as out:
        while written < size:
            for document in documents:
                number = f"{20_000_000 + grants:08d}".encode()
                renumbered = re.sub(
                    rb"(<publication-reference>\s*<document-id>\s*<country>US</country>\s*"
                    rb"<doc-number>)[^<]+",
                    rb"\g<1>" + number,
                    document,
                    count=1,
                )
                out.write(renumbered)
                written += len(renumbered)
                grants += 1
    return written, grants


STREAM_SCRIPT = """
import resource, sys, time
from ree_assets.sources.uspto_xml import iter_grant_batches
started = time.perf_counter()
grants = citations = 0
for batch in iter_grant_batches(sys.argv[1], workers=int(sys.argv[2])):
    grants += batch["patents"].height
    citations += batch["patent_citations"].height
usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
cpu = sum(u.ru_utime + u.ru_stime for u in usage)
print(time.perf_counter() - started, grants, citations, sum(u.ru_maxrss for u in usage) * 1024, cpu)
"""


def xml_stream_timings(shared: Path, workers: int = 2, size: int = XML_BYTES) -> list[Timing]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ipg_synthetic.xml"
        size, grants = write_grant_file(shared / "patents" / "uspto_xml" / "ipg120327.196.xml", path, size)
        output = subprocess.run(
            [sys.executable, "-c", STREAM_SCRIPT, str(path), str(workers)],
            check=True,
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        ).stdout.split()
    seconds, read, citations, peak, cpu = (
        float(output[0]),
        int(output[1]),
        int(output[2]),
        int(output[3]),
        float(output[4]),
    )
    if read != grants:
        raise AssertionError(f"streamed {read} grants of {grants}")
    rate = size / seconds / 1e6
    return [
        Timing(
            f"patents XML stream [{workers} workers]",
            f"{size / 1e9:.2f} GB, {grants:,} grants ({size / grants / 1e3:.1f} KB each), {citations:,} "
            f"citations: {rate:.0f} MB/s ({size / cpu / 1e6:.0f} MB per CPU second), "
            f"peak RSS {peak / 2**30:.2f} GiB, reader + largest worker (limit 2 GiB)",
            seconds,
            size / 40e6 if peak < MAX_RSS_BYTES else 0.0,
        )
    ]


class _FakeEndpoint(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint answering every request at once with the same labels."""

    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers["Content-Length"]))
        content = json.dumps({"sic4": "3499", "technology": "Magnet", "ree_enhancing": True})
        payload = json.dumps({"choices": [{"message": {"content": content}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def classifier_timings() -> list[Timing]:
    from ree_assets.defs.patents import PatentClassifier
    from ree_assets.sources.embedded.patent_office import afsv_year

    tables = afsv_year(2012, SEED, SIZE)
    ree = (
        tables["patents"].join(tables["patent_labels"].filter("is_ree").select("patent_id"), on="patent_id").head(1000)
    )
    rows = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeEndpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with tempfile.TemporaryDirectory() as cache:
            classifier = PatentClassifier(
                kind="keyword",
                llm_base_url=f"http://127.0.0.1:{server.server_address[1]}/v1",
                llm_model="fake",
                llm_cache_dir=cache,
            )
            for kind in ("keyword", "embedding", "llm"):
                if reason := classifier.available(kind):
                    print(f"skipped classifier {kind}: {reason}", flush=True)
                    continue
                seconds, _ = timed(lambda: classifier.classify(ree, kind=kind), repeat_below=0)
                what = {
                    "keyword": "rules on title and abstract",
                    "embedding": "MiniLM on CPU, model load excluded",
                    "llm": "loopback fake endpoint: client, schema check and cache writes",
                }[kind]
                rows.append(Timing(f"patents classify 1,000 [{kind}]", what, seconds * 1000 / ree.height))
    finally:
        server.shutdown()
        server.server_close()
    return rows


def control_coverage_timings(seeds: range = range(1, 11)) -> list[Timing]:
    """The default control sample's reach into every GE sector-year of the small world, per seed
    (printed) and over the seeds (the row's text)."""
    from ree_assets.defs.patents import ClassificationConfig
    from ree_assets_tests.test_sources_embedded_patent_world import ge_control_reach, some_empty

    minimum = ClassificationConfig().control_minimum

    def coverage(seed: int) -> tuple[float, float]:
        reach = ge_control_reach(seed, minimum)
        return float(reach["expected_controls"].min()), some_empty(reach)

    seconds, found = timed(lambda: [coverage(seed) for seed in seeds], repeat_below=0)
    for seed, (expected, p_empty) in zip(seeds, found, strict=True):
        print(f"control sample, small world seed {seed}: least expected {expected:.1f}, P(empty) {p_empty:.2g}")
    what = (
        f"small world seeds {seeds.start}-{seeds.stop - 1}, {minimum} per region-year: least expected "
        f"controls of a GE sector-year {min(e for e, _ in found):.1f}, worst P(one has none) "
        f"{max(p for _, p in found):.2g}"
    )
    return [Timing("patents control sample coverage", what, seconds)]


def warm_embedding_model() -> None:
    """Load the embedding model before timing (its first load is not per-patent work)."""
    from ree_assets.defs.patents import PatentClassifier, _embedding_model

    if PatentClassifier().available("embedding") is None:
        _embedding_model()


def patent_timings(shared: Path) -> list[Timing]:
    """Every patents benchmark; the XML stream needs the real sample folder."""
    warm_embedding_model()
    rows = ree_filter_timings() + classifier_timings() + control_coverage_timings()
    if (shared / "patents" / "uspto_xml").is_dir():
        rows += xml_stream_timings(shared)
    else:
        print(f"skipped patents XML stream: no {shared / 'patents' / 'uspto_xml'}", flush=True)
    return rows
