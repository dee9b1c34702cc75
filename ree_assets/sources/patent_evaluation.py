"""The labelled evaluation and training sets of the patent classifiers
(``specs/patents_and_did.md``, Classification).

- ``embedded``: the evaluation set is a random sample of the synthetic USPTO's AFSV grants
  (2002-2018; REE mainly, some non-REE) with the true labels the generator drew: the corpus the
  DiD counts, written with the evaluation vocabulary of ``embedded.patent_text``. The training
  set (:func:`embedded_training_set`) has the same kind of labels, drawn from the corpus's own
  label mix, but its texts are written anew with the disjoint training vocabulary (no template,
  product phrase or clause of one vocabulary occurs in the other) and its ids lie outside every
  grant year's block (from :data:`TRAINING_FIRST_ID`): a classifier fitted to it has seen none of
  the evaluation phrasings, as a classifier trained on an LLM-labelled sample of another corpus
  would not. Both carry label noise: a share ``noise`` of the technology, REE-enhancing and SIC
  labels is changed at random (SIC to another industry of the same 3-digit group), as hand labels
  would be. Classes of the evaluation patents are those of the corpus (``patent_classes``).
- ``local`` / ``download``: the user's hand-labelled file ``patents/evaluation_labels.csv`` in
  ``REE_DATA_DIR`` (the contract's columns).

The classifiers' other inputs are read here too:

- the training labels of the ``trained`` classifier: embedded, :func:`embedded_training_set`; local,
  ``patents/training_labels.csv`` (the evaluation file's columns; the ``llm`` classifier writes
  one for a sample, ``services.llm_classifier.write_training_labels``);
- the class -> SIC concordance (scheme, code, sic4, weight = P(sic4 | code)): embedded, the
  world's shipped table; local, ``patents/class_sic_concordance.csv``.

A labels file is refused, naming the file, line and column, when a column is missing, a
patent_id repeats or a SIC code or technology is unknown; training labels that share patents
with the evaluation set are refused naming the ids (:func:`disjoint_labels`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl

from ree_assets.core.patents import classify
from ree_assets.errors import DataValidationError, SourceUnavailableError
from ree_assets.sources.catalog import SourceSettings
from ree_assets.sources.contracts import contract_columns, contract_path
from ree_assets.sources.embedded.dims import WorldSize
from ree_assets.sources.files import read_csv

EVALUATION_FILE = "patents/evaluation_labels.csv"
TRAINING_FILE = "patents/training_labels.csv"
CONCORDANCE_FILE = "patents/class_sic_concordance.csv"
#: The seed and size of the world :func:`default_classifier` is built on.
DEFAULT_SEED = 20100701
DEFAULT_SIZE: WorldSize = "small"
#: Training ids start here, beyond the AFSV id blocks (6,300,000 + 17 x 230,000).
TRAINING_FIRST_ID = 20_000_000
LABELLED_COLUMNS = ("patent_id", "title", "abstract", "is_ree", "technology", "sic4", "ree_enhancing", "label_source")


def _corpus(seed: int, size: str) -> pl.DataFrame:
    """Every AFSV grant (patents joined to their true labels)."""
    from ree_assets.sources.embedded.patent_world import AFSV_FIRST_YEAR, LAST_GRANT_YEAR, afsv_grants

    years = range(AFSV_FIRST_YEAR, LAST_GRANT_YEAR + 1)
    return pl.concat(
        [
            afsv_grants(year, seed, size)["patents"].join(
                afsv_grants(year, seed, size)["patent_labels"], on="patent_id"
            )
            for year in years
        ]
    )


def _sample(corpus: pl.DataFrame, rng: np.random.Generator, n_ree: int, n_other: int) -> pl.DataFrame:
    ree, other = corpus.filter("is_ree"), corpus.filter(~pl.col("is_ree"))
    return pl.concat(
        [
            ree.sample(min(n_ree, ree.height), seed=int(rng.integers(2**31))),
            other.sample(min(n_other, other.height), seed=int(rng.integers(2**31))),
        ]
    )


def with_label_noise(sample: pl.DataFrame, rng: np.random.Generator, noise: float) -> pl.DataFrame:
    """The labelled columns with a share ``noise`` of the REE grants' technology, REE-enhancing
    and SIC labels changed at random (technology: another one; SIC: another industry of the same
    3-digit group, where there is one)."""
    from ree_assets.sources.embedded.dims import sic1987_manufacturing
    from ree_assets.sources.embedded.patent_world import TECHNOLOGIES

    ree = sample["is_ree"].to_numpy()
    flip_technology, flip_enhancing, flip_sic = ((rng.random(sample.height) < noise) & ree for _ in range(3))
    noisy_technology = [
        TECHNOLOGIES[(TECHNOLOGIES.index(t) + 1 + rng.integers(len(TECHNOLOGIES) - 1)) % len(TECHNOLOGIES)]
        if flip
        else t
        for t, flip in zip(sample["technology"].fill_null("Other"), flip_technology, strict=True)
    ]
    codes = [code for code, _ in sic1987_manufacturing()]
    noisy_sic = []
    for s, flip in zip(sample["sic4"], flip_sic, strict=True):
        neighbours = [c for c in codes if c[:3] == s[:3] and c != s]
        noisy_sic.append(neighbours[rng.integers(len(neighbours))] if flip and neighbours else s)
    return sample.select(
        "patent_id",
        "title",
        "abstract",
        "is_ree",
        pl.when("is_ree").then(pl.Series(noisy_technology)).alias("technology"),
        pl.Series("sic4", noisy_sic),
        (pl.col("ree_enhancing") ^ pl.Series(flip_enhancing)).alias("ree_enhancing"),
        pl.lit("synthetic").alias("label_source"),
    )


def embedded_evaluation_set(
    seed: int, size: str, n_ree: int = 2_000, n_other: int = 400, noise: float = 0.03
) -> pl.DataFrame:
    """A labelled random sample of the synthetic AFSV grants (``n_ree`` REE, ``n_other``
    non-REE), written with the evaluation vocabulary, with label noise."""
    from ree_assets.sources.embedded.world import stage_rng

    rng = stage_rng(seed, "patents:evaluation")
    return with_label_noise(_sample(_corpus(seed, size), rng, n_ree, n_other), rng, noise)


def embedded_training_set(
    seed: int, size: str, n: int = 2_000, ree_share: float = 0.8, noise: float = 0.03
) -> pl.DataFrame:
    """``n`` labelled patents for fitting a classifier: labels drawn from the synthetic corpus
    (a share ``ree_share`` of REE grants), texts written anew with the training vocabulary, classes
    drawn anew through the world's class -> SIC concordance from the true labels
    (``patent_classes.draw_classes``, as the corpus's own; ``classes`` a list of "scheme:code", and
    the grant year), ids from :data:`TRAINING_FIRST_ID`, label noise as in the evaluation set."""
    from ree_assets.sources.embedded.patent_classes import draw_classes
    from ree_assets.sources.embedded.patent_text import TEXT_DRAWS, background_text, ree_text
    from ree_assets.sources.embedded.patent_world import industry_codes
    from ree_assets.sources.embedded.world import stage_rng

    rng = stage_rng(seed, "patents:training")
    n_ree = round(n * ree_share)
    labels = _sample(_corpus(seed, size), rng, n_ree, n - n_ree)
    draws = rng.random((labels.height, TEXT_DRAWS)).tolist()
    texts = [
        ree_text(iter(d), "training", t, e, s) if ree else background_text(iter(d), "training", s)
        for d, ree, t, e, s in zip(
            draws, labels["is_ree"], labels["technology"], labels["ree_enhancing"], labels["sic4"], strict=True
        )
    ]
    written = labels.with_columns(
        pl.Series("patent_id", [str(TRAINING_FIRST_ID + k) for k in range(labels.height)]),
        pl.Series("title", [t[0] for t in texts]),
        pl.Series("abstract", [t[1] for t in texts]),
    )
    ids = written["patent_id"].to_list()
    technology = [t if ree else None for t, ree in zip(written["technology"], written["is_ree"], strict=True)]
    drawn = draw_classes(rng, ids, written["sic4"].to_numpy(), technology, 0, industry_codes(seed, size))  # type: ignore[arg-type]
    classes = drawn.group_by("patent_id").agg(pl.concat_str("scheme", pl.lit(":"), "code").alias("classes"))
    grant_year = written.select("patent_id", pl.col("grant_date").dt.year().cast(pl.Int64).alias("grant_year"))
    return (
        with_label_noise(written, rng, noise)
        .join(classes, on="patent_id", how="left")
        .join(grant_year, on="patent_id", how="left")
    )


def with_world_classes(labelled: pl.DataFrame, seed: int, size: str) -> pl.DataFrame:
    """A labelled sample of the synthetic USPTO with its grants' classes (``classes``, a list of
    "scheme:code") and grant year, looked up in the world by patent id."""
    from ree_assets.sources.embedded.patent_world import AFSV_FIRST_YEAR, FIRST_AFSV_ID, IDS_PER_YEAR, afsv_grants

    if "classes" in labelled.columns and "grant_year" in labelled.columns:
        return labelled
    years = sorted({AFSV_FIRST_YEAR + (int(i) - FIRST_AFSV_ID) // IDS_PER_YEAR for i in labelled["patent_id"]})
    classes = pl.concat([afsv_grants(year, seed, size)["patent_classes"] for year in years])
    listed = classes.group_by("patent_id").agg(
        pl.concat_str("scheme", pl.lit(":"), "code").alias("classes"), pl.col("grant_year").first()
    )
    return labelled.drop("classes", "grant_year", strict=False).join(listed, on="patent_id", how="left")


#: The optional columns of a labels table, null where a source has none.
OPTIONAL_LABEL_COLUMNS: dict[str, pl.DataType] = {"classes": pl.List(pl.String), "grant_year": pl.Int64()}


def with_optional_columns(labelled: pl.DataFrame) -> pl.DataFrame:
    """The labels with the optional columns (:data:`OPTIONAL_LABEL_COLUMNS`) it lacks, as nulls."""
    return labelled.with_columns(
        pl.lit(None, dtype).alias(name)
        for name, dtype in OPTIONAL_LABEL_COLUMNS.items()
        if name not in labelled.columns
    )


def sic_titles() -> pl.DataFrame:
    """(sic4, title) of the SIC 1987 manufacturing industries: the codes a label may take."""
    from ree_assets.sources.embedded.dims import sic1987_manufacturing

    return pl.DataFrame(sic1987_manufacturing(), schema=["sic4", "title"], orient="row")


def industry_titles(industries: Collection[str] | None = None) -> pl.DataFrame:
    """:func:`sic_titles` of ``industries`` (the SIC industries the study covers: those with a
    sensitivity; None: every one): the industries a rule-based classifier chooses among."""
    titles = sic_titles()
    return titles if industries is None else titles.filter(pl.col("sic4").is_in(list(industries)))


def offline_classifier(
    kind: str,
    concordance: pl.DataFrame,
    training: pl.DataFrame,
    *,
    industries: Collection[str] | None = None,
    threshold: float = 0.5,
    seed: int = 0,
) -> classify.TextClassifier:
    """One of ``classify.OFFLINE_CLASSIFIERS`` as the pipeline builds it: ``keyword`` and
    ``concordance`` choose among ``industries`` (:func:`industry_titles`,
    ``classify.restrict_concordance``); ``trained`` is fitted to the ``training`` labels against
    every SIC title, as its labels may name any industry (one fit per process for the same labels,
    threshold and seed)."""
    if kind == "trained":
        return _fitted(_Fit(training, (threshold, seed)))
    if industries is not None:
        concordance = classify.restrict_concordance(concordance, industries)
    return classify.build_classifier(kind, industry_titles(industries), concordance, training, seed=seed)


@dataclass(frozen=True)
class _Fit:
    """Training labels and fit parameters, hashed by content (so a fit is reused in a process)."""

    frame: pl.DataFrame
    parameters: tuple

    def __hash__(self) -> int:
        return hash(
            (self.frame.height, int(self.frame.drop("classes", strict=False).hash_rows().sum()), self.parameters)
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Fit) and hash(self) == hash(other) and self.frame.equals(other.frame)


@lru_cache(maxsize=2)
def _fitted(fit: _Fit) -> classify.TextClassifier:
    """``classify.train_classifier`` on the fit's labels and every SIC title."""
    threshold, seed = fit.parameters
    return classify.train_classifier(fit.frame, sic_titles(), threshold=threshold, seed=seed)


