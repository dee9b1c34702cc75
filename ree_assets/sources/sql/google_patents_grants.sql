-- US grants of one grant year from Google Patents Public Data (BigQuery), one row per grant with
-- its nested fields; ree_assets.sources.google_patents flattens them into the six canonical tables.
-- Parameters: @first_day, @last_day (INT64 yyyymmdd, the grant year's first and last day).
-- Table: patents-public-data.patents.publications (IFI CLAIMS / Google, CC BY 4.0).
SELECT
  publication_number,
  kind_code,
  grant_date,
  filing_date,
  (SELECT t.text FROM UNNEST(title_localized) AS t WHERE t.language = 'en' LIMIT 1) AS title,
  (SELECT a.text FROM UNNEST(abstract_localized) AS a WHERE a.language = 'en' LIMIT 1) AS abstract,
  (SELECT c.text FROM UNNEST(claims_localized) AS c WHERE c.language = 'en' LIMIT 1) AS claims,
  ARRAY(SELECT AS STRUCT a.name, a.country_code FROM UNNEST(assignee_harmonized) AS a) AS assignees,
  ARRAY(SELECT AS STRUCT i.name, i.country_code FROM UNNEST(inventor_harmonized) AS i) AS inventors,
  ARRAY(SELECT AS STRUCT c.code, c.first FROM UNNEST(cpc) AS c) AS cpc,
  ARRAY(SELECT AS STRUCT c.code, c.first FROM UNNEST(ipc) AS c) AS ipc,
  ARRAY(SELECT AS STRUCT c.code, c.first FROM UNNEST(uspc) AS c) AS uspc,
  ARRAY(SELECT AS STRUCT c.publication_number, c.category, c.filing_date
        FROM UNNEST(citation) AS c WHERE c.publication_number != '') AS citations
FROM `patents-public-data.patents.publications`
WHERE country_code = 'US'
  AND grant_date BETWEEN @first_day AND @last_day
  AND REGEXP_CONTAINS(kind_code, r'^(B1|B2|E|S|P|H)')
