"""Figures and rendered tables: written under ``data/reports/`` and attached to asset metadata."""

import base64
import io
from collections.abc import Mapping
from pathlib import Path

import dagster as dg
import polars as pl


def frame_markdown(frame: pl.DataFrame, floatfmt: str = "g") -> dg.MetadataValue:
    """A frame as a Markdown table, for asset and check metadata."""
    if frame.is_empty():
        return dg.MetadataValue.md("none")
    return dg.MetadataValue.md(frame.to_pandas().to_markdown(index=False, floatfmt=floatfmt))


def table_metadata(markdown: str, name: str, folder: Path) -> dict[str, dg.MetadataValue]:
    """Write a rendered Markdown table to ``folder/<name>.md`` and return metadata showing it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.md"
    path.write_text(markdown)
    return {name: dg.MetadataValue.md(markdown), f"{name}_path": dg.MetadataValue.path(str(path))}


def figure_metadata(figure, name: str, folder: Path) -> dict[str, dg.MetadataValue]:
    """Save a Matplotlib figure as ``folder/<name>.png`` and ``.svg``; the metadata embeds the PNG
    so the UI shows it, links both files and gives the figure's caption (``<name>_caption``, the
    text ``ree_assets.figures`` draws under it naming the data)."""
    import matplotlib.pyplot as plt

    from ree_assets.figures import CAPTION_GID

    folder.mkdir(parents=True, exist_ok=True)
    png, svg = folder / f"{name}.png", folder / f"{name}.svg"
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    png.write_bytes(buffer.getvalue())
    figure.savefig(svg, bbox_inches="tight")
    plt.close(figure)
    encoded = base64.b64encode(buffer.getvalue()).decode()
    caption = " ".join(" ".join(t.get_text().split()) for t in figure.texts if t.get_gid() == CAPTION_GID)
    return {
        f"{name}_caption": dg.MetadataValue.text(caption),
        f"{name}_figure": dg.MetadataValue.md(f"![{name}](data:image/png;base64,{encoded})"),
        f"{name}_png": dg.MetadataValue.path(str(png)),
        f"{name}_svg": dg.MetadataValue.path(str(svg)),
    }


def render_ree_total_requirements(
    ree_tr: pl.DataFrame, sic_titles: Mapping[str, str] | None = None, top_n: int = 10
) -> str:
    """Markdown table "REE Total Requirements (1e-3 USD of REE per 1 USD of SIC final demand)":
    the ``top_n`` SIC industries by the ``All`` row, one column per element plus All, x 1e3."""
    from ree_assets.core.io_table import ALL_ELEMENTS

    titles = dict(sic_titles or {})
    elements = [e for e in ree_tr["element"].unique(maintain_order=True) if e != ALL_ELEMENTS]
    wide = ree_tr.pivot(on="element", index="sic4", values="tr").sort(ALL_ELEMENTS, descending=True).head(top_n)
    header = ["SIC", "industry", *elements, ALL_ELEMENTS]
    lines = [
        "REE Total Requirements (1e-3 USD of REE per 1 USD of SIC final demand)",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for row in wide.iter_rows(named=True):
        values = [f"{1e3 * row[e]:.2f}" for e in [*elements, ALL_ELEMENTS]]
        lines.append("| " + " | ".join([row["sic4"], titles.get(row["sic4"], ""), *values]) + " |")
    return "\n".join(lines) + "\n"
