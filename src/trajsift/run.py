"""`run_pipeline`: the main job. Inputs in, kept / rejected / review datasets and stats out."""

from __future__ import annotations

import platform
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import msgspec

from trajsift import __version__
from trajsift import annotations as ann
from trajsift.config import Recipe
from trajsift.errors import PipelineError
from trajsift.executors import shard_work
from trajsift.executors.local import LocalExecutor, RunPlan, StageRun
from trajsift.executors.outdir import claim_out_dir, prune_work
from trajsift.executors.progress import Progress
from trajsift.executors.workspace import digest, inputs_digest, write_json
from trajsift.labels import label_path, load_labels
from trajsift.pipeline import Pipeline, build_pipeline
from trajsift.readers.read import ReadOptions
from trajsift.readers.sources.records import ReadLimits
from trajsift.stats import StatsBuilder
from trajsift.tasks import load_tasks
from trajsift.writer import write_outputs, write_quarantine


@dataclass
class RunResult:
    out_dir: Path
    stats: dict[str, Any]
    counts: dict[str, int]


def run_pipeline(
    inputs: list[str],
    out_dir: str | Path,
    recipe: Recipe,
    workers: int = 1,
    progress: Progress | None = None,
    read_options: ReadOptions | None = None,
    executor: str = "local",
    address: str | None = None,
    overwrite: bool = False,
) -> RunResult:
    """Run every stage of `recipe` over `inputs` into `out_dir`; resumes a killed run.

    `executor`: `local` (this machine, `workers` processes) or `ray` (a Ray cluster at `address`, or a
    local Ray instance; `workers` bounds the actors per stage); both write the same files.
    An `out_dir` holding a run over other inputs is refused unless `overwrite` (see `executors.outdir`)."""
    out = Path(out_dir)
    digests, input_fp = claim_out(inputs, out, recipe, overwrite)
    options = read_options or ReadOptions(
        format=recipe.read.format,
        limits=ReadLimits(max_record_bytes=recipe.read.max_record_bytes),
        labels=load_labels(recipe.labels) if recipe.labels else None,
    )
    tasks = load_tasks(recipe.tasks) if recipe.tasks else {}
    pipeline = build_pipeline(recipe, tasks)
    recipe_data = recipe.model_dump(mode="json")
    plan = RunPlan(inputs, out, recipe_data, recipe.fingerprint(), recipe.tasks, options, workers, tasks)
    read, stage_runs = _executor(executor, plan, pipeline, progress, address).run(input_fp)
    stats, counts = _finish(out, pipeline, read, stage_runs, recipe)
    write_json(out / "run.json", _run_info(recipe, inputs, digests, pipeline) | {"input_fingerprint": input_fp})
    prune_work(out, [read.directory, *(run.directory for run in stage_runs if run.directory)])
    return RunResult(out_dir=out, stats=stats, counts=counts)


def claim_out(inputs: list[str], out_dir: str | Path, recipe: Recipe, overwrite: bool = False) -> tuple[list, str]:
    """Check that `out_dir` is free for this run (or holds it) and claim it; the input digests and fingerprint.

    The fingerprint covers the inputs, the read settings, the label and task files (names and contents) and
    the shard size: everything the read phase depends on."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise PipelineError(f"--out {out} exists and is not a directory")
    digests = inputs_digest(inputs)
    side_files = inputs_digest([label_path(item) for item in recipe.labels] + ([recipe.tasks] if recipe.tasks else []))
    read_settings = recipe.read.model_dump(mode="json")
    input_fp = digest(digests, read_settings, recipe.labels, recipe.tasks, recipe.shard_size, side_files)
    out.mkdir(parents=True, exist_ok=True)
    claim_out_dir(out, input_fp, inputs, overwrite)
    return digests, input_fp


def _executor(name: str, plan: RunPlan, pipeline: Pipeline, progress: Progress | None, address: str | None):
    if name == "local":
        return LocalExecutor(plan, pipeline, progress)
    if name == "ray":
        try:
            from trajsift.executors.ray_executor import RayExecutor
        except ImportError as exc:
            raise PipelineError(f"--executor ray needs Ray: pip install 'trajsift[ray]' ({exc})") from exc
        return RayExecutor(plan, pipeline, progress, address)
    raise PipelineError(f"unknown executor {name!r}: local or ray")


def _final_shards(read: Any, pipeline: Pipeline, stage_runs: list[StageRun]):
    active = [(run, stage) for run, stage in zip(stage_runs, pipeline.stages, strict=True) if not stage.skipped]
    types = pipeline.column_types()
    for shard in range(read.shards):
        trajs = shard_work.load_shard(read.directory, shard)
        if active:
            run, stage = active[-1]
            path = shard_work.final_annotations_path(run.directory, stage.is_global, shard)
            rows = ann.from_table(shard_work.read_table(path), types)
        else:
            rows = [ann.Annotation(meta=ann.meta_of(t)) for t in trajs]
        yield rows, trajs


def _finish(out: Path, pipeline: Pipeline, read: Any, stage_runs: list[StageRun], recipe: Recipe):
    types = pipeline.column_types()
    builder = StatsBuilder([s.name for s in pipeline.stages], types, labels_given=bool(recipe.labels))

    def shards():
        for rows, trajs in _final_shards(read, pipeline, stage_runs):
            builder.add(rows, [(t.usage.started_at, t.usage.finished_at) for t in trajs])
            yield rows, trajs

    counts = write_outputs(out, shards(), types, recipe.output.jsonl)
    write_quarantine(out, read.directory / "quarantine.jsonl")
    runs = [{"name": r.name, "status": "skipped" if r.skipped else "ran", "skip_reason": r.skipped} for r in stage_runs]
    stats = builder.build(read.to_json(), runs)
    write_json(out / "stats.json", stats)
    return stats, counts


def _run_info(recipe: Recipe, inputs: list[str], digests: list[dict], pipeline: Pipeline) -> dict[str, Any]:
    import pyarrow

    return {
        "trajsift_version": __version__,
        "recipe": recipe.model_dump(mode="json"),
        "recipe_fingerprint": recipe.fingerprint(),
        "inputs": digests,
        "stages": [{"name": s.name, "skipped": s.skipped, "checks": [c.id for c in s.checks]} for s in pipeline.stages],
        "versions": {
            "python": platform.python_version(),
            "pyarrow": pyarrow.__version__,
            "msgspec": msgspec.__version__,
            "xxhash": metadata.version("xxhash"),  # the near-duplicate token hash (XXH3-64, no fallback)
        },
    }
