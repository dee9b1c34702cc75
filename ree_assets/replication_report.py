"""The replication report: every table and figure of both replications (AFSV and FVD), the data
they rest on, the status of the asset checks and, on the embedded world, the estimates next to the
true values; as one self-contained HTML file (figures embedded as base64 PNG, nothing fetched
from elsewhere) and a Markdown twin (figures linked to the PNG files beside it).

Pure: it reads nothing itself. :class:`Materials` carries what the assets stored (their tables,
their metadata, the figures and rendered tables they wrote to the reports folder), the checks'
latest evaluations and the data source; :func:`build_sections` lays them out, and a part whose
asset has not been materialised says so instead of failing.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from ree_assets.labels import (
    VARIANT_NAMES,
    mixture_model_label,
    outcome_label,
    region_label,
    sample_label,
    scenario_label,
    sector_label,
    variant_label,
)

#: The report's files in the reports folder: ``<REPORT_NAME>.html`` and ``<REPORT_NAME>.md``.
REPORT_NAME = "replication_report"
NOT_MATERIALISED = "not materialised"
#: The DiD outcomes (asset suffixes of ``did_*`` and ``event_study_*``), in the AFSV order.
DID_OUTCOMES = ("patents", "tfp_growth", "export_growth", "export_growth_vs_china")
DID_ASSETS = tuple(f"{kind}_{outcome}" for outcome in DID_OUTCOMES for kind in ("did", "event_study"))
MIXTURE_ASSETS = ("fvd_mixture_restricted", "fvd_mixture_unrestricted")
#: z of a two-sided 95% interval (estimate +- z SE).
Z_95 = 1.959963984540054
#: Every asset the report shows (and depends on), in the report's order.
REPORTED_ASSETS = (
    "synthetic_truth",
    "ree_total_requirements",
    "ree_requirements_vs_published",
    "total_requirements_vs_published",
    "ree_sensitivity",
    "ree_sensitivity_country",
    "ree_patent_grants",
    "patent_classifier_evaluation",
    *DID_ASSETS,
    "ree_elasticities",
    "ge_baseline",
    "ge_counterfactual_exogenous",
    "ge_counterfactual_endogenous",
    "ge_tax_sweep",
    "fvd_patent_sets",
    "fvd_citation_variables",
    "fvd_descriptives",
    "fvd_logit_regressions",
    *MIXTURE_ASSETS,
    "fvd_parameter_sets",
    "fvd_probability_tables",
)
#: The reported assets whose stored table the report reads (the others: their files and metadata).
SHOWN_TABLES = frozenset(
    {
        "synthetic_truth",
        "ree_sensitivity",
        "ree_sensitivity_country",
        *DID_ASSETS,
        "ree_elasticities",
        "ge_counterfactual_exogenous",
        "ge_counterfactual_endogenous",
        "fvd_patent_sets",
        "fvd_citation_variables",
        *MIXTURE_ASSETS,
    }
)
#: Columns of ``Materials.checks`` and ``Materials.sources``.
CHECK_COLUMNS = {
    "asset": pl.String,
    "check": pl.String,
    "blocking": pl.Boolean,
    "status": pl.String,
    "severity": pl.String,
    "evaluated_at": pl.String,
    "run": pl.String,
    "description": pl.String,
}
SOURCE_COLUMNS = {
    "table": pl.String,
    "rows": pl.Int64,
    "source_mode": pl.String,
    "source_files": pl.String,
    "materialised_at": pl.String,
}
#: GE results shown for each scenario: (variable, region) -> words.
GE_HEADLINES = {
    ("world_ree_price_hat", "WLD"): "world REE price (baseline = 1)",
    ("ree_price_hat", "CHN"): "REE price in China (baseline = 1)",
    **{
        (variable, region): f"{what}, {region_label(region)} (% change)"
        for variable, what in (("real_gdp_pct", "real GDP"), ("real_consumption_pct", "real consumption"))
        for region in ("CHN", "EUR", "JPN", "USA", "ROW")
    },
}


@dataclass(frozen=True)
class Text:
    """Markdown (paragraphs, lists, GitHub tables)."""

    markdown: str


@dataclass(frozen=True)
class Figure:
    """A PNG the assets wrote to the reports folder (``file``), with the caption drawn in it
    (naming its data), which the asset's metadata also records."""

    title: str
    file: str
    png: bytes
    caption: str = ""


@dataclass(frozen=True)
class Missing:
    """A part of the report whose asset has not been materialised (yet)."""

    asset: str


