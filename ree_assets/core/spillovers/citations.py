"""Per-focal-patent citation and availability variables of FVD (``specs/spillovers.md``,
Variables per focal patent), computed with set-overlap joins in an in-memory DuckDB.

For focal patent i with application year t (window: t - window <= a <= t on the application year
a of the other patent, same year included):
- location of a patent = country of its first inventor (sequence 0); US = 1{USA}; d = 1{t >= 1990};
- C_uw, C_nw, C_uo, C_no: distinct cited patents in the window, by US/non-US and within/outside the
  focal patent's technology set;
- class list: i's own USPC codes, then, over its cited patents in citation-sequence order, the
  main code of each cited patent whose codes share none with the list so far (a recursive CTE
  over the cited patents that share no code with i's own codes: the others never add one);
- A_uw, A_nw, A_uo, A_no: distinct patents other than i in the window sharing a code with the list;
- perus = (C_uw + C_uo) / C (focal patents without citations in the window are dropped),
  perus_avail = (A_uw + A_uo) / A.
The universe is the patents granted by ``grant_year_end`` (the sample's last grant year, a run
setting; None: every patent of ``patents``): a citation to a patent granted later is left out like
one to an unknown patent, and a later patent is never available.
Citations to patents missing from ``patents``, patents without an application date or without a
first inventor, and focal patents without citations are counted in the report and left out.

The SQL runs on any DuckDB connection where the four input tables are relations
(:func:`citation_variables_in`): views over a database file attached to an in-memory DuckDB read
them there, never loading the 100 million citations of the USPTO into Python;
:func:`citation_variables` registers Polars frames instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import polars as pl

from ree_assets.core.spillovers.duck import connection, run_script
from ree_assets.core.spillovers.patent_sets import granted_by

#: Width of the citation and availability window in years (FVD: 7).
WINDOW = 7
#: First application year of the second period (d = 1).
BREAK_YEAR = 1990
US = "USA"

COUNT_COLUMNS = ("c_uw", "c_nw", "c_uo", "c_no", "a_uw", "a_nw", "a_uo", "a_no")

#: The columns :func:`citation_variables` reads of each canonical table: at the USPTO's size (100
#: million citations) reading the others too would triple the memory its inputs take.
INPUT_COLUMNS: dict[str, tuple[str, ...]] = {
    "patents": ("patent_id", "grant_date", "application_date"),
    "patent_classes": ("patent_id", "scheme", "code", "is_main"),
    "patent_inventors": ("patent_id", "sequence", "country"),
    "patent_citations": ("citing_id", "cited_id", "sequence"),
}


@dataclass(frozen=True)
class CitationVariables:
    """``fvd_citation_variables`` rows and the counts of left-out input (report)."""

    table: pl.DataFrame
    report: dict[str, int]


def _cell_counts(prefix: str) -> str:
    """SQL aggregates of the four cells from boolean columns ``us`` and ``within``."""
    return ", ".join(
        f"count(*) FILTER (WHERE {'' if us else 'NOT '}us AND {'' if within else 'NOT '}within) "
        f"AS {prefix}_{'u' if us else 'n'}{'w' if within else 'o'}"
        for within in (True, False)
        for us in (True, False)
    )


def citation_variables(
    focal: pl.DataFrame,
    patents: pl.DataFrame,
    patent_classes: pl.DataFrame,
    patent_inventors: pl.DataFrame,
    patent_citations: pl.DataFrame,
    window: int = WINDOW,
    grant_year_end: int | None = None,
) -> CitationVariables:
    """The variables of the module docstring for every focal patent of ``focal`` (patent_id,
    technology: the FVD sets, which also define "within technology"), against the universe of
    ``patents`` granted by ``grant_year_end`` with their USPC ``patent_classes``, first inventors
    and citations: :func:`citation_variables_in` on a fresh in-memory DuckDB where the frames are
    registered. A focal patent granted after ``grant_year_end`` is an error (the sets were drawn
    from another sample)."""
    frames = {
        "patents": patents,
        "patent_classes": patent_classes,
        "patent_inventors": patent_inventors,
        "patent_citations": patent_citations,
    }
    with connection() as con:
        _register_inputs(con, frames)
        return citation_variables_in(con, focal, window, grant_year_end)


def citation_variables_in(
    con: duckdb.DuckDBPyConnection, focal: pl.DataFrame, window: int = WINDOW, grant_year_end: int | None = None
) -> CitationVariables:
    """As :func:`citation_variables`, on a DuckDB connection where the four input tables are
    relations named ``patents``, ``patent_classes``, ``patent_inventors`` and ``patent_citations``
    (at least their :data:`INPUT_COLUMNS`; tables or views, e.g. over an attached database file,
    so that they are never loaded into Python). Registers ``focal`` (as ``focal`` and
    ``focal_ids``) and leaves its temporary tables on ``con``."""
    _input_status(con, focal, grant_year_end)
    late = [
        patent
        for (patent,) in con.execute(
            "SELECT patent_id FROM input_status WHERE focal AND listed AND NOT granted ORDER BY patent_id"
        ).fetchall()
    ]
    if late:
        raise ValueError(
            f"{len(late)} focal patent(s) granted after grant_year_end={grant_year_end} (e.g. "
            f"{', '.join(late[:5])}): build the patent sets with the same grant_year_end"
        )
    con.register("focal", focal.select("patent_id", "technology").unique().to_arrow())
    script = f"""
        CREATE OR REPLACE TEMP TABLE universe AS
        SELECT p.patent_id, year(p.application_date) AS app_year, i.country = '{US}' AS us
        FROM patents p JOIN patent_inventors i ON i.patent_id = p.patent_id AND i.sequence = 0
        WHERE {granted_by(grant_year_end, "p.grant_date")} AND p.application_date IS NOT NULL AND i.country IS NOT NULL;
        CREATE OR REPLACE TEMP TABLE classes AS
        SELECT DISTINCT patent_id, code, is_main FROM patent_classes WHERE scheme = 'uspc';
        CREATE OR REPLACE TEMP TABLE dated_classes AS
        SELECT c.code, u.patent_id, u.app_year, u.us FROM classes c JOIN universe u USING (patent_id);
        CREATE OR REPLACE TEMP TABLE foc AS
        SELECT DISTINCT f.patent_id, f.technology, u.app_year, u.us FROM focal f JOIN universe u USING (patent_id);
        CREATE OR REPLACE TEMP TABLE cites AS
        SELECT c.citing_id AS patent_id, c.cited_id, min(c.sequence) AS sequence
        FROM patent_citations c WHERE c.citing_id IN (SELECT patent_id FROM foc) GROUP BY ALL;
        CREATE OR REPLACE TEMP TABLE known_cites AS
        SELECT c.*, u.app_year, u.us FROM cites c JOIN universe u ON u.patent_id = c.cited_id;
        CREATE OR REPLACE TEMP TABLE own AS
        SELECT f.patent_id, coalesce(list(c.code ORDER BY NOT c.is_main, c.code) FILTER (WHERE c.code IS NOT NULL),
                                     []::VARCHAR[]) AS class_list
        FROM (SELECT DISTINCT patent_id FROM foc) f LEFT JOIN classes c USING (patent_id) GROUP BY f.patent_id;
        CREATE OR REPLACE TEMP TABLE ordered AS
        SELECT patent_id, row_number() OVER (PARTITION BY patent_id ORDER BY sequence, cited_id) AS step, codes, main
        FROM (SELECT k.patent_id, k.cited_id, k.sequence, list(c.code) AS codes,
                     any_value(c.code) FILTER (WHERE c.is_main) AS main
              FROM known_cites k JOIN classes c ON c.patent_id = k.cited_id
              GROUP BY k.patent_id, k.cited_id, k.sequence) k JOIN own o USING (patent_id)
        WHERE NOT list_has_any(k.codes, o.class_list);
        CREATE OR REPLACE TEMP TABLE class_lists AS
        WITH RECURSIVE walk(patent_id, step, class_list) AS (
            SELECT patent_id, 0::BIGINT, class_list FROM own
            UNION ALL
            SELECT w.patent_id, o.step, CASE WHEN o.main IS NULL OR list_has_any(o.codes, w.class_list)
                                             THEN w.class_list ELSE list_append(w.class_list, o.main) END
            FROM walk w JOIN ordered o ON o.patent_id = w.patent_id AND o.step = w.step + 1)
        SELECT patent_id, arg_max(class_list, step) AS class_list FROM walk GROUP BY patent_id;
        CREATE OR REPLACE TEMP TABLE available AS
        SELECT DISTINCT f.patent_id, f.technology, d.patent_id AS available_id, d.us
        FROM foc f
        JOIN (SELECT patent_id, unnest(class_list) AS code FROM class_lists) x ON x.patent_id = f.patent_id
        JOIN dated_classes d ON d.code = x.code
        WHERE d.app_year BETWEEN f.app_year - {int(window)} AND f.app_year AND d.patent_id <> f.patent_id;
        CREATE OR REPLACE TEMP TABLE availability AS
        SELECT a.patent_id, a.technology, {_cell_counts("a")}
        FROM (SELECT a.*, s.patent_id IS NOT NULL AS within FROM available a
              LEFT JOIN focal s ON s.patent_id = a.available_id AND s.technology = a.technology) a
        GROUP BY a.patent_id, a.technology;
        CREATE OR REPLACE TEMP TABLE cited AS
        SELECT x.patent_id, x.technology, {_cell_counts("c")}
        FROM (SELECT f.patent_id, f.technology, k.us, s.patent_id IS NOT NULL AS within
              FROM foc f JOIN known_cites k ON k.patent_id = f.patent_id
                                           AND k.app_year BETWEEN f.app_year - {int(window)} AND f.app_year
              LEFT JOIN focal s ON s.patent_id = k.cited_id AND s.technology = f.technology) x
        GROUP BY x.patent_id, x.technology;
        SELECT f.patent_id, f.technology, f.app_year::INTEGER AS application_year, f.us::INTEGER AS us,
               (f.app_year >= {BREAK_YEAR})::INTEGER AS d,
               {", ".join(f"coalesce({c}, 0)::BIGINT AS {c}" for c in COUNT_COLUMNS)},
               l.class_list
        FROM foc f
        LEFT JOIN cited c USING (patent_id, technology)
        LEFT JOIN availability a USING (patent_id, technology)
        LEFT JOIN class_lists l USING (patent_id)
        ORDER BY f.technology, f.patent_id
    """
    raw = run_script(con, script)
    n_citations = pl.sum_horizontal("c_uw", "c_nw", "c_uo", "c_no")
    n_available = pl.sum_horizontal("a_uw", "a_nw", "a_uo", "a_no")
    table = (
        raw.with_columns(n_citations=n_citations, n_available=n_available)
        .filter(pl.col("n_citations") > 0)
        .with_columns(
            perus=(pl.col("c_uw") + pl.col("c_uo")) / pl.col("n_citations"),
            perus_avail=(pl.col("a_uw") + pl.col("a_uo")) / pl.col("n_available"),
        )
    )
    return CitationVariables(
        table=table,
        report=_report(con, grant_year_end)
        | {"focal_without_citations_in_window": raw.height - table.height, "focal_patents": table.height},
    )


def input_report(
    focal: pl.DataFrame,
    patents: pl.DataFrame,
    patent_inventors: pl.DataFrame,
    patent_citations: pl.DataFrame,
    grant_year_end: int | None = None,
) -> dict[str, int]:
    """:func:`input_report_in` on a fresh in-memory DuckDB where the frames are registered."""
    frames = {"patents": patents, "patent_inventors": patent_inventors, "patent_citations": patent_citations}
    with connection() as con:
        _register_inputs(con, frames)
        return input_report_in(con, focal, grant_year_end)


def input_report_in(
    con: duckdb.DuckDBPyConnection, focal: pl.DataFrame, grant_year_end: int | None = None
) -> dict[str, int]:
    """Counts of the input :func:`citation_variables` leaves out: focal patents missing from
    ``patents``, without application date or first inventor; citations of focal patents to
    patents missing from ``patents``, granted after ``grant_year_end`` (with the bound, which the
    report then states), or without application date or first inventor. On a connection where
    ``patents``, ``patent_inventors`` and ``patent_citations`` are relations (as in
    :func:`citation_variables_in`); registers ``focal_ids``."""
    _input_status(con, focal, grant_year_end)
    return _report(con, grant_year_end)


def create_input_views(con: duckdb.DuckDBPyConnection, relations: Mapping[str, str]) -> None:
    """Views ``patents``, ``patent_classes``, ``patent_inventors``, ``patent_citations`` on ``con``,
    each selecting the :data:`INPUT_COLUMNS` of the relation ``relations`` names for it (e.g.
    ``store.raw.patents`` of an attached file)."""
    for table, columns in INPUT_COLUMNS.items():
        con.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT {', '.join(columns)} FROM {relations[table]}")


def _register_inputs(con: duckdb.DuckDBPyConnection, frames: Mapping[str, pl.DataFrame]) -> None:
    """Register each frame of ``frames`` (input table -> frame) on ``con``, its :data:`INPUT_COLUMNS` only."""
    for table, frame in frames.items():
        con.register(table, frame.select(INPUT_COLUMNS[table]).to_arrow())


def _input_status(con: duckdb.DuckDBPyConnection, focal: pl.DataFrame, grant_year_end: int | None) -> None:
    """Temporary table ``input_status``: per focal patent (``focal``) and per patent a focal
    patent cites (``citations``: the citation rows to it), whether it is in ``patents``
    (``listed``), granted by ``grant_year_end``, also with an application date (``dated``), and
    whether it has a first inventor with a country (``located``). Patents are looked up by id
    only for these few ids, so the big tables are scanned once, never copied."""
    con.register("focal_ids", focal.select("patent_id").unique().to_arrow())
    granted = granted_by(grant_year_end)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE input_status AS
        WITH ids AS (
            SELECT patent_id, bool_or(focal) AS focal, sum(citations)::BIGINT AS citations FROM (
                SELECT patent_id, true AS focal, 0 AS citations FROM focal_ids
                UNION ALL
                SELECT cited_id, false, count(*) FROM patent_citations
                WHERE citing_id IN (SELECT patent_id FROM focal_ids) GROUP BY cited_id)
            WHERE patent_id IS NOT NULL GROUP BY patent_id),
        listed AS (
            SELECT patent_id, bool_or({granted}) AS granted,
                   bool_or({granted} AND application_date IS NOT NULL) AS dated
            FROM patents WHERE patent_id IN (SELECT patent_id FROM ids) GROUP BY patent_id),
        located AS (
            SELECT DISTINCT patent_id FROM patent_inventors
            WHERE sequence = 0 AND country IS NOT NULL AND patent_id IN (SELECT patent_id FROM ids))
        SELECT i.*, l.patent_id IS NOT NULL AS listed, coalesce(l.granted, false) AS granted,
               coalesce(l.dated, false) AS dated, o.patent_id IS NOT NULL AS located
        FROM ids i LEFT JOIN listed l USING (patent_id) LEFT JOIN located o USING (patent_id)
    """)


