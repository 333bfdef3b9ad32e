"""`flopcast build` options are checked before any build work, each message naming its option."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pipelines.cli.build import BuildOutcome
from pipelines.lib.build_options import BuildOptionError, validate_build_options
from pipelines.lib.warehouse import Locations
from tests.conftest import PROJECT_ROOT

SOURCES = PROJECT_ROOT / "sources"
DEFAULTS = dict(as_of=None, horizon=2035, resamples=2000, cluster_start_year=2019, sources_dir=SOURCES, pins={})


@pytest.mark.parametrize(
    "changes, option, words",
    [
        ({"as_of": "2026-13-01"}, "--as-of", ["YYYY-MM-DD", "2026-13-01"]),
        ({"as_of": "yesterday"}, "--as-of", ["yesterday"]),
        ({"as_of": "2024-06-01", "horizon": 2023}, "--horizon", ["2023", "2024"]),
        ({"horizon": 2020}, "--horizon", ["2020", "2026", "--as-of"]),  # the bundled source's newest date is in 2026
        ({"resamples": -1}, "--resamples", ["-1"]),
        ({"as_of": "2024-06-01", "cluster_start_year": 2025}, "--cluster-start-year", ["2025", "2024"]),
    ],
)
def test_bad_option_is_refused_with_its_name(changes, option, words):
    with pytest.raises(BuildOptionError) as caught:
        validate_build_options(**{**DEFAULTS, **changes})
    message = str(caught.value)
    assert message.startswith(option + ":"), message
    for word in words:
        assert word in message, message


@pytest.mark.parametrize(
    "changes",
    [{}, {"as_of": "2020-01-01", "horizon": 2020}, {"resamples": 0}, {"as_of": "2030-01-01", "horizon": 2040}],
)
def test_good_options_pass(changes):
    validate_build_options(**{**DEFAULTS, **changes})


def test_cli_refuses_before_touching_the_warehouse(tmp_path):
    warehouse = tmp_path / "w"
    for option in (["--as-of", "2026-13-01"], ["--horizon", "2020"], ["--pin", "epoch_notable_models=2026-01-01"]):
        result = subprocess.run(
            [sys.executable, "-m", "pipelines.cli", "build", "--warehouse-dir", str(warehouse), *option],
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
            timeout=60,
        )
        assert result.returncode == 2 and f"flopcast build: {option[0]}:" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr and not warehouse.exists()


def test_failed_summary_says_whether_anything_was_published_before(tmp_path):
    locations = Locations(sources_dir=SOURCES, warehouse_dir=tmp_path)
    first = BuildOutcome(success=False, locations=locations).summary(elapsed_seconds=1.0)
    assert "nothing was published before" in first and "unchanged" not in first
    locations.published_db.parent.mkdir(parents=True, exist_ok=True)
    locations.published_db.write_bytes(b"")
    later = BuildOutcome(success=False, locations=locations).summary(elapsed_seconds=1.0)
    assert "the last published warehouse is unchanged" in later
