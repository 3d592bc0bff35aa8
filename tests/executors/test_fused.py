"""Fused passes: a per-row stage and the global stage after it annotate each shard in one pass (decoded once
for both), and the last global stage's assign builds the shard's output piece in the same pass (its
annotations not read back); the outputs are the bytes of separate passes."""

import json

from trajsift.config import load_recipe
from trajsift.executors import output_pieces, shard_work
from trajsift.executors.driver import Driver
from trajsift.run import run_pipeline


def _run(dataset, recipe_file, out, monkeypatch, fuse: bool) -> tuple[int, int]:
    """Run in this process (1 worker); how many times a shard was decoded, and how many annotation tables the
    output pieces read back."""
    decoded, read_back = [], []

    def counted(calls, function):
        return lambda *args, **kwargs: calls.append(args) or function(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(shard_work, "load_shard", counted(decoded, shard_work.load_shard))
        patch.setattr(output_pieces, "read_table", counted(read_back, output_pieces.read_table))
        if not fuse:
            patch.setattr(Driver, "_fuses", lambda self, index, after: False)
            patch.setattr(Driver, "piece_step", staticmethod(counted([], output_pieces.prepare_piece)))
        run_pipeline([str(dataset)], out, load_recipe(str(recipe_file)))
    return len(decoded), len(read_back)


def test_fused_passes_decode_and_read_less_with_the_same_outputs(dataset, recipe_file, tmp_path, monkeypatch):
    fused, fused_read_back = _run(dataset, recipe_file, tmp_path / "fused", monkeypatch, fuse=True)
    apart, apart_read_back = _run(dataset, recipe_file, tmp_path / "apart", monkeypatch, fuse=False)
    shards = json.loads(next((tmp_path / "fused" / "_work").glob("read-*/DONE.json")).read_text())["shards"]
    assert shards > 1
    assert apart - fused == shards  # the gate (per row) and the rank (global) stages share one decode
    assert (fused_read_back, apart_read_back) == (0, shards)  # pieces built from the assign's rows
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
