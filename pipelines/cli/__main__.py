"""`python -m pipelines.cli ...` is the `flopcast` command (tests and the reliability suite run it so)."""

import sys

from pipelines.cli.main import main

sys.exit(main())
