"""Per-step labels from the evidence in the trajectory: `useful`, `unnecessary`, `mistake` or `recovery`.

Each step gets one label with the rule that decided it and its evidence (a short text naming the steps
and outputs involved). Rules, strongest first (a later rule never downgrades a `mistake`):
- `failed_edit` (mistake): a change the tool rejected (error flag, no replacement, syntax refusal).
- `caused_regression` (mistake): the last real edit before a run of a command that ran cleanly (or with
  fewer failing tests) the previous time and now fails (or fails more tests).
- `caused_syntax_error` (mistake): the last edit of a file a run then reports a SyntaxError in.
- `reverted` (mistake): an edit the agent undid later (undo, git checkout/restore, the inverse replacement;
  not `git stash`, which agents use to compare with the original and pop again); the undoing step is
  `recovery` (rule `revert`). Reverted debug output (prints, breakpoints) is exploration, not a mistake:
  `useful` (rules `instrumentation` and `cleanup`).
- `fixed_failure` (recovery): an applied edit of a file whose previous change failed or caused an error.
- `tests_improved_after` (useful): edits followed by a run of the same command with more tests passing.
- `redundant_read` / `repeated_failure` / `read_missing` (unnecessary): a read returning what an earlier
  one returned with no change in between, a failing command re-run unchanged, a read of a missing path.
- `default` (useful): nothing marks the step.
Only what the agent saw is used: no outcome label and no final patch, so a label never looks ahead to
the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from trajsift.facts import steps as st
from trajsift.facts.edits import GIT_STASH, RUN_SYNTAX_ERROR, Edit, step_edit
from trajsift.facts.testruns import TestCounts, parse_test_counts, repo_of
from trajsift.schema import Step, Trajectory

USEFUL, UNNECESSARY, MISTAKE, RECOVERY = "useful", "unnecessary", "mistake", "recovery"
LABELS = (USEFUL, UNNECESSARY, MISTAKE, RECOVERY)
EVIDENCE_CHARS = 160
DEBUG_OUTPUT = re.compile(
    r"\bprint\(|\bDEBUG\b|console\.log\(|breakpoint\(\)|pdb\.set_trace|\blog(?:ger|ging)\.debug\("
)


@dataclass
class StepLabel:
    step_index: int
    label: str
    rule: str
    evidence: str = ""
    source: str = "rules"
    """`rules` (this module) or `human` (a reviewer's step label)."""


@dataclass
class _Change:
    index: int
    edit: Edit
    written: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()
    instrumentation: bool = False
    """Only debug output was added (prints, `DEBUG`, breakpoints): exploration, reverted as cleanup."""


@dataclass
class _State:
    """What the labeller remembers while walking the steps."""

    labels: list[StepLabel]
    repo: str
    changes: list[_Change] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)
    """Applied real edits since the last run of any command."""
    between: dict[str, list[int]] = field(default_factory=dict)
    """command key -> applied real edits since that command last ran."""
    troubled: list[str] = field(default_factory=list)
    """Files whose last change failed or caused an error."""
    last_run: dict[str, tuple[bool, TestCounts | None]] = field(default_factory=dict)
    """command key -> (failed, test counts) of its last run."""
    seen_reads: set[tuple[str, int]] = field(default_factory=set)
    failed_keys: set[str] = field(default_factory=set)


def label_steps(traj: Trajectory) -> list[StepLabel]:
    """One `StepLabel` per step of `traj`, in order."""
    state = _State(
        [StepLabel(i, USEFUL, "default") for i in range(len(traj.steps))], repo_of(traj.task.task_id, traj.task.repo)
    )
    for index, step in enumerate(traj.steps):
        kind = step.action.type
        if kind in st.CHANGES:
            _on_change(state, index, step)
        elif kind in st.EXECUTIONS:
            _on_run(state, index, step)
        elif kind in st.LOOKS:
            _on_read(state, index, step)
    return state.labels


def _mark(state: _State, index: int, label: str, rule: str, evidence: str) -> None:
    current = state.labels[index]
    if current.label == MISTAKE and label != MISTAKE:
        return
    state.labels[index] = StepLabel(index, label, rule, evidence[:EVIDENCE_CHARS])


def _first_line(text: str) -> str:
    return next((line.strip() for line in text[: st.HEAD].splitlines() if line.strip()), "")


def _on_change(state: _State, index: int, step: Step) -> None:
    edit = step_edit(step)
    state.seen_reads.clear()
    if edit is None:
        if st.flagged(step.observation):
            _mark(state, index, MISTAKE, "failed_edit", _first_line(step.observation.text))
        elif st.is_scratch(step.action.target):
            _forget_runs_of(state, [step.action.target])
        else:
            _add_real_edit(state, index)
        return
    if not edit.applied:
        _mark(state, index, MISTAKE, "failed_edit", _first_line(step.observation.text))
        state.troubled += edit.files
        return
    if _undoes(state, index, edit, step.action.command[: st.HEAD]):
        return
    if any(st.same_file(path, bad) for path in edit.files for bad in state.troubled):
        _mark(state, index, RECOVERY, "fixed_failure", f"changes {', '.join(edit.files)} after a failed change")
        state.troubled = [bad for bad in state.troubled if not any(st.same_file(bad, p) for p in edit.files)]
    debug = _is_instrumentation(edit, step.action.command[: st.HEAD])
    state.changes.append(_Change(index, edit, frozenset(edit.written), frozenset(edit.removed), debug))
    if all(st.is_scratch(path) for path in edit.files):
        _forget_runs_of(state, edit.files)
    else:
        _add_real_edit(state, index)


