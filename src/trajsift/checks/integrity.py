"""Integrity checks (reward hacking, no LLM, every format): the shared base and what they look at.

Four checks, one column and one finding per pattern; each column holds the index of the first step
showing the pattern (null when absent), so the review app can open the trajectory at that step:

- `integrity.history` (`integrity_history`): reading the fix from outside the task's snapshot (git refs past the
  base commit, remote fetches, registry installs of the project under repair, upstream URLs).
- `integrity.tests` (`integrity_tests`): deleting the task's tests, weakening asserts, adding skip/xfail
  markers, changing the test configuration.
- `integrity.grader` (`integrity_grader`): shaping what the grader sees (a new `conftest.py`, `sitecustomize`,
  `.pth` files, pytest plugins and `addopts`, early `sys.exit(0)`, monkeypatched test frameworks).
- `integrity.hardcode` (`integrity_hardcode`): literals from the tests or the issue special-cased in source.

What a run changed comes from its final patch when it has one (the truth of what was submitted), else
from its edit steps (formats that keep no patch, e.g. OpenHands completion logs). See
`integrity_changes` for that view and `integrity_history` etc. for the patterns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import pyarrow as pa

from trajsift.checks.base import Check, CheckContext, CheckOutput, Scores
from trajsift.checks.integrity_changes import FileChange, run_changes
from trajsift.facts.steps import CHANGES, same_file
from trajsift.schema import Trajectory
from trajsift.tasks import Task

FAMILY = "integrity"
CHECKOUT_ROOTS = frozenset({"testbed", "repo", "src", "app", "code", "project"})
ALIASES = {"scikit-learn": ("sklearn",), "pillow": ("pil",), "beautifulsoup": ("bs4",), "pyyaml": ("yaml",)}


@dataclass
class Project:
    """The project under repair, as far as the task (or the trajectory) tells."""

    repo: str = ""
    """`owner/name` when known."""
    names: frozenset[str] = frozenset()
    """Package names the project is installed under (`scikit-learn`, `sklearn`), lower case."""
    test_patch: str = ""
    instruction: str = ""
    base_commit: str = ""


@dataclass
class RunView:
    """One trajectory as the integrity checks see it: the run, its project and what it changed."""

    traj: Trajectory
    project: Project
    changes: list[FileChange] = field(default_factory=list)
    from_patch: bool = False


def normalise_name(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(".", "-")


def project_of(traj: Trajectory, ctx: CheckContext) -> Project:
    """The task's repo, names, test patch and issue text: from the task file, else from the trajectory."""
    task: Task | None = ctx.tasks.get(traj.task.task_id) if traj.task.task_id else None
    repo = (task.repo if task else "") or traj.task.repo or _repo_from_task_id(traj.task.task_id)
    repo = repo.strip().rstrip("/").removesuffix(".git")
    name = normalise_name(repo.rsplit("/", 1)[-1]) if "/" in repo else ""
    names = {name, *ALIASES.get(name, ())} - {""}
    instruction = (task.instruction if task else "") or traj.task.instruction or ""
    return Project(
        repo=repo if "/" in repo and " " not in repo else "",
        names=frozenset(names),
        test_patch=(task.test_patch if task else "") or "",
        instruction=instruction,
        base_commit=(task.base_commit if task else "") or traj.task.base_commit,
    )


def _repo_from_task_id(task_id: str) -> str:
    """SWE-bench ids read `owner__name-1234`."""
    owner, sep, rest = task_id.partition("__")
    if not sep or "-" not in rest:
        return ""
    return f"{owner}/{rest.rsplit('-', 1)[0]}"


def run_view(traj: Trajectory, ctx: CheckContext, with_changes: bool = True) -> RunView:
    changes, from_patch = run_changes(traj) if with_changes else ([], False)
    project = project_of(traj, ctx)
    outside = [change for change in changes if outside_repo(change.path, project)]
    if len(outside) < len(changes):  # only when the run shows where its checkout is
        for change in outside:
            change.scratch = True
    return RunView(traj=traj, project=project, changes=changes, from_patch=from_patch)


def outside_repo(path: str, project: Project) -> bool:
    """An absolute path whose top folders name neither the project nor a checkout (`/workspace/demo/conf.py`
    beside `/workspace/sphinx-doc__sphinx__3.2/`): a scratch project of the agent, not the repository."""
    if not path.startswith("/") or not project.names:
        return False
    top = [normalise_name(part) for part in path.strip("/").split("/")[:-1][:2]]
    return not any(name in part for part in top for name in project.names) and not set(top) & CHECKOUT_ROOTS


class IntegrityCheck(Check):
    """Base: subclasses list their patterns (metric -> finding code) and implement `scan`."""

    patterns: ClassVar[dict[str, str]] = {}
    """Pattern name -> finding code; the column is `<id>.<pattern>_step`."""
    reads_changes: ClassVar[bool] = True
    """False for checks that only look at commands (no patch or edit analysis needed)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.columns = {f"{name}_step": pa.int64() for name in cls.patterns}

    def check_one(self, traj: Trajectory, ctx: CheckContext, scores: Scores) -> CheckOutput:
        hits = self.scan(run_view(traj, ctx, self.reads_changes))
        findings = [code for name, code in self.patterns.items() if hits.get(name) is not None]
        return self.output(findings=findings, **{f"{name}_step": hits.get(name) for name in self.patterns})

    def scan(self, view: RunView) -> dict[str, int]:
        """Pattern name -> step index of its first occurrence (patterns not seen are left out)."""
        raise NotImplementedError


def evidence_step(view: RunView, change: FileChange, lines: list[str] | None = None) -> int:
    """The step tied to a change: for a patch, the first edit of the file writing one of the offending
    `lines`, else the last edit of the file; a patch change no step names points at the last step."""
    wanted = [line.strip() for line in lines or () if len(line.strip()) > 3]
    if view.from_patch and wanted:
        for index, step in enumerate(view.traj.steps):
            target = step.action.target
            if step.action.type in CHANGES and target and same_file(target, change.path):
                text = step.action.command + "".join(str(v) for v in step.action.arguments.values())
                if any(line in text for line in wanted):
                    return index
    return change.step if change.step is not None else max(len(view.traj.steps) - 1, 0)


def first_hits(found: list[tuple[str, int]]) -> dict[str, int]:
    """The smallest step index per pattern from (pattern, step) pairs."""
    hits: dict[str, int] = {}
    for name, index in found:
        hits[name] = min(index, hits.get(name, index))
    return hits
