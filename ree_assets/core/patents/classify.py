"""Classifying REE patents: SIC 4-digit industry, technology and the REE-enhancing flag
(``specs/patents_and_did.md``, Classification), the control sample, the region of a patent and
the evaluation metrics.

Every classifier is a :class:`TextClassifier`: ``predict(patents, classes)`` maps a frame
(patent_id, title, abstract) and the patents' classes (patent_id, scheme, code) to (patent_id,
sic4, technology, ree_enhancing), sic4 null where it abstains. Three are built here:

- ``keyword`` (:class:`KeywordClassifier`): a product lexicon per industry
  (``core.patents.lexicon``) plus the patent's classes through the class -> SIC concordance;
  the flag's cue must attach to a rare earth;
- ``concordance`` (:class:`ConcordanceClassifier`): the classes alone through the concordance,
  argmax of the naive-Bayes posterior P(sic | classes) (:func:`concordance_scores`); abstains when
  no class maps;
- ``trained`` (:func:`train_classifier`): TF-IDF word and character n-grams (and class tokens)
  with a sigmoid-calibrated linear SVM per label; abstains below a probability threshold.

The embedding classifier takes the nearest labelled prototype by cosine similarity of sentence
embeddings (the ``encode`` function is passed in, so this module stays free of the model).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import polars as pl

from ree_assets.core.patents import lexicon
from ree_assets.core.patents.catalogue import OFFLINE_CLASSIFIERS
from ree_assets.errors import DataValidationError

TECHNOLOGIES: tuple[str, ...] = ("Battery", "Catalyst", "Lamp", "Magnet", "Motor", "Turbine", "Other")
LABEL_SCHEMA = {"patent_id": pl.String, "sic4": pl.String, "technology": pl.String, "ree_enhancing": pl.Boolean}
#: The columns of a labelled patent frame (training or evaluation set); ``classes`` (a list of
#: "scheme:code") and ``grant_year`` are optional.
LABELLED_COLUMNS: tuple[str, ...] = ("patent_id", "title", "abstract", "is_ree", "sic4", "technology", "ree_enhancing")
CONCORDANCE_COLUMNS: tuple[str, ...] = ("scheme", "code", "sic4", "weight")

#: Keyword rules, tried in this order (the first match wins: a motor or turbine built with
#: magnets is a motor or turbine patent, a catalyst for motor vehicles a catalyst patent).
#: Case-insensitive regular expressions on title + abstract.
TECHNOLOGY_RULES: tuple[tuple[str, str], ...] = (
    ("Turbine", r"\bturbine|\bwind\b|wind[- ]power"),
    ("Catalyst", r"cataly|exhaust|cracking|reforming|oxygen storage"),
    ("Motor", r"\bmotors?\b|\brotor|\bstator|electric(?:al)? machine|magnet machine|traction|brushless|drive unit"),
    ("Magnet", r"\bmagnet|coercivi|nd-?fe-?b|smco|sm-co"),
    ("Battery", r"batter|electrode|\bcells?\b.*(?:hydride|nickel|lithium)|hydrogen[- ]absorbing|energy storage"),
    ("Lamp", r"phosphor|\blamp|lumines|fluoresc|light[- ]emitting|\bled\b|backlight|light source"),
)
#: CPC main groups that decide the technology before any keyword (H01F 1/: magnets, ...).
CPC_TECHNOLOGY: tuple[tuple[str, str], ...] = (
    ("F03D", "Turbine"),
    ("H02K", "Motor"),
    ("H01F 1/", "Magnet"),
    ("H01M", "Battery"),
    ("B01J", "Catalyst"),
    ("B01D 53/94", "Catalyst"),
    ("C09K 11/", "Lamp"),
    ("H01J 61/", "Lamp"),
)
#: Weight of one lexicon phrase against the concordance's posterior P(sic | classes) in [0, 1] in the
#: keyword classifier's score (:func:`keyword_sic`): the classes decide, the lexicon breaks their
#: near-ties and speaks where no class maps. (On the embedded evaluation set a weight of 0.3
#: costs 0.10 of Sens-weighted accuracy: product words of a technology, "sintered magnet", are
#: found in patents of every industry that uses the technology.)
LEXICON_WEIGHT = 0.1


class TextClassifier(Protocol):
    """A patent classifier: (patent_id, sic4 or null, technology, ree_enhancing) of each patent."""

    @property
    def name(self) -> str: ...

    def predict(self, patents: pl.DataFrame, classes: pl.DataFrame | None = None) -> pl.DataFrame: ...


def _text(frame: pl.DataFrame) -> pl.Expr:
    return pl.concat_str([pl.col("title"), pl.col("abstract")], separator=". ", ignore_nulls=True)


def _labels(patents: pl.DataFrame, sic4: Any, technology: Any, enhancing: Any) -> pl.DataFrame:
    return pl.DataFrame(
        {"patent_id": patents["patent_id"], "sic4": sic4, "technology": technology, "ree_enhancing": enhancing},
        schema=LABEL_SCHEMA,
    )


def keyword_technology(frame: pl.DataFrame, classes: pl.DataFrame | None = None) -> pl.Series:
    """Technology by the first matching CPC main group of the patent, else by the first keyword
    rule of :data:`TECHNOLOGY_RULES` that matches title + abstract, else Other."""
    text = _text(frame).str.to_lowercase()
    by_words = pl.coalesce(
        *(pl.when(text.str.contains(pattern)).then(pl.lit(technology)) for technology, pattern in TECHNOLOGY_RULES),
        pl.lit("Other"),
    )
    labelled = frame.select("patent_id", by_words.alias("technology"))
    if classes is not None and classes.height:
        cpc = classes.filter(
            (pl.col("scheme") == "cpc") & pl.col("is_main")
            if "is_main" in classes.columns
            else pl.col("scheme") == "cpc"
        )
        rule = pl.coalesce(
            *(pl.when(pl.col("code").str.starts_with(prefix)).then(pl.lit(tech)) for prefix, tech in CPC_TECHNOLOGY)
        )
        by_class = cpc.select("patent_id", rule.alias("by_class")).drop_nulls().unique("patent_id", keep="first")
        labelled = labelled.join(by_class, on="patent_id", how="left", maintain_order="left").select(
            "patent_id", pl.coalesce("by_class", "technology").alias("technology")
        )
    return labelled["technology"]


def keyword_enhancing(frame: pl.DataFrame) -> pl.Series:
    """REE-enhancing: title + abstract have a saving, freeing, substituting or recycling cue that
    attaches to a rare earth, its amount, content or use and is not negated
    (:func:`ree_assets.core.patents.lexicon.enhancing_cue`)."""
    texts = frame.select(_text(frame))[:, 0].to_list()
    return pl.Series("ree_enhancing", [lexicon.enhancing_cue(t) for t in texts], dtype=pl.Boolean)


def _normalised_code(code: pl.Expr) -> pl.Expr:
    """A class code without spaces, upper case: "H01F 1/057" and "h01f1/057" are one code."""
    return code.str.replace_all(r"\s+", "").str.to_uppercase()


#: P(s | c) + CONCORDANCE_SMOOTHING for an industry s a class c's concordance row does not list, so
#: one class outside an industry's row lowers its posterior instead of ruling it out.
CONCORDANCE_SMOOTHING = 1e-3


def concordance_scores(classes: pl.DataFrame, concordance: pl.DataFrame) -> pl.DataFrame:
    """(patent_id, sic4, score): the posterior P(s | c_i1..c_iK) of industry s given the K classes
    of patent i that map, each through the concordance row of the longest code that prefixes it
    (a table at subclass level "H01F" maps "H01F 1/0577"; a full code wins over its subclass).

    Naive Bayes, the classes independent given the industry: P(c | s) = P(s | c) P(c) / P(s), so

        P(s | c_1..c_K) proportional to P(s)^(1-K) prod_k (P(s | c_k) + CONCORDANCE_SMOOTHING),

    with the concordance's weights as P(s | c) and P(s) the industry mix the concordance gives the
    classes classified, sum over every (patent, class) of P(s | c) over their number. Where one
    class maps, the posterior is its row; where several do, an industry every class points to wins
    over one that a single class with a broad row favours (the mean of the rows, which this
    replaces, gave 0.69 of the embedded evaluation set's SICs and the patent DiD 78 against a truth
    of 107; the posterior 0.77 and 96). Candidates are the industries of the patent's rows; patents
    none of whose classes maps have no rows."""
    table = concordance.select(
        "scheme", _normalised_code(pl.col("code")).alias("prefix"), "sic4", pl.col("weight").cast(pl.Float64)
    )
    longest = int(table["prefix"].str.len_chars().max() or 0)  # type: ignore[arg-type]
    codes = classes.select("patent_id", "scheme", _normalised_code(pl.col("code")).alias("code")).unique()
    candidates = codes.with_columns(
        pl.int_ranges(1, pl.min_horizontal(pl.col("code").str.len_chars(), longest) + 1).alias("length")
    ).explode("length")
    matched = (
        candidates.with_columns(pl.col("code").str.slice(0, pl.col("length")).alias("prefix"))
        .join(table.select("scheme", "prefix").unique(), on=["scheme", "prefix"])
        .sort("length")
        .unique(["patent_id", "scheme", "code"], keep="last")
        .select("patent_id", "scheme", "code", "prefix")
    )
    mapped = matched.join(table, on=["scheme", "prefix"])
    prior = mapped.group_by("sic4").agg((pl.col("weight").sum() / matched.height).alias("prior"))
    evidence = (
        mapped.select("patent_id", "sic4")
        .unique()
        .join(matched, on="patent_id")
        .join(
            mapped.select("patent_id", "scheme", "code", "sic4", "weight"),
            on=["patent_id", "scheme", "code", "sic4"],
            how="left",
        )
        .join(prior, on="sic4")
        .group_by("patent_id", "sic4")
        .agg(
            log_posterior=(
                (pl.col("weight").fill_null(0.0) + CONCORDANCE_SMOOTHING).log() - pl.col("prior").log()
            ).sum()
            + pl.col("prior").first().log()
        )
    )
    return evidence.select(
        "patent_id",
        "sic4",
        (pl.col("log_posterior") - pl.col("log_posterior").max().over("patent_id")).exp().alias("score"),
    ).with_columns(pl.col("score") / pl.col("score").sum().over("patent_id"))


def restrict_concordance(concordance: pl.DataFrame, industries: Collection[str]) -> pl.DataFrame:
    """The concordance conditioned on the industry being one of ``industries`` (those the study
    covers, e.g. the SIC industries of the IO table with a sensitivity):
    P(s | c, s in S) = P(s | c) / sum over s' in S of P(s' | c); codes with no row in S drop out."""
    kept = concordance.filter(pl.col("sic4").is_in(list(industries)))
    return kept.with_columns(pl.col("weight") / pl.col("weight").sum().over("scheme", "code"))


def lexicon_scores(patents: pl.DataFrame, known_sic: set[str] | None = None) -> pl.DataFrame:
    """(patent_id, sic4, score): the number of distinct phrases of industry sic4 in
    :data:`~ree_assets.core.patents.lexicon.PRODUCT_LEXICON` found in title + abstract (as whole
    words, lower case)."""
    text = _text(patents).str.to_lowercase().fill_null("")
    counts = patents.select(
        "patent_id",
        *(
            text.str.extract_all(rf"\b(?:{'|'.join(phrases)})\b").list.n_unique().alias(sic4)
            for sic4, phrases in lexicon.PRODUCT_LEXICON.items()
            if known_sic is None or sic4 in known_sic
        ),
    )
    return (
        counts.unpivot(index="patent_id", variable_name="sic4", value_name="score")
        .filter(pl.col("score") > 0)
        .with_columns(pl.col("score").cast(pl.Float64))
    )


def best_sic(scores: pl.DataFrame, patents: pl.DataFrame) -> pl.Series:
    """The sic4 of the highest score of each patent of ``patents`` (in its order); null when
    nothing scores or the best score is shared by two industries (a tie is never broken by code)."""
    ranked = scores.with_columns(
        pl.col("score").rank("min", descending=True).over("patent_id").alias("rank"),
    ).filter(pl.col("rank") == 1)
    unique = ranked.filter(pl.len().over("patent_id") == 1).select("patent_id", "sic4")
    return patents.select("patent_id").join(unique, on="patent_id", how="left", maintain_order="left")["sic4"]


def keyword_sic(
    patents: pl.DataFrame,
    sic_titles: pl.DataFrame,
    classes: pl.DataFrame | None = None,
    concordance: pl.DataFrame | None = None,
) -> pl.Series:
    """SIC of each patent: argmax over industries s of

        score_s = LEXICON_WEIGHT x (phrases of s's product lexicon in title + abstract)
                  + P(s | classes)  (the concordance's posterior, :func:`concordance_scores`),

    restricted to the industries of ``sic_titles``; null when nothing scores or two industries tie."""
    known = set(sic_titles["sic4"])
    parts = [lexicon_scores(patents, known).with_columns(pl.col("score") * LEXICON_WEIGHT)]
    if classes is not None and concordance is not None:
        parts.append(concordance_scores(classes, concordance).filter(pl.col("sic4").is_in(list(known))))
    scores = pl.concat(parts).group_by("patent_id", "sic4").agg(pl.col("score").sum())
    return best_sic(scores, patents)


@dataclass(frozen=True)
class KeywordClassifier:
    """The ``keyword`` classifier: :func:`keyword_sic` (product lexicon + concordance),
    :func:`keyword_technology`, :func:`keyword_enhancing`. Rules only: nothing is fitted."""

    sic_titles: pl.DataFrame
    concordance: pl.DataFrame | None = None
    name: str = "keyword"

    def predict(self, patents: pl.DataFrame, classes: pl.DataFrame | None = None) -> pl.DataFrame:
        return _labels(
            patents,
            keyword_sic(patents, self.sic_titles, classes, self.concordance),
            keyword_technology(patents, classes),
            keyword_enhancing(patents),
        )


@dataclass(frozen=True)
class ConcordanceClassifier:
    """The ``concordance`` classifier: the SIC of the patent's classes alone, argmax of
    :func:`concordance_scores` (null when no class maps or two industries tie). The classes
    carry no flag, so technology and the flag are the keyword rules'."""

    concordance: pl.DataFrame
    name: str = "concordance"

    def predict(self, patents: pl.DataFrame, classes: pl.DataFrame | None = None) -> pl.DataFrame:
        empty = pl.DataFrame(schema={"patent_id": pl.String, "scheme": pl.String, "code": pl.String})
        scores = concordance_scores(classes if classes is not None else empty, self.concordance)
        return _labels(
            patents, best_sic(scores, patents), keyword_technology(patents, classes), keyword_enhancing(patents)
        )


def class_tokens(patents: pl.DataFrame, classes: pl.DataFrame | None) -> list[str]:
    """One string of class tokens per patent (in its order): for each class every prefix of its
    code's alphanumeric segments, "cpc_h01f cpc_h01f_1 cpc_h01f_1_0577", so a model can use the
    subclass as well as the full code."""
    if classes is None or classes.is_empty():
        return [""] * patents.height
    tokens: dict[str, list[str]] = {}
    for patent_id, scheme, code in classes.select("patent_id", "scheme", "code").iter_rows():
        parts = re.findall(r"[a-z0-9]+", f"{code}".lower())
        tokens.setdefault(patent_id, []).extend(f"{scheme}_{'_'.join(parts[: k + 1])}" for k in range(len(parts)))
    return [" ".join(tokens.get(patent_id, [])) for patent_id in patents["patent_id"]]


def labelled_classes(labelled: pl.DataFrame) -> pl.DataFrame | None:
    """The classes of a labelled frame's optional ``classes`` column ("scheme:code" strings) as
    (patent_id, scheme, code); None when the frame has no such column or it is all null."""
    if "classes" not in labelled.columns or labelled["classes"].null_count() == labelled.height:
        return None
    return (
        labelled.select("patent_id", "classes")
        .explode("classes")
        .drop_nulls("classes")
        .select("patent_id", pl.col("classes").str.split_exact(":", 1).struct.rename_fields(["scheme", "code"]))
        .unnest("classes")
    )


@dataclass(frozen=True)
class CalibratedSvm:
    """A fitted linear SVM (``sklearn.svm.LinearSVC``) with Platt's (1999) sigmoid on its scores
    f_k(x): p_k = s(a f_k + b) / sum_j s(a f_j + b), s the logistic function, one (a, b) shared by
    the classes and fitted by logistic regression of 1[class = k] on f_k over held-out rows (two
    classes: p = s(a f + b) for the second)."""

    svm: Any
    a: float
    b: float

    @property
    def classes_(self) -> np.ndarray:
        return self.svm.classes_

    def predict_proba(self, x: Any) -> np.ndarray:
        scores = self.svm.decision_function(x)
        sigmoid = 1 / (1 + np.exp(-(self.a * scores + self.b)))
        if sigmoid.ndim == 1:
            return np.column_stack([1 - sigmoid, sigmoid])
        return sigmoid / sigmoid.sum(axis=1, keepdims=True)

    def predict(self, x: Any) -> np.ndarray:
        return self.classes_[self.predict_proba(x).argmax(axis=1)]


@dataclass(frozen=True)
class TrainedClassifier:
    """The ``trained`` classifier (:func:`train_classifier`): fitted vectorisers and one
    calibrated linear model per label; sic4 is null where its probability is below ``threshold``."""

    word: Any
    char: Any
    models: Mapping[str, Any]
    threshold: float
    uses_classes: bool
    name: str = "trained"
    training_size: int = field(default=0)

    def features(self, patents: pl.DataFrame, classes: pl.DataFrame | None) -> Any:
        from scipy import sparse

        texts = patents.select(_text(patents).fill_null(""))[:, 0].to_list()
        tokens = class_tokens(patents, classes) if self.uses_classes else [""] * len(texts)
        words = [f"{text} {token}" for text, token in zip(texts, tokens, strict=True)]
        return sparse.hstack([self.word.transform(words), self.char.transform(texts)]).tocsr()

    def predict(self, patents: pl.DataFrame, classes: pl.DataFrame | None = None) -> pl.DataFrame:
        if patents.is_empty():
            return _labels(patents, [], [], [])
        x = self.features(patents, classes)
        sic_model = self.models["sic4"]
        probability = sic_model.predict_proba(x)
        best = probability.argmax(axis=1)
        sic4 = [
            str(sic_model.classes_[k]) if p >= self.threshold else None
            for k, p in zip(best, probability.max(axis=1), strict=True)
        ]
        technology = [str(t) for t in self.models["technology"].predict(x)]
        flag = self.models["ree_enhancing"]
        enhancing = flag.predict_proba(x)[:, list(flag.classes_).index(True)] >= 0.5
        return _labels(patents, sic4, technology, enhancing)


def validate_labelled(labelled: pl.DataFrame, sic_titles: pl.DataFrame, table: str) -> None:
    """Refuse a labelled frame before any fitting or scoring: a missing column, a duplicate
    patent_id, an unknown SIC code (not in ``sic_titles``), an unknown technology. The
    DataValidationError names the column and the row (0-based; readers add file and line)."""
    missing = [c for c in LABELLED_COLUMNS if c not in labelled.columns]
    if missing:
        raise DataValidationError(table, "has the labelled columns", column=", ".join(missing))
    indexed = labelled.with_row_index("_row")
    duplicated = indexed.filter(pl.col("patent_id").is_duplicated())
    if duplicated.height:
        raise DataValidationError(
            table,
            "one row per patent_id",
            column="patent_id",
            row=int(duplicated["_row"][1]),
            detail=f"duplicate ids: {', '.join(sorted(set(duplicated['patent_id'])))[:200]}",
        )
    rules = {
        "sic4 is a SIC code of the SIC 1987 titles": ("sic4", ~pl.col("sic4").is_in(sic_titles["sic4"].implode())),
        f"technology is one of {', '.join(TECHNOLOGIES)}": (
            "technology",
            ~pl.col("technology").is_in(list(TECHNOLOGIES)),
        ),
    }
    for rule, (column, bad) in rules.items():
        offending = indexed.filter(bad.fill_null(False))
        if offending.height:
            raise DataValidationError(
                table,
                rule,
                column=column,
                row=int(offending["_row"][0]),
                detail=f"{column} {offending[column][0]!r}; {offending.height} rows",
            )


def train_classifier(
    labelled: pl.DataFrame, sic_titles: pl.DataFrame, *, threshold: float = 0.5, seed: int = 0
) -> TrainedClassifier:
    """The ``trained`` classifier fitted on ``labelled`` (the labelled columns; an optional
    ``classes`` list column adds class tokens to the features). Pure: the same data and seed
    give the same model.

    Features: TF-IDF of word uni- and bigrams (with the class tokens, :func:`class_tokens`) and of
    character 3-5-grams within words (sublinear tf, l2 rows). Each label (sic4 on every labelled
    row with a sic4; technology and the flag on the REE rows) has a linear SVM (squared hinge, C=1)
    fitted on a random three quarters of its rows, whose scores are mapped to probabilities by
    Platt's sigmoid fitted on the other quarter (:class:`CalibratedSvm`): one fit, not one per fold.
    A patent's sic4 is the most probable industry when its probability is at least ``threshold``,
    else null (abstention)."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    if not 0 <= threshold <= 1:
        raise ValueError(f"the abstention threshold is a probability in [0, 1], got {threshold}")
    validate_labelled(labelled, sic_titles, "training labels")
    classes = labelled_classes(labelled)
    texts = labelled.select(_text(labelled).fill_null(""))[:, 0].to_list()
    tokens = class_tokens(labelled, classes)
    word = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, token_pattern=r"(?u)\b\w[\w-]+\b")
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True, max_features=200_000)
    x = sparse.hstack(
        [word.fit_transform([f"{t} {c}" for t, c in zip(texts, tokens, strict=True)]), char.fit_transform(texts)]
    ).tocsr()

    def fitted(rows: np.ndarray, target: list) -> CalibratedSvm:
        """A linear SVM on three quarters of ``rows`` (shuffled by ``seed``) with Platt's sigmoid
        fitted on the scores of the other quarter."""
        order = np.random.default_rng(seed).permutation(rows.size)
        cut = rows.size - max(rows.size // 4, 2)
        labels = np.asarray(target)[order]
        svm = LinearSVC(C=1.0, random_state=seed).fit(x[rows[order[:cut]]], labels[:cut])
        scores = svm.decision_function(x[rows[order[cut:]]])
        truth = labels[cut:, None] == svm.classes_[None, :]
        if scores.ndim == 1:
            truth = truth[:, 1]
        platt = LogisticRegression(C=1e4).fit(scores.reshape(-1, 1), truth.ravel())
        return CalibratedSvm(svm, float(platt.coef_[0, 0]), float(platt.intercept_[0]))

    has_sic = labelled["sic4"].is_not_null().to_numpy()
    ree = labelled["is_ree"].fill_null(False).to_numpy() & labelled["technology"].is_not_null().to_numpy()
    ree &= labelled["ree_enhancing"].is_not_null().to_numpy()
    for name, rows in (("sic4", has_sic), ("REE", ree)):
        if rows.sum() < 6:
            raise DataValidationError(
                "training labels", f"at least 6 labelled {name} patents", detail=f"{rows.sum()} found"
            )
    models = {
        "sic4": fitted(np.flatnonzero(has_sic), labelled.filter(has_sic)["sic4"].to_list()),
        "technology": fitted(np.flatnonzero(ree), labelled.filter(ree)["technology"].to_list()),
        "ree_enhancing": fitted(np.flatnonzero(ree), labelled.filter(ree)["ree_enhancing"].to_list()),
    }
    return TrainedClassifier(word, char, models, threshold, classes is not None, training_size=labelled.height)


def build_classifier(
    kind: str,
    sic_titles: pl.DataFrame,
    concordance: pl.DataFrame,
    training: pl.DataFrame,
    *,
    threshold: float = 0.5,
    seed: int = 0,
) -> TextClassifier:
    """One of :data:`OFFLINE_CLASSIFIERS`: keyword (lexicon + concordance), concordance, or
    trained on ``training`` (:func:`train_classifier`)."""
    if kind == "keyword":
        return KeywordClassifier(sic_titles, concordance)
    if kind == "concordance":
        return ConcordanceClassifier(concordance)
    if kind == "trained":
        return train_classifier(training, sic_titles, threshold=threshold, seed=seed)
    raise ValueError(f"unknown offline classifier {kind!r}: use {', '.join(OFFLINE_CLASSIFIERS)}")


#: The labelled prototypes of the embedding classifier (its own short descriptions).
TECHNOLOGY_PROTOTYPES: dict[str, str] = {
    "Battery": "a rechargeable battery, battery electrode or hydrogen storage alloy for an electrochemical cell",
    "Catalyst": "a catalyst, catalytic converter or catalyst support for exhaust gas treatment or refining",
    "Lamp": "a phosphor, lamp, LED or luminescent material that emits light",
    "Magnet": "a permanent magnet or magnetic powder and alloy with high coercivity",
    "Motor": "an electric motor, rotor or stator of a rotating electrical machine for vehicles",
    "Turbine": "a wind turbine or turbine generator for power generation",
    "Other": "a laser, optical glass, polishing material, coating, medical imaging agent or other product",
}
ENHANCING_PROTOTYPES: dict[bool, str] = {
    True: "reduces, saves, recycles or substitutes rare earth elements so that less of them is needed",
    False: "contains or uses rare earth elements, or increases their content",
}


def _nearest(vectors: np.ndarray, prototypes: np.ndarray) -> np.ndarray:
    """Index of the most cosine-similar prototype of each row."""

    def unit(m):
        return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)

    return np.argmax(unit(vectors) @ unit(prototypes).T, axis=1)


def embedding_classify(
    patents: pl.DataFrame, sic_titles: pl.DataFrame, encode: Callable[[list[str]], np.ndarray]
) -> pl.DataFrame:
    """The embedding classifier: each label is the nearest prototype (technology and
    enhancing: :data:`TECHNOLOGY_PROTOTYPES`, :data:`ENHANCING_PROTOTYPES`; SIC: the SIC titles)
    by cosine similarity of ``encode(texts)``."""
    texts = patents.select(_text(patents))[:, 0].to_list()
    vectors = encode(texts)
    technologies, enhancing = list(TECHNOLOGY_PROTOTYPES), list(ENHANCING_PROTOTYPES)
    return pl.DataFrame(
        {
            "patent_id": patents["patent_id"],
            "sic4": sic_titles["sic4"].gather(_nearest(vectors, encode(sic_titles["title"].to_list()))),
            "technology": [technologies[k] for k in _nearest(vectors, encode(list(TECHNOLOGY_PROTOTYPES.values())))],
            "ree_enhancing": [enhancing[k] for k in _nearest(vectors, encode(list(ENHANCING_PROTOTYPES.values())))],
        },
        schema=LABEL_SCHEMA,
    )


#: EU-27, the UK and EFTA (ISO alpha-3): the AFSV region EUR.
EUROPE = frozenset(
    """AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD POL PRT ROU
SVK SVN ESP SWE GBR ISL LIE NOR CHE""".split()
)
REGION_OF = {"USA": "USA", "CHN": "CHN", "RUS": "RUS", "KOR": "KOR", "JPN": "JPN", "AUS": "AUS"}


def region_expr(country: pl.Expr) -> pl.Expr:
    """The AFSV region of an ISO alpha-3 country: EUR (EU-27 + UK + EFTA), USA, CHN, RUS, KOR,
    JPN, AUS, else ROW (null country: null)."""
    return (
        pl.when(country.is_null())
        .then(None)
        .when(country.is_in(list(EUROPE)))
        .then(pl.lit("EUR"))
        .otherwise(country.replace_strict(REGION_OF, default="ROW", return_dtype=pl.String))
    )


def patent_country(assignees: pl.DataFrame, inventors: pl.DataFrame) -> pl.DataFrame:
    """(patent_id, country): the first assignee's country, else the first inventor's
    (``specs/patents_and_did.md``)."""

    def first(frame):
        return (
            frame.filter(pl.col("country").is_not_null())
            .sort("patent_id", "sequence")
            .unique("patent_id", keep="first")
            .select("patent_id", "country")
        )

    return (
        first(assignees)
        .join(first(inventors), on="patent_id", how="full", coalesce=True, suffix="_inventor")
        .select("patent_id", pl.coalesce("country", "country_inventor").alias("country"))
    )


def control_draws(total: pl.Expr, fraction: float, minimum: int) -> pl.Expr:
    """n_rt = min(N_rt, max(minimum, round(fraction N_rt))): the controls drawn from a stratum of
    N_rt = ``total`` non-REE patents."""
    return pl.min_horizontal(total, (total * fraction).round().clip(lower_bound=minimum))


def control_sample(
    patents: pl.DataFrame, country: pl.DataFrame, fraction: float, seed: int, minimum: int = 1
) -> pl.DataFrame:
    """A random sample of non-REE patents stratified by region and grant year (n_rt of
    :func:`control_draws` from each stratum of N_rt patents: the fraction, with a floor so that a
    small stratum still yields controls in every industry) with the weight N_rt / n_rt that scales
    it to each region's patent total per year, so the weighted sample counts add up to those totals
    exactly (``specs/patents_and_did.md``, control "log of all (non-REE) patents")."""
    if not 0 < fraction <= 1:
        raise ValueError(f"control sample fraction must lie in (0, 1], got {fraction}")
    if minimum < 1:
        raise ValueError(f"control sample minimum per region and year must be at least 1, got {minimum}")
    strata = ["region", "grant_year"]
    located = patents.join(country, on="patent_id", how="left").with_columns(
        region_expr(pl.col("country")).alias("region"),
        pl.Series("_key", np.random.default_rng(seed).random(patents.height)),
    )
    ranked = located.with_columns(
        pl.col("_key").rank("ordinal").over(strata).alias("_rank"), pl.len().over(strata).alias("_total")
    )
    drawn = control_draws(pl.col("_total"), fraction, minimum)
    return (
        ranked.filter(pl.col("_rank") <= drawn)
        .with_columns((pl.col("_total") / drawn).alias("weight"))
        .drop("_key", "_rank", "_total")
    )


def empty_domain_probability(counts: pl.DataFrame, fraction: float, minimum: int) -> pl.DataFrame:
    """The probability that :func:`control_sample` draws no patent of a domain (e.g. a GE sector)
    in a grant year, from ``counts`` (region, grant_year, domain, patents: non-REE patents, every
    patent of a stratum in some row, rows of one domain summed, a null domain counted in the
    stratum's total only). The draw of a stratum is simple random sampling without
    replacement of n_rt (:func:`control_draws`) of its N_rt patents, independent across strata, so
    with K_rdt the domain's patents in stratum (r, t) (hypergeometric at zero)

        P(none of domain d in year t) = prod_r C(N_rt - K_rdt, n_rt) / C(N_rt, n_rt)
                                      = prod_r prod_{k < n_rt} (N_rt - K_rdt - k) / (N_rt - k).

    Returns (domain, grant_year, expected_controls = sum_r n_rt K_rdt / N_rt, p_empty)."""
    from scipy.special import gammaln

    strata = (
        counts.group_by("region", "grant_year", "domain")
        .agg(pl.col("patents").sum())
        .with_columns(total=pl.col("patents").sum().over("region", "grant_year"))
        .with_columns(drawn=control_draws(pl.col("total"), fraction, minimum))
        .drop_nulls("domain")
    )
    n, k, d = (strata[c].to_numpy().astype(float) for c in ("total", "patents", "drawn"))
    possible = n - k >= d
    rest = np.where(possible, n - k, d)
    log_p = gammaln(rest + 1) - gammaln(rest - d + 1) - gammaln(n + 1) + gammaln(n - d + 1)
    return (
        strata.with_columns(
            expected=pl.col("drawn") * pl.col("patents") / pl.col("total"),
            log_p=pl.Series(np.where(possible, log_p, -np.inf)),
        )
        .group_by("domain", "grant_year")
        .agg(expected_controls=pl.col("expected").sum(), p_empty=pl.col("log_p").sum().exp())
        .sort("domain", "grant_year")
    )


def macro_f1(truth: pl.Series, predicted: pl.Series) -> float:
    """Mean over the classes present in truth or prediction of F1 = 2 TP / (2 TP + FP + FN)."""
    frame = pl.DataFrame({"t": truth.cast(pl.String), "p": predicted.cast(pl.String)})
    scores = []
    for label in sorted(set(frame["t"].drop_nulls()) | set(frame["p"].drop_nulls())):
        tp = frame.filter((pl.col("t") == label) & (pl.col("p") == label)).height
        fp = frame.filter((pl.col("t") != label) & (pl.col("p") == label)).height
        fn = frame.filter((pl.col("t") == label) & (pl.col("p").ne_missing(label))).height
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0)
    return float(np.mean(scores)) if scores else float("nan")


def evaluate(truth: pl.DataFrame, predicted: pl.DataFrame, labels: Mapping[str, str] | None = None) -> pl.DataFrame:
    """Accuracy and macro-F1 of each label (sic4, technology, ree_enhancing) of ``predicted``
    against ``truth`` (both keyed by patent_id): (label, n, accuracy, macro_f1)."""
    joined = truth.join(predicted, on="patent_id", suffix="_predicted")
    rows = []
    for label in labels or ("sic4", "technology", "ree_enhancing"):
        t, p = joined[label], joined[f"{label}_predicted"]
        rows.append(
            {
                "label": label,
                "n": joined.height,
                "accuracy": float((t.cast(pl.String) == p.cast(pl.String)).fill_null(False).sum()) / max(len(t), 1),
                "macro_f1": macro_f1(t, p),
            }
        )
    return pl.DataFrame(rows)


def confusion_matrix(truth: pl.Series, predicted: pl.Series) -> pl.DataFrame:
    """Counts of (true label, predicted label): one row per true label, one column per predicted."""
    frame = pl.DataFrame({"true": truth.cast(pl.String), "predicted": predicted.cast(pl.String).fill_null("none")})
    return (
        frame.group_by("true", "predicted")
        .len()
        .pivot(on="predicted", index="true", values="len", sort_columns=True)
        .fill_null(0)
        .sort("true")
    )