Item = Text | Figure | Missing


@dataclass(frozen=True)
class Section:
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class DataMode:
    """The data-source resource of the run: mode, world size and seed, the folder of real files."""

    mode: str
    size: str
    seed: int
    data_dir: str = ""


@dataclass
class Materials:
    """What the report shows, gathered by the ``replication_report`` asset.

    ``stored``: the reported assets whose table exists; ``tables``: the stored tables the report
    reads (``SHOWN_TABLES``), by asset name; ``metadata``: the latest materialisation metadata by
    asset name (plain values); ``files``: names of the files in the reports folder and
    ``read_file`` to read one; ``checks``: one row per asset check (``CHECK_COLUMNS``; status
    passed, failed or not evaluated); ``sources``: one row per raw table (``SOURCE_COLUMNS``);
    ``sic_titles``: SIC 1987 code -> industry title."""

    data: DataMode
    stored: set[str]
    tables: Mapping[str, pl.DataFrame]
    metadata: Mapping[str, Mapping[str, Any]]
    files: Sequence[str]
    read_file: Callable[[str], bytes]
    checks: pl.DataFrame
    sources: pl.DataFrame
    sic_titles: Mapping[str, str] = field(default_factory=dict)
    pre_trend_level: float = 0.05

    def text_file(self, name: str) -> Text | None:
        """A rendered table of the reports folder, its headings moved below the report's."""
        return Text(demote_headings(self.read_file(name).decode(), 3)) if name in self.files else None

    def figure(self, asset: str, name: str, title: str) -> Figure | None:
        """The PNG figure ``name`` of the reports folder, with the caption ``asset`` recorded
        for it; None when it is not there."""
        file, caption = f"{name}.png", str(self.metadata.get(asset, {}).get(f"{name}_caption", ""))
        return Figure(title, file, self.read_file(file), caption) if file in self.files else None

    def facts(self, asset: str, keys: Sequence[str] | None = None) -> str:
        """The asset's plain metadata (``keys``, or all but Dagster's own) as a Markdown list."""
        return scalar_list(self.metadata.get(asset, {}), keys)


def demote_headings(markdown: str, level: int) -> str:
    """Move every ATX heading of ``markdown`` so its top level becomes ``level`` (``#`` -> ``###``
    for level 3): a rendered table's own title stays below the report's section heading."""
    return re.sub(r"(?m)^(#{1,6}) ", lambda m: "#" * min(6, len(m[1]) + level - 1) + " ", markdown)


