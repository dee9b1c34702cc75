"""Google Patents Public Data on BigQuery -> the six canonical patent tables (the scale-out
path: a whole grant year in one query, no bulk files to download).

The query (``sql/google_patents_grants.sql``) selects the US grants of one year from
``patents-public-data.patents.publications`` with their nested assignees, inventors, classes
(cpc, ipc, uspc: ``first`` marks the main one) and citations; :func:`publications_to_tables`
flattens its rows. Publication numbers ``US-7521045-B2`` become patent ids ``7521045``; a
citation's office is the prefix of the cited publication number and its date the cited
application's filing date (the table carries no publication date per citation). Needs the
optional extra ``bigquery`` (google-cloud-bigquery) and Google Cloud credentials; untested
against the live service here (no network): the tests check the SQL it sends and the flattening
on rows in the documented schema.
"""

from __future__ import annotations

from importlib import resources

import polars as pl

from ree_assets.sources.patent_tables import PATENT_TABLES, assignee_type, conform, iso3, patent_number

SOURCE = "bigquery"


def google_patents_query() -> str:
    """The SQL text sent to BigQuery (parameters @first_day and @last_day)."""
    return resources.files(__package__).joinpath("sql/google_patents_grants.sql").read_text("utf-8")


def query_parameters(year: int) -> dict[str, int]:
    """The query's parameters for a grant year: its first and last day as yyyymmdd integers."""
    return {"first_day": year * 10000 + 101, "last_day": year * 10000 + 1231}


def _date(column: str) -> pl.Expr:
    """A yyyymmdd integer (0: unknown) as a date."""
    return pl.when(pl.col(column) > 0).then(pl.col(column).cast(pl.String).str.to_date("%Y%m%d", strict=False))


def _parts(column: str) -> pl.Expr:
    """The number of a publication id "US-7521045-B2" without zero padding."""
    return (
        pl.col(column).str.split("-").list.get(1, null_on_oob=True).map_elements(patent_number, return_dtype=pl.String)
    )


def publications_to_tables(rows: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The six canonical tables of the query's rows."""
    base = rows.with_columns(_parts("publication_number").alias("patent_id"), _date("grant_date").alias("granted"))
    base = base.with_columns(pl.col("granted").dt.year().alias("grant_year"))
    tables = {
        "patents": base.select(
            "patent_id",
            pl.col("granted").alias("grant_date"),
            _date("filing_date").alias("application_date"),
            pl.col("title").fill_null(""),
            "abstract",
            pl.col("kind_code").alias("kind"),
            pl.lit(SOURCE).alias("source"),
            "grant_year",
        ),
        "patent_texts": base.filter(pl.col("claims").is_not_null()).select(
            "patent_id", pl.lit("claims").alias("section"), pl.col("claims").alias("text"), "grant_year"
        ),
    }
    for table, column in (("patent_assignees", "assignees"), ("patent_inventors", "inventors")):
        people = (
            base.select("patent_id", "grant_year", pl.col(column))
            .explode(column)
            .drop_nulls(column)
            .with_columns(pl.int_range(pl.len()).over("patent_id").alias("sequence"))
            .unnest(column)
        )
        people = people.with_columns(pl.col("country_code").map_elements(iso3, return_dtype=pl.String).alias("country"))
        if table == "patent_assignees":  # the harmonized names carry no type code
            people = people.with_columns(pl.lit(assignee_type(None)).alias("assignee_type"))
        tables[table] = people
    classes = []
    for scheme in ("cpc", "ipc", "uspc"):
        exploded = (
            base.select("patent_id", "grant_year", pl.col(scheme)).explode(scheme).drop_nulls(scheme).unnest(scheme)
        )
        classes.append(
            exploded.select(
                "patent_id",
                pl.lit(scheme).alias("scheme"),
                "code",
                pl.col("first").fill_null(False).alias("is_main"),
                "grant_year",
            )
        )
    tables["patent_classes"] = pl.concat(classes).unique(
        ["patent_id", "scheme", "code"], keep="first", maintain_order=True
    )
    citations = (
        base.select("patent_id", "grant_year", "citations")
        .explode("citations")
        .drop_nulls("citations")
        .unnest("citations")
        .with_columns(pl.int_range(pl.len()).over("patent_id").alias("sequence"))
    )
    tables["patent_citations"] = citations.select(
        pl.col("patent_id").alias("citing_id"),
        pl.when(pl.col("publication_number").str.starts_with("US-"))
        .then(_parts("publication_number"))
        .otherwise(pl.col("publication_number"))
        .alias("cited_id"),
        _date("filing_date").alias("cited_date"),
        pl.col("publication_number").str.slice(0, 2).alias("cited_office"),
        pl.col("category").replace("", None),
        "sequence",
        "grant_year",
    )
    return {table: conform(table, tables[table]) for table in PATENT_TABLES}


def read_google_patents(year: int, project: str | None = None, client=None) -> dict[str, pl.DataFrame]:
    """The six canonical tables of the US grants of ``year``, queried on BigQuery (billed to
    ``project``; ``client``: a ``google.cloud.bigquery.Client`` or anything with its ``query``)."""
    from google.cloud import bigquery

    client = client or bigquery.Client(project=project)
    config = bigquery.QueryJobConfig(
        query_parameters=[
            bigquery.ScalarQueryParameter(name, "INT64", value) for name, value in query_parameters(year).items()
        ]
    )
    return publications_to_tables(pl.DataFrame(client.query(google_patents_query(), job_config=config).to_arrow()))
