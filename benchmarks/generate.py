"""A seeded synthetic Epoch "notable AI models" file of any size, as a complete sources/ folder.

    python -m benchmarks.generate --rows 1000000 --out /tmp/bench-sources [--seed 7] [--full-text]

The CSV has exactly the header of the bundled snapshot and distributions modelled on it:

* publication dates 1950-2026, skewed to recent years (an exponential age with a 7-year mean plus
  a thin uniform background, which puts ~10% before 2010 and ~60% in 2020 or later, like the real
  file); ~2% of dates are given to the month or year only;
* training compute log-uniform-ish over 1e2-1e27 with a trend in time (0.2 OOM/year before 2010,
  0.6 after, 1.7 OOM scatter), present on ~51% of rows;
* parameters, dataset size, cost, power, hardware quantity, training time, MFU correlated with
  compute (the real file's relations: compute ~ 2*log10(params) + 2.7, cost ~ compute - 17.6 OOM,
  power ~ compute - 16.9 OOM) and missing at the real non-empty shares (68%, 64%, 17%, 21%, ...);
* domains (Language most common, then Vision, with multi-domain lists), confidence values,
  accessibility, hardware and the other categorical columns at the real shares;
* ~1% dirty rows, one defect each, so the quarantine is exercised: unparsable or negative numbers,
  missing, unreadable and future dates, and model names that repeat an earlier row's name.

Model names are otherwise unique ("<Family> <row index>"), also after slugging into model_id.

Free text (abstract, notes, authors) is present at the real shares but shorter than the real file's
by default (~0.9 KB per row instead of ~2.1 KB, so 10M rows are ~9 GB instead of ~21 GB): the
pipeline only carries those columns through raw.* and the quarantine. ``--full-text`` writes
real-length text.

Only the five catalogued sources are copied into the new sources/ folder: a curated layer
(sources/curated/, analysts' corrections of named real models) would not apply to synthetic models,
so benchmark runs have none and fit the baseline estimates only.

Rows are generated and written in fixed chunks of CHUNK_ROWS, each from its own RNG seeded by
(seed, chunk index), so memory stays flat at any size and the first k rows of a file do not depend
on how many rows follow. The sha256, size and row count of the manifest are computed while writing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.lib.sources import MANIFEST_NAME, SOURCES_BY_NAME

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BUNDLED_SOURCES = PROJECT_ROOT / "sources"
SOURCE = "epoch_notable_models"
REAL_VERSION = "2026-07-19"
REAL_FILE = BUNDLED_SOURCES / SOURCE / REAL_VERSION / SOURCES_BY_NAME[SOURCE].file_name
VERSION = REAL_VERSION  # the synthetic snapshot's version and retrieval date (rows after it are "future")
SNAPSHOT_DATE = dt.date.fromisoformat(VERSION)
CHUNK_ROWS = 50_000
DEFAULT_SEED = 20260719
DIRTY_SHARE = 0.01


def real_header_line() -> bytes:
    """The bundled file's header record, byte for byte (it has no quoted field spanning lines)."""
    with open(REAL_FILE, "rb") as handle:
        line = handle.readline()
    return line if line.endswith(b"\n") else line + b"\n"


def real_header() -> list[str]:
    return real_header_line().decode("utf-8-sig").rstrip("\r\n").split(",")


# --- vocabularies (weights from the real file's value counts) ----------------------------------

FAMILIES = (
    "Aurora",
    "Boreal",
    "Cirrus",
    "Delta Net",
    "Ember",
    "Falcon",
    "Gale",
    "Helix",
    "Ion",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Meridian",
    "Nimbus",
    "Orion",
    "Pulsar",
    "Quasar",
    "Raven",
    "Sable",
    "Tundra",
    "Umbra",
    "Vega",
    "Willow",
    "Xylem",
    "Yarrow",
    "Zephyr",
    "ConvNet",
    "Transformer",
    "Perceptron",
    "Synth LM",
)

