"""The build's progress logger prints one line per finished asset and check, from Dagster's events."""

import dagster as dg

from pipelines.defs.progress import progress_logger


@dg.asset
def a_table() -> None:
    return None


@dg.asset_check(asset=a_table, blocking=True)
def a_table_is_fine() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


@dg.asset(deps=[a_table])
def a_failing_table() -> None:
    raise ValueError("column 'x' is missing in sources/x.csv")


def test_one_line_per_asset_and_check_and_the_users_error(capsys):
    job = dg.Definitions(
        assets=[a_table, a_failing_table],
        asset_checks=[a_table_is_fine],
        jobs=[dg.define_asset_job("all", selection=dg.AssetSelection.all())],
        loggers={"progress": progress_logger},
        executor=dg.in_process_executor,
    ).resolve_job_def("all")
    result = job.execute_in_process(
        run_config={"loggers": {"progress": {}}}, instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )
    assert not result.success
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("  ok    a_table ") for line in lines), lines
    assert any(line.startswith("  ok    check a_table:a_table_is_fine ") for line in lines), lines
    assert "  FAIL  a_failing_table: ValueError: column 'x' is missing in sources/x.csv" in lines, lines
