"""Labels files of the classifiers (training and evaluation): bad input named by file, line and
column; overlapping training and evaluation ids refused; every classifier scored on the
hand-labelled real-style abstracts of ``fixtures/hand_labelled_patents.csv``."""

from pathlib import Path

import polars as pl
import pytest

from ree_assets.core.patents import classify, evaluation
from ree_assets.errors import DataValidationError
from ree_assets.sources import patent_evaluation as pe

HAND = Path(__file__).parent / "fixtures" / "hand_labelled_patents.csv"


def labels_file(tmp_path: Path, edit) -> Path:
    lines = HAND.read_text().splitlines()
    path = tmp_path / "training_labels.csv"
    path.write_text("\n".join(edit(lines)) + "\n")
    return path


def test_the_hand_labelled_file_reads():
    frame = pe.read_labels(HAND, "patent_evaluation_set")
    assert frame.height >= 40 and frame["is_ree"].all()
    assert frame["classes"].list.len().min() >= 1


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda lines: [lines[0], lines[1], lines[2].replace(",3499,", ",9999,", 1)], r"line 3, column 'sic4'.*9999"),
        (lambda lines: [lines[0], lines[1], lines[2], lines[1]], r"line 4, column 'patent_id'.*H01"),
        (lambda lines: [lines[0].replace("technology", "tech"), lines[1]], r"line 1, column 'technology'"),
        (lambda lines: [lines[0], lines[1].replace(",true,", ",yes,", 1)], r"line 2, column 'is_ree'.*yes"),
    ],
)
def test_bad_labels_files_name_file_line_and_column(tmp_path, edit, message):
    path = labels_file(tmp_path, edit)
    with pytest.raises(DataValidationError, match=message) as error:
        pe.read_labels(path, "patent_training_set")
    assert str(path) in str(error.value)


def test_training_labels_overlapping_the_evaluation_set_are_refused():
    frame = pe.read_labels(HAND, "patent_evaluation_set")
    with pytest.raises(DataValidationError, match=r"disjoint.*2 shared ids: H03, H07"):
        pe.disjoint_labels(frame.filter(pl.col("patent_id").is_in(["H03", "H07"])), frame, pe.TRAINING_FILE)
    pe.disjoint_labels(frame.head(3), frame.tail(3), pe.TRAINING_FILE)


#: Least scores on the hand-labelled abstracts (observed with the embedded small world's
#: concordance and training set, seed 20100701: keyword SIC 0.60, Sens-weighted 0.93, flag FP 0,
#: recall 1.0; concordance Sens-weighted 0.74; trained technology 0.82), bounds at about twice the
#: observed error. The trained classifier's SIC rests on class tokens, which most of these
#: abstracts lack: it abstains on 75% and gets 0.48 Sens-weighted, too weak for a bound.
LEAST = {
    "keyword": {"sic_accuracy": 0.2, "sic_accuracy_sens_weighted": 0.85, "flag_recall": 0.9},
    "concordance": {"sic_accuracy_sens_weighted": 0.47},
    "trained": {"technology_accuracy": 0.64},
}


@pytest.mark.slow
def test_every_classifier_on_the_hand_labelled_abstracts():
    from ree_assets.sources.catalog import SourceSettings
    from ree_assets.sources.embedded.sensitivity_truth import embedded_sensitivity

    settings = SourceSettings(mode="embedded", seed=pe.DEFAULT_SEED, size=pe.DEFAULT_SIZE)
    hand = pe.read_labels(HAND, "patent_evaluation_set")
    concordance, training = pe.read_concordance(settings), pe.read_training_set(settings)
    sens = embedded_sensitivity(pe.DEFAULT_SEED, pe.DEFAULT_SIZE)
    for kind, least in LEAST.items():
        model = classify.build_classifier(kind, pe.sic_titles(), concordance, training, seed=pe.DEFAULT_SEED)
        measures = evaluation.classifier_measures(hand, model.predict(hand, classify.labelled_classes(hand)), sens)
        for name, bound in least.items():
            assert measures[name] >= bound, (kind, name, measures)
        if kind != "trained":  # the rules' flag: no false positive on these abstracts
            assert measures["flag_false_positive_rate"] <= 0.05, (kind, measures)