# (organization, country, category, weight)
ORGS = (
    ("OpenAI", "United States of America", "Industry", 65),
    ("Google", "United States of America", "Industry", 55),
    (
        "Google DeepMind",
        "United States of America,United Kingdom of Great Britain and Northern Ireland",
        "Industry",
        39,
    ),
    ("Alibaba", "China", "Industry", 32),
    ("DeepMind", "United Kingdom of Great Britain and Northern Ireland", "Industry", 30),
    ("Meta AI", "United States of America", "Industry", 29),
    ("Microsoft", "United States of America", "Industry", 18),
    ("Anthropic", "United States of America", "Industry", 16),
    ("Stanford University", "United States of America", "Academia", 16),
    ("Tsinghua University", "China", "Academia", 14),
    ("University of Toronto", "Canada", "Academia", 12),
    ("NVIDIA", "United States of America", "Industry", 12),
    ("DeepSeek", "China", "Industry", 10),
    ("Mistral AI", "France", "Industry", 8),
    ("Baidu", "China", "Industry", 10),
    ("Carnegie Mellon University", "United States of America", "Academia", 10),
    ("Massachusetts Institute of Technology (MIT)", "United States of America", "Academia", 10),
    ("Google,Stanford University", "United States of America,United States of America", "Industry,Academia", 8),
    ("University of Oxford", "United Kingdom of Great Britain and Northern Ireland", "Academia", 8),
    ("Samsung", "Korea (Republic of)", "Industry", 6),
    ("Technology Innovation Institute", "United Arab Emirates", "Government", 4),
    ("IBM", "United States of America", "Industry", 8),
    ("Bell Laboratories", "United States of America", "Industry", 6),
    ("Synthetic Research Collective", "Multinational", "Research collective", 5),
)

DOMAINS = (
    ("Language", 386),
    ("Vision", 201),
    ("Games", 47),
    ("Multimodal,Language,Vision", 42),
    ("Biology", 42),
    ("Image generation", 41),
    ("Speech", 35),
    ("Language,Multimodal", 30),
    ("Vision,Language", 25),
    ("Robotics", 21),
    ("Other", 16),
    ("Recommendation", 15),
    ("Video", 15),
    ("Mathematics", 12),
    ("Audio", 10),
    ("Language,Mathematics", 8),
    ("Medicine", 6),
    ("3D modeling", 5),
)
TASKS_BY_DOMAIN = {
    "Language": (
        "Language modeling",
        "Language modeling/generation",
        "Language modeling/generation,Question answering",
        "Translation",
        "Chat,Code generation",
    ),
    "Vision": ("Image classification", "Object detection", "Semantic segmentation"),
    "Games": ("Atari", "Go", "Chess,Shogi"),
    "Biology": ("Protein folding prediction", "Protein generation"),
    "Image generation": ("Text-to-image", "Image generation"),
    "Speech": ("Speech recognition (ASR)", "Speech synthesis"),
    "Robotics": ("Robotic manipulation",),
}
CONFIDENCE = (("Confident", 470), ("Likely", 220), ("Unknown", 182), ("Speculative", 89), (None, 75))
NOTABILITY = (
    ("SOTA improvement", 468),
    ("Highly cited", 168),
    ("Historical significance", 63),
    ("Highly cited,SOTA improvement", 61),
    ("Discretionary", 58),
    ("Training cost", 54),
    ("Significant use", 52),
)
MODEL_ACCESS = (
    ("Unreleased", 285),
    (None, 260),
    ("Open weights (unrestricted)", 208),
    ("API access", 132),
    ("Open weights (non-commercial)", 64),
    ("Open weights (restricted use)", 47),
    ("Hosted access (no API)", 40),
)
TRAINING_CODE = (
    ("Unreleased", 450),
    (None, 344),
    ("Open source", 190),
    ("Open (non-commercial)", 45),
    ("Open (restricted use)", 7),
)
INFERENCE_CODE = (
    (None, 754),
    ("Open source", 186),
    ("Unreleased", 55),
    ("Open access (non-commercial)", 34),
    ("Open access (restricted use)", 7),
)
NUMERICAL_FORMAT = ((None, 781), ("FP16", 87), ("FP32", 83), ("BF16", 68), ("FP8", 12), ("NVFP4", 2), ("TF32", 2))
HARDWARE = (
    "NVIDIA A100",
    "NVIDIA V100",
    "Google TPU v3",
    "Google TPU v4",
    "NVIDIA H100 SXM5 80GB",
    "NVIDIA A100 SXM4 80 GB",
    "NVIDIA A100 SXM4 40 GB",
    "NVIDIA Tesla K80",
    "NVIDIA GB200",
    "Google TPU v5p",
    "NVIDIA H100 SXM5 80GB,NVIDIA H800 SXM5",
)
BASE_MODELS = ("Llama 2-70B", "Qwen2.5-72B", "Kimi K2.5", "BERT-Large", "GPT-3 175B (davinci)", "ResNet-50", "T5-11B")
WORDS = (
    "model",
    "training",
    "we",
    "the",
    "a",
    "of",
    "scaling",
    "tokens",
    "compute",
    "parameters",
    "data",
    "language",
    "vision",
    "transformer",
    "results",
    "benchmark",
    "state-of-the-art",
    "performance",
    "efficient",
    "novel",
    "approach",
    "large",
    "dataset",
    "learning",
    "network",
    "deep",
    "attention",
    "pretraining",
    "evaluation",
    "agents",
)
FIRST = (
    "Aaron",
    "Bea",
    "Chen",
    "Dana",
    "Eunbi",
    "Farid",
    "Greta",
    "Hiro",
    "Ines",
    "Jonas",
    "Kavya",
    "Luis",
    "Mei",
    "Noor",
)
LAST = ("Smith", "Wang", "Garcia", "Kim", "Müller", "Rossi", "Tanaka", "Okafor", "Silva", "Novak", "Haddad", "Li")

