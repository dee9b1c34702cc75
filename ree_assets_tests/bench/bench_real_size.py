"""The real USPTO's size: a synthetic universe of the canonical patent tables as large as the
USPTO's utility grants 1976-2018 (about 7 million patents, 100 million citation rows, 20 million
USPC class rows whose subclass sizes are heavy-tailed, ``specs/spillovers.md``), generated in
DuckDB SQL into a DuckDB file, and two timings on it, each in a fresh process with its peak
memory:

- storing one grant year's pull (300,000 grants, 5 million citations, their classes and first
  inventors) through write-audit-publish: the project's IO manager, its contracts and suites, in a
  Dagster run of the year's partition (target under 60 s);
- the FVD availability and citation counts of the FVD patent sets against the whole universe, the
  tables read as the asset ``fvd_citation_variables`` reads them
  (``defs.spillovers.published_citation_variables``: an in-memory DuckDB attaching the universe's
  file read-only, views on the columns ``citations.INPUT_COLUMNS``, nothing loaded into Python;
  target under 10 minutes, reading included).

Peak memory (the process's and its children's largest resident set) must stay under 16 GiB.
Every size is multiplied by ``--scale`` (default 1.0; 0.02 runs in about a minute):

    python -m ree_assets_tests.bench.bench_real_size --scale 0.02

Pseudo-random draws are hashes of a row's index and a salt (``hash`` in DuckDB), so a scale
always builds the same universe.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ree_assets_tests.bench.timing import Timing

PATENTS, CITATIONS, CLASS_ROWS = 7_000_000, 100_000_000, 20_000_000
PULL_GRANTS, PULL_CITATIONS = 300_000, 5_000_000
FIRST_YEAR, LAST_YEAR, PULL_YEAR = 1976, 2018, 2018
#: The first utility patent granted in 1976; numbers then rise with the grant date.
FIRST_ID = 3_930_271
#: Grants per year rise linearly from 1976 to 2018 by this factor (about 70,000 to 300,000).
GROWTH = 4.0
#: USPC subclasses (about 450 classes of 350 subclasses) and the offset of their Zipf-like sizes.
SUBCLASSES, CLASSES, SIZE_OFFSET = 160_000, 450, 5.0
#: Share of patents with a class of the FVD sets, and the size of the sets (``specs/spillovers.md``).
FVD_SHARE, MAGNETS, CATALYSTS = 0.015, 637, 1_242
MAGNET_CODES = ("148/301", "148/302", "148/303", "148/315", "148/101", "148/102", "148/103", "148/122")
CATALYST_CODES = (
    *("502/304", "502/303", "502/302", "502/314", "502/320", "502/322", "502/323", "502/327", "502/332"),
    *("502/341", "502/346", "502/348", "502/351", "502/354", "502/355", "502/65", "502/73"),
)
FOREIGN = ("JPN", "DEU", "FRA", "GBR", "KOR", "CAN", "TWN", "CHN")
STORE_SECONDS, AVAILABILITY_SECONDS, PEAK_GIB = 60.0, 600.0, 16.0
#: What DuckDB may use while generating (the rest of the machine's 24 GiB is others').
DUCKDB_MEMORY = "8GB"


def uniform(salt: str, *keys: str) -> str:
    """SQL of a pseudo-random draw in (0, 1) from the hash of ``keys`` and ``salt``."""
    return f"((hash({', '.join(keys)}, '{salt}') % 1000000007 + 1) / 1000000008.0)"


def geometric(mean: float, salt: str, *keys: str) -> str:
    """SQL of a geometric count on 0, 1, ... with mean ``mean``: floor(ln U / ln(m / (1 + m)))."""
    return f"floor(ln({uniform(salt, *keys)}) / ln({mean / (1 + mean)}))::BIGINT"


def subclass_code(salt: str, *keys: str) -> str:
    """SQL of a USPC class/subclass code drawn with heavy-tailed sizes: rank r = floor(exp(ln a +
    U (ln(K + a) - ln a))) - a of K subclasses (a log-uniform rank, a the ``SIZE_OFFSET``), so the
    largest subclasses hold about 1.8% of the rows each (hundreds of thousands at full size);
    class r mod 450 + 2 (148 moved to 452: no draw lands in the FVD classes), subclass r div 450 + 1."""
    a, k = SIZE_OFFSET, SUBCLASSES
    rank = f"(floor(exp(ln({a}) + {uniform(salt, *keys)} * (ln({k + a}) - ln({a})))) - {a})::BIGINT"
    klass = f"(2 + {rank} % {CLASSES})"
    return f"(CASE WHEN {klass} = 148 THEN 452 ELSE {klass} END)::VARCHAR || '/' || (1 + {rank} // {CLASSES})::VARCHAR"


def _values(codes: tuple[str, ...]) -> str:
    return "[" + ", ".join(f"'{c}'" for c in codes) + "]"


@dataclass(frozen=True)
class Sizes:
    """Row counts of the universe and of the pull at a scale."""

    scale: float

    def __post_init__(self) -> None:
        if not self.scale > 0:
            raise ValueError(f"--scale must be positive, got {self.scale}")

    def count(self, full: int) -> int:
        return max(1, round(full * self.scale))

    @property
    def patents(self) -> int:
        return self.count(PATENTS)

    @property
    def pull_grants(self) -> int:
        return self.count(PULL_GRANTS)


def universe_script(sizes: Sizes) -> list[str]:
    """SQL building ``raw.patents``, ``raw.patent_classes``, ``raw.patent_citations``,
    ``raw.patent_inventors`` of the universe, the pull's rows in the ``pull`` schema, and the FVD
    sets in ``bench.focal``. Index i of a patent is its number minus ``FIRST_ID``."""
    years = LAST_YEAR - FIRST_YEAR + 1
    weights = [1 + (GROWTH - 1) * k / (years - 1) for k in range(years)]
    counts = [round(sizes.patents * w / sum(weights)) for w in weights]
    firsts = [sum(counts[:k]) for k in range(years)]
    year_rows = ", ".join(f"({FIRST_YEAR + k}, {firsts[k]}, {counts[k]})" for k in range(years))
    pull_first = firsts[PULL_YEAR - FIRST_YEAR]
    lag = sizes.patents / years * 3  # mean distance, in patents, of a citation back in time
    per_patent = CITATIONS / PATENTS, PULL_CITATIONS / PULL_GRANTS
    fvd, n_fvd = _values((*MAGNET_CODES, *CATALYST_CODES)), len(MAGNET_CODES) + len(CATALYST_CODES)

    def tables(schema: str, index: str, cites_per_patent: float) -> list[str]:
        """The four tables in ``schema`` for the patents of the query ``index`` (i, year, k, n)."""
        return [
            f"""CREATE OR REPLACE TABLE {schema}.patents AS
            SELECT ({FIRST_ID} + i)::VARCHAR AS patent_id, grant_date,
                   grant_date - (400 + ({uniform("lag", "i")} * 1000)::INTEGER) AS application_date,
                   'Patent ' || i AS title, NULL::VARCHAR AS abstract, 'B2' AS kind, 'embedded' AS source,
                   year::BIGINT AS grant_year
            FROM (SELECT i, year, make_date(year, 1, 1) + (k * 364 // n)::INTEGER AS grant_date FROM ({index}))""",
            f"""CREATE OR REPLACE TABLE {schema}.patent_inventors AS
            SELECT patent_id, 0::BIGINT AS sequence, 'Inventor' AS name,
                   CASE WHEN {uniform("us", "patent_id")} < 0.55 THEN 'USA'
                        ELSE {_values(FOREIGN)}[1 + (hash(patent_id, 'country') % {len(FOREIGN)})::INTEGER] END
                   AS country, grant_year
            FROM {schema}.patents""",
            f"""CREATE OR REPLACE TABLE {schema}.patent_classes AS
            SELECT patent_id, 'uspc' AS scheme, code, bool_or(k = 0) AS is_main, any_value(grant_year) AS grant_year
            FROM (SELECT patent_id, grant_year, k, {subclass_code("code", "patent_id", "k")} AS code
                  FROM (SELECT patent_id, grant_year,
                               unnest(range(1 + {geometric(CLASS_ROWS / PATENTS - 1, "classes", "patent_id")})) AS k
                        FROM {schema}.patents)
                  UNION ALL
                  SELECT patent_id, grant_year, 1 AS k, {fvd}[1 + (hash(patent_id, 'set') % {n_fvd})::INTEGER]
                  FROM {schema}.patents WHERE {uniform("fvd", "patent_id")} < {FVD_SHARE})
            GROUP BY patent_id, code""",
            f"""CREATE OR REPLACE TABLE {schema}.patent_citations AS
            SELECT citing_id, ({FIRST_ID} + cited)::VARCHAR AS cited_id, NULL::DATE AS cited_date, 'US' AS cited_office,
                   CASE WHEN hash(citing_id, sequence) % 2 = 0 THEN 'cited by examiner' ELSE 'cited by applicant' END
                   AS category, sequence, grant_year
            FROM (SELECT citing_id, sequence, grant_year,
                         i - 1 - floor(-{lag} * ln({uniform("cited", "citing_id", "sequence")}))::BIGINT % i AS cited
                  FROM (SELECT patent_id AS citing_id, grant_year, patent_id::BIGINT - {FIRST_ID} AS i,
                               unnest(range({geometric(cites_per_patent, "cites", "patent_id")})) AS sequence
                        FROM {schema}.patents WHERE patent_id::BIGINT > {FIRST_ID}))""",
        ]

    universe_index = (
        f"SELECT first + unnest(range(n)) AS i, year, unnest(range(n)) AS k, n "
        f"FROM (VALUES {year_rows}) y(year, first, n)"
    )
    pull_index = (
        f"SELECT {pull_first} + k AS i, {PULL_YEAR} AS year, k, {sizes.pull_grants} AS n "
        f"FROM range({sizes.pull_grants}) r(k)"
    )
    return [
        f"SET memory_limit = '{DUCKDB_MEMORY}'",
        "CREATE SCHEMA IF NOT EXISTS raw",
        "CREATE SCHEMA IF NOT EXISTS pull",
        "CREATE SCHEMA IF NOT EXISTS bench",
        *tables("raw", universe_index, per_patent[0]),
        *tables("pull", pull_index, per_patent[1]),
        f"""CREATE OR REPLACE TABLE bench.focal AS
        SELECT patent_id, technology FROM (
            SELECT c.patent_id, CASE WHEN c.code LIKE '148/%' THEN 'magnet' ELSE 'catalyst' END AS technology,
                   hash(c.patent_id, 'focal') AS draw
            FROM raw.patent_classes c JOIN raw.patents p USING (patent_id)
            WHERE c.code IN (SELECT unnest({fvd})) AND year(p.application_date) BETWEEN 1976 AND 2002)
        QUALIFY row_number() OVER (PARTITION BY technology ORDER BY draw)
                <= CASE technology WHEN 'magnet' THEN {MAGNETS} ELSE {CATALYSTS} END""",
    ]


def build_universe(database: Path, sizes: Sizes) -> dict[str, int]:
    """Generate the universe into ``database``; its row counts by table."""
    with duckdb.connect(str(database)) as con:
        for statement in universe_script(sizes):
            con.execute(statement)
        names = ("raw.patents", "raw.patent_citations", "raw.patent_classes", "raw.patent_inventors", "bench.focal")
        counts = {name: con.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0] for name in names}
        counts["largest subclass"] = con.execute(
            "SELECT max(n) FROM (SELECT COUNT(*) AS n FROM raw.patent_classes GROUP BY code)"
        ).fetchone()[0]
        counts |= {
            f"pull.{t}": con.execute(f"SELECT COUNT(*) FROM pull.{t}").fetchone()[0]
            for t in ("patents", "patent_citations")
        }
    return counts