def _add_real_edit(state: _State, index: int) -> None:
    state.pending.append(index)
    for edits in state.between.values():
        edits.append(index)


def _forget_runs_of(state: _State, scripts: list[str]) -> None:
    """A changed script: its runs before and after the change are not comparable."""
    names = [st.base_name(path) for path in scripts if st.base_name(path)]
    for key in [key for key in state.last_run if any(name in key for name in names)]:
        del state.last_run[key]
        state.failed_keys.discard(key)


def _undoes(state: _State, index: int, edit: Edit, command: str) -> bool:
    """Mark the edits this one reverts (`reverted`) and this one `recovery`; False when it reverts nothing."""
    if edit.reset and not edit.written:
        if GIT_STASH.search(command):
            return False
        undone = [c for c in state.changes if not edit.files or _shares_file(c.edit, edit)]
        if edit.files and any(c.edit.reset and c.edit.written for c in undone):  # undo of a create: last only
            undone = undone[-1:]
    elif edit.written and edit.removed:
        written, removed = frozenset(edit.written), frozenset(edit.removed)
        undone = [
            c for c in state.changes if c.written == removed and c.removed == written and _shares_file(c.edit, edit)
        ][-1:]
    else:
        return False
    undone = [c for c in undone if state.labels[c.index].label != MISTAKE]
    if not undone:
        return False
    steps = ", ".join(str(c.index) for c in undone)
    for change in undone:
        if change.instrumentation:
            _mark(state, change.index, USEFUL, "instrumentation", f"debug output, removed at step {index}")
        else:
            _mark(state, change.index, MISTAKE, "reverted", f"undone at step {index}")
    if all(c.instrumentation for c in undone):
        _mark(state, index, USEFUL, "cleanup", f"removes the debug output of step(s) {steps}")
    else:
        _mark(state, index, RECOVERY, "revert", f"reverts step(s) {steps}")
    reverted = {c.index for c in undone}
    state.changes = [c for c in state.changes if c.index not in reverted]
    state.pending = [i for i in state.pending if i not in reverted]
    for key, edits in state.between.items():
        state.between[key] = [i for i in edits if i not in reverted]
    return True


def _is_instrumentation(edit: Edit, command: str) -> bool:
    lines = edit.written + edit.fragments
    if edit.removed:
        return False
    if lines:
        return all(DEBUG_OUTPUT.search(line) for line in lines)
    return bool(DEBUG_OUTPUT.search(command))  # e.g. `sed -i '12i print(...)'`: no readable content


def _shares_file(one: Edit, other: Edit) -> bool:
    return any(st.same_file(a, b) for a in one.files for b in other.files)


def _on_run(state: _State, index: int, step: Step) -> None:
    key = st.command_key(step)
    failed = st.failed(step.observation)
    counts = parse_test_counts(step.observation.text, state.repo)
    edits = state.between.get(key, [])
    previous = state.last_run.get(key)
    if edits and previous is not None:
        _judge_edits(state, index, step, failed, counts, previous, edits)
    syntax = RUN_SYNTAX_ERROR.search(step.observation.text[-st.TAIL :])
    if syntax and state.pending:
        edited = [c for c in state.changes if any(st.same_file(syntax["file"], p) for p in c.edit.files)]
        if edited and edited[-1].index in state.pending:
            culprit = edited[-1].index
            _mark(state, culprit, MISTAKE, "caused_syntax_error", f"step {index}: SyntaxError in {syntax['file']}")
            state.troubled += edited[-1].edit.files
    if failed and key in state.failed_keys and not edits:
        _mark(state, index, UNNECESSARY, "repeated_failure", "re-runs a failing command with no change in between")
    state.failed_keys = state.failed_keys | {key} if failed else state.failed_keys - {key}
    state.last_run[key] = (failed, counts)
    state.between[key], state.pending = [], []
    state.seen_reads.clear()


def _judge_edits(state: _State, index: int, step: Step, failed: bool, counts, previous, edits: list[int]) -> None:
    """Compare this run with the previous run of the same command across the edits made in between; a
    regression is blamed on the last of them."""
    was_failed, was_counts = previous
    culprit = edits[-1]
    command = step.action.command[:60]
    if counts is not None and was_counts is not None:
        if counts.failed > was_counts.failed:
            evidence = f"step {index} `{command}`: failures {was_counts.failed} -> {counts.failed}"
            _mark(state, culprit, MISTAKE, "caused_regression", evidence)
            state.troubled += _files_of(state, culprit)
        elif counts.passed > was_counts.passed and counts.failed <= was_counts.failed:
            for edit_index in edits:
                evidence = f"step {index} `{command}`: passed {was_counts.passed} -> {counts.passed}"
                if state.labels[edit_index].label == USEFUL:
                    _mark(state, edit_index, USEFUL, "tests_improved_after", evidence)
        return
    if failed and not was_failed:
        _mark(state, culprit, MISTAKE, "caused_regression", f"step {index} `{command}` ran cleanly before, fails now")
        state.troubled += _files_of(state, culprit)


def _files_of(state: _State, index: int) -> list[str]:
    return next((c.edit.files for c in state.changes if c.index == index), [])


def _on_read(state: _State, index: int, step: Step) -> None:
    if st.flagged(step.observation) and st.says_missing(step.observation):
        _mark(state, index, UNNECESSARY, "read_missing", _first_line(step.observation.text))
        return
    key = (step.action.type.value, st.observation_key(step.observation))
    if key in state.seen_reads and step.observation.text.strip():
        _mark(
            state, index, UNNECESSARY, "redundant_read", "returns what an earlier read returned, nothing changed since"
        )
    state.seen_reads.add(key)