#: The counts of the input report: key -> which rows of ``input_status`` it counts (focal patents,
#: or the citation rows of focal patents to the patents it selects).
_REPORT_RULES = {
    "citations_to_patents_granted_after_grant_year_end": ("citations", "listed AND NOT granted"),
    "focal_not_in_patents": ("focal", "NOT listed"),
    "focal_without_application_date": ("focal", "granted AND NOT dated"),
    "focal_without_first_inventor": ("focal", "dated AND NOT located"),
    "citations_to_unknown_patents": ("citations", "NOT listed"),
    "citations_to_undated_patents": ("citations", "granted AND NOT dated"),
    "citations_to_patents_without_first_inventor": ("citations", "dated AND NOT located"),
}


def _report(con: duckdb.DuckDBPyConnection, grant_year_end: int | None) -> dict[str, int]:
    """The input report from ``input_status`` (:func:`_input_status`); the sample bound and the
    citations beyond it only when ``grant_year_end`` is given."""
    counts = {
        "focal": "count(*) FILTER (WHERE focal AND {rule})",
        "citations": "coalesce(sum(citations) FILTER (WHERE {rule}), 0)",
    }
    aggregates = ", ".join(
        f"{counts[kind].format(rule=rule)}::BIGINT AS {key}" for key, (kind, rule) in _REPORT_RULES.items()
    )
    row = con.execute(f"SELECT {aggregates} FROM input_status").pl().row(0, named=True)
    if grant_year_end is None:
        del row["citations_to_patents_granted_after_grant_year_end"]
        return row
    return {"grant_year_end": grant_year_end} | row