def read_labels(path: Path, table: str) -> pl.DataFrame:
    """A labels file (training or evaluation) in the contract's columns (``classes`` as
    "scheme:code" separated by ";", and ``grant_year``, optional). DataValidationError names the
    file, the line and the column of a missing column (line 1, the header), a repeated patent_id,
    an unknown SIC code or technology."""
    contract = contract_path(table)
    columns = contract_columns(table)
    header = read_csv(path, table).columns
    required = [c for c in (*classify.LABELLED_COLUMNS, "label_source") if c in columns]
    if missing := [c for c in required if c not in header]:
        raise DataValidationError(
            table,
            "the header has the labelled columns",
            file=path,
            line=1,
            column=", ".join(missing),
            contract=contract,
        )
    present = {c: t for c, t in columns.items() if c in header and t not in (pl.List(pl.String), pl.Boolean)}
    frame = read_csv(path, table, present, contract, line_column="_line")
    for column in [c for c, t in columns.items() if c in header and t == pl.Boolean]:
        text = pl.col(column).str.strip_chars().str.to_lowercase()
        parsed = pl.when(text.is_in(["true", "1"])).then(True).when(text.is_in(["false", "0"])).then(False)
        bad = frame.filter(pl.col(column).is_not_null() & parsed.is_null())
        if bad.height:
            raise DataValidationError(
                table,
                f"values of {column} are true or false",
                file=path,
                line=int(bad["_line"][0]),
                column=column,
                detail=f"value {bad[column][0]!r}",
                contract=contract,
            )
        frame = frame.with_columns(parsed.alias(column))
    if "classes" in header:
        frame = frame.with_columns(pl.col("classes").str.split(";"))
    try:
        classify.validate_labelled(frame.drop("_line"), sic_titles(), table)
    except DataValidationError as error:
        line = None if not isinstance(error.row, int) else int(frame["_line"][error.row])
        raise DataValidationError(
            table, error.rule, column=error.column, detail=error.detail, file=path, line=line, contract=contract
        ) from None
    return with_optional_columns(frame.drop("_line"))


