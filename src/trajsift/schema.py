"""The canonical trajectory record every reader produces and every stage consumes.

Records are `msgspec.Struct`s: cheap to build, cheap to (de)serialise, and validated when
converted from plain data (`Trajectory.from_dict`). The Arrow layout lives in `trajsift.arrow`.
"""

from __future__ import annotations

import enum
from typing import Any

import msgspec

SCHEMA_VERSION = "1"


class ActionType(str, enum.Enum):
    """What an agent step does, whatever the scaffold called its tool."""

    READ = "read"
    SEARCH = "search"
    EDIT = "edit"
    CREATE = "create"
    RUN_TESTS = "run_tests"
    RUN_COMMAND = "run_command"
    SUBMIT = "submit"
    GIVE_UP = "give_up"
    THINK = "think"
    OTHER = "other"


class Action(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A normalised action plus the raw call it came from."""

    type: ActionType = ActionType.OTHER
    tool: str = ""
    """Raw tool or command name as the scaffold called it (`str_replace_editor`, `bash`, `edit`)."""
    command: str = ""
    """Raw command text (a bash line, SWE-agent command, or the tool call rendered as text)."""
    arguments: dict[str, Any] = {}
    """Raw tool-call arguments where the format has structured calls."""
    target: str = ""
    """Normalised target: the file path or test selector the action is about, if any."""


class Observation(msgspec.Struct, kw_only=True, omit_defaults=True):
    text: str = ""
    exit_code: int | None = None
    is_error: bool = False
    truncated: bool = False


class Step(msgspec.Struct, kw_only=True, omit_defaults=True):
    index: int = 0
    thought: str = ""
    action: Action = msgspec.field(default_factory=Action)
    observation: Observation = msgspec.field(default_factory=Observation)
    agent: str = ""
    """Sub-agent name in multi-agent scaffolds (CodeR's Manager, Reproducer, ...)."""
    timestamp: str = ""


class Source(msgspec.Struct, kw_only=True, omit_defaults=True):
    format: str = ""
    """Reader that produced the record (`swe-agent`, `mini-swe-agent`, ...)."""
    scaffold: str = ""
    model: str = ""
    run: str = ""
    temperature: float | None = None
    prompt_variant: str = ""
    path: str = ""
    """Where the record was read from (file, `file:line`, `archive.tar.gz:member`)."""


class TaskRef(msgspec.Struct, kw_only=True, omit_defaults=True):
    task_id: str = ""
    category: str = ""
    difficulty: str = ""
    repo: str = ""
    base_commit: str = ""
    instruction: str = ""


PATCH_RECORDED = "recorded"
PATCH_OBSERVED_DIFF = "observed_diff"
PATCH_NONE = "none"
PATCH_UNKNOWN = "unknown"
PATCH_REPLAYED = "replayed"
PATCH_SOURCES = (PATCH_RECORDED, PATCH_OBSERVED_DIFF, PATCH_NONE, PATCH_UNKNOWN, PATCH_REPLAYED)


class FinalState(msgspec.Struct, kw_only=True, omit_defaults=True):
    patch: str = ""
    submitted: bool = False
    exit_status: str = ""
    """The scaffold's own exit status, verbatim where it records one (`submitted (exit_cost)`,
    `LimitsExceeded`, `finished`); readers that derive it from the log say so in the text."""
    patch_source: str = ""
    """Where `patch` comes from, set by readers (one of `PATCH_SOURCES`; "" for records made elsewhere):
    `recorded` the scaffold's own record of the final patch (SWE-agent / mini-swe-agent `info.submission`,
    AutoCodeRover patch files, OpenHands `git_patch`); `observed_diff` recovered from the last `git diff`
    output the agent saw with no edit after it (`trajsift.readers.recover`); `none` the format records
    patches and this run has none; `unknown` the log cannot tell (e.g. OpenHands completion logs);
    `replayed` rebuilt by replaying the run's edits onto the task's base commit (`trajsift.harness.patch.replay`,
    done by the correctness stage when the repository is at hand; readers never set it)."""


class Usage(msgspec.Struct, kw_only=True, omit_defaults=True):
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost: float | None = None
    api_calls: int | None = None
    duration_s: float | None = None
    started_at: str = ""
    finished_at: str = ""


class Outcome(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An outcome known from outside the trajectory (e.g. the SWE-bench harness)."""

    resolved: bool | None = None
    label_source: str = ""


class Trajectory(msgspec.Struct, kw_only=True):
    id: str
    source: Source = msgspec.field(default_factory=Source)
    task: TaskRef = msgspec.field(default_factory=TaskRef)
    steps: list[Step] = []
    final: FinalState = msgspec.field(default_factory=FinalState)
    usage: Usage = msgspec.field(default_factory=Usage)
    outcome: Outcome = msgspec.field(default_factory=Outcome)
    metadata: dict[str, Any] = {}
    schema_version: str = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return msgspec.to_builtins(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Trajectory:
        """Validate plain data into a record; raises `msgspec.ValidationError` on bad shape."""
        return msgspec.convert(data, cls)

    def to_json(self) -> bytes:
        return msgspec.json.encode(self)

    @property
    def action_types(self) -> list[ActionType]:
        return [step.action.type for step in self.steps]


class Quarantined(msgspec.Struct, kw_only=True):
    """An input unit that could not become a `Trajectory`, with the reason why."""

    reason: str
    origin: str
    detail: str = ""
    excerpt: str = ""

    def to_dict(self) -> dict[str, Any]:
        return msgspec.to_builtins(self)
