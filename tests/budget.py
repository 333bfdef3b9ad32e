"""How hard the property tests push: a small budget for `make test`, the full one for `make reliability`.

FLOPCAST_FULL_STRENGTH=1 (set by `make reliability`) runs every property test at the example count
written beside it; otherwise each runs at a fifth of it (at least 20), which keeps `make test`
fast while every property is still exercised on every run (the examples are derandomized, so a
run is repeatable).
"""

from __future__ import annotations

import os

FULL_STRENGTH = os.environ.get("FLOPCAST_FULL_STRENGTH") == "1"


def examples(full: int) -> int:
    """The number of hypothesis examples for a test whose full-strength count is `full`."""
    return full if FULL_STRENGTH else max(20, full // 5)
