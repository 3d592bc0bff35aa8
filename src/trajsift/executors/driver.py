"""The one driver of a run's phases, shared by every executor.

A run: read the inputs into shards (groups of input units read by the executor's workers, shards cut here)
-> per stage, annotate every shard; for a global stage, reduce every shard's signatures into one state, then
assign it per shard -> each shard's output table (workers) -> write the outputs (streamed, here).
`drive` runs these phases for any `Executor` (`executors.base`). Each phase's files are keyed by a
fingerprint of everything they depend on and exist only once complete, so a rerun (with any executor)
reuses what is complete and redoes only what is missing. Results never depend on the executor or its
worker count: shards are cut from the read's rows in input order, not from workers.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from trajsift.arrow import without_pandas
from trajsift.executors import shard_work
from trajsift.executors.base import Executor, Phases, RunPlan, ShardStep, StageRun
from trajsift.executors.output import Written, write_phase
from trajsift.executors.output_pieces import assign_with_piece, piece_path, prepare_piece
from trajsift.executors.reading import ReadResult, read_into_shards
from trajsift.executors.shard_work import StageJob
from trajsift.files import clean_temporaries, digest, write_json
from trajsift.pipeline import Pipeline
from trajsift.progress import Progress, ShardDone, report_shard
from trajsift.stages import Stage


def drive(
    executor: Executor,
    plan: RunPlan,
    pipeline: Pipeline,
    progress: Progress,
    input_fingerprint: str,
    driver: type[Driver] | None = None,
) -> tuple[Phases, Written]:
    """Read, run every stage through `executor`, write the outputs; resumes from the work files that exist.
    `driver`: `Driver` or a variant of its phases (`executors.lean_driver.LeanDriver`). pyarrow does not import
    pandas meanwhile (`arrow.without_pandas`): nothing here converts pandas objects."""
    with without_pandas():
        executor.start(plan, pipeline)
        try:
            phases = (driver or Driver)(executor, plan, pipeline, progress).run(input_fingerprint)
        finally:
            executor.close()
        return phases, write_phase(plan, pipeline, phases)


class Driver:
    """The phases of a run, in order; a variant overrides `_read`, `_annotate_step` or `piece_step`."""

    def __init__(self, executor: Executor, plan: RunPlan, pipeline: Pipeline, progress: Progress) -> None:
        self.executor, self.plan, self.pipeline, self.progress = executor, plan, pipeline, progress
        self.shards = 0

    piece_step: ShardStep = staticmethod(prepare_piece)
    """Builds a shard's output table (`output_pieces.prepare_piece`)."""

    def run(self, input_fingerprint: str) -> Phases:
        plan = self.plan
        clean_temporaries(plan.out_dir)
        read = self._read(input_fingerprint)
        self.shards = read.shards
        stage_runs: list[StageRun] = []
        jobs: list[StageJob] = []
        previous: Path | None = None
        chain = input_fingerprint
        for index, stage in enumerate(self.pipeline.stages):
            if stage.skipped:
                stage_runs.append(StageRun(stage.name, None, stage.skipped))
                continue
            chain = self._chain(chain, index)
            directory = self._stage_dir(index, chain)
            jobs.append(StageJob(index, read_dir=str(read.directory), previous=str(previous or ""), out=str(directory)))
            stage_runs.append(StageRun(stage.name, directory))
            previous = directory
        if jobs and self.pipeline.stages[jobs[-1].index].is_global and self.piece_step is prepare_piece:
            jobs[-1] = dataclasses.replace(jobs[-1], pieces=str(self._pieces_dir(chain)), jsonl=self._jsonl)
        for job, after in zip(jobs, [*jobs[1:], None], strict=True):
            fused = after is not None and self._fuses(job.index, after.index)
            self._stage(self.pipeline.stages[job.index], dataclasses.replace(job, then=after) if fused else job)
        return Phases(read, stage_runs, self._pieces(read.directory, previous, chain))

    @property
    def _jsonl(self) -> bool:
        return self.plan.recipe.output.jsonl

    def _pieces_dir(self, chain: str) -> Path:
        return self.plan.work / f"output-{chain[:12]}{'-jsonl' if self._jsonl else ''}"

    def _fuses(self, index: int, after: int) -> bool:
        """Whether stage `after` is annotated in the same pass over each shard as stage `index`: a per-row stage
        followed by a global one (whose shards are reported only once assigned, so reports keep their order),
        both annotated from the read's shards."""
        stages = self.pipeline.stages
        from_shards = all(self._annotate_step(i) is shard_work.annotate_shard for i in (index, after))
        return from_shards and not stages[index].is_global and stages[after].is_global

    def _read(self, input_fingerprint: str) -> ReadResult:
        """The read phase: the inputs into shards of trajectories."""
        plan = self.plan
        read_dir = plan.work / f"read-{input_fingerprint[:16]}"
        return read_into_shards(
            plan.inputs,
            plan.read_options,
            plan.tasks,
            plan.recipe.shard_size,
            read_dir,
            self.progress,
            self.executor.map_units,
        )

    def _chain(self, previous: str, index: int) -> str:
        """The fingerprint of stage `index`'s work files: the previous one's, the stage's recipe and the tasks."""
        return digest(previous, self.plan.recipe_data["stages"][index], self.plan.tasks_path or "")

    def _stage_dir(self, index: int, chain: str) -> Path:
        return self.plan.work / f"stage{index}-{self.pipeline.stages[index].name}-{chain[:12]}"

    def _annotate_step(self, index: int) -> ShardStep:
        """What annotates a shard for stage `index` (`shard_work.annotate_shard`: from the read's shards)."""
        return shard_work.annotate_shard

    def _pieces(self, read_dir: Path, last: Path | None, chain: str) -> Path:
        """Each shard's outputs and partial stats, built where the shards are (`output_pieces`), for the write."""
        stages = self.pipeline.stages
        directory = self._pieces_dir(chain)
        active = [index for index, stage in enumerate(stages) if not stage.skipped]
        last_active = active[-1] if active else 0
        job = StageJob(last_active, str(read_dir), str(last or ""), str(directory), jsonl=self._jsonl)
        todo = [shard for shard in range(self.shards) if not piece_path(directory, shard).exists()]
        if todo:
            for _ in self.executor.map_shards(self.piece_step, job, todo):
                pass
        return directory

    def _stage(self, stage: Stage, job: StageJob) -> None:
        shards = list(range(self.shards))
        todo = [s for s in shards if not shard_work.annotated(job.then or job, s)]  # fused: the later files
        self.progress.phase(stage.name, len(shards), done=len(shards) - len(todo))
        self._map(self._annotate_step(job.index), job, todo, decided=not stage.is_global)
        if not stage.is_global or not shards:  # no trajectory read: nothing to reduce
            return
        state_path = Path(job.out) / "state.json"
        if not state_path.exists():
            write_json(state_path, self.executor.reduce(stage, job, shards))
        todo = [s for s in shards if not shard_work.assigned(job, s)]
        self._map(assign_with_piece if job.pieces else shard_work.assign_shard, job, todo, decided=True)

    def _map(self, step: ShardStep, job: StageJob, shards: list[int], decided: bool) -> None:
        """Map `step`; report each shard, and publish it when its decisions are written (`decided`)."""
        if not shards:
            return
        stage = self.pipeline.stages[job.index]
        for shard in self.executor.map_shards(step, job, shards):
            self.progress.advance(1)
            if decided:  # live dashboard and alerts read these reports
                path = shard_work.final_annotations_path(Path(job.out), stage.is_global, shard)
                report_shard(self.progress, ShardDone(job.index, stage.name, shard, self.shards, path))
