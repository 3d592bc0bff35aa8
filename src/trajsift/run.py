"""`run_pipeline`: the main job. Inputs in, kept / rejected / review datasets and stats out."""

from __future__ import annotations

import platform
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import msgspec

from trajsift.config import Recipe
from trajsift.errors import PipelineError
from trajsift.executors import make_executor
from trajsift.executors.base import Executor, ExecutorSettings, RunPlan
from trajsift.executors.driver import drive
from trajsift.executors.outdir import claim_out_dir, prune_work
from trajsift.files import digest, write_json
from trajsift.pipeline import Pipeline, build_pipeline
from trajsift.progress import NullProgress, Progress
from trajsift.readers.labels import label_path, load_labels
from trajsift.readers.read import ReadOptions
from trajsift.readers.sources.inputs import inputs_digest
from trajsift.readers.sources.records import ReadLimits
from trajsift.rundir import RunDir
from trajsift.tasks import load_tasks
from trajsift.version import __version__


@dataclass
class RunResult:
    out_dir: Path
    stats: dict[str, Any]
    counts: dict[str, int]


def run_pipeline(
    inputs: list[str],
    out_dir: str | Path,
    recipe: Recipe,
    executor: str | Executor = "local",
    *,
    workers: int = 1,
    address: str | None = None,
    progress: Progress | None = None,
    read_options: ReadOptions | None = None,
    overwrite: bool = False,
    lean: bool = False,
) -> RunResult:
    """Run every stage of `recipe` over `inputs` into `out_dir`; resumes a killed run.

    `executor`: a name from `trajsift.executors.EXECUTORS` (`local`: this machine, `workers` processes;
    `ray`: a Ray cluster at `address`, or a local Ray instance, `workers` bounding the actors per stage), or
    any `Executor`. Every executor writes the same files. An `out_dir` holding a run over other inputs is
    refused unless `overwrite` (see `executors.outdir`). `lean`: the lean path of `trajsift dedup` when the recipe
    allows it (`executors.lean_driver`: same outputs, the first stage signed while reading)."""
    out = Path(out_dir)
    if isinstance(executor, str):
        executor = make_executor(executor, ExecutorSettings(workers=workers, address=address))
    digests, input_fp = claim_out(inputs, out, recipe, overwrite)
    options = read_options or ReadOptions(
        format=recipe.read.format,
        limits=ReadLimits(max_record_bytes=recipe.read.max_record_bytes),
        labels=load_labels(recipe.labels) if recipe.labels else None,
    )
    tasks = load_tasks(recipe.tasks) if recipe.tasks else {}
    pipeline = build_pipeline(recipe, tasks)
    pipeline.preflight(required=recipe.correctness == "required")
    plan = RunPlan(inputs=inputs, out_dir=out, recipe=recipe, read_options=options, tasks=tasks)
    driver = None
    if lean:
        from trajsift.executors.lean_driver import LeanDriver, lean_applies

        driver = LeanDriver if lean_applies(pipeline) else None
    phases, written = drive(executor, plan, pipeline, progress or NullProgress(), input_fp, driver)
    write_json(RunDir(out).info, _run_info(recipe, inputs, digests, pipeline) | {"input_fingerprint": input_fp})
    prune_work(out, phases.folders())
    return RunResult(out_dir=out, stats=written.stats, counts=written.counts)


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
