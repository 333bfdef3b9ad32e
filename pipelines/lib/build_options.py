"""`flopcast build` options checked before any build work, each message naming its option.

Cheap on purpose (no polars, no Dagster): a wrong date or horizon must fail in well under a second,
not half a minute into the build where the analysis would first notice it.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

MAIN_SOURCE = "epoch_notable_models"
DATE_COLUMN = "Publication date"


class BuildOptionError(ValueError):
    """An option value the build would fail on; the message starts with the option's name."""


def parse_as_of(text: str | None) -> dt.date | None:
    """--as-of as a date (None when not given); BuildOptionError naming the option when it is not YYYY-MM-DD."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise BuildOptionError(f"--as-of: expected an ISO date YYYY-MM-DD, got {text!r} ({exc})") from None


def newest_publication_date(sources_dir: Path, version: str | None = None) -> dt.date | None:
    """The newest publication date in the main source's snapshot that is not after its retrieval date
    (what the build takes as its default as-of date, before curated runs), or None if it cannot be told."""
    from pipelines.lib.sources import SourceError, load_snapshot

    try:
        snapshot = load_snapshot(sources_dir, MAIN_SOURCE, version)
        retrieved = dt.date.fromisoformat(snapshot.retrieved)
        newest = None
        with open(snapshot.data_path, encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                try:
                    day = dt.date.fromisoformat((row.get(DATE_COLUMN) or "").strip()[:10])
                except ValueError:
                    continue
                if day <= retrieved and (newest is None or day > newest):
                    newest = day
        return newest
    except (OSError, KeyError, ValueError, SourceError, csv.Error):
        return None  # the build reports a broken snapshot itself, with its own message


def validate_build_options(
    *, as_of: str | None, horizon: int, resamples: int, cluster_start_year: int, sources_dir: Path, pins: dict[str, str]
) -> None:
    """Raise BuildOptionError for a value the build would fail on (pins are checked by parse_pins)."""
    as_of_date = parse_as_of(as_of)
    if resamples < 0:
        raise BuildOptionError(f"--resamples: must be 0 or more, got {resamples}")
    if as_of_date is not None:
        reference, where = as_of_date, "--as-of"
    else:
        reference = newest_publication_date(sources_dir, pins.get(MAIN_SOURCE))
        where = f"the default as-of date, the newest publication date in {MAIN_SOURCE}; --as-of chooses another"
    if reference is not None and horizon < reference.year:
        raise BuildOptionError(
            f"--horizon: {horizon} is before the as-of year {reference.year} ({reference}: {where}); "
            "the projections run from the as-of year to the horizon"
        )
    if reference is not None and cluster_start_year > reference.year:
        raise BuildOptionError(
            f"--cluster-start-year: {cluster_start_year} is after the as-of year {reference.year} "
            f"({reference}: {where}); the largest-cluster fits need years up to the as-of date"
        )
