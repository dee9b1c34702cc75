"""The names of the patent classifiers and of their evaluation's measures, apart from the
classifiers and the evaluation themselves so that the code location declares its assets without
loading them."""

#: The classifiers built from data alone (no model download, no endpoint), in the order they are
#: evaluated.
OFFLINE_CLASSIFIERS: tuple[str, ...] = ("keyword", "concordance", "trained")

#: The measures of the classifier evaluation, one column each.
MEASURES: tuple[str, ...] = (
    "sic_accuracy",
    "sic_accuracy_sens_weighted",
    "top_sens_recall",
    "technology_accuracy",
    "flag_false_positive_rate",
    "flag_recall",
    "abstention_rate",
)
