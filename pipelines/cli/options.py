"""Argument types shared by several `flopcast` commands (argparse calls them on the option's text)."""

from __future__ import annotations

import argparse


def non_negative_int(text: str) -> int:
    """A whole number, 0 or more (row limits, retry counts)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value
