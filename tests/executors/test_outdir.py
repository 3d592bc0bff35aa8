"""An output folder holds one run: another run is refused unless --overwrite; the same run resumes."""

import os
import subprocess
import sys

import orjson
import pytest
from tests.executors.conftest import RECIPE, make_dataset

from trajsift.config import load_recipe
from trajsift.errors import PipelineError
from trajsift.executors.outdir import held_run
from trajsift.run import run_pipeline
from trajsift.rundir import RunDir


def work_entries(out):
    return sorted(p.name for p in (out / "_work").iterdir())


def test_a_different_run_is_refused_and_overwrite_replaces_it(tmp_path, recipe_file, run_files):
    recipe = load_recipe(str(recipe_file))
    first = make_dataset(tmp_path / "a.jsonl", n=30, seed=1)
    second = make_dataset(tmp_path / "b.jsonl", n=40, seed=2)
    out = tmp_path / "out"
    run_pipeline([str(first)], out, recipe)
    before = run_files(out)
    old_work = work_entries(out)
    with pytest.raises(PipelineError, match="holds a different run.*a.jsonl.*--overwrite"):
        run_pipeline([str(second)], out, recipe)
    assert run_files(out) == before and work_entries(out) == old_work  # nothing touched

    (out / "_work" / "cache").mkdir()
    (out / "_work" / "cache" / "kept.bin").write_bytes(b"content-addressed")
    result = run_pipeline([str(second)], out, recipe, overwrite=True)
    assert result.stats["total"] == 40
    fresh = tmp_path / "fresh"
    run_pipeline([str(second)], fresh, recipe)
    assert run_files(out) == run_files(fresh)  # no trace of the first run in the outputs
    assert work_entries(out) == sorted([*work_entries(fresh), "cache"])  # its _work/ cleared but the caches
    assert (out / "_work" / "cache" / "kept.bin").exists()


def test_the_same_run_resumes_and_reruns_without_overwrite(tmp_path, recipe_file, run_files):
    recipe = load_recipe(str(recipe_file))
    data = make_dataset(tmp_path / "a.jsonl", n=30)
    out = tmp_path / "out"
    run_pipeline([str(data)], out, recipe)
    expected = run_files(out)
    (out / "kept.parquet").unlink()  # as if killed before the outputs were written
    run_pipeline([str(data)], out, recipe)
    assert run_files(out) == expected
    held = held_run(out)
    assert held == orjson.loads((out / "run.json").read_bytes())["input_fingerprint"]
    assert held == orjson.loads(RunDir(out).identity.read_bytes())["input_fingerprint"]


def test_a_folder_with_run_files_of_unknown_origin_is_refused(tmp_path, recipe_file):
    out = tmp_path / "out"
    out.mkdir()
    (out / "kept.parquet").write_bytes(b"from an older version")
    data = make_dataset(tmp_path / "a.jsonl", n=10)
    with pytest.raises(PipelineError, match="older trajsift or left incomplete"):
        run_pipeline([str(data)], out, load_recipe(str(recipe_file)))
    (out / "notes.txt").write_text("a user's file")
    run_pipeline([str(data)], out, load_recipe(str(recipe_file)), overwrite=True)
    assert (out / "notes.txt").read_text() == "a user's file"  # only run files are removed


def test_cli_refusal_leaves_the_old_run_untouched(tmp_path, recipe_file):
    first = make_dataset(tmp_path / "a.jsonl", n=20, seed=1)
    second = make_dataset(tmp_path / "b.jsonl", n=20, seed=2)
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAJSIFT_")}

    def cli(data, *flags):
        cmd = [sys.executable, "-m", "trajsift", "run", str(data), "--out", str(out), "--recipe", str(recipe_file)]
        return subprocess.run([*cmd, *flags], capture_output=True, text=True, timeout=300, env=env)

    assert cli(first).returncode == 0
    progress = (out / "progress.json").read_bytes()
    refused = cli(second)
    assert refused.returncode != 0 and "--overwrite" in refused.stderr and "Traceback" not in refused.stderr
    assert (out / "progress.json").read_bytes() == progress
    replaced = cli(second, "--overwrite")
    assert replaced.returncode == 0, replaced.stderr
    assert orjson.loads((out / "run.json").read_bytes())["inputs"][0]["path"] == str(second)


def test_new_stage_settings_rerun_in_place_and_prune_old_work(tmp_path, recipe_file):
    data = make_dataset(tmp_path / "a.jsonl", n=30)
    out = tmp_path / "out"
    run_pipeline([str(data)], out, load_recipe(str(recipe_file)))
    before = work_entries(out)
    retuned = tmp_path / "retuned.yaml"
    retuned.write_text(RECIPE.replace("fraction: 0.2", "fraction: 0.5"))
    run_pipeline([str(data)], out, load_recipe(str(retuned)))  # same inputs: the same run, re-tuned
    after = work_entries(out)
    assert len(after) == len(before) and after != before
    assert [name for name in after if name.startswith("read-")] == [n for n in before if n.startswith("read-")]
    assert sum(name.startswith("stage") for name in after) == 4  # one folder per stage: the old review's is gone
