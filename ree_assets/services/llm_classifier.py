"""The ``llm`` patent classifier: any OpenAI-compatible chat-completions endpoint, answers
constrained by a JSON schema, every answer cached on disk.

One request per patent: ``POST {base_url}/chat/completions`` with the model, a system prompt
(:data:`SYSTEM_PROMPT`), the patent's title and abstract as the user message and
``response_format = {"type": "json_schema", ...}`` (:data:`ANSWER_SCHEMA`: sic4, technology,
ree_enhancing). The answer is validated (a four-digit SIC, a known technology, a boolean flag);
a timeout, an HTTP 429/5xx or a malformed answer is retried up to ``max_retries`` times with
exponential backoff, then raises :class:`LlmClassificationError` naming the patent.

Cache: ``<cache_dir>/<sha256(patent_id, prompt hash)>.json``, the prompt hash covering the model,
the system prompt, the schema and the patent's text, so reruns cost nothing and any change of
prompt, model or text asks again.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ree_assets.core.patents.classify import LABEL_SCHEMA, TECHNOLOGIES

SYSTEM_PROMPT = (
    "You classify United States patents that mention rare earth elements. Answer with JSON only. "
    "sic4: the 4-digit SIC 1987 manufacturing industry (2011-3999) that would make the patented product. "
    "technology: one of " + ", ".join(TECHNOLOGIES) + ". "
    "ree_enhancing: true if the invention improves the efficiency of rare-earth use or helps substitute rare earths "
    "(less, none, recycled or replaced), false otherwise."
)
ANSWER_SCHEMA = {
    "name": "patent_classification",
    "strict": True,
    "schema": {
        "type": "object",
        "additionalProperties": False,
        "required": ["sic4", "technology", "ree_enhancing"],
        "properties": {
            "sic4": {"type": "string", "pattern": "^[23][0-9]{3}$"},
            "technology": {"type": "string", "enum": list(TECHNOLOGIES)},
            "ree_enhancing": {"type": "boolean"},
        },
    },
}
RETRIED_STATUS = {408, 409, 429, 500, 502, 503, 504}


class LlmClassificationError(RuntimeError):
    """A patent the endpoint could not classify after every retry."""


@dataclass(frozen=True)
class LlmSettings:
    """Where and how to ask: the endpoint's base URL (``.../v1``), model, API key, cache folder,
    seconds per request, retries after the first attempt, first backoff in seconds."""

    base_url: str
    model: str
    cache_dir: Path
    api_key: str | None = None
    timeout: float = 30.0
    max_retries: int = 3
    backoff: float = 0.5


def prompt_hash(settings: LlmSettings, title: str, abstract: str | None) -> str:
    """sha256 of everything the answer depends on: model, system prompt, schema and text."""
    payload = json.dumps([settings.model, SYSTEM_PROMPT, ANSWER_SCHEMA, title, abstract or ""], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def parse_answer(content: str) -> dict:
    """The validated answer of a chat completion's message content. Raises ValueError."""
    answer = json.loads(content)
    if not isinstance(answer, dict):
        raise ValueError(f"answer is not a JSON object: {content[:80]!r}")
    sic4, technology, enhancing = answer.get("sic4"), answer.get("technology"), answer.get("ree_enhancing")
    if not (isinstance(sic4, str) and len(sic4) == 4 and sic4.isdigit() and "2000" <= sic4 <= "3999"):
        raise ValueError(f"sic4 {sic4!r} is not a manufacturing SIC 1987 code")
    if technology not in TECHNOLOGIES:
        raise ValueError(f"technology {technology!r} is not one of {', '.join(TECHNOLOGIES)}")
    if not isinstance(enhancing, bool):
        raise ValueError(f"ree_enhancing {enhancing!r} is not a boolean")
    return {"sic4": sic4, "technology": technology, "ree_enhancing": enhancing}


