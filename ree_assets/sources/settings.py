"""What decides where raw tables come from: the data-source mode, its folders and the download
limits (the ``DataSource`` resource builds one per run)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ree_assets.sources import download
from ree_assets.sources.embedded.dims import WorldSize

SourceMode = Literal["embedded", "local", "download"]


@dataclass(frozen=True)
class SourceSettings:
    """Everything that decides where raw tables come from."""

    mode: SourceMode = "embedded"
    data_dir: Path = Path("data/sources")
    cache_dir: Path = Path("data/cache")
    size: WorldSize = "full"
    seed: int = 20100701
    base_urls: Mapping[str, str] = field(default_factory=dict)
    download_deadline_s: float = download.DEFAULT_DEADLINE_S
    download_stall_s: float = download.DEFAULT_STALL_S
    download_concurrency: int = download.DEFAULT_CONCURRENCY
    download_attempts: int = download.Retry().attempts
