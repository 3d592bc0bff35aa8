"""What a check is: trajectories in, score columns and finding codes out. Checks never decide.

A check declares its id (`family.check`), its parameters (a pydantic model, unknown keys are
errors, given as the type argument: `class MyCheck(Check[MyParams])`), the columns it writes
(`<check id>.<metric>`, typed) and what it needs (e.g. tasks). A check that `requires` `llm` receives the
recipe's LLM section as the `llm` keyword of its constructor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar, cast, get_args

import pyarrow as pa
from pydantic import BaseModel, ConfigDict

from trajsift.schema import Trajectory
from trajsift.tasks import Task

Scores = dict[str, Any]


class Params(BaseModel):
    """Base for check parameters: every field documented, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass
class CheckOutput:
    """One row's result: score values by column name, and finding codes (see `trajsift.reasons`)."""

    scores: Scores = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    error: str = ""
    """Set when the check failed on this row; its columns are then missing (null)."""


@dataclass
class CheckContext:
    """What a check may look at besides the trajectory: tasks by id and a cache folder."""

    tasks: Mapping[str, Task] = field(default_factory=dict)
    cache_dir: str = ""
    task_dir: str = ""
    """Folder of the task file: task repositories given as relative paths resolve against it."""
    fan_out: Callable[[Callable[[Any], Any], Sequence[Any]], list[Any]] | None = None
    """Set by an executor that spreads independent work items (Ray: one task each): `fan_out(fn, items)` is
    `[fn(item) for item in items]` run elsewhere, `fn` picklable by reference; None: the check's own threads."""


P = TypeVar("P", bound=Params)


class Check(Generic[P]):
    """Base class. Subclasses name their params model as the type argument (`Check[MyParams]`; plain
    `Check` takes no parameters), set `id`, `columns`, optionally `requires`, and implement `check_one`
    (or `run` for batch-level work). `self.params` is then typed as that model."""

    id: ClassVar[str]
    description: ClassVar[str] = ""
    columns: ClassVar[dict[str, pa.DataType]] = {}
    """Metric name -> Arrow type; the full column name is `<id>.<metric>`."""
    ParamsModel: ClassVar[type[Params]] = Params
    """Set from the type argument (`Check[MyParams]`)."""
    requires: ClassVar[tuple[str, ...]] = ()
    """Capabilities needed: `tasks` (a task file joined by id), or an importable module name."""
    resources: ClassVar[dict[str, float]] = {}
    """Per worker on Ray: `num_cpus`, `memory` (bytes), `concurrency` (most workers at once, e.g. for
    sandboxed test runs), `fan_out` (1: the check spreads its work through `CheckContext.fan_out`, whose
    tasks take the CPUs, so its workers hold none). Ignored by the local executor."""

    params: P

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in cls.__dict__.get("__orig_bases__", ()):
            model = next(iter(get_args(base)), None)
            if isinstance(model, type) and issubclass(model, Params):
                cls.ParamsModel = model

    def __init__(self, params: P | Mapping[str, Any] | None = None) -> None:
        model = params if isinstance(params, self.ParamsModel) else self.ParamsModel(**dict(params or {}))
        self.params = cast(P, model)  # `ParamsModel` is the class `P` names (set in `__init_subclass__`)

    def preflight(self) -> str:
        """What keeps this check from working on this host (empty: nothing); asked once, before a run starts."""
        return ""

    @classmethod
    def column_types(cls) -> dict[str, pa.DataType]:
        return {f"{cls.id}.{metric}": dtype for metric, dtype in cls.columns.items()}

    def col(self, metric: str) -> str:
        return f"{self.id}.{metric}"

    def run(self, batch: list[Trajectory], ctx: CheckContext, scores: list[Scores]) -> list[CheckOutput]:
        """Score a batch. `scores` holds each row's columns computed so far (read only)."""
        return [self.check_one(traj, ctx, row) for traj, row in zip(batch, scores, strict=True)]

    def check_one(self, traj: Trajectory, ctx: CheckContext, scores: Scores) -> CheckOutput:
        raise NotImplementedError

    def output(self, findings: list[str] | None = None, **metrics: Any) -> CheckOutput:
        """Build a `CheckOutput`, prefixing metric names with the check id."""
        return CheckOutput(scores={self.col(k): v for k, v in metrics.items()}, findings=list(findings or []))