def disjoint_labels(training: pl.DataFrame, evaluation: pl.DataFrame, where: str) -> None:
    """Refuse training labels that share patents with the evaluation set (the evaluation would
    score patents the model has seen): DataValidationError naming ``where`` and the ids."""
    shared = sorted(set(training["patent_id"]) & set(evaluation["patent_id"]))
    if shared:
        raise DataValidationError(
            "patent_training_set",
            "training labels are disjoint from the evaluation set",
            file=where,
            column="patent_id",
            detail=f"{len(shared)} shared ids: {', '.join(shared[:20])}{' ...' if len(shared) > 20 else ''}",
        )


def _user_file(settings: SourceSettings, name: str, table: str) -> Path:
    path = settings.data_dir / name
    if not path.is_file():
        raise SourceUnavailableError(table, f"file {path}", settings.mode, str(contract_path(table)))
    return path


def read_evaluation_set(settings: SourceSettings) -> pl.DataFrame:
    """The evaluation set of the selected data-source mode."""
    if settings.mode == "embedded":
        return with_world_classes(embedded_evaluation_set(settings.seed, settings.size), settings.seed, settings.size)
    return read_labels(_user_file(settings, EVALUATION_FILE, "patent_evaluation_set"), "patent_evaluation_set")


def read_training_set(settings: SourceSettings) -> pl.DataFrame:
    """The training labels of the ``trained`` classifier in the selected mode."""
    if settings.mode == "embedded":
        return embedded_training_set(settings.seed, settings.size)
    return read_labels(_user_file(settings, TRAINING_FILE, "patent_training_set"), "patent_training_set")


