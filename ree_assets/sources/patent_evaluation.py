"""The labelled evaluation set of the patent classifiers (``specs/patents_and_did.md``).

- ``embedded``: a random sample of the synthetic USPTO's grants (REE and non-REE) with the true
  labels the generator drew, written from the generator's own vocabulary (paraphrases,
  negations, distractors), never by a classifier's rules, plus label noise: a share ``noise`` of
  the technology and REE-enhancing labels is flipped at random, as hand labels would be.
- ``local`` / ``download``: the user's hand-labelled file ``patents/evaluation_labels.csv`` in
  ``REE_DATA_DIR`` (the contract's columns).
"""

from __future__ import annotations

import polars as pl

from ree_assets.errors import SourceUnavailableError
from ree_assets.sources.catalog import SourceSettings, read_canonical_csv
from ree_assets.sources.contracts import contract_path

EVALUATION_FILE = "patents/evaluation_labels.csv"
EVALUATION_YEARS = (2004, 2009, 2012, 2016)


def embedded_evaluation_set(
    seed: int, size: str, n_ree: int = 240, n_other: int = 60, noise: float = 0.03
) -> pl.DataFrame:
    """A labelled sample of the synthetic grants of :data:`EVALUATION_YEARS` with label noise."""
    from ree_assets.sources.embedded.patent_world import TECHNOLOGIES, afsv_year
    from ree_assets.sources.embedded.world import stage_rng

    rng = stage_rng(seed, "patents:evaluation")
    grants = pl.concat(
        [
            afsv_year(year, seed, size)["patents"].join(afsv_year(year, seed, size)["patent_labels"], on="patent_id")
            for year in EVALUATION_YEARS
        ]
    )
    ree, other = grants.filter("is_ree"), grants.filter(~pl.col("is_ree"))
    sample = pl.concat(
        [
            ree.sample(min(n_ree, ree.height), seed=int(rng.integers(2**31))),
            other.sample(min(n_other, other.height), seed=int(rng.integers(2**31))),
        ]
    )
    flip_technology = (rng.random(sample.height) < noise) & sample["is_ree"].to_numpy()
    flip_enhancing = (rng.random(sample.height) < noise) & sample["is_ree"].to_numpy()
    noisy_technology = [
        TECHNOLOGIES[(TECHNOLOGIES.index(t) + 1 + rng.integers(len(TECHNOLOGIES) - 1)) % len(TECHNOLOGIES)]
        if flip
        else t
        for t, flip in zip(sample["technology"].fill_null("Other"), flip_technology, strict=False)
    ]
    return sample.select(
        "patent_id",
        "title",
        "abstract",
        "is_ree",
        pl.when("is_ree").then(pl.Series(noisy_technology)).alias("technology"),
        "sic4",
        (pl.col("ree_enhancing") ^ pl.Series(flip_enhancing)).alias("ree_enhancing"),
        pl.lit("synthetic").alias("label_source"),
    )


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