# Defects of the dirty rows (each dirty row gets exactly one), with their share of dirty rows.
DEFECTS = (
    ("bad_number", 0.30),
    ("missing_date", 0.20),
    ("future_date", 0.20),
    ("duplicate_name", 0.20),
    ("bad_date", 0.10),
)
BAD_NUMBERS = ("unknown", "1e24-3e24", "see notes", "3.1e23 FLOP/s", "-2.5e19", "1,500", "TBD")
BAD_DATES = ("2023-13-45", "spring 2021", "2019/05/07", "20210")


def _choice(rng: np.random.Generator, options, n: int) -> tuple[list, np.ndarray]:
    values = [o[0] for o in options]
    weights = np.array([o[-1] for o in options], dtype=float)
    return values, rng.choice(len(values), size=n, p=weights / weights.sum())


def _pick(values, idx: np.ndarray) -> pl.Series:
    return pl.Series(values=list(values), dtype=pl.String).gather(idx)


def _masked(series: pl.Series, present: np.ndarray) -> pl.Series:
    """The series with null where present is False."""
    return pl.select(pl.when(pl.Series(present)).then(series).otherwise(None)).to_series()


def _round_sig(x: np.ndarray, digits: int) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = 10.0 ** (digits - 1 - np.floor(np.log10(np.abs(x))))
        return np.where(x == 0, 0.0, np.round(x * scale) / scale)


def _numbers(values: np.ndarray, present: np.ndarray, digits: int = 4) -> pl.Series:
    """Floats written the way the real file writes them ('1.845e+24', '975000000000.0')."""
    return _masked(pl.Series(_round_sig(values, digits)).cast(pl.String), present)


@dataclass(frozen=True)
class TextPools:
    """Pre-built free text, picked by index so a chunk costs no per-row string building in Python."""

    sentences: pl.Series
    abstracts: pl.Series
    authors: pl.Series
    titles: pl.Series

    @classmethod
    def build(cls, seed: int, full_text: bool) -> TextPools:
        rng = np.random.default_rng([seed, 1 << 30])

        def text(n_words: int) -> str:
            return " ".join(WORDS[i] for i in rng.integers(0, len(WORDS), n_words)).capitalize() + "."

        sentences = [text(int(rng.integers(4, 16))) for _ in range(512)]
        mean_words = 160 if full_text else 35
        abstracts = []
        for k in range(512):
            body = " ".join(sentences[i] for i in rng.integers(0, 512, max(1, int(rng.poisson(mean_words / 9)))))
            if k % 7 == 0:  # multi-line, quoted, with a comma: exercises CSV quoting like the real file
                body = body + '\n\nWe call it "' + WORDS[k % len(WORDS)] + '", and release it.'
            abstracts.append(body)
        authors = [
            ", ".join(
                f"{FIRST[a]} {LAST[b]}"
                for a, b in rng.integers(
                    0, [len(FIRST), len(LAST)], (int(rng.integers(1, 9 if not full_text else 30)), 2)
                )
            )
            for _ in range(256)
        ]
        titles = [text(int(rng.integers(3, 9))).rstrip(".") for _ in range(256)]
        return cls(*(pl.Series(values=v, dtype=pl.String) for v in (sentences, abstracts, authors, titles)))