def read_concordance(settings: SourceSettings) -> pl.DataFrame:
    """The class -> SIC concordance (scheme, code, sic4, weight) of the selected mode; every
    sic4 a SIC 1987 code, every weight a finite number in [0, 1] (DataValidationError names the
    file, line and column)."""
    if settings.mode == "embedded":
        from ree_assets.sources.embedded.patent_classes import class_sic_concordance

        return class_sic_concordance()
    path = _user_file(settings, CONCORDANCE_FILE, "class_sic_concordance")
    contract = contract_path("class_sic_concordance")
    frame = read_csv(path, "class_sic_concordance", contract_columns("class_sic_concordance"), contract, "_line")
    rules = {
        "sic4 is a SIC 1987 code": ("sic4", ~pl.col("sic4").is_in(sic_titles()["sic4"].implode())),
        "weight is a probability in [0, 1]": ("weight", ~pl.col("weight").is_between(0, 1)),
    }
    for rule, (column, bad) in rules.items():
        offending = frame.filter(bad.fill_null(True))
        if offending.height:
            raise DataValidationError(
                "class_sic_concordance",
                rule,
                file=path,
                line=int(offending["_line"][0]),
                column=column,
                detail=f"value {offending[column][0]!r}",
                contract=contract,
            )
    return frame.drop("_line")


def default_classifier() -> classify.TextClassifier:
    """The default classifier as ``patents_classified`` builds it, on the embedded small world of
    seed 20100701: every classifier that runs offline (:func:`offline_classifier`: keyword and
    concordance choosing among the world's industries with a sensitivity, trained on the embedded
    training set), scored on the embedded evaluation set with Sens of the world, and the one the
    spec's rule picks (``core.patents.evaluation.choose_default``)."""
    from ree_assets.core.patents import evaluation
    from ree_assets.sources.embedded.sensitivity_truth import embedded_sensitivity

    settings = SourceSettings(mode="embedded", seed=DEFAULT_SEED, size=DEFAULT_SIZE)
    labelled = read_evaluation_set(settings).filter("is_ree")
    sensitivity = embedded_sensitivity(DEFAULT_SEED, DEFAULT_SIZE)
    concordance, training = read_concordance(settings), read_training_set(settings)
    candidates = {
        kind: offline_classifier(
            kind, concordance, training, industries=sensitivity["sic4"].to_list(), seed=DEFAULT_SEED
        )
        for kind in classify.OFFLINE_CLASSIFIERS
    }
    measures = pl.DataFrame(
        [
            {
                "classifier": kind,
                **evaluation.classifier_measures(
                    labelled, model.predict(labelled, classify.labelled_classes(labelled)), sensitivity
                ),
            }
            for kind, model in candidates.items()
        ]
    )
    return candidates[evaluation.choose_default(measures)]
