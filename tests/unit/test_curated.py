"""The curated layer: validation names file, line and field; values apply with provenance."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from pipelines.lib.curated import CuratedError, apply_curated, frontier_flags, load_curated

KNOWN = {"gpt-4-mar-2023": "GPT-4 (Mar 2023)", "gpt-3-175b-davinci": "GPT-3 175B (davinci)"}
HEADER = "action,model_id,model,publication_date,training_compute_flop,training_power_w,citation,note,author,date\n"


def write(tmp_path, text, name="corrections.csv", scenario=False):
    folder = tmp_path / "curated" / ("scenarios" if scenario else "")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return tmp_path / "curated"


def runs() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "model_id": ["gpt-3-175b-davinci", "gpt-4-mar-2023"],
            "model": ["GPT-3 175B (davinci)", "GPT-4 (Mar 2023)"],
            "domain": [["Language"], ["Language", "Multimodal"]],
            "is_language_model": [True, True],
            "publication_date": [dt.date(2020, 5, 28), dt.date(2023, 3, 15)],
            "publication_date_precision": ["day", "day"],
            "publication_year_fraction": [2020.4, 2023.2],
            "training_compute_flop": [3.14e23, 2.1e25],
            "training_power_w": [5.1e6, None],
            "source": ["epoch", "epoch"],
            "source_version": ["v1", "v1"],
            "source_row_number": [5, 9],
            "is_epoch_frontier": [True, True],
        }
    )


def test_valid_rows_convert_units_and_keep_where_they_came_from(tmp_path):
    curated = write(
        tmp_path,
        HEADER
        + "correct,gpt-4-mar-2023,,,2.2e25 FLOP,25 MW,https://x.org/a,paper,ana,2026-08-01\n"
        + "correct,,GPT-3 175B (davinci),,3.2e23 FLOPs,,ref,,,\n"
        + "add,,New Run,2026-05-01,4e27 FLOP,,https://x.org/b,,,\n",
    )
    values = load_curated(curated, KNOWN)
    power = values.filter(pl.col("field") == "training_power_w").row(0, named=True)
    assert power["value_number"] == 25e6 and power["value_as_written"] == "25 MW" and power["line"] == 2
    assert values.filter(pl.col("model") == "GPT-3 175B (davinci)")["model_id"].to_list() == ["gpt-3-175b-davinci"]
    assert values.filter(pl.col("action") == "add")["model_id"].unique().to_list() == ["new-run"]


@pytest.mark.parametrize(
    "row, expected",
    [
        ("correct,no-such-model,,,1e25 FLOP,,ref,,,", r"line 2, field 'model_id': unknown model 'no-such-model'"),
        ("correct,gpt-4-mar-2023,,,2.2e25,,ref,,,", r"line 2, field 'training_compute_flop': '2.2e25' has no unit"),
        (
            "correct,gpt-4-mar-2023,,,lots FLOP,,ref,,,",
            r"line 2, field 'training_compute_flop': cannot read 'lots FLOP'",
        ),
        ("correct,gpt-4-mar-2023,,,2.2e25 W,,ref,,,", r"line 2, field 'training_compute_flop': unit 'w' does not fit"),
        ("correct,gpt-4-mar-2023,,,2.2e25 FLOP,,,,,", r"line 2, field 'citation': every curated row needs a citation"),
        ("add,,New Run,,1e25 FLOP,,ref,,,", r"line 2, field 'publication_date': a new run needs a publication date"),
        ("fix,gpt-4-mar-2023,,,1e25 FLOP,,ref,,,", r"line 2, field 'action'"),
    ],
)
def test_bad_rows_name_file_line_and_field(tmp_path, row, expected):
    curated = write(tmp_path, HEADER + row + "\n")
    with pytest.raises(CuratedError, match=r"corrections\.csv: " + expected):
        load_curated(curated, KNOWN)


def test_unknown_column_and_every_problem_reported_at_once(tmp_path):
    curated = write(tmp_path, "action,model_id,flops,citation\ncorrect,gpt-4-mar-2023,1e25,ref\n")
    with pytest.raises(CuratedError, match=r"corrections\.csv: line 1, column 'flops': unknown column"):
        load_curated(curated, KNOWN)
    curated = write(tmp_path, HEADER + "correct,x,,,1 FLOP,,ref,,,\ncorrect,gpt-4-mar-2023,,,1,,,,,\n")
    with pytest.raises(CuratedError) as error:
        load_curated(curated, KNOWN)
    assert len(error.value.problems) == 3  # unknown model (line 2), no unit and no citation (line 3)


def test_correction_overrides_with_provenance_and_new_run_is_appended(tmp_path):
    curated = write(
        tmp_path,
        HEADER
        + "correct,gpt-4-mar-2023,,,2.2e25 FLOP,,https://x.org/a,,ana,\n"
        + "add,,New Run,2026-05-01,4e27 FLOP,300 MW,https://x.org/b,,,\n",
    )
    applied, provenance = apply_curated(runs(), load_curated(curated, KNOWN))
    assert applied.filter(pl.col("model_id") == "gpt-4-mar-2023")["training_compute_flop"].to_list() == [2.2e25]
    new = applied.filter(pl.col("model_id") == "new-run").row(0, named=True)
    assert new["source"] == "curated" and new["training_power_w"] == 3e8 and new["publication_year_fraction"] > 2026.3
    override = provenance.filter(pl.col("status") == "override").row(0, named=True)
    assert (override["source_value"], override["curated_value"], override["citation"]) == (
        "2.1e+25",
        "2.2e+25",
        "https://x.org/a",
    )
    assert sorted(provenance.filter(pl.col("status") == "new_run")["field"].to_list()) == [
        "publication_date",
        "training_compute_flop",
        "training_power_w",
    ]


def test_a_curated_run_the_source_now_has_is_reported_not_duplicated(tmp_path):
    curated = write(tmp_path, HEADER + "add,,GPT-4 (Mar 2023),2023-03-15,2.1e25 FLOP,1 MW,ref,,,\n")
    applied, provenance = apply_curated(runs(), load_curated(curated, KNOWN))
    assert applied.height == 2
    statuses = dict(zip(provenance["field"], provenance["status"]))
    assert statuses == {
        "publication_date": "agreement",
        "training_compute_flop": "agreement",
        "training_power_w": "conflict",
    }


def test_scenarios_do_not_touch_the_baseline(tmp_path):
    curated = write(
        tmp_path, HEADER + "correct,gpt-4-mar-2023,,,1e26 FLOP,,the post,,,\n", name="seed_post.csv", scenario=True
    )
    values = load_curated(curated, KNOWN)
    assert values["estimates"].to_list() == ["seed_post"]
    baseline, provenance = apply_curated(runs(), values)
    assert baseline["training_compute_flop"].to_list() == [3.14e23, 2.1e25] and provenance.height == 0
    scenario, _ = apply_curated(runs(), values, "seed_post")
    assert scenario.filter(pl.col("model_id") == "gpt-4-mar-2023")["training_compute_flop"].to_list() == [1e26]


def test_two_values_for_one_field_are_a_clash(tmp_path):
    curated = write(
        tmp_path, HEADER + "correct,gpt-4-mar-2023,,,2.2e25 FLOP,,a,,,\ncorrect,gpt-4-mar-2023,,,2.3e25 FLOP,,b,,,\n"
    )
    with pytest.raises(CuratedError, match=r"line 2 and .*line 3, field 'training_compute_flop'"):
        apply_curated(runs(), load_curated(curated, KNOWN))


def model_input(frame: pl.DataFrame) -> pl.DataFrame:
    """frame with a null column for every other column marts/training_runs.sql reads."""
    import sqlglot

    from pipelines.lib.column_docs import default_sql_dir
    from pipelines.lib.sql_graph import read_model

    sql = read_model(default_sql_dir(), "marts.training_runs").sql
    read = {c.name for c in sqlglot.parse_one(sql, read="duckdb").find_all(sqlglot.exp.Column) if c.table == "s"}
    return frame.with_columns(pl.lit(None).alias(c) for c in sorted(read - set(frame.columns)))


def frontier_frame() -> pl.DataFrame:
    return model_input(
        pl.DataFrame(
            {
                "model_id": [f"m{i:02d}" for i in range(12)] + ["tie-a", "tie-b"],
                "publication_date": [dt.date(2020, 1, 1)] * 12 + [dt.date(2021, 1, 1)] * 2,
                "training_compute_flop": [float(10 ** (20 + i / 10)) for i in range(12)] + [1e30, 1e30],
            }
        )
    )


def test_frontier_flags_follow_the_sql_rule():
    frame = frontier_frame()
    flagged = frontier_flags(frame)
    assert flagged.columns == [*frame.columns, "compute_rank_at_release", "is_frontier", "is_large_scale"]
    assert flagged["model_id"].to_list() == frame["model_id"].to_list()  # row order kept
    ranks = dict(zip(flagged["model_id"], flagged["compute_rank_at_release"]))
    assert ranks["m11"] == 1 and ranks["m00"] == 12 and ranks["tie-a"] == 1 and ranks["tie-b"] == 2
    assert flagged.filter(pl.col("is_frontier"))["model_id"].len() == 12  # 10 of 2020, and the two 2021 runs
    assert sorted(flagged.filter(pl.col("is_large_scale"))["model_id"]) == ["tie-a", "tie-b"]  # the only >= 1e23


def test_frontier_flags_read_the_thresholds_from_settings():
    """The scenario path runs the warehouse's SQL with the run's settings: a different top N or
    large-scale threshold changes the flags, with no Python copy of the rule to keep in step."""
    from pipelines.lib.settings import DEFAULTS

    flagged = frontier_flags(frontier_frame(), DEFAULTS.replace(frontier_top_n=3, large_scale_min_flop=1e21))
    assert sorted(flagged.filter(pl.col("is_frontier"))["model_id"]) == ["m09", "m10", "m11", "tie-a", "tie-b"]
    assert sorted(flagged.filter(pl.col("is_large_scale"))["model_id"]) == ["m10", "m11", "tie-a", "tie-b"]
