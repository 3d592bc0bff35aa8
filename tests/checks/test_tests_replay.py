"""`correctness.tests` on a log without a patch: the edits are replayed onto the base commit and verified
in the real sandbox; a replay it cannot do stays `unknown`, with the reason."""

from __future__ import annotations

from pathlib import Path

from harness.sandbox_helpers import needs_bwrap
from harness.verify_helpers import make_repo, make_task
from trajsift.checks.base import CheckContext
from trajsift.checks.tests import TestsCheck
from trajsift.demo.writers import TEST_COMMAND, TEST_ENV
from trajsift.schema import Action, ActionType, FinalState, Observation, Step, TaskRef, Trajectory
from trajsift.tasks import Environment

ROOT = "/workspace/calc__calc__1.0"


def edit(old: str, new: str) -> Step:
    arguments = {"command": "str_replace", "path": f"{ROOT}/calc.py", "old_str": old, "new_str": new}
    action = Action(type=ActionType.EDIT, tool="str_replace_editor", arguments=arguments)
    return Step(action=action, observation=Observation(text="The file /workspace/calc.py has been edited."))


def bash(command: str) -> Step:
    action = Action(type=ActionType.EDIT, tool="execute_bash", arguments={"command": command})
    return Step(action=action, observation=Observation(text=""))


def log_without_patch(name: str, *steps: Step) -> Trajectory:
    final = FinalState(patch="", patch_source="unknown", exit_status="max_iterations")
    return Trajectory(id=name, task=TaskRef(task_id="calc-1"), steps=list(steps), final=final)


@needs_bwrap
def test_replayed_patches_are_verified_and_refusals_stay_unknown(tmp_path: Path) -> None:
    _, commit = make_repo(tmp_path)
    check = TestsCheck({"cache_dir": str(tmp_path / "cache")})
    environment = Environment(python="3.11", packages=["pytest"], env=TEST_ENV)  # as the demo's tasks
    task = make_task(commit, environment=environment, test_command=TEST_COMMAND)
    ctx = CheckContext(tasks={"calc-1": task}, task_dir=str(tmp_path))
    batch = [
        log_without_patch("fixed", bash(f"cd {ROOT} && python -m pytest"), edit("a - b", "a + b")),
        log_without_patch("wrong", edit("return a - b", "return a * b")),
        log_without_patch("sed", bash(f"sed -i 's/a - b/a + b/' {ROOT}/calc.py")),
    ]
    columns = [
        {k.removeprefix("correctness.tests."): v for k, v in out.scores.items()}
        for out in check.run(batch, ctx, [{}] * len(batch))
    ]
    assert [c["patch_source"] for c in columns] == ["replayed", "replayed", "unknown"]
    assert columns[0]["verdict"] == "correct", (columns[0]["reason"], columns[0]["evidence"])
    assert columns[0]["f2p_passed"] == 2
    assert columns[1]["verdict"] == "incorrect" and columns[1]["f2p_failed"] == 2
    assert columns[2]["verdict"] == "unknown" and columns[2]["reason"] == "no_patch"
    assert columns[2]["replay_reason"] == "shell_write:sed" and columns[0]["replay_reason"] == ""
