"""Facts about steps, read by checks, rewards and step labels: bounded looks at observations, file identity,
actions, patches and repetition.

Everything here looks at most `HEAD + TAIL` characters of an observation, so the checks stay linear in
the number of steps whatever the size of the outputs.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator

from trajsift.patches import FileDiff, parse_patch
from trajsift.schema import ActionType, Observation, Step, Usage

_T = ActionType
HEAD = 1024
TAIL = 2048
EXECUTIONS = frozenset({_T.RUN_TESTS, _T.RUN_COMMAND})
CHANGES = frozenset({_T.EDIT, _T.CREATE})
LOOKS = frozenset({_T.READ, _T.SEARCH})

_FAILURE = re.compile(
    r"Traceback \(most recent call last\)|^\w*(?:Error|Exception)\b[^\n]{0,200}$|^FAILED\b|^ERROR\b|^FAIL:|"
    r"\b\d+ (?:failed|errors?)\b|command not found|No such file or directory|SyntaxError|"
    r"(?:exit code|exit status|returned non-zero)[: ]+[1-9]",
    re.M,
)
_MISSING = re.compile(
    r"(?:No such file or directory|does not exist|not found|cannot find|could not find|can't open file)", re.I
)
_SCRATCH = re.compile(
    r"(?:^|/)(?:repro\w*|reproduc\w*|debug\w*|scratch\w*|temp_?\w*|tmp_?\w*|test_(?:fix|issue|bug|repro)\w*"
    r"|\w*_(?:repro|reproduce|debug))\.(?:py|sh|txt)$|\.(?:orig|bak|rej|swp)$|~$",
    re.I,
)
_DEBUG_LINE = re.compile(
    r"""^\s*(?:print\(\s*f?["'](?:DEBUG|debug)|breakpoint\(\)|(?:import\s+pdb\s*;\s*)?i?pdb\.set_trace\(\))"""
)
_WS = re.compile(r"\s+")


def bounded(text: str) -> str:
    """The first `HEAD` and last `TAIL` characters of a text (the whole text when short)."""
    if len(text) <= HEAD + TAIL:
        return text
    return text[:HEAD] + "\n" + text[-TAIL:]


def failed(obs: Observation) -> bool:
    """Did the observed command fail (error flag, non-zero exit, or a failure marker in the output)?"""
    return flagged(obs) or bool(_FAILURE.search(bounded(obs.text)))


def step_failed(step: Step) -> bool:
    """A failed execution (flags or failure markers), or any other action its tool flagged as an error."""
    if step.action.type in EXECUTIONS:
        return failed(step.observation)
    return flagged(step.observation)


def flagged(obs: Observation) -> bool:
    """The scaffold marked the observation as an error (error flag or non-zero exit code)."""
    return obs.is_error or (obs.exit_code is not None and obs.exit_code != 0)


def says_missing(obs: Observation) -> bool:
    return bool(_MISSING.search(obs.text[:HEAD]))


def file_key(path: str) -> str:
    """A comparable form of a file path: no quotes, no `./` or leading `/`, no `a/`/`b/` diff prefix."""
    path = path.strip().strip("'\"").replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path.lstrip("/")


def same_file(one: str, other: str) -> bool:
    """True when two paths name the same file, one possibly absolute under a repo root (suffix match)."""
    a, b = file_key(one), file_key(other)
    if not a or not b:
        return False
    if a == b:
        return True
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return long.endswith("/" + short) and "/" in short


def looks_like_file(path: str) -> bool:
    name = file_key(path).rsplit("/", 1)[-1]
    return "." in name.strip(".") and " " not in name


def is_scratch(path: str) -> bool:
    """Reproduction scripts, editor and patch leftovers: files that do not belong in a final patch."""
    return bool(_SCRATCH.search(file_key(path)))


def patch_files(patch: str) -> list[FileDiff]:
    """The files a unified diff changes (see `trajsift.patches`)."""
    return parse_patch(patch) if patch.strip() else []


def debug_lines(files: list[FileDiff]) -> int:
    """Added lines that are leftover debugging (`print("DEBUG`, `breakpoint()`, `pdb.set_trace()`)."""
    return sum(1 for diff in files for line in diff.added if _DEBUG_LINE.match(line))


def command_key(step: Step) -> str:
    """The action as a comparable string: type, tool and whitespace-collapsed command (bounded)."""
    action = step.action
    return f"{action.type.value}|{action.tool}|{_WS.sub(' ', action.command[:HEAD]).strip()}|{action.target}"


def observation_key(obs: Observation) -> int:
    """A cheap fingerprint of an observation (length plus head and tail)."""
    text = obs.text
    return zlib.crc32(f"{len(text)}|{text[:512]}|{text[-512:]}".encode("utf-8", "replace"))


def acting(steps: list[Step]) -> list[Step]:
    """The steps that act: every step but pure thinking."""
    return [step for step in steps if step.action.type is not _T.THINK]


def indexed(steps: list[Step], kinds: frozenset[ActionType]) -> Iterator[tuple[int, Step]]:
    return ((i, step) for i, step in enumerate(steps) if step.action.type in kinds)


def last_index(steps: list[Step], kind: ActionType) -> int | None:
    return next((i for i in range(len(steps) - 1, -1, -1) if steps[i].action.type is kind), None)


def total_tokens(usage: Usage) -> int | None:
    """Input + output tokens; None when the trajectory records neither."""
    if usage.input_tokens is None and usage.output_tokens is None:
        return None
    return (usage.input_tokens or 0) + (usage.output_tokens or 0)


def longest_cycle(keys: list[object], max_period: int = 3, at_end: bool = False) -> tuple[int, int]:
    """The longest run of a repeating block of `period` <= max_period items, as (repeats, period).

    `[a, a, a]` is (3, 1); `[a, b, a, b, a, b]` is (3, 2); no repetition at all is (1, 1).
    With `at_end`, only a run reaching the last item counts (the loop the trajectory ended in)."""
    best = (1, 1)
    for period in range(1, max_period + 1):
        run = 0
        for i in range(period, len(keys)):
            repeating = keys[i] == keys[i - period] and (period == 1 or keys[i] != keys[i - 1])
            run = run + 1 if repeating else 0
            repeats = (run + period) // period
            if repeats > best[0] and (not at_end or i == len(keys) - 1):
                best = (repeats, period)
    return best


def oscillations(keys: list[object]) -> int:
    """Positions closing an A-B-A-B pattern (two different items alternating at least twice)."""
    return sum(
        1
        for i in range(3, len(keys))
        if keys[i] == keys[i - 2] and keys[i - 1] == keys[i - 3] and keys[i] != keys[i - 1]
    )


def base_name(path: str) -> str:
    return file_key(path).rsplit("/", 1)[-1]
