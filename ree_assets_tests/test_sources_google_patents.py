"""The Google Patents (BigQuery) reader: the SQL it sends and the flattening of rows in the
documented schema of patents-public-data.patents.publications (no live service here)."""

from datetime import date

import polars as pl
import pytest

from ree_assets.sources.google_patents import google_patents_query, publications_to_tables, query_parameters

ROWS = pl.DataFrame(
    [
        {
            "publication_number": "US-7521045-B2",
            "kind_code": "B2",
            "grant_date": 20090421,
            "filing_date": 20050804,
            "title": "Methods of inhibiting metastasis",
            "abstract": "A method ...",
            "claims": "1. A method ...",
            "assignees": [{"name": "GENZYME CORP", "country_code": "US"}],
            "inventors": [{"name": "DOE JOHN", "country_code": "US"}, {"name": "ROE JANE", "country_code": "DE"}],
            "cpc": [{"code": "A61K39/395", "first": True}],
            "ipc": [{"code": "A61K39/395", "first": True}],
            "uspc": [{"code": "424/130.1", "first": True}, {"code": "514/26", "first": False}],
            "citations": [
                {"publication_number": "US-5563048-A", "category": "SEA", "filing_date": 19941012},
                {"publication_number": "EP-0897980-A2", "category": "", "filing_date": 0},
            ],
        }
    ]
)


def test_query_text():
    sql = google_patents_query()
    assert "FROM `patents-public-data.patents.publications`" in sql
    assert "country_code = 'US'" in sql and "grant_date BETWEEN @first_day AND @last_day" in sql
    for field in (
        "title_localized",
        "abstract_localized",
        "claims_localized",
        "assignee_harmonized",
        "inventor_harmonized",
        "cpc",
        "ipc",
        "uspc",
        "citation",
    ):
        assert f"UNNEST({field})" in sql, field
    assert query_parameters(2012) == {"first_day": 20120101, "last_day": 20121231}


def test_rows_flatten_into_the_canonical_tables():
    tables = publications_to_tables(ROWS)
    patent = tables["patents"].row(0, named=True)
    assert (
        patent["patent_id"],
        patent["grant_date"],
        patent["application_date"],
        patent["grant_year"],
        patent["source"],
    ) == ("7521045", date(2009, 4, 21), date(2005, 8, 4), 2009, "bigquery")
    assert tables["patent_inventors"].select("sequence", "name", "country").rows() == [
        (0, "DOE JOHN", "USA"),
        (1, "ROE JANE", "DEU"),
    ]
    assert tables["patent_assignees"].row(0, named=True)["country"] == "USA"
    assert set(tables["patent_classes"].select("scheme", "code", "is_main").rows()) == {
        ("cpc", "A61K39/395", True),
        ("ipc", "A61K39/395", True),
        ("uspc", "424/130.1", True),
        ("uspc", "514/26", False),
    }
    assert tables["patent_citations"].select(
        "cited_id", "cited_office", "cited_date", "category", "sequence"
    ).rows() == [("5563048", "US", date(1994, 10, 12), "SEA", 0), ("EP-0897980-A2", "EP", None, None, 1)]
    assert tables["patent_texts"]["section"].to_list() == ["claims"]


def test_reader_sends_the_query_with_the_year_parameters():
    bigquery = pytest.importorskip("google.cloud.bigquery")
    from ree_assets.sources.google_patents import read_google_patents

    class FakeClient:
        def query(self, sql, job_config):
            self.sql, self.parameters = sql, {p.name: p.value for p in job_config.query_parameters}
            return self

        def to_arrow(self):
            return ROWS.to_arrow()

    client = FakeClient()
    tables = read_google_patents(2009, client=client)
    assert client.sql == google_patents_query() and client.parameters == {"first_day": 20090101, "last_day": 20091231}
    assert isinstance(bigquery.ScalarQueryParameter, type) and tables["patents"].height == 1
