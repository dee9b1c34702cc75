"""Classifying REE patents: SIC 4-digit industry, technology and the REE-enhancing flag
(``specs/patents_and_did.md``, Classification), the keyword and embedding classifiers, the
control sample, the region of a patent and the evaluation metrics.

Every classifier maps a frame (patent_id, title, abstract) to (patent_id, sic4, technology,
ree_enhancing). The keyword classifier is deterministic rules on title, abstract and classes;
the embedding classifier takes the nearest labelled prototype by cosine similarity of sentence
embeddings (the ``encode`` function is passed in, so this module stays free of the model).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import polars as pl

TECHNOLOGIES: tuple[str, ...] = ("Battery", "Catalyst", "Lamp", "Magnet", "Motor", "Turbine", "Other")
LABEL_SCHEMA = {"patent_id": pl.String, "sic4": pl.String, "technology": pl.String, "ree_enhancing": pl.Boolean}

#: Keyword rules, tried in this order (the first match wins: a motor or turbine built with
#: magnets is a motor or turbine patent, a catalyst for motor vehicles a catalyst patent).
#: Case-insensitive regular expressions on title + abstract.
TECHNOLOGY_RULES: tuple[tuple[str, str], ...] = (
    ("Turbine", r"\bturbine|\bwind\b|wind[- ]power"),
    ("Catalyst", r"cataly|exhaust|cracking|reforming|oxygen storage"),
    ("Motor", r"\bmotors?\b|\brotor|\bstator|electric(?:al)? machine|traction|brushless|drive unit"),
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
#: Saving or substituting REEs (enhancing) unless negated just before ("without reducing").
ENHANCING_CUE = (
    r"(?:reduc\w*|less\b|lower\w*|free of|\w+-free\b|replac\w*|substitut\w*|recycl\w*|recover\w*|"
    r"fraction of|sav(?:e|es|ing)\b|minimi[sz]\w*|thrift\w*)"
)
NEGATION = r"\b(?:without|not|no|never)\s+"
#: The industry of a technology when the text names none (SIC 1987).
DEFAULT_SIC: dict[str, str] = {
    "Magnet": "3499",
    "Battery": "3691",
    "Catalyst": "2819",
    "Lamp": "3641",
    "Motor": "3621",
    "Turbine": "3511",
    "Other": "2819",
}
STOP_WORDS = frozenset(
    """and the for with from except not elsewhere classified other products parts
equipment industries related supplies materials articles machinery manufacturing mills""".split()
)


def _tokens(text: pl.Expr) -> pl.Expr:
    """Lower-case words of at least four letters, stop words excluded, unique."""
    words = text.str.to_lowercase().str.extract_all(r"[a-z]{4,}")
    return words.list.eval(pl.element().filter(~pl.element().is_in(list(STOP_WORDS)))).list.unique()


def _text(frame: pl.DataFrame) -> pl.Expr:
    return pl.concat_str([pl.col("title"), pl.col("abstract")], separator=". ", ignore_nulls=True)


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
        cpc = classes.filter((pl.col("scheme") == "cpc") & pl.col("is_main"))
        rule = pl.coalesce(
            *(pl.when(pl.col("code").str.starts_with(prefix)).then(pl.lit(tech)) for prefix, tech in CPC_TECHNOLOGY)
        )
        by_class = cpc.select("patent_id", rule.alias("by_class")).drop_nulls().unique("patent_id", keep="first")
        labelled = labelled.join(by_class, on="patent_id", how="left").select(
            "patent_id", pl.coalesce("by_class", "technology").alias("technology")
        )
    return labelled["technology"]


def keyword_enhancing(frame: pl.DataFrame) -> pl.Series:
    """REE-enhancing: the text has a saving/substitution cue (reduce, less, free of, replace,
    substitute, recycle, recover, ...) that is not negated by the word before it."""
    text = _text(frame).str.to_lowercase()
    cue = text.str.contains(rf"\b{ENHANCING_CUE}")
    negated_only = text.str.count_matches(rf"{NEGATION}{ENHANCING_CUE}") >= text.str.count_matches(
        rf"\b{ENHANCING_CUE}"
    )
    return frame.select((cue & ~negated_only).alias("ree_enhancing"))["ree_enhancing"]


def keyword_sic(frame: pl.DataFrame, sic_titles: pl.DataFrame, technology: pl.Series | None = None) -> pl.Series:
    """SIC 4-digit industry: the SIC title sharing the most words with title + abstract (ties:
    the lowest code); none shared: :data:`DEFAULT_SIC` of the technology (or null)."""
    words = frame.select("patent_id", _tokens(_text(frame)).alias("word")).explode("word").drop_nulls()
    titles = sic_titles.select("sic4", _tokens(pl.col("title")).alias("word")).explode("word").drop_nulls()
    best = (
        words.join(titles, on="word")
        .group_by("patent_id", "sic4")
        .len()
        .sort(["patent_id", "len", "sic4"], descending=[False, True, False])
        .unique("patent_id", keep="first")
    )
    fallback = (
        technology.replace_strict(DEFAULT_SIC, default=None, return_dtype=pl.String)
        if technology is not None
        else pl.Series([None] * frame.height, dtype=pl.String)
    )
    return (
        frame.select("patent_id")
        .with_columns(fallback.alias("fallback"))
        .join(best, on="patent_id", how="left")
        .select(pl.coalesce("sic4", "fallback").alias("sic4"))["sic4"]
    )


def keyword_classify(
    patents: pl.DataFrame, sic_titles: pl.DataFrame, classes: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The keyword classifier: (patent_id, sic4, technology, ree_enhancing) for each patent."""
    technology = keyword_technology(patents, classes)
    return pl.DataFrame(
        {
            "patent_id": patents["patent_id"],
            "sic4": keyword_sic(patents, sic_titles, technology),
            "technology": technology,
            "ree_enhancing": keyword_enhancing(patents),
        },
        schema=LABEL_SCHEMA,
    )


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


def control_sample(
    patents: pl.DataFrame, country: pl.DataFrame, fraction: float, seed: int, minimum: int = 1
) -> pl.DataFrame:
    """A random sample of non-REE patents stratified by region and grant year (n_rt =
    min(N_rt, max(minimum, round(fraction N_rt))) from each stratum of N_rt patents: the fraction,
    with a floor so that a small stratum still yields controls in every industry) with the weight
    N_rt / n_rt that scales it to each region's patent total per year, so the weighted sample counts
    add up to those totals exactly (``specs/patents_and_did.md``, control "log of all (non-REE)
    patents")."""
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
    drawn = pl.min_horizontal(pl.col("_total"), (pl.col("_total") * fraction).round().clip(lower_bound=minimum))
    return (
        ranked.filter(pl.col("_rank") <= drawn)
        .with_columns((pl.col("_total") / drawn).alias("weight"))
        .drop("_key", "_rank", "_total")
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