def _latent_log_compute(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    trend = np.where(t < 2010, 3.0 + 0.2 * (t - 1950), 15.0 + 0.6 * (t - 2010))
    return np.clip(trend + rng.normal(0.0, 1.7, t.size), 2.0, 27.0)


def generate_chunk(chunk: int, n: int, seed: int, pools: TextPools) -> pl.DataFrame:
    """Rows chunk*CHUNK_ROWS ... +n, as a frame of text columns in the real header's order."""
    rng = np.random.default_rng([seed, chunk])
    start = chunk * CHUNK_ROWS
    index = np.arange(start, start + n, dtype=np.int64)
    u = lambda: rng.random(n)  # noqa: E731  (a fresh uniform per column)

    # Publication date: exponential age from the snapshot date, plus a thin uniform background.
    age = np.where(u() < 0.04, rng.uniform(0, 76.5, n), rng.exponential(7.0, n))
    t = np.clip(2026.54 - age, 1950.0, 2026.54)
    epoch_1950 = (dt.date(1950, 1, 1) - dt.date(1970, 1, 1)).days
    days = np.minimum(
        epoch_1950 + np.floor((t - 1950.0) * 365.2425).astype(np.int64), (SNAPSHOT_DATE - dt.date(1970, 1, 1)).days
    )
    iso = pl.Series(days.astype("datetime64[D]")).cast(pl.String)
    precision = u()
    date = pl.select(
        pl.when(pl.Series(precision < 0.005))
        .then(iso.str.slice(0, 4))
        .when(pl.Series(precision < 0.02))
        .then(iso.str.slice(0, 7))
        .otherwise(iso)
    ).to_series()

    c = _latent_log_compute(t, rng)
    has_c = u() < 0.51
    era = t >= 2012
    logp = np.clip((c - 2.7) / 2.0 + rng.normal(0, 0.6, n), 1.0, 13.2)
    logd = np.clip(c - logp - 0.78 + rng.normal(0, 0.8, n), 0.3, 15.0)
    has_cost = u() < np.where(has_c & era, 0.33, 0.02)
    has_power = u() < np.where(has_c & era, 0.40, 0.03)

    family = rng.integers(0, len(FAMILIES), n)
    model = pl.select(pl.concat_str(_pick(FAMILIES, family), pl.lit(" "), pl.Series(index).cast(pl.String))).to_series()
    _, org = _choice(rng, ORGS, n)
    org_present = u() < 0.983
    domain_values, domain = _choice(rng, DOMAINS, n)
    domain_s = _masked(_pick(domain_values, domain), u() < 0.995)
    primary = [d.split(",")[0] for d in domain_values]
    task_choices = [TASKS_BY_DOMAIN.get(p, ("Other",)) for p in primary]
    task_pick = rng.integers(0, 1 << 30, n)
    task_flat = sorted({x for ts in task_choices for x in ts})
    task_idx = np.array([[task_flat.index(ts[k % len(ts)]) for k in range(6)] for ts in task_choices])[
        domain, task_pick % 6
    ]
    is_frontier_ish = c > np.where(t < 2010, 3.0 + 0.2 * (t - 1950), 15.0 + 0.6 * (t - 2010)) + 0.8

    pick = lambda options: _pick(*_choice(rng, options, n))  # noqa: E731
    text_of = lambda pool, share: _masked(pool.gather(rng.integers(0, pool.len(), n)), u() < share)  # noqa: E731
    hw_q = np.round(10 ** np.clip((c - 17.0) / 2.5 + rng.normal(0, 0.5, n), 0, 5.3))

    columns: dict[str, pl.Series] = {
        "Model": model,
        "Organization": _masked(_pick([o[0] for o in ORGS], org), org_present),
        "Publication date": date,
        "Domain": domain_s,
        "Task": _masked(_pick(task_flat, task_idx), u() < 0.995),
        "Parameters": _numbers(10**logp, u() < np.where(has_c, 0.85, 0.50)),
        "Parameters notes": text_of(pools.sentences, 0.653),
        "Training compute (FLOP)": _numbers(10**c, has_c),
        "Training compute notes": text_of(pools.sentences, 0.597),
        "Training dataset": text_of(pools.titles, 0.603),
        "Training dataset size (total)": _numbers(np.round(10**logd), u() < np.where(has_c, 0.80, 0.47), 3),
        "Dataset size notes": text_of(pools.sentences, 0.542),
        "Confidence": pick(CONFIDENCE),
        "Link": _masked(
            pl.select(
                pl.concat_str(pl.lit("https://example.org/synthetic/"), pl.Series(index).cast(pl.String))
            ).to_series(),
            u() < 0.995,
        ),
        "Reference": text_of(pools.titles, 0.978),
        "Citations": _numbers(np.round(10 ** rng.normal(2.3, 1.0, n)), u() < 0.60, 6),
        "Authors": text_of(pools.authors, 0.852),
        "Abstract": text_of(pools.abstracts, 0.835),
        "Organization categorization": _masked(_pick([o[2] for o in ORGS], org), org_present),
        "Country (of organization)": _masked(_pick([o[1] for o in ORGS], org), org_present),
        "Notability criteria": pick(NOTABILITY),
        "Notability criteria notes": text_of(pools.sentences, 0.644),
        "Epochs": _numbers(np.round(10 ** rng.normal(0.5, 0.7, n), 1), u() < 0.254),
        "Training time (hours)": _numbers(np.round(10 ** rng.normal(2.7, 0.6, n)), u() < 0.231),
        "Training time notes": text_of(pools.sentences, 0.241),
        "Training hardware": _masked(
            _pick(HARDWARE, rng.integers(0, len(HARDWARE), n)), u() < np.where(era, 0.45, 0.05)
        ),
        "Hardware quantity": _numbers(hw_q, u() < np.where(era, 0.31, 0.03)),
        "Hardware utilization (MFU)": _numbers(rng.uniform(0.1, 0.6, n), u() < 0.033, 3),
        "Training compute cost (2023 USD)": _numbers(10 ** (c - 17.6 + rng.normal(0, 0.7, n)), has_cost, 6),
        "Compute cost notes": text_of(pools.sentences, 0.029),
        "Training power draw (W)": _numbers(10 ** (c - 16.85 + rng.normal(0, 1.27, n)), has_power, 8),
        "Base model": _masked(_pick(BASE_MODELS, rng.integers(0, len(BASE_MODELS), n)), u() < 0.131),
        "Finetune compute (FLOP)": _numbers(10 ** (c - 2 + rng.normal(0, 1, n)), u() < 0.043),
        "Finetune compute notes": text_of(pools.sentences, 0.067),
        "Batch size": _numbers(np.round(2 ** rng.integers(5, 25, n).astype(float)), u() < 0.111),
        "Batch size notes": text_of(pools.sentences, 0.107),
        "Model accessibility": pick(MODEL_ACCESS),
        "Training code accessibility": pick(TRAINING_CODE),
        "Inference code accessibility": pick(INFERENCE_CODE),
        "Accessibility notes": text_of(pools.sentences, 0.446),
        "Numerical format": pick(NUMERICAL_FORMAT),
        "Frontier model": _masked(pl.Series(["True"] * n, dtype=pl.String), is_frontier_ish & has_c & (u() < 0.7)),
        "Hardware acquisition cost": _numbers(10 ** rng.normal(6.0, 1.5, n), u() < 0.333),
        "Hardware utilization (HFU)": _numbers(rng.uniform(0.2, 0.95, n), u() < 0.015, 3),
        "Training compute cost (cloud)": _numbers(10 ** (c - 17.3 + rng.normal(0, 0.7, n)), has_cost & (u() < 0.14), 6),
        "Training compute cost (upfront)": _numbers(
            10 ** (c - 16.5 + rng.normal(0, 0.7, n)), has_cost & (u() < 0.19), 6
        ),
    }
    access = columns["Model accessibility"]
    columns["Open model weights?"] = pl.select(
        pl.when(access.is_null())
        .then(None)
        .when(access.str.starts_with("Open weights"))
        .then(pl.lit("Yes"))
        .otherwise(pl.lit("No"))
    ).to_series()
    frame = pl.DataFrame(columns)
    return _make_dirty(frame, rng, n, start)


def _make_dirty(frame: pl.DataFrame, rng: np.random.Generator, n: int, start: int) -> pl.DataFrame:
    """Give ~DIRTY_SHARE of the rows one defect each (never the chunk's first row, which duplicates copy)."""
    dirty = rng.random(n) < DIRTY_SHARE
    dirty[0] = False
    kinds = np.array([k for k, _ in DEFECTS])
    shares = np.array([s for _, s in DEFECTS])
    kind = np.where(dirty, kinds[rng.choice(len(kinds), size=n, p=shares / shares.sum())], "")
    numeric = ["Training compute (FLOP)", "Parameters", "Training compute cost (2023 USD)", "Training power draw (W)"]
    which_numeric = rng.integers(0, len(numeric), n)
    bad_number = rng.integers(0, len(BAD_NUMBERS), n)
    future_days = (SNAPSHOT_DATE - dt.date(1970, 1, 1)).days + rng.integers(30, 5 * 365, n)
    earlier = (rng.random(n) * np.arange(n)).astype(np.int64)  # a row before this one in the chunk
    updates = {}
    for position, name in enumerate(numeric):
        hit = (kind == "bad_number") & (which_numeric == position)
        updates[name] = pl.when(pl.Series(hit)).then(_pick(BAD_NUMBERS, bad_number)).otherwise(pl.col(name))
    future = pl.Series(future_days.astype("datetime64[D]")).cast(pl.String)
    updates["Publication date"] = (
        pl.when(pl.Series(kind == "missing_date"))
        .then(None)
        .when(pl.Series(kind == "future_date"))
        .then(future)
        .when(pl.Series(kind == "bad_date"))
        .then(_pick(BAD_DATES, rng.integers(0, len(BAD_DATES), n)))
        .otherwise(pl.col("Publication date"))
    )
    updates["Model"] = (
        pl.when(pl.Series(kind == "duplicate_name")).then(frame["Model"].gather(earlier)).otherwise(pl.col("Model"))
    )
    return frame.with_columns(**updates)


@dataclass(frozen=True)
class Written:
    path: Path
    rows: int
    size_bytes: int
    sha256: str


def write_csv(
    path: Path, rows: int, *, seed: int = DEFAULT_SEED, full_text: bool = False, progress: bool = False
) -> Written:
    """Stream `rows` synthetic records to path; the hash, size and record count are taken while writing."""
    pools = TextPools.build(seed, full_text)
    digest, size, written = hashlib.sha256(), 0, 0
    header = real_header_line()
    started = time.monotonic()
    with open(path, "wb") as handle:
        handle.write(header)
        digest.update(header)
        size += len(header)
        for chunk in range((rows + CHUNK_ROWS - 1) // CHUNK_ROWS):
            n = min(CHUNK_ROWS, rows - chunk * CHUNK_ROWS)
            frame = generate_chunk(chunk, n, seed, pools)
            buffer = io.BytesIO()
            frame.write_csv(buffer, include_header=False, line_terminator="\n", quote_style="necessary")
            data = buffer.getvalue()
            handle.write(data)
            digest.update(data)
            size += len(data)
            written += frame.height  # one record per row: write_csv quotes embedded newlines
            if progress and chunk % 20 == 19:
                print(
                    f"  {written:,} rows, {size / 1e6:,.0f} MB, {time.monotonic() - started:.0f}s",
                    file=sys.stderr,
                    flush=True,
                )
    return Written(path, written, size, digest.hexdigest())


PROVENANCE = """# Synthetic benchmark data

Generated by `python -m benchmarks.generate --rows {rows} --seed {seed}{full_text}` for flopcast's
performance benchmarks. It is not Epoch AI data: every value is random, drawn from distributions
modelled on the bundled snapshot {real_version} (same header, similar shares of missing values,
a time trend in training compute, ~1% deliberately dirty rows). Do not publish or cite it.
"""


def _same_file_there(out: Path, rows: int, *, seed: int, full_text: bool) -> dict | None:
    """The manifest of `out` when it already holds the file these settings generate: the same
    generator settings in its manifest, every other source present, and the file's sha256 as the
    manifest records it (read again, so a truncated or edited file is regenerated). The file
    depends only on these settings and this module's code: after changing the generator, delete
    the folder."""
    path = out / SOURCE / VERSION / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        data = path.parent / manifest["file"]["name"]
        wanted = {"rows": rows, "seed": seed, "full_text": full_text, "chunk_rows": CHUNK_ROWS}
        if manifest["origin"]["generator"] != wanted or data.stat().st_size != manifest["file"]["size_bytes"]:
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    others = {
        f.name for f in BUNDLED_SOURCES.iterdir() if f.is_dir() and f.name != SOURCE and f.name in SOURCES_BY_NAME
    }
    if not all((out / name).is_dir() for name in others):
        return None
    digest = hashlib.sha256()
    with open(data, "rb") as handle:
        while chunk := handle.read(1 << 24):
            digest.update(chunk)
    return manifest if digest.hexdigest() == manifest["file"]["sha256"] else None


def build_sources(
    out: Path,
    rows: int,
    *,
    seed: int = DEFAULT_SEED,
    full_text: bool = False,
    progress: bool = False,
    force: bool = False,
) -> dict:
    """A complete sources/ folder at `out`: the bundled snapshots of every other source, copied
    unchanged, and a synthetic epoch_notable_models/<VERSION>/ with its file and manifest."""
    if out.exists():
        if not force:
            raise FileExistsError(f"{out} exists; pass force=True (--force) to replace it")
        kept = _same_file_there(out, rows, seed=seed, full_text=full_text)
        if kept is not None:  # a benchmark rerun with --workdir: the same bytes would be written again
            return kept
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for folder in sorted(BUNDLED_SOURCES.iterdir()):
        if folder.is_dir() and folder.name != SOURCE and folder.name in SOURCES_BY_NAME:
            shutil.copytree(folder, out / folder.name, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    version_dir = out / SOURCE / VERSION
    version_dir.mkdir(parents=True)
    spec = SOURCES_BY_NAME[SOURCE]
    written = write_csv(version_dir / spec.file_name, rows, seed=seed, full_text=full_text, progress=progress)
    (version_dir / "PROVENANCE.md").write_text(
        PROVENANCE.format(
            rows=rows, seed=seed, full_text=" --full-text" if full_text else "", real_version=REAL_VERSION
        ),
        encoding="utf-8",
    )
    manifest = {  # the layout pipelines.lib.sources.write_snapshot produces
        "source": SOURCE,
        "version": VERSION,
        "origin": {
            "title": "Synthetic notable AI models (benchmark data, not Epoch AI's)",
            "producer": "benchmarks/generate.py",
            "retrieved": VERSION,
            "generator": {"rows": rows, "seed": seed, "full_text": full_text, "chunk_rows": CHUNK_ROWS},
            "license": "CC0-1.0",
        },
        "file": {
            "name": spec.file_name,
            "sha256": written.sha256,
            "size_bytes": written.size_bytes,
            "rows": written.rows,
        },
    }
    (version_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True, help="the sources/ folder to create")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--full-text", action="store_true", help="real-length abstracts and notes (~2 KB per row)")
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace --out if it exists (kept as it is when it already holds this exact file)",
    )
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    started = time.monotonic()
    manifest = build_sources(
        args.out, args.rows, seed=args.seed, full_text=args.full_text, progress=True, force=args.force
    )
    f = manifest["file"]
    print(
        f"{args.out}: {f['rows']:,} rows, {f['size_bytes'] / 1e6:,.1f} MB, sha256 {f['sha256'][:12]}, "
        f"{time.monotonic() - started:.1f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