#: Each measure runs in a fresh process, prints {"seconds", "peak_gib", ...} as its last line.
_PEAK = """
import resource
def peak_gib():
    return max(resource.getrusage(w).ru_maxrss for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 2**20
"""

_STORE_SCRIPT = (
    _PEAK
    + """
import json, sys, time
import dagster as dg, duckdb
from ree_assets.defs.partitions import patent_year_partitions
from ree_assets.defs.patents import yearly_table_metadata
from ree_assets.defs.resources import PolarsDuckDBIOManager
database, year = sys.argv[1], sys.argv[2]
TABLES = ("patent_inventors", "patent_classes", "patent_citations", "patents")  # patents, the required one, last
with duckdb.connect(database, read_only=True) as con:
    frames = {t: con.execute(f"SELECT * FROM pull.{t}").pl() for t in TABLES}

OUTS = {t: dg.AssetOut(metadata=yearly_table_metadata("raw", t), is_required=t == "patents") for t in TABLES}
@dg.multi_asset(partitions_def=patent_year_partitions, outs=OUTS)
def patent_pull():
    for t in TABLES:
        yield dg.Output(frames[t], output_name=t, metadata={"source_files": f"synthetic pull of {year}"})

started = time.perf_counter()
result = dg.materialize([patent_pull], partition_key=year, instance=dg.DagsterInstance.ephemeral(),
                        resources={"io_manager": PolarsDuckDBIOManager(database=database)}, raise_on_error=False)
seconds = time.perf_counter() - started
with duckdb.connect(database, read_only=True) as con:
    stored = con.execute(f"SELECT COUNT(*) FROM raw.patents WHERE grant_year = {year}").fetchone()[0]
print(json.dumps({"seconds": seconds, "peak_gib": peak_gib(), "success": result.success, "stored": stored}))
"""
)