def frame_table(frame: pl.DataFrame, floatfmt: str = ".4g") -> str:
    """A frame as a Markdown table (numbers right-aligned, booleans yes/no, nulls empty)."""
    from tabulate import tabulate

    def cell(value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "yes" if value else "no"
        return value

    rows = [[cell(v) for v in row] for row in frame.iter_rows()]
    return "\n" + tabulate(rows, headers=frame.columns, tablefmt="pipe", floatfmt=floatfmt) + "\n"


def scalar_list(metadata: Mapping[str, Any], keys: Sequence[str] | None = None) -> str:
    """The plain entries (number, one-line text, flag) of an asset's metadata as a Markdown list;
    by default every one but Dagster's own (``dagster/...``) and the storage audit's."""
    chosen = keys if keys is not None else [k for k in metadata if "/" not in k and k != "audit"]
    lines = []
    for key in chosen:
        value = metadata.get(key)
        if isinstance(value, bool | int | float | str) and (not isinstance(value, str) or "\n" not in value):
            shown = f"{value:.4g}" if isinstance(value, float) else str(value)
            lines.append(f"- {key.replace('_', ' ')}: {shown}")
    return "\n" + "\n".join(lines) + "\n" if lines else ""


# --- the estimates next to the truth -----------------------------------------------------------

TRUTH_COLUMNS = {
    "stage": pl.String,
    "quantity": pl.String,
    "key": pl.String,
    "label": pl.String,
    "truth": pl.Float64,
    "estimate": pl.Float64,
    "interval_low": pl.Float64,
    "interval_high": pl.Float64,
    "interval": pl.String,
    "truth_in_interval": pl.Boolean,
}


def _words(column: str, label: Callable[[str], str]) -> pl.Expr:
    return pl.col(column).map_elements(label, return_dtype=pl.String)


def _covered(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        truth_in_interval=pl.col("truth").is_between(pl.col("interval_low"), pl.col("interval_high"))
    ).select(list(TRUTH_COLUMNS))


def truth_vs_did(truth: pl.DataFrame, did: pl.DataFrame, treatment: str) -> pl.DataFrame:
    """beta of Sens x Post (baseline variant, every outcome and sample) next to the generator's
    beta (``synthetic_truth`` stage did, key ``<outcome>:<sample>``), with estimate +- 1.96 SE."""
    true = truth.filter((pl.col("stage") == "did") & (pl.col("parameter") == "beta")).select("key", "value")
    rows = did.filter((pl.col("term") == treatment) & (pl.col("variant") == "baseline")).with_columns(
        key=pl.col("outcome") + ":" + pl.col("sample")
    )
    return _covered(
        rows.join(true, on="key").select(
            stage=pl.lit("DiD"),
            quantity=pl.lit("beta of Sens x Post"),
            key=pl.col("key"),
            label=_words("outcome", outcome_label) + ", " + _words("sample", sample_label),
            truth=pl.col("value"),
            estimate=pl.col("estimate"),
            interval_low=pl.col("estimate") - Z_95 * pl.col("std_error"),
            interval_high=pl.col("estimate") + Z_95 * pl.col("std_error"),
            interval=pl.lit("95% CI (estimate +- 1.96 SE)"),
        )
    )


def truth_vs_elasticities(elasticities: pl.DataFrame) -> pl.DataFrame:
    """eps_j estimates with their bootstrap 95% CIs next to the true eps_j (``ree_elasticities``
    carries both: eps_hat, ci_low, ci_high, eps_true)."""
    return _covered(
        elasticities.filter(pl.col("eps_true").is_not_null()).select(
            stage=pl.lit("GE model"),
            quantity=pl.lit("eps (REE vs labour bundle)"),
            key=pl.col("sector"),
            label=_words("sector", sector_label),
            truth=pl.col("eps_true"),
            estimate=pl.col("eps_hat"),
            interval_low=pl.col("ci_low"),
            interval_high=pl.col("ci_high"),
            interval=pl.lit("bootstrap 95% CI"),
        )
    )


def truth_vs_mixture(mixture: pl.DataFrame) -> pl.DataFrame:
    """Mixture-model parameters and derived quantities next to the truth (the tables carry
    ``truth``): the multistart point and the confidence set (the identified set's union over the
    sampling uncertainty); a point that is not identified is one element of its set."""
    return _covered(
        mixture.filter(pl.col("truth").is_not_null()).select(
            stage=pl.lit("FVD mixture"),
            quantity=pl.col("parameter"),
            key=pl.col("technology") + ":" + pl.col("model"),
            label=pl.col("technology") + ", " + _words("model", mixture_model_label),
            truth=pl.col("truth"),
            estimate=pl.col("point"),
            interval_low=pl.col("conf_min"),
            interval_high=pl.col("conf_max"),
            interval=pl.when(pl.col("identified"))
            .then(pl.lit("confidence set (identified)"))
            .otherwise(pl.lit("confidence set (point not identified)")),
        )
    )


def truth_table(
    truth: pl.DataFrame | None,
    did: pl.DataFrame | None,
    elasticities: pl.DataFrame | None,
    mixture: pl.DataFrame | None,
    treatment: str,
) -> pl.DataFrame:
    """Every estimate of the embedded world next to the value it should recover (``TRUTH_COLUMNS``;
    empty when there is no truth, i.e. on real data)."""
    parts = []
    if truth is not None and not truth.is_empty():
        if did is not None:
            parts.append(truth_vs_did(truth, did, treatment))
        if elasticities is not None:
            parts.append(truth_vs_elasticities(elasticities))
        if mixture is not None:
            parts.append(truth_vs_mixture(mixture))
    return pl.concat(parts) if parts else pl.DataFrame(schema=TRUTH_COLUMNS)


def coverage_by_stage(table: pl.DataFrame) -> pl.DataFrame:
    """Share of true values inside their intervals per stage of a :func:`truth_table` (or of several
    stacked): ``DiD``, ``eps``, ``FVD identified`` (w, w_d and the mixed rates, whose confidence sets
    are intervals of identified quantities) and ``FVD set-identified`` (the structural parameters);
    columns stage, values, covered, share_covered."""
    stage = (
        pl.when(pl.col("stage") == "GE model")
        .then(pl.lit("eps"))
        .when(pl.col("stage") == "FVD mixture")
        .then(
            pl.when(pl.col("interval").str.contains("(identified)", literal=True))
            .then(pl.lit("FVD identified"))
            .otherwise(pl.lit("FVD set-identified"))
        )
        .otherwise(pl.col("stage"))
    )
    return (
        table.group_by(stage.alias("stage"), maintain_order=True)
        .agg(values=pl.len(), covered=pl.col("truth_in_interval").sum())
        .with_columns(share_covered=pl.col("covered") / pl.col("values"))
    )


# --- sections ----------------------------------------------------------------------------------

Build = Callable[[], Sequence[Item | None]]


def _part(materials: Materials, asset: str, build: Build) -> list[Item]:
    """The items of one asset's part; "not materialised" when its table is not stored, and the
    error when what is stored cannot be shown (the rest of the report is still written)."""
    if asset not in materials.stored:
        return [Missing(asset)]
    try:
        return [item for item in build() if item is not None]
    except Exception as error:  # noqa: BLE001 - one part that cannot be shown never stops the report
        return [Text(f"**{asset}: could not be shown** ({type(error).__name__}: {error}).\n")]


def data_section(materials: Materials) -> Section:
    data = materials.data
    if data.mode == "embedded":
        mode = (
            f"**synthetic embedded world** (seed {data.seed}, size `{data.size}`), generated in-process "
            "with known true parameters; the numbers are not real observations."
        )
    else:
        mode = f"**real data**, `{data.mode}` mode, files under `{data.data_dir}`."
    if materials.sources.is_empty():
        listing = Text(f"Raw tables: {NOT_MATERIALISED}.\n")
    else:
        listing = Text(
            "Raw tables, as their materialisation recorded them:\n"
            + frame_table(materials.sources.rename({"source_files": "read from", "source_mode": "mode"}))
        )
    return Section("Data and sources", (Text(f"Data source of this report's run: {mode}\n"), listing))


def check_section(checks: pl.DataFrame) -> Section:
    """The latest evaluation of every asset check: the failed ones with what they found, those
    not evaluated, and the passed ones grouped by asset."""
    if checks.is_empty():
        return Section("Asset checks", (Text("No asset check has been evaluated yet.\n"),))
    counts = {status: int((checks["status"] == status).sum()) for status in ("passed", "failed", "not evaluated")}
    items: list[Item] = [
        Text(
            f"Latest evaluation of each of the {checks.height} checks: {counts['passed']} passed, "
            f"{counts['failed']} failed, {counts['not evaluated']} not evaluated.\n"
        )
    ]
    failed = checks.filter(pl.col("status") == "failed")
    if not failed.is_empty():
        items.append(
            Text(
                "**Failed checks:**\n\n"
                + "\n".join(
                    f"- **FAILED** `{r['asset']}` {r['check']} "
                    f"({'ERROR, blocking' if r['severity'] == 'ERROR' else 'warning, not blocking'}; "
                    f"{r['evaluated_at']}, run {r['run']}): {r['description'] or 'no description'}"
                    for r in failed.iter_rows(named=True)
                )
                + "\n"
            )
        )
    pending = checks.filter(pl.col("status") == "not evaluated")
    if not pending.is_empty():
        items.append(
            Text(
                "Not evaluated (planned in a run that stopped before them, or never run):\n"
                + frame_table(pending.select("asset", "check", "blocking", "evaluated_at", "run"))
            )
        )
    passed = (
        checks.filter(pl.col("status") == "passed")
        .group_by("asset", maintain_order=True)
        .agg(checks=pl.col("check").str.join(", "), last_evaluated=pl.col("evaluated_at").max())
        .sort("asset")
    )
    if not passed.is_empty():
        items.append(Text("Passed, by asset:\n" + frame_table(passed)))
    return Section("Asset checks", tuple(items))


def truth_section(materials: Materials, treatment: str) -> Section:
    title = "Estimates next to the true values"
    if materials.data.mode != "embedded":
        return Section(title, (Text("Real data: only the embedded world has true values to compare with.\n"),))
    truth = materials.tables.get("synthetic_truth")
    if truth is None:
        return Section(title, (Missing("synthetic_truth"),))
    did = [materials.tables[f"did_{o}"] for o in DID_OUTCOMES if f"did_{o}" in materials.tables]
    mixtures = [materials.tables[m] for m in MIXTURE_ASSETS if m in materials.tables]
    table = truth_table(
        truth,
        pl.concat(did, how="diagonal_relaxed") if did else None,
        materials.tables.get("ree_elasticities"),
        pl.concat(mixtures, how="diagonal_relaxed") if mixtures else None,
        treatment,
    )
    missing = [
        Missing(asset)
        for asset in (*(f"did_{o}" for o in DID_OUTCOMES), "ree_elasticities", *MIXTURE_ASSETS)
        if asset not in materials.tables
    ]
    if table.is_empty():
        return Section(title, tuple(missing))
    covered = int(table["truth_in_interval"].sum())
    summary = (
        f"The embedded world was generated with known parameters: {covered} of {table.height} true values lie in "
        "the estimate's interval (DiD: 95% CI; eps: bootstrap 95% CI; mixture: the confidence set, as the "
        "mixture parameters are only set-identified).\n"
    )
    by_stage = coverage_by_stage(table).rename({"share_covered": "share covered"})
    shown = table.drop("key").rename({"label": "for", "truth_in_interval": "truth in interval"})
    return Section(title, (Text(summary + frame_table(by_stage, ".1%") + "\n\n" + frame_table(shown)), *missing))


def io_table_sections(materials: Materials) -> list[Section]:
    titles = materials.sic_titles

    def requirements_vs_published() -> Sequence[Item | None]:
        facts = materials.facts(
            "ree_requirements_vs_published",
            ["rank_correlation", "published_in_our_top", "median_ratio", "published_source"],
        )
        return [
            Text("A diagnostic, never a target: our REE requirements next to the rows AFSV publish.\n" + facts),
            materials.figure(
                "ree_requirements_vs_published",
                "ree_requirements_vs_published",
                "REE total requirements: our top industries and the published rows",
            ),
            materials.text_file("ree_requirements_vs_published.md"),
        ]

    def sensitivity() -> Sequence[Item | None]:
        frame = materials.tables["ree_sensitivity"]
        summary = frame.select(
            industries=pl.len(),
            mean=pl.col("sensitivity").mean(),
            sd=pl.col("sensitivity").std(),
            max=pl.col("sensitivity").max(),
        )
        top = (
            frame.sort("sensitivity", descending=True)
            .head(15)
            .select(
                "sic4",
                industry=pl.col("sic4").replace_strict(dict(titles), default="(outside manufacturing)"),
                sensitivity=pl.col("sensitivity"),
            )
        )
        return [
            Text("Sens_s = sum over elements of tr_e,s x complementarity_e / 100 (AFSV).\n" + frame_table(summary)),
            Text("The 15 most REE-sensitive SIC industries:\n" + frame_table(top)),
        ]

    def country_variants() -> Sequence[Item | None]:
        summary = (
            materials.tables["ree_sensitivity_country"]
            .group_by("variant")
            .agg(
                countries=pl.col("country").n_unique(),
                mean=pl.col("sensitivity").mean(),
                sd=pl.col("sensitivity").std(),
            )
            .sort("variant")
            .with_columns(_words("variant", variant_label))
        )
        return [Text("Country-sector variants of the sensitivity (robustness):\n" + frame_table(summary))]

    def bea_diagnostic() -> Sequence[Item | None]:
        return [
            Text(
                "BEA summary-level total requirements computed by this project next to BEA's published table:\n"
                + (materials.facts("total_requirements_vs_published") or "\n(no metadata recorded)\n")
            )
        ]

    return [
        Section(
            "AFSV: REE-extended input-output table and REE requirements",
            (
                *_part(materials, "ree_total_requirements", lambda: [materials.text_file("ree_total_requirements.md")]),
                *_part(materials, "ree_requirements_vs_published", requirements_vs_published),
                *_part(materials, "total_requirements_vs_published", bea_diagnostic),
            ),
        ),
        Section(
            "AFSV: REE sensitivity",
            (
                *_part(materials, "ree_sensitivity", sensitivity),
                *_part(materials, "ree_sensitivity_country", country_variants),
            ),
        ),
    ]


def patent_section(materials: Materials) -> Section:
    return Section(
        "AFSV: REE patents",
        (
            *_part(
                materials,
                "ree_patent_grants",
                lambda: [
                    materials.figure(
                        "ree_patent_grants", "ree_patent_grants", "REE patent grants per year by technology"
                    )
                ],
            ),
            *_part(
                materials,
                "patent_classifier_evaluation",
                lambda: [materials.text_file("patent_classifier_evaluation.md")],
            ),
        ),
    )


def variants(files: Sequence[str], prefix: str, suffix: str) -> list[str]:
    """The robustness variants (``VARIANT_NAMES``) of the files ``<prefix>_<variant><suffix>``,
    baseline first (``did_export_growth_vs_china_baseline.md`` is no variant of ``did_export_growth``)."""
    present = [v for v in VARIANT_NAMES if f"{prefix}_{v}{suffix}" in files]
    return sorted(present, key=lambda v: (v != "baseline", v))


SAMPLE_NOTE = "Columns: " + ", ".join(f"{code} = {sample_label(code)}" for code in ("NONCHN", "ALL")) + "."


def did_sections(materials: Materials) -> list[Section]:
    def tables(outcome: str) -> Build:
        return lambda: [
            Text(
                f"**{variant_label(v)}**: Sens x Post with its SE (stars at 10/5/1%). {SAMPLE_NOTE}\n\n"
                + materials.read_file(f"did_{outcome}_{v}.md").decode()
                + "\n"
            )
            for v in variants(materials.files, f"did_{outcome}", ".md")
        ]

    def event_study(outcome: str) -> Build:
        def build() -> Sequence[Item | None]:
            pre = (
                materials.tables[f"event_study_{outcome}"]
                .select("sample", "variant", "pre_trend_p_value")
                .unique()
                .sort("variant", "sample")
            )
            flagged = pre.filter(pl.col("pre_trend_p_value") < materials.pre_trend_level)
            level = f"{materials.pre_trend_level:g}"
            flag = (
                f"**Pre-trend flagged** (joint test of the pre-2010 coefficients, p < {level}) in: "
                + ", ".join(f"{sample_label(s)} ({variant_label(v)})" for s, v, _ in flagged.iter_rows())
                if not flagged.is_empty()
                else f"No pre-trend: the joint test of the pre-2010 coefficients does not reject at {level}."
            )
            shown = pre.with_columns(_words("sample", sample_label), _words("variant", variant_label))
            return [
                Text(flag + "\n" + frame_table(shown)),
                *(
                    materials.figure(
                        f"event_study_{outcome}",
                        f"event_study_{outcome}_{v}",
                        f"Event study: {outcome_label(outcome)} ({variant_label(v)})",
                    )
                    for v in variants(materials.files, f"event_study_{outcome}", ".png")
                ),
            ]

        return build

    return [
        Section(
            f"AFSV difference-in-differences: {outcome_label(outcome)}",
            (
                *_part(materials, f"did_{outcome}", tables(outcome)),
                *_part(materials, f"event_study_{outcome}", event_study(outcome)),
            ),
        )
        for outcome in DID_OUTCOMES
    ]


def ge_headlines(results: pl.DataFrame) -> pl.DataFrame:
    """The GE results of ``GE_HEADLINES`` as rows (in words), one column per scenario (in words)."""
    keys = pl.DataFrame(
        [{"variable": v, "region": r, "result": words} for (v, r), words in GE_HEADLINES.items()]
    ).with_row_index("order")
    rows = results.filter(pl.col("sector") == "all").join(keys, on=["variable", "region"])
    wide = rows.pivot(on="scenario", index=["order", "result"], values="value", sort_columns=True).sort("order")
    return wide.drop("order").rename({s: scenario_label(s) for s in wide.columns if s not in ("order", "result")})


def ge_section(materials: Materials) -> Section:
    def elasticities() -> Sequence[Item | None]:
        shown = materials.tables["ree_elasticities"].with_columns(_words("sector", sector_label))
        return [
            Text(
                "Structural estimates of eps_j (cvxpy), bootstrap 95% CIs, next to AFSV's published values "
                "and, in the embedded world, the truth.\n"
                + materials.facts(
                    "ree_elasticities", ["lambda_hat", "solver_status", "n_obs", "stability_p_value", "misspecified"]
                )
                + frame_table(shown, ".3f")
            )
        ]

    def baseline() -> Sequence[Item | None]:
        meta = materials.metadata.get("ge_baseline", {})
        names = {
            "regions": ", ".join(region_label(r) for r in str(meta.get("regions", "")).split(", ") if r),
            "sectors": ", ".join(sector_label(s) for s in str(meta.get("sectors", "")).split(", ") if s),
        }
        keys = ["omega_source", "china_ree_exports_musd", "negative_final_demand", "clipped_final_cells"]
        return [Text("Calibrated baseline:\n" + scalar_list({**meta, **names}, ["regions", "sectors", *keys]))]

    def headline(asset: str) -> Build:
        return lambda: [
            Text(
                f"`{asset}`: REE prices relative to the baseline, real GDP and consumption in % change.\n"
                + frame_table(ge_headlines(materials.tables[asset]))
            )
        ]

    def endogenous() -> Sequence[Item | None]:
        return [
            *headline("ge_counterfactual_endogenous")(),
            materials.figure(
                "ge_counterfactual_endogenous", "ge_innovation_bias", "Change in the innovation bias outside China"
            ),
            materials.figure(
                "ge_counterfactual_endogenous", "ge_real_outcomes", "Real GDP and real consumption by region"
            ),
        ]

    return Section(
        "AFSV: general-equilibrium model",
        (
            *_part(materials, "ree_elasticities", elasticities),
            *_part(materials, "ge_baseline", baseline),
            *_part(materials, "ge_counterfactual_exogenous", headline("ge_counterfactual_exogenous")),
            *_part(materials, "ge_counterfactual_endogenous", endogenous),
            *_part(
                materials,
                "ge_tax_sweep",
                lambda: [materials.figure("ge_tax_sweep", "ge_tax_sweep", "Export-tax sweep")],
            ),
        ),
    )


def fvd_sample(metadata: Mapping[str, Any]) -> str:
    """The FVD sample in words, from ``fvd_patent_sets``' metadata: application years and the last
    grant year (the run setting ``grant_year_end``); "not recorded" for what the metadata lacks."""

    def value(key: str) -> str:
        return str(metadata.get(key, "not recorded"))

    return (
        f"applications {value('first_application_year')}-{value('last_application_year')}, "
        f"granted by {value('grant_year_end')} (grant_year_end)"
    )


def fvd_sections(materials: Materials) -> list[Section]:
    def counts(asset: str, intro: str, **aggregates: pl.Expr) -> Build:
        return lambda: [
            Text(
                intro
                + frame_table(materials.tables[asset].group_by("technology").agg(**aggregates).sort("technology"))
                + materials.facts(asset)
            )
        ]

    def file_part(name: str, intro: str) -> Build:
        return lambda: [Text(intro), materials.text_file(f"{name}.md")]

    def mixture(asset: str) -> Build:
        def build() -> Sequence[Item | None]:
            identified = (
                materials.tables[asset]
                .filter(pl.col("identified"))
                .select("technology", _words("model", mixture_model_label), "parameter", "point", "std_error")
            )
            solver = materials.metadata.get(asset, {}).get("solver", "")
            return [
                Text(f"`{asset}`: the identified quantities with bootstrap SEs:\n" + frame_table(identified)),
                Text("Multistart IPOPT fit:\n\n" + solver + "\n") if solver else None,
            ]

        return build

    return [
        Section(
            "FVD: patent sets, citation variables and descriptives",
            (
                *_part(
                    materials,
                    "fvd_patent_sets",
                    counts(
                        "fvd_patent_sets",
                        "Magnet and catalyst USPC subclasses with a rare-earth keyword, organisations; "
                        f"{fvd_sample(materials.metadata.get('fvd_patent_sets', {}))}:\n",
                        patents=pl.len(),
                    ),
                ),
                *_part(
                    materials,
                    "fvd_citation_variables",
                    counts(
                        "fvd_citation_variables",
                        "Citation variables per focal patent:\n",
                        focal_patents=pl.len(),
                        mean_perus=pl.col("perus").mean(),
                    ),
                ),
                *_part(
                    materials,
                    "fvd_descriptives",
                    file_part("fvd_descriptives", "Tables 3-4 analogues: descriptive statistics and correlations.\n"),
                ),
            ),
        ),
        Section(
            "FVD: logit-share regressions",
            tuple(
                _part(
                    materials,
                    "fvd_logit_regressions",
                    file_part(
                        "fvd_logit_regressions", "Models 1a and 1b (Table 5), FVD's published values in brackets.\n"
                    ),
                )
            ),
        ),
        Section(
            "FVD: mixture model, identified and confidence sets",
            (
                *(item for asset in MIXTURE_ASSETS for item in _part(materials, asset, mixture(asset))),
                *_part(
                    materials,
                    "fvd_parameter_sets",
                    file_part(
                        "fvd_parameter_sets",
                        "Every parameter and derived quantity: the multistart point (n.i.: not identified, one "
                        "element of its set), the bootstrap SE of the identified ones, the identified set at the "
                        "fitted deltas, the 95% confidence set (marginal for the identified ones, joint for the rest), "
                        "and FVD's published value (Table 7) with whether it "
                        "lies in the set.\n",
                    ),
                ),
                *_part(
                    materials,
                    "fvd_probability_tables",
                    file_part(
                        "fvd_probability_tables",
                        "Tables 8 and 9 analogues and the weighted averages before/after 1990, "
                        "point [identified set].\n",
                    ),
                ),
            ),
        ),
    ]


def build_sections(materials: Materials, treatment: str) -> list[Section]:
    """Every section of the report, in order: data, checks, truth, AFSV, FVD."""
    return [
        data_section(materials),
        check_section(materials.checks),
        truth_section(materials, treatment),
        *io_table_sections(materials),
        patent_section(materials),
        *did_sections(materials),
        ge_section(materials),
        *fvd_sections(materials),
    ]


def missing_assets(sections: Sequence[Section]) -> list[str]:
    """The assets whose part of the report says "not materialised"."""
    return list(dict.fromkeys(item.asset for s in sections for item in s.items if isinstance(item, Missing)))


def preamble(materials: Materials, sections: Sequence[Section], generated: str) -> str:
    """The report's opening lines: when, on what data, the checks' tally, what is missing."""
    data = materials.data
    mode = (
        f"synthetic embedded world (seed {data.seed}, size {data.size}), not real observations"
        if data.mode == "embedded"
        else f"real data ({data.mode} mode)"
    )
    status = materials.checks["status"]
    missing = missing_assets(sections)
    return (
        f"Generated {generated} from the stored results. Data: {mode}.\n\n"
        f"Asset checks (latest evaluation): {int((status == 'passed').sum())} passed, "
        f"**{int((status == 'failed').sum())} failed**, {int((status == 'not evaluated').sum())} not evaluated.\n\n"
        + (f"Not materialised yet: {', '.join(missing)}.\n" if missing else "Every part is materialised.\n")
    )


# --- rendering ---------------------------------------------------------------------------------

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1150px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
figure { margin: 1em 0; }
figure img { max-width: 100%; }
figcaption { font-size: 0.9em; color: #444; }
.missing { color: #a33; font-style: italic; }
"""


def _markdown_to_html(markdown: str) -> str:
    """CommonMark with GitHub tables; raw HTML escaped, and no links or images (the report
    points at nothing outside itself)."""
    from markdown_it import MarkdownIt

    renderer = MarkdownIt("commonmark", {"html": False}).enable("table").disable(["link", "image", "autolink"])
    return renderer.render(markdown)


def _anchor(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def _missing_text(item: Missing) -> str:
    return f"{item.asset}: {NOT_MATERIALISED}."


def render_html(title: str, preamble: str, sections: Sequence[Section]) -> str:
    """One self-contained HTML page: inline CSS, figures as ``data:image/png;base64`` images,
    no script and no reference to any other file or address (links only to its own sections)."""
    body = [f"<h1>{html.escape(title)}</h1>", _markdown_to_html(preamble), "<nav><ul>"]
    body += [f'<li><a href="#{_anchor(s.title)}">{html.escape(s.title)}</a></li>' for s in sections]
    body.append("</ul></nav>")
    for section in sections:
        body.append(f'<h2 id="{_anchor(section.title)}">{html.escape(section.title)}</h2>')
        for item in section.items:
            if isinstance(item, Text):
                body.append(_markdown_to_html(item.markdown))
            elif isinstance(item, Figure):
                encoded = base64.b64encode(item.png).decode()
                body.append(
                    f'<figure><img alt="{html.escape(item.title)}" src="data:image/png;base64,{encoded}">'
                    f"<figcaption><strong>{html.escape(item.title)}.</strong> {html.escape(item.caption)}"
                    "</figcaption></figure>"
                )
            else:
                body.append(f'<p class="missing">{html.escape(_missing_text(item))}</p>')
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def render_markdown(title: str, preamble: str, sections: Sequence[Section]) -> str:
    """The Markdown twin: the same sections, figures linked to their PNG files (which sit in
    the same folder as the report)."""
    lines = [f"# {title}", "", preamble, ""]
    for section in sections:
        lines += [f"## {section.title}", ""]
        for item in section.items:
            if isinstance(item, Text):
                lines += [item.markdown.strip(), ""]
            elif isinstance(item, Figure):
                lines += [f"![{item.title}]({item.file})", ""] + ([f"*{item.caption}*", ""] if item.caption else [])
            else:
                lines += [f"*{_missing_text(item)}*", ""]
    return "\n".join(lines)
