"""The embedded evaluation and training sets: sizes, disjoint ids, disjoint phrasings, labels
that are the corpus's (up to the stated noise)."""

import polars as pl
import pytest

from ree_assets.sources.embedded.patent_text import VOCABULARY
from ree_assets.sources.embedded.patent_world import patent_labels
from ree_assets.sources.patent_evaluation import (
    LABELLED_COLUMNS,
    TRAINING_FIRST_ID,
    embedded_evaluation_set,
    embedded_training_set,
)

SEED = 0


@pytest.fixture(scope="module")
def sets():
    return embedded_evaluation_set(SEED, "small"), embedded_training_set(SEED, "small", n=1_000)


def test_sizes_columns_and_disjoint_ids(sets):
    evaluation, training = sets
    assert evaluation.height >= 2_000 and evaluation["is_ree"].mean() > 0.75
    assert training.height == 1_000 and 0.7 < training["is_ree"].mean() < 0.9
    assert tuple(evaluation.columns) == LABELLED_COLUMNS
    assert tuple(training.columns) == (*LABELLED_COLUMNS, "classes", "grant_year")
    for frame in sets:
        assert frame["patent_id"].is_unique().all()
    assert not set(evaluation["patent_id"]) & set(training["patent_id"])
    assert training["patent_id"].cast(pl.Int64).min() >= TRAINING_FIRST_ID


def test_evaluation_labels_are_the_corpus_labels_up_to_the_noise(sets):
    """The evaluation set is a sample of the corpus the DiD counts: its labels differ from the
    generator's in about 3% of REE patents per label (the noise), never in is_ree."""
    evaluation, _ = sets
    truth = patent_labels(range(2002, 2019), SEED, "small")
    joined = evaluation.join(truth, on="patent_id", suffix="_true")
    assert joined.height == evaluation.height and (joined["is_ree"] == joined["is_ree_true"]).all()
    ree = joined.filter("is_ree")
    for label in ("sic4", "technology", "ree_enhancing"):
        changed = (ree[label] != ree[f"{label}_true"]).mean()
        assert 0.005 < changed < 0.06, label


def test_training_texts_use_only_the_training_vocabulary(sets):
    """Every REE training abstract opens with a training template and no evaluation sentence
    occurs in the training texts (nor a training one in the evaluation texts)."""
    evaluation, training = sets
    text = {
        name: " ".join(frame["abstract"].to_list())
        for name, frame in (("evaluation", evaluation), ("training", training))
    }
    for name, other in (("evaluation", "training"), ("training", "evaluation")):
        words = VOCABULARY[name]
        for sentence in (*words.false_savings, *words.benefits, *words.distractors, *words.ree_distractors):
            assert sentence not in text[other], (name, sentence)
    openings = [t.split("{")[0] or t.split("}")[1].split("{")[0] for t in VOCABULARY["training"].ree_openings]
    ree = training.filter("is_ree")["abstract"]
    assert all(any(o.strip() in a for o in openings) for a in ree)


def test_the_sets_are_reproducible():
    assert embedded_training_set(SEED, "small", n=200).equals(embedded_training_set(SEED, "small", n=200))


def test_training_patents_carry_classes_drawn_through_the_concordance(sets):
    """Every training patent has classes, and a REE training patent's technology code is one of its
    technology's (the corpus's own draw); its grant year is its corpus patent's."""
    from ree_assets.sources.embedded.patent_classes import TECHNOLOGY_CODES

    _, training = sets
    assert training["classes"].list.len().min() >= 1
    assert training["grant_year"].is_between(2002, 2018).all()
    magnets = training.filter(pl.col("is_ree") & (pl.col("technology") == "Magnet"))
    magnet_codes = {f"{scheme}:{code}" for scheme, rows in TECHNOLOGY_CODES["Magnet"].items() for code, _ in rows}
    with_magnet_code = magnets["classes"].map_elements(lambda c: bool(set(c) & magnet_codes), return_dtype=pl.Boolean)
    assert with_magnet_code.mean() > 0.9  # label noise changes 3% of technologies
