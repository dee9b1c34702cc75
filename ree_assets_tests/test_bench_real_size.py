"""The real-size benchmark's code path at a tiny scale, so it does not rot between the (long)
runs at the USPTO's size: the universe's shape, and the three rows of ``make bench``."""

import duckdb
import pytest

from ree_assets_tests.bench.bench_real_size import (
    CITATIONS,
    CLASS_ROWS,
    PATENTS,
    PULL_GRANTS,
    Sizes,
    build_universe,
    real_size_timings,
)

SCALE = 0.001


@pytest.fixture(scope="module")
def universe(tmp_path_factory):
    database = tmp_path_factory.mktemp("real_size") / "universe.duckdb"
    counts = build_universe(database, Sizes(SCALE))
    with duckdb.connect(str(database), read_only=True) as con:
        yield counts, con


def test_the_universe_has_the_scaled_sizes_and_heavy_tailed_subclasses(universe):
    counts, con = universe
    assert counts["raw.patents"] == PATENTS * SCALE and counts["pull.patents"] == PULL_GRANTS * SCALE
    assert abs(counts["raw.patent_citations"] / (CITATIONS * SCALE) - 1) < 0.1
    assert abs(counts["raw.patent_classes"] / (CLASS_ROWS * SCALE) - 1) < 0.1
    sizes = con.execute("SELECT COUNT(*) AS n FROM raw.patent_classes GROUP BY code ORDER BY n DESC").fetchall()
    assert sizes[0][0] > 100 * sizes[len(sizes) // 2][0]  # the largest subclass against the median one
    grants = dict(con.execute("SELECT grant_year, COUNT(*) FROM raw.patents GROUP BY 1").fetchall())
    assert sorted(grants) == list(range(1976, 2019)) and grants[2018] > 3 * grants[1976]


def test_citations_cite_earlier_patents_and_focal_patents_are_in_the_fvd_years(universe):
    _, con = universe
    later = con.execute(
        "SELECT COUNT(*) FROM raw.patent_citations WHERE cited_id::BIGINT >= citing_id::BIGINT"
    ).fetchone()[0]
    focal = con.execute(
        "SELECT technology, min(year(application_date)), max(year(application_date)), COUNT(*) "
        "FROM bench.focal JOIN raw.patents USING (patent_id) GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert later == 0
    assert [row[0] for row in focal] == ["catalyst", "magnet"]
    assert all(1976 <= first and last <= 2002 and n > 0 for _, first, last, n in focal)


@pytest.mark.slow
def test_the_bench_stores_a_year_and_counts_availability_at_a_tiny_scale(tmp_path):
    rows = real_size_timings(0.0005, tmp_path)
    assert [row.name for row in rows] == [
        "real size: universe",
        "real size: store a year",
        "real size: FVD availability",
    ]
    assert [row.status for row in rows[1:]] == ["ok", "ok"] and "peak" in rows[2].what


def test_a_scale_that_is_not_positive_is_refused():
    with pytest.raises(ValueError, match="--scale must be positive"):
        real_size_timings(0.0)
