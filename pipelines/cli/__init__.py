"""The `flopcast` command, one module per command family.

- ``main``: the parser and the small commands (build, query, export, report, check);
- ``build``: what ``flopcast build`` runs (the lock, a fresh private database, the Dagster run, the summary);
- ``sources``, ``curate``, ``diff``: ``flopcast sources ...``, ``flopcast curate ...``, ``flopcast diff``.

Importing the package imports only ``main``'s parser code: each command imports its own libraries
when it runs (``flopcast query`` must not import Dagster or great-expectations).
"""

from pipelines.cli.main import main, parser

__all__ = ["main", "parser"]
