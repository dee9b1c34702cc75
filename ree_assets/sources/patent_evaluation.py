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
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ree_assets.errors import SourceUnavailableError
from ree_assets.sources.catalog import SourceSettings, read_canonical_csv
from ree_assets.sources.contracts import contract_path

EVALUATION_FILE = "patents/evaluation_labels.csv"
#: Training ids start here, beyond the AFSV id blocks (6,300,000 + 17 x 230,000).
TRAINING_FIRST_ID = 20_000_000
LABELLED_COLUMNS = ("patent_id", "title", "abstract", "is_ree", "technology", "sic4", "ree_enhancing", "label_source")


def _corpus(seed: int, size: str) -> pl.DataFrame:
    """Every AFSV grant (patents joined to their true labels)."""
    from ree_assets.sources.embedded.patent_world import AFSV_FIRST_YEAR, LAST_GRANT_YEAR, afsv_year

    years = range(AFSV_FIRST_YEAR, LAST_GRANT_YEAR + 1)
    return pl.concat(
        [
            afsv_year(year, seed, size)["patents"].join(afsv_year(year, seed, size)["patent_labels"], on="patent_id")
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
    (a share ``ree_share`` of REE grants), texts written anew with the training vocabulary,
    ids from :data:`TRAINING_FIRST_ID`, label noise as in the evaluation set."""
    from ree_assets.sources.embedded.patent_text import TEXT_DRAWS, background_text, ree_text
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
    return with_label_noise(written, rng, noise)


def read_evaluation_set(settings: SourceSettings) -> pl.DataFrame:
    """The evaluation set of the selected data-source mode."""
    if settings.mode == "embedded":
        return embedded_evaluation_set(settings.seed, settings.size)
    path = settings.data_dir / EVALUATION_FILE
    if not path.is_file():
        raise SourceUnavailableError(
            "patent_evaluation_set",
            f"hand-labelled file {path}",
            settings.mode,
            str(contract_path("patent_evaluation_set")),
        )
    return read_canonical_csv(path, "patent_evaluation_set", settings.mode)
