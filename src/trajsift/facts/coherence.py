"""Coherence facts: does each action follow from what the agent saw and said? (read by `quality.coherence`
and the trajectory reward).

`measure` returns every signal as a number: acting on a file an observation said is missing, moving on from a
failed command or edit, re-running a failing command unchanged, editing files never seen, thoughts whose stated
next move the action does not make, reverted edits, A-B-A-B oscillation, loops, and thoughts growing longer.
"""

from __future__ import annotations

import re
from typing import Any

from trajsift.facts import steps as st
from trajsift.facts.scoring import ratio
from trajsift.schema import ActionType, Step, Trajectory

_T = ActionType
_ACKNOWLEDGE = re.compile(
    r"error|fail|exception|traceback|not found|no such|missing|wrong|mistake|issue|problem|incorrect|invalid|"
    r"unable|couldn't|could not|didn't|did not|doesn't|does not|seems|appears|instead|fix|bug|reproduc|"
    r"unexpected|again|retry|correct|apolog|oops|indent|syntax",
    re.I,
)
_INTENT_WORDS = {
    "open view inspect examine read scroll goto navigate look": frozenset({_T.READ, _T.SEARCH}),
    "search find locate grep": frozenset({_T.SEARCH, _T.READ}),
    "edit modify change fix update replace correct insert implement apply": frozenset({_T.EDIT, _T.CREATE}),
    "create write": frozenset({_T.CREATE, _T.EDIT}),
    "run execute rerun re-run test verify reproduce": frozenset({_T.RUN_TESTS, _T.RUN_COMMAND}),
    "submit finish": frozenset({_T.SUBMIT}),
}
_INTENTS = {word: kinds for words, kinds in _INTENT_WORDS.items() for word in words.split()}
_PUNCTUATION = str.maketrans({char: " " for char in "`'\".,;:!?()[]{}*"})
_REVERT = re.compile(r"\bgit\s+(?:checkout|restore|stash|reset)\b|\bundo_edit\b|\bpatch\s+-R\b")
_ENDINGS = frozenset({_T.SUBMIT, _T.GIVE_UP})
PLAN_TAIL = 240
RECENT = 8
GROWTH_SMOOTHING = 50.0
ACK_HEAD = 600
STUCK_REPEATS = 3
LOOP_REPEATS = 5


def measure(
    traj: Trajectory, stuck_repeats: int = STUCK_REPEATS, loop_repeats: int = LOOP_REPEATS
) -> tuple[dict[str, Any], bool]:
    """Every coherence signal by name, and whether the trajectory is stuck: it ends in a loop (the same action,
    or a cycle of up to 3, getting the same observation) of `stuck_repeats`, or loops `loop_repeats` times
    anywhere."""
    steps = traj.steps
    acting = st.acting(steps)
    keys = [(st.command_key(step), st.observation_key(step.observation)) for step in acting]
    loop, _ = st.longest_cycle(keys)
    closing = [key for key, step in zip(keys, acting, strict=True) if step.action.type not in _ENDINGS]
    stuck = loop >= loop_repeats or st.longest_cycle(closing, at_end=True)[0] >= stuck_repeats
    reverted = sum(1 for _, s in st.indexed(steps, st.CHANGES) if _REVERT.search(s.action.command[: st.HEAD]))
    oscillating = st.oscillations([key for key, _ in keys])
    seen_ratio, switches = progression(steps, traj.task.instruction)
    metrics = {
        "acted_on_missing_file": acted_on_missing(steps),
        "ignored_errors": ignored_errors(steps),
        "repeated_failing_commands": repeated_failures(steps),
        "read_before_edit": seen_ratio,
        "plan_action_match": plan_action_match(steps),
        "unexplained_switches": switches,
        "reverted_edits": reverted,
        "oscillations": oscillating,
        "backtrack_ratio": min(1.0, (reverted + oscillating) / len(keys)) if keys else 0.0,
        "longest_loop": loop,
        "thought_growth": thought_growth(acting),
    }
    return metrics, stuck


