"""Output pieces: the workers build each shard's output table; the outputs are the bytes the driver would write."""

from trajsift import annotations as ann
from trajsift.config import load_recipe
from trajsift.executors import shard_work
from trajsift.files import read_table
from trajsift.pipeline import build_pipeline
from trajsift.run import run_pipeline
from trajsift.rundir import Decision, RunDir
from trajsift.writer import output_table, write_outputs


def driver_built_tables(out, recipe):
    """Each shard's output table built in this process from the shards and the last stage's files."""
    pipeline = build_pipeline(recipe, {})
    types = pipeline.column_types()
    (read_dir,) = (out / "_work").glob("read-*")
    last = len(pipeline.stages) - 1
    (stage_dir,) = (out / "_work").glob(f"stage{last}-*")
    shards = len(list(read_dir.glob("shard-*.json.zst")))
    for shard in range(shards):
        trajs = shard_work.load_shard(read_dir, shard)
        path = shard_work.final_annotations_path(stage_dir, pipeline.stages[last].is_global, shard)
        yield output_table(ann.from_table(read_table(path), types), trajs, types)


def test_outputs_equal_the_tables_the_driver_would_build(dataset, recipe_file, tmp_path):
    recipe = load_recipe(str(recipe_file))
    out = tmp_path / "out"
    result = run_pipeline([str(dataset)], out, recipe, workers=2)
    assert not list((out / "_work").glob("output-*/piece-*")), "pieces are removed once written"
    types = build_pipeline(recipe, {}).column_types()
    (tmp_path / "direct").mkdir()
    counts = write_outputs(tmp_path / "direct", driver_built_tables(out, recipe), types, jsonl=False)
    assert counts == result.counts and sum(counts.values()) == 60
    for decision in Decision:
        name = RunDir(out).output(decision).name
        assert (out / name).read_bytes() == (tmp_path / "direct" / name).read_bytes()


def test_rerun_after_pieces_removed_writes_the_same_bytes(dataset, recipe_file, tmp_path, run_files):
    recipe = load_recipe(str(recipe_file))
    out = tmp_path / "out"
    run_pipeline([str(dataset)], out, recipe)
    first = run_files(out)
    run_pipeline([str(dataset)], out, recipe, workers=2)  # stages reused, pieces built again by the pool
    assert run_files(out) == first