def _ask(settings: LlmSettings, title: str, abstract: str | None) -> dict:
    """One chat completion; raises on HTTP errors, timeouts and malformed answers."""
    body = {
        "model": settings.model,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"Title: {title}\nAbstract: {abstract or ''}"},
        ],
        "response_format": {"type": "json_schema", "json_schema": ANSWER_SCHEMA},
    }
    headers = {"Content-Type": "application/json"}
    if settings.api_key:
        headers["Authorization"] = f"Bearer {settings.api_key}"
    request = urllib.request.Request(
        f"{settings.base_url.rstrip('/')}/chat/completions",
        data=json.dumps(body).encode(),
        headers=headers,
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=settings.timeout) as response:
        completion = json.loads(response.read())
    return parse_answer(completion["choices"][0]["message"]["content"])


def classify_one(settings: LlmSettings, patent_id: str, title: str, abstract: str | None) -> dict:
    """The cached or freshly asked (and then cached) labels of one patent."""
    key = hashlib.sha256(f"{patent_id}:{prompt_hash(settings, title, abstract)}".encode()).hexdigest()
    cached = settings.cache_dir / f"{key}.json"
    if cached.is_file():
        return json.loads(cached.read_text())
    problems = []
    for attempt in range(settings.max_retries + 1):
        try:
            answer = _ask(settings, title, abstract)
        except urllib.error.HTTPError as error:
            if error.code not in RETRIED_STATUS:
                raise LlmClassificationError(
                    f"patent {patent_id}: HTTP {error.code} from {settings.base_url}"
                ) from error
            problems.append(f"HTTP {error.code}")
        except (TimeoutError, urllib.error.URLError) as error:
            problems.append(f"no answer ({error})")
        except (ValueError, KeyError, IndexError, TypeError) as error:
            problems.append(f"malformed answer ({error})")
        else:
            settings.cache_dir.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(".part")
            partial.write_text(json.dumps(answer))
            partial.replace(cached)
            return answer
        if attempt < settings.max_retries:
            time.sleep(settings.backoff * 2**attempt)
    raise LlmClassificationError(
        f"patent {patent_id}: no valid answer from {settings.base_url} after "
        f"{settings.max_retries + 1} attempts: {'; '.join(problems)}"
    )


def llm_classify(patents: pl.DataFrame, settings: LlmSettings) -> pl.DataFrame:
    """(patent_id, sic4, technology, ree_enhancing) of each patent, asked one by one."""
    rows = [
        {"patent_id": row["patent_id"], **classify_one(settings, row["patent_id"], row["title"], row["abstract"])}
        for row in patents.iter_rows(named=True)
    ]
    return pl.DataFrame(rows, schema=LABEL_SCHEMA)


def write_training_labels(
    patents: pl.DataFrame, settings: LlmSettings, path: Path, *, sample: int, seed: int = 0
) -> pl.DataFrame:
    """Ask the endpoint for the labels of a random sample of ``sample`` patents (patent_id, title,
    abstract; optional ``classes`` list of "scheme:code") and write them as the ``trained``
    classifier's training labels, ``patents/training_labels.csv`` in ``REE_DATA_DIR`` (the
    contract ``patent_training_set``: label_source llm, classes joined by ";"). Keep the sample
    disjoint from ``patents/evaluation_labels.csv``: the training set asset refuses an overlap."""
    drawn = patents.sample(min(sample, patents.height), seed=seed)
    labels = llm_classify(drawn.select("patent_id", "title", "abstract"), settings)
    classes = (
        drawn.select("patent_id", pl.col("classes").list.join(";"))
        if "classes" in drawn.columns
        else drawn.select("patent_id", pl.lit(None, pl.String).alias("classes"))
    )
    frame = (
        drawn.select("patent_id", "title", "abstract")
        .join(labels, on="patent_id")
        .join(classes, on="patent_id")
        .select(
            "patent_id",
            "title",
            "abstract",
            pl.lit(True).alias("is_ree"),
            "technology",
            "sic4",
            "ree_enhancing",
            pl.lit("llm").alias("label_source"),
            "classes",
        )
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(path)
    return frame
