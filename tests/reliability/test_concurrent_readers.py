"""Readers querying the published warehouse in a loop while builds run: never an error, never a
mix of two builds, never a failed build because of them; afterwards new connections see the new build.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import textwrap

import duckdb
import pytest

from pipelines.lib.sources import load_snapshot, write_snapshot
from tests.conftest import PROJECT_ROOT, copy_sources
from tests.reliability.conftest import run_build, verify_published

pytestmark = [pytest.mark.integration, pytest.mark.slow]
READERS = int(os.environ.get("FLOPCAST_READERS", "3"))

READER = textwrap.dedent("""
    import json, sys, time, duckdb
    db, stop, out = sys.argv[1], sys.argv[2], sys.argv[3]
    import os
    queries, errors, states, held = 0, [], {}, None
    while not os.path.exists(stop):
        try:
            # Half the time a fresh connection, half the time one held across builds.
            if queries % 2 == 0 or held is None:
                con = duckdb.connect(db, read_only=True)
            else:
                con = held
            state = con.execute('''
                select (select count(*) from raw.epoch_notable_models),
                       (select count(*) from clean.notable_models),
                       (select count(*) from marts.training_runs),
                       (select max(source_version) from marts.training_runs),
                       (select count(*) from marts.trend_fits),
                       (select max(n) from marts.trend_fits where metric = 'training_compute_flop' and population = 'notable_since_2010')
            ''').fetchone()
            states[repr(state)] = states.get(repr(state), 0) + 1
            if queries % 2 == 0:
                if held is not None:
                    held.close()
                held = con
            queries += 1
            time.sleep(0.005)  # a busy analyst, not a spin loop starving the build of CPU
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            time.sleep(0.05)
    json.dump({"queries": queries, "errors": errors, "states": states}, open(out, "w"))
""")


def drop_first_model(text: str) -> str:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([rows[0], *rows[2:]])
    return out.getvalue()


def test_readers_never_fail_or_see_a_mix_while_builds_publish(built, tmp_path):
    sources = copy_sources(tmp_path / "sources")
    warehouse = tmp_path / "warehouse"
    shutil.copytree(built.warehouse_dir, warehouse, symlinks=True, ignore=shutil.ignore_patterns(".build"))
    current = load_snapshot(sources, "epoch_notable_models")
    write_snapshot(
        sources,
        "epoch_notable_models",
        "2026-07-20",
        drop_first_model(current.data_path.read_text(encoding="utf-8")).encode("utf-8"),
        dict(current.manifest["origin"], retrieved="2026-07-20"),
    )

    # What the two builds publish: the bundled snapshot, and the same less its first record (a usable run).
    with duckdb.connect(str(built.published_db), read_only=True) as con:
        (raw_rows,) = con.execute("select count(*) from raw.epoch_notable_models").fetchone()
        (clean_rows,) = con.execute("select count(*) from clean.notable_models").fetchone()
    expected = {
        (raw_rows, clean_rows, clean_rows, "2026-07-19"),
        (raw_rows - 1, clean_rows - 1, clean_rows - 1, "2026-07-20"),
    }

    stop = tmp_path / "stop"
    script = tmp_path / "reader.py"
    script.write_text(READER)
    readers = [
        subprocess.Popen(
            [
                sys.executable,
                str(script),
                str(warehouse / "flopcast.duckdb"),
                str(stop),
                str(tmp_path / f"reader-{i}.json"),
            ],
            cwd=PROJECT_ROOT,
        )
        for i in range(READERS)
    ]
    try:
        # Alternate between the two versions so consecutive builds publish different content.
        for i, pin in enumerate(["2026-07-20", "2026-07-19", "2026-07-20"]):
            run_build(sources, warehouse, "--pin", f"epoch_notable_models={pin}", log=tmp_path / f"build-{i}.log")
            verify_published(warehouse)
    finally:
        stop.write_text("stop")
        for reader in readers:
            reader.wait(timeout=120)

    results = [json.loads((tmp_path / f"reader-{i}.json").read_text()) for i in range(READERS)]
    errors = [e for r in results for e in r["errors"]]
    assert errors == []
    states = {s for r in results for s in r["states"]}
    # Exactly the two published builds, each internally consistent (raw, clean and marts agree).
    for state in states:
        raw, clean, runs, version, fits, n = eval(state)  # noqa: S307 - our own repr of a tuple
        assert (raw, clean, runs, version) in expected, state
    queries = sum(r["queries"] for r in results)
    assert queries > 0
    # After the last publish a new connection sees the last build.
    manifest = json.loads((warehouse / "manifest.json").read_text())
    assert manifest["sources"]["epoch_notable_models"]["version"] == "2026-07-20"
    print(
        f"\nconcurrent readers: {READERS} readers served {queries} queries during 3 builds, "
        f"{len(states)} distinct consistent states, 0 errors"
    )
