"""The `Task` record used by correctness checks and task-aware quality checks.

SWE-bench instance records map onto it directly (`Task.from_swebench`); trajsift's own task files are
JSONL of `Task` dicts. Trajectories join their task by `task_id`.

`task_problems` says why a task cannot be graded (naming the field): no FAIL_TO_PASS tests, or a SWE-bench
instance whose `test_patch` is missing, null or empty (its FAIL_TO_PASS tests live in it: without it they would
simply be absent and every patch would look wrong). Such tasks load (quality checks still use them) but are
never graded: the correctness check returns `unknown(task_invalid)` naming the field, `trajsift tasks validate`
reports them invalid without running anything.
"""

from __future__ import annotations

from typing import Any

import msgspec
import orjson

from trajsift.errors import ConfigError

SOURCE_KEY = "source_format"
SWEBENCH = "swebench"
IMAGE_FIELDS = ("docker_image", "image_name")
"""An instance's own container image (SWE-bench Verified, SWE-Gym, R2E-Gym): kept for `--sandbox docker`."""


class Environment(msgspec.Struct, kw_only=True, omit_defaults=True):
    """How to build the task's environment: a Python version and packages, plus an install command."""

    python: str = ""
    packages: list[str] = []
    install: str = ""
    """Shell command run in the repo after packages are installed (e.g. `pip install -e .`)."""
    env: dict[str, str] = {}


class Task(msgspec.Struct, kw_only=True, omit_defaults=True):
    task_id: str
    repo: str = ""
    """Repository: `owner/name` (SWE-bench), a local path, a git URL or a tarball."""
    base_commit: str = ""
    instruction: str = ""
    environment: Environment = msgspec.field(default_factory=Environment)
    test_command: str = ""
    """Command that runs the given test files/ids; `{tests}` is replaced by them."""
    fail_to_pass: list[str] = []
    pass_to_pass: list[str] = []
    test_patch: str = ""
    reference_patch: str = ""
    category: str = ""
    difficulty: str = ""
    expected_steps: int | None = None
    version: str = ""
    metadata: dict[str, Any] = {}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Task:
        return msgspec.convert(data, cls)

    @classmethod
    def from_swebench(cls, record: dict[str, Any]) -> Task:
        """Map a SWE-bench instance record (FAIL_TO_PASS may be a JSON string) onto a Task."""
        return cls(
            task_id=record["instance_id"],
            repo=record.get("repo", ""),
            base_commit=record.get("base_commit", ""),
            instruction=record.get("problem_statement", ""),
            fail_to_pass=_test_list(record.get("FAIL_TO_PASS")),
            pass_to_pass=_test_list(record.get("PASS_TO_PASS")),
            test_patch=record.get("test_patch") or "",
            reference_patch=record.get("patch", ""),
            version=str(record.get("version", "")),
            category=record.get("category", ""),
            difficulty=record.get("difficulty", ""),
            metadata={SOURCE_KEY: SWEBENCH, **{k: record[k] for k in IMAGE_FIELDS if record.get(k)}},
        )


def task_problems(task: Task) -> list[str]:
    """Why the task cannot be graded, one sentence per field (empty when it can)."""
    problems = []
    if task.metadata.get(SOURCE_KEY) == SWEBENCH and not task.test_patch.strip():
        problems.append("test_patch is missing, null or empty (a SWE-bench task's FAIL_TO_PASS tests are in it)")
    if not task.fail_to_pass:
        problems.append("FAIL_TO_PASS is empty (no test shows that a patch fixes the issue)")
    return problems


def _test_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return list(orjson.loads(value)) if value.strip() else []
    return list(value)


def is_swebench_record(record: dict[str, Any]) -> bool:
    return "instance_id" in record and ("FAIL_TO_PASS" in record or "problem_statement" in record)


def load_tasks(path: str) -> dict[str, Task]:
    """Tasks from a JSONL/JSON file of trajsift tasks or SWE-bench instances, keyed by task id."""
    from trajsift.readers.sources.inputs import iter_entries
    from trajsift.readers.sources.records import iter_records

    tasks: dict[str, Task] = {}
    for entry in iter_entries([path], lambda names: False):
        for origin, record, bad in iter_records(entry):  # type: ignore[arg-type]
            if bad is not None:
                raise ConfigError(f"bad task record at {origin}: {bad.reason} {bad.detail}")
            try:
                task = Task.from_swebench(record) if is_swebench_record(record) else Task.from_dict(record)
            except (msgspec.ValidationError, KeyError, TypeError, ValueError, AttributeError) as exc:
                raise ConfigError(f"bad task record at {origin}: {exc}") from exc
            tasks[task.task_id] = task
    return tasks
