"""A per-row stage and the global stage after it are annotated in one pass over each shard: each shard is
decoded once for both, and the outputs are the bytes of two separate passes."""

import json

from trajsift.config import load_recipe
from trajsift.executors import shard_work
from trajsift.executors.driver import Driver
from trajsift.run import run_pipeline


def _run(dataset, recipe_file, out, monkeypatch, fuse: bool) -> int:
    """Run in this process (1 worker); how many times a shard was decoded."""
    decoded = []
    load = shard_work.load_shard

    def counted(read_dir, shard):
        decoded.append(shard)
        return load(read_dir, shard)

    with monkeypatch.context() as patch:
        patch.setattr(shard_work, "load_shard", counted)
        if not fuse:
            patch.setattr(Driver, "_fuses", lambda self, index, after: False)
        run_pipeline([str(dataset)], out, load_recipe(str(recipe_file)))
    return len(decoded)


def test_fused_pass_decodes_each_shard_once_less_with_the_same_outputs(dataset, recipe_file, tmp_path, monkeypatch):
    fused = _run(dataset, recipe_file, tmp_path / "fused", monkeypatch, fuse=True)
    apart = _run(dataset, recipe_file, tmp_path / "apart", monkeypatch, fuse=False)
    shards = json.loads(next((tmp_path / "fused" / "_work").glob("read-*/DONE.json")).read_text())["shards"]
    assert shards > 1
    assert apart - fused == shards  # the gate (per row) and the rank (global) stages share one decode
    for name in ("kept.parquet", "rejected.parquet", "review.parquet", "quarantine.jsonl", "stats.json"):
        assert (tmp_path / "fused" / name).read_bytes() == (tmp_path / "apart" / name).read_bytes(), name


def test_only_a_per_row_stage_followed_by_a_global_one_is_fused(dataset, recipe_file, tmp_path):
    """gate (per row) -> rank (global) fuse; rank -> diversity (both global) and diversity -> review do not."""
    from trajsift.executors.base import RunPlan
    from trajsift.executors.local import LocalExecutor
    from trajsift.pipeline import build_pipeline
    from trajsift.progress import NullProgress

    recipe = load_recipe(str(recipe_file))
    pipeline = build_pipeline(recipe)
    driver = Driver(LocalExecutor(), RunPlan(inputs=[], out_dir=tmp_path, recipe=recipe), pipeline, NullProgress())
    names = [stage.name for stage in pipeline.stages]
    fused = [(names[i], names[i + 1]) for i in range(len(names) - 1) if driver._fuses(i, i + 1)]
    assert fused == [("gate", "rank")]