def thought_growth(steps: list[Step]) -> float | None:
    """Mean thought length over the last third of the steps / over the first third (smoothed; scale-free).
    None without thoughts or with fewer than 3 steps."""
    if len(steps) < 3 or not any(step.thought for step in steps):
        return None
    third = len(steps) // 3
    first = sum(len(step.thought) for step in steps[:third]) / third
    last = sum(len(step.thought) for step in steps[-third:]) / third
    return (last + GROWTH_SMOOTHING) / (first + GROWTH_SMOOTHING)


def acted_on_missing(steps: list[Step]) -> int:
    """Failed actions on a file after an observation said it does not exist. Creating the file, or any action
    on it that succeeds (the agent fixed the path or the working directory), clears it."""
    missing: list[str] = []
    count = 0
    for step in steps:
        target = step.action.target
        if not st.looks_like_file(target) or step.action.type is _T.SEARCH:
            continue
        failed = st.step_failed(step)
        known_missing = any(st.same_file(target, m) for m in missing)
        if step.action.type is _T.CREATE or not failed:
            missing = [m for m in missing if not st.same_file(target, m)]
        elif known_missing:
            count += 1
        elif st.says_missing(step.observation):
            missing.append(target)
    return count


def ignored_errors(steps: list[Step]) -> int:
    """Failed executions or changes followed by a submit, or by an unrelated action whose thought does not
    acknowledge the failure. Without a thought to judge by, only a submit counts."""
    count = 0
    for i in range(len(steps) - 1):
        step, after = steps[i], steps[i + 1]
        if step.action.type not in st.EXECUTIONS | st.CHANGES or not st.step_failed(step):
            continue
        if after.action.type is _T.SUBMIT:
            count += 1
            continue
        thought = after.thought[:ACK_HEAD]
        related = after.action.target == step.action.target or after.action.type in st.CHANGES
        if thought.strip() and not related and not _ACKNOWLEDGE.search(thought):
            count += 1
    return count


def repeated_failures(steps: list[Step]) -> int:
    """Re-runs of a command that failed before, with no successful change in between."""
    failed_keys: set[str] = set()
    count = 0
    for step in steps:
        key = st.command_key(step)
        failed = st.step_failed(step)
        if failed and key in failed_keys:
            count += 1
        elif failed:
            failed_keys.add(key)
        if step.action.type in st.CHANGES and not failed:
            failed_keys.clear()
    return count


def progression(steps: list[Step], instruction: str) -> tuple[float | None, int]:
    """(share of edited files seen before their first edit, switches to files nothing pointed at).

    A file was pointed at when an earlier action targeted it, or its name appears in the task, the step's
    own thought, or one of the last `RECENT` observations (bounded)."""
    targeted: list[str] = []
    edited: list[str] = []
    recent: list[str] = [instruction[: st.HEAD]]
    seen = switches = 0
    for step in steps:
        target = step.action.target
        kind = step.action.type
        if st.looks_like_file(target) and kind in st.LOOKS | st.CHANGES:
            name = st.base_name(target)
            before = any(st.same_file(target, t) for t in targeted)
            known = before or name in step.thought or any(name in text for text in recent)
            if kind is _T.EDIT and not any(st.same_file(target, e) for e in edited):
                edited.append(target)
                seen += known
            switches += not known and kind is not _T.CREATE
            if not before:
                targeted.append(target)
        recent = [*recent[-RECENT:], st.bounded(step.observation.text)]
    return ratio(seen, len(edited)), switches


def plan_action_match(steps: list[Step]) -> float | None:
    """Share of steps whose thought states a next move (a verb in its last sentences) the action then makes."""
    stated = matched = 0
    for step in steps:
        if step.action.type is _T.THINK:
            continue
        words = step.thought[-PLAN_TAIL:].lower().translate(_PUNCTUATION).split()
        intents = [_INTENTS[word] for word in words if word in _INTENTS]
        if not intents:
            continue
        stated += 1
        matched += any(step.action.type in kinds for kinds in intents)
    return ratio(matched, stated)