_AVAILABILITY_SCRIPT = (
    _PEAK
    + """
import json, sys, time
import duckdb
from ree_assets.core.spillovers.citations import WINDOW
from ree_assets.defs.resources import DuckDBStore
from ree_assets.defs.spillovers import published_citation_variables
database = sys.argv[1]
with duckdb.connect(database, read_only=True) as con:
    focal = con.execute("SELECT * FROM bench.focal").pl()
started = time.perf_counter()  # the patent tables are read inside DuckDB, within the timing
result = published_citation_variables(DuckDBStore(database=database), focal, WINDOW, None)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "peak_gib": peak_gib(), "focal": result.table.height,
                  "available": int(result.table["n_available"].sum())}))
"""
)


def _measure(script: str, *args: str) -> dict:
    """Run ``script`` in a fresh Python process; the measures it printed."""
    run = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True)
    if run.returncode:
        raise RuntimeError(f"benchmark process failed:\n{run.stderr[-4000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def _memory(peak_gib: float) -> str:
    return f"peak {peak_gib:.2f} GiB ({'ok' if peak_gib < PEAK_GIB else 'OVER'} < {PEAK_GIB:g})"


def real_size_timings(scale: float = 1.0, folder: Path | None = None) -> list[Timing]:
    """Build the universe at ``scale`` (in ``folder``, else a temporary one), then time storing a
    year's pull and the FVD availability counts; one row each, the build as a report row."""
    scale = Sizes(scale).scale  # refused when not positive, before anything runs
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(folder or tmp) / "real_size.duckdb"
        build = _measure(
            _PEAK
            + "import json, sys, time\nfrom pathlib import Path\n"
            + "from ree_assets_tests.bench.bench_real_size import Sizes, build_universe\n"
            + "started = time.perf_counter()\n"
            + "counts = build_universe(Path(sys.argv[1]), Sizes(float(sys.argv[2])))\n"
            + "print(json.dumps({'seconds': time.perf_counter() - started, 'peak_gib': peak_gib(), **counts}))",
            str(database),
            str(scale),
        )
        store = _measure(_STORE_SCRIPT, str(database), str(PULL_YEAR))
        if not store["success"] or store["stored"] != build["pull.patents"]:
            raise RuntimeError(f"the pull of {PULL_YEAR} was not stored: {store}")
        availability = _measure(_AVAILABILITY_SCRIPT, str(database))
    return [
        Timing(
            "real size: universe",
            f"scale {scale:g}: {build['raw.patents']:,} patents, {build['raw.patent_citations']:,} citations, "
            f"{build['raw.patent_classes']:,} class rows (largest subclass {build['largest subclass']:,}); "
            f"{_memory(build['peak_gib'])}",
            build["seconds"],
        ),
        Timing(
            "real size: store a year",
            f"{PULL_YEAR} through write-audit-publish: {build['pull.patents']:,} grants, "
            f"{build['pull.patent_citations']:,} citations; {_memory(store['peak_gib'])}",
            store["seconds"],
            STORE_SECONDS,
        ),
        Timing(
            "real size: FVD availability",
            f"{availability['focal']:,} focal patents x the universe ({availability['available']:,} available; "
            f"tables read in DuckDB from the file); {_memory(availability['peak_gib'])}",
            availability["seconds"],
            AVAILABILITY_SECONDS,
        ),
    ]


def main() -> None:
    from ree_assets_tests.bench.bench_ge import print_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every size (default 1.0)")
    print_table(real_size_timings(parser.parse_args().scale))


if __name__ == "__main__":
    main()
