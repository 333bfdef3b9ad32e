"""`flopcast curate check|add` against hostile input (issue 17, classes 8 and 11): no traceback,
nothing written outside sources/curated/, and an add that is refused or interrupted leaves the file
exactly as it was."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pipelines.cli import main

REPO_SOURCES = Path(__file__).resolve().parents[2] / "sources"
HEADER = "action,model_id,model,publication_date,training_compute_flop,citation\n"


@pytest.fixture(scope="module")
def main_source(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("main_source")
    shutil.copytree(REPO_SOURCES / "epoch_notable_models", folder / "epoch_notable_models")
    return folder


@pytest.fixture
def sources(main_source, tmp_path) -> Path:
    folder = tmp_path / "sources"
    shutil.copytree(main_source, folder)
    return folder


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def add(capsys, sources, *extra, value="2.2e25 FLOP"):
    return run(
        capsys,
        "curate",
        "add",
        "--sources-dir",
        str(sources),
        "--model-id",
        "gpt-4-mar-2023",
        "--field",
        "training_compute_flop",
        "--value",
        value,
        "--citation",
        "https://example.org",
        *extra,
    )


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("scenario", ["../../x", "../x", "a/b", "baseline", ".hidden", ""])
def test_a_scenario_name_that_leaves_the_folder_or_shadows_the_baseline_is_refused(capsys, sources, scenario):
    before = files_under(sources.parent)
    code, _, err = add(capsys, sources, "--scenario", scenario)
    assert code == 2 and "refused" in err and "Traceback" not in err
    assert files_under(sources.parent) == before


@pytest.mark.parametrize(
    "where", ["outside.csv", "sources/notes.txt", "sources/epoch_notable_models/x.csv", "sources/curated/sub/x.csv"]
)
def test_file_must_be_a_curated_csv(capsys, sources, monkeypatch, where):
    monkeypatch.chdir(sources.parent)
    before = files_under(sources.parent)
    code, _, err = add(capsys, sources, "--file", where)
    assert code == 2 and "refused" in err
    assert files_under(sources.parent) == before


def test_a_refused_add_leaves_the_file_byte_identical(capsys, sources):
    curated = sources / "curated"
    curated.mkdir()
    original = (HEADER + "correct,gpt-4-mar-2023,,,2.2e25 FLOP,https://a\n").encode()
    (curated / "corrections.csv").write_bytes(original)
    code, _, err = add(capsys, sources, value="9e99 FLOP")
    assert code == 1 and "not added" in err and "is outside 1..1e+30" in err
    assert files_under(curated) == {"corrections.csv": original}


def test_an_interrupted_add_leaves_the_file_byte_identical_and_no_temporary(capsys, sources, monkeypatch):
    curated = sources / "curated"
    curated.mkdir()
    original = (HEADER + "correct,gpt-4-mar-2023,,,2.2e25 FLOP,https://a\n").encode()
    (curated / "corrections.csv").write_bytes(original)

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        main(
            [
                "curate",
                "add",
                "--sources-dir",
                str(sources),
                "--model-id",
                "gpt-3-175b-davinci",
                "--field",
                "training_compute_flop",
                "--value",
                "3.2e23 FLOP",
                "--citation",
                "https://b",
                "--file",
                str(curated / "corrections.csv"),
            ]
        )
    assert files_under(curated) == {"corrections.csv": original}


def test_a_good_add_appends_one_row(capsys, sources):
    code, out, _ = add(capsys, sources, "--scenario", "seed_post")
    assert code == 0 and "added to" in out
    text = (sources / "curated" / "scenarios" / "seed_post.csv").read_text()
    assert text.count("\n") == 2 and ",2.2e25 FLOP," in text


def test_add_refuses_a_curated_file_that_is_a_link(capsys, sources, tmp_path):
    target = tmp_path / "passwd"
    target.write_text("root:x:0:0:SECRET-LINE\n")
    (sources / "curated").mkdir()
    (sources / "curated" / "corrections.csv").symlink_to(target)
    code, _, err = add(capsys, sources)
    assert code == 2 and "symbolic link" in err and "SECRET" not in err
    assert target.read_text() == "root:x:0:0:SECRET-LINE\n"


@pytest.mark.parametrize(
    "content",
    [
        HEADER.encode() + b'correct,gpt-4-mar-2023,,,2.2e25 FLOP,"' + b"x" * 10_000_000 + b'"\n',
        HEADER.encode() + b"add,,Caf\xe9,2020-01-01,1e25 FLOP,ref\n",
        HEADER.encode() + b"add,,A\x1b[2JB,2020-01-01,1e25 FLOP,ref\n",
    ],
)
def test_check_names_the_problem_without_a_traceback(capsys, sources, content):
    (sources / "curated").mkdir()
    (sources / "curated" / "corrections.csv").write_bytes(content)
    code, _, err = run(capsys, "curate", "check", "--sources-dir", str(sources))
    assert code == 1 and "corrections.csv: line 2, field '" in err and "Traceback" not in err and len(err) < 1000


@pytest.mark.parametrize("damage", ["data", "manifest"])
def test_check_on_a_corrupted_snapshot_says_so_in_one_line(capsys, sources, damage):
    version = next((sources / "epoch_notable_models").iterdir())
    if damage == "data":
        data = next(p for p in version.iterdir() if p.suffix == ".csv")
        data.write_bytes(data.read_bytes()[:-100])
    else:
        (version / "manifest.json").write_text("{not json")
    code, _, err = run(capsys, "curate", "check", "--sources-dir", str(sources))
    assert code == 1 and "cannot read the main source epoch_notable_models" in err
    assert "Traceback" not in err and err.count("\n") == 1
