"""`quality.evidence`: what the steps themselves show about the fix, the same way for every format.

Nothing here counts steps or tokens (those depend on the scaffold and the model; see `quality.cohort`).
Columns:
- `tests_after_edit`: the run executed tests or a script after its last edit (null: it never edited).
- `last_check_passed`: that last execution passed (test summary with no failure; else exit code; else no
  failure marker). Null when nothing ran after the last edit.
- `repro_fixed`: a command that failed before the first edit passes after the last one (same script or
  test target): the run reproduced the problem, then fixed it.
- `read_before_edit`: share of edited files the run read or searched before it first edited them.
- `task_mentions_touched`: the changed files include a file or module the task statement names (null: the
  statement names none, or nothing was changed).
- `final_confidence`: the last message, +1 a confident completion, -1 an apology / "could not" / limit
  message, 0 neither.
- `errors_after_last_pass`: failed actions (tool errors, failed edits, failing runs) after the last passing
  execution (after the first edit when none passed).
- `reverted_edits`: edits that undo an earlier edit of the same file (edit-revert churn).
- `failed_edit_share`: share of edit actions the tool rejected.
- `difficulty_rank`: the task's difficulty label in [0, 1] (from the tasks file or the record), null without one.
- `statement_error_gone` / `fix_aimed_at_error`: the error the statement reports was reproduced before the first
  edit and is gone after the last; the last traceback seen before the last edit names a changed file
  (`trajsift.facts.errors`).
Edits are source edits: a created reproduction or scratch script is not "the last edit".
"""

from __future__ import annotations

import math
import re
from typing import ClassVar

import pyarrow as pa

from trajsift.actions.shell import runs_after_change
from trajsift.checks.base import Check, CheckContext, CheckOutput, Scores
from trajsift.facts import errors as er
from trajsift.facts import steps as st
from trajsift.facts.changes import changed_files
from trajsift.facts.scoring import ratio
from trajsift.facts.scripts import code_writes, names_file
from trajsift.facts.testruns import parse_test_counts, repo_of
from trajsift.facts.wording import last_words
from trajsift.schema import ActionType, Step, Trajectory

_T = ActionType
_BUILD_RESULT = re.compile(
    r"BUILD (?P<maven>SUCCESS|FAILURE)\b|BUILD (?P<gradle>SUCCESSFUL|FAILED)\b|"
    r"(?P<tox_ok>congratulations :\)|commands succeeded)|(?P<tox_bad>ERROR: +\S+: commands failed)|"
    r"(?P<go_ok>^ok\s+\S+\s+[\d.]+s)|(?P<go_bad>^FAIL\s+\S+)",
    re.M,
)
_CONFIDENT = re.compile(
    r"\b(?:successfully|have (?:fixed|resolved|implemented|addressed)|(?:is|has been|are) (?:now )?"
    r"(?:fixed|resolved|working|implemented|addressed)|all (?:the )?tests pass|tests (?:now )?pass|works as "
    r"expected|(?:fix|change|implementation)s? (?:is|are) (?:complete|working))\b",
    re.I,
)
_DOUBTFUL = re.compile(
    r"\b(?:I(?:'m| am) (?:unable|not able|sorry)|I (?:could not|couldn't|cannot|can't|was unable)|unfortunately|"
    r"apolog|not (?:been )?able to|did not (?:work|succeed)|still (?:fail|failing|broken)|"
    r"(?:step|cost|iteration|budget|context) limit|ran out of|maximum number of)",
    re.I,
)
_MENTION = re.compile(r"[\w./-]+\.(?:py|pyx|js|ts|java|go|rs|rb|c|cc|cpp|h|php|cs|kt|scala)\b|\b\w+(?:\.\w+){1,5}\b")
_SCRIPT = re.compile(
    r"\b(?:python[\d.]*|pytest|py\.test|tox|nox|mvn|gradlew?|npm|npx|yarn|pnpm|node|bun|deno|jest|vitest|mocha|go|"
    r"cargo|make|ctest|ruby|rspec|rake|bundle|php|phpunit|java|sbt|dotnet|swift|mix)\b"
)
STATEMENT_LIMIT = 20_000


class EvidenceCheck(Check):
    id = "quality.evidence"
    description = "Evidence in the steps: tests after the last edit and their result, reproduce-then-fix, "
    "read-before-edit, task files touched, the final message's confidence, late errors, edit churn, the statement's "
    "error gone after the fix, the fix aimed at the last traceback."
    columns: ClassVar[dict[str, pa.DataType]] = {
        "tests_after_edit": pa.bool_(),
        "last_check_passed": pa.bool_(),
        "repro_fixed": pa.bool_(),
        "read_before_edit": pa.float64(),
        "task_mentions_touched": pa.float64(),
        "final_confidence": pa.float64(),
        "errors_after_last_pass": pa.int32(),
        "reverted_edits": pa.int32(),
        "failed_edit_share": pa.float64(),
        "difficulty_rank": pa.float64(),
        "statement_error_gone": pa.float64(),
        "fix_aimed_at_error": pa.float64(),
    }

    def check_one(self, traj: Trajectory, ctx: CheckContext, scores: Scores) -> CheckOutput:
        steps = traj.steps
        repo = repo_of(traj.task.task_id, traj.task.repo)
        files = changed_files(traj)
        edit_steps = [step for step in steps if is_source_edit(step)]
        scripted = scripted_edits(traj, files)  # running code was the edit: not a check of it
        edits = source_edits(traj, files, scripted)  # the fix's edits: what "after the last edit" is measured from
        runs = [(i, run_passed(step, repo)) for i, step in enumerate(steps) if is_execution(step) and i not in scripted]
        last_edit = edits[-1] if edits else None
        after = [passed for i, passed in runs if last_edit is not None and i >= last_edit]
        task = ctx.tasks.get(traj.task.task_id)
        task_text = (task.instruction if task is not None else "") or traj.task.instruction
        return self.output(
            tests_after_edit=bool(after) if edits else None,
            last_check_passed=after[-1] if after else None,
            repro_fixed=repro_fixed(steps, edits, runs),
            read_before_edit=read_before_edit(steps, edits, scripted),
            task_mentions_touched=mentions_touched(task_text, files),
            difficulty_rank=difficulty_rank((task.difficulty if task is not None else "") or traj.task.difficulty),
            final_confidence=final_confidence(traj),
            errors_after_last_pass=errors_after_last_pass(steps, edits, runs),
            reverted_edits=reverted_edits(edit_steps),
            failed_edit_share=ratio(sum(1 for s in edit_steps if st.flagged(s.observation)), len(edit_steps)),
            statement_error_gone=er.statement_error_gone(steps, edits, runs, task_text),
            fix_aimed_at_error=er.fix_aimed_at_error(steps, edits, runs, files),
        )


def is_source_edit(step: Step) -> bool:
    """An edit, or a created file, that is not a scratch file (a reproduction script is not the fix)."""
    return step.action.type in st.CHANGES and not st.is_scratch(step.action.target)


def source_edits(traj: Trajectory, files: list[str], scripted: dict[int, list[str]] | None = None) -> list[int]:
    """Indexes of the steps that changed the fix: source edits to a file of the final patch (`files`, the run's
    `changed_files`) and runs of code that writes one (`facts.scripts`) when the run has such steps (removing a
    build folder or a reverted scratch change is not work on the fix), all source edits when none of them
    names a patch file (the edit's target could not be told). `scripted`: `scripted_edits`, when known."""
    edits = [i for i, step in enumerate(traj.steps) if is_source_edit(step)]
    names = {st.base_name(path) for path in files} if traj.final.patch else set()
    on_fix = {i for i in edits if st.base_name(traj.steps[i].action.target) in names}
    on_fix |= set(scripted_edits(traj, files) if scripted is None else scripted)
    return sorted(on_fix) or edits


def scripted_edits(traj: Trajectory, files: list[str]) -> dict[int, list[str]]:
    """Index -> the final patch's files (`files`) named by the code of each step whose running code writes
    files (`facts.scripts`)."""
    if not traj.final.patch:
        return {}
    writes = code_writes(traj.steps)
    named = {i: [f for f in files if names_file(code, st.base_name(f))] for i, code in writes.items()}
    return {i: paths for i, paths in named.items() if paths}


_DIFFICULTY = re.compile(r"(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>min|h)", re.I)
_DIFFICULTY_WORDS = {"trivial": 0.0, "easy": 0.25, "medium": 0.5, "moderate": 0.5, "hard": 0.75, "very hard": 1.0}


def difficulty_rank(label: str) -> float | None:
    """A task difficulty label in [0, 1]: words (`easy` ... `hard`), or a human time bucket (SWE-bench
    Verified `<15 min fix`, `15 min - 1 hour`, `1-4 hours`, `>4 hours`) by its upper bound on a log scale."""
    text = label.strip().lower()
    if not text:
        return None
    if text in _DIFFICULTY_WORDS:
        return _DIFFICULTY_WORDS[text]
    bounds = [float(m["num"]) * (60 if m["unit"].lower() == "h" else 1) for m in _DIFFICULTY.finditer(text)]
    if not bounds:
        return None
    minutes = max(bounds) * (2 if text.startswith(">") else 1)
    return min(1.0, max(0.0, math.log(minutes / 15, 32)))


def is_execution(step: Step) -> bool:
    """A test run, or a command that runs code (a script, an interpreter, a build tool), also after a change in
    the same command (`runs_after_change`)."""
    kind, command = step.action.type, step.action.command
    if kind is _T.RUN_TESTS:
        return True
    if kind is _T.RUN_COMMAND:
        return bool(_SCRIPT.search(command[:500]))
    return kind in st.CHANGES and bool(_SCRIPT.search(command[: st.HEAD * 16])) and runs_after_change(command)


def run_passed(step: Step, repo: str = "") -> bool:
    """Did an execution pass: a test summary without failures, a build tool's verdict, else the exit code,
    else the absence of failure markers."""
    obs = step.observation
    text = st.bounded(obs.text)
    counts = parse_test_counts(text, repo)
    if counts is not None:
        return counts.failed == 0
    build = _build_verdict(text)
    if build is not None:
        return build
    if obs.exit_code is not None or obs.is_error:
        return not st.flagged(obs)
    return not st.failed(obs)


def _build_verdict(text: str) -> bool | None:
    verdict = None
    for match in _BUILD_RESULT.finditer(text):
        groups = match.groupdict()
        if groups["maven"] or groups["gradle"]:  # test counts (Surefire's `Tests run:`) are read before this
            verdict = (groups["maven"] or groups["gradle"]).startswith("SUCCESS")
        else:
            verdict = bool(groups["tox_ok"] or groups["go_ok"])
    return verdict


def _run_key(step: Step) -> str:
    """What a run exercises: its target (script or test file) or its normalised command."""
    return st.file_key(step.action.target) or " ".join(step.action.command.split())[:300]


def repro_fixed(steps: list[Step], edits: list[int], runs: list[tuple[int, bool]]) -> bool:
    if not edits:
        return False
    failed_before = {_run_key(steps[i]) for i, passed in runs if i < edits[0] and not passed}
    fixed_after = {_run_key(steps[i]) for i, passed in runs if i > edits[-1] and passed}
    return bool(failed_before & fixed_after)


def read_before_edit(steps: list[Step], edits: list[int], scripted: dict[int, list[str]] | None = None) -> float | None:
    """Share of the edited files read or searched before their first edit; `scripted`: index -> the patch files
    of a step whose running code was the edit (the files its code names)."""
    seen: list[str] = []
    first_edits: dict[str, bool] = {}
    for i, step in enumerate(steps):
        target = step.action.target
        if step.action.type in st.LOOKS and target:
            seen.append(target)
            continue
        if i not in edits:
            continue
        targets = (scripted or {}).get(i) or ([target] if target and step.action.type is _T.EDIT else [])
        for path in targets:
            key = st.file_key(path)
            if key not in first_edits:
                first_edits[key] = any(st.same_file(path, other) for other in seen) or _searched(steps[:i], path)
    return ratio(sum(first_edits.values()), len(first_edits))


def _searched(steps: list[Step], target: str) -> bool:
    name = st.base_name(target)
    return any(step.action.type in st.LOOKS and name in step.observation.text[: st.HEAD * 8] for step in steps)


def mentions_touched(statement: str, files: list[str]) -> float | None:
    """1.0 when a changed file is one the statement names (by path, file name or dotted module), 0.0 when the
    statement names files and none was changed, None when it names none or nothing changed."""
    if not files or not statement:
        return None
    names = set()
    for token in _MENTION.findall(statement[:STATEMENT_LIMIT]):
        token = token.strip("./")
        if token.endswith(".py") or "/" in token:
            names.add(st.base_name(token))
        else:
            names.add(token.rsplit(".", 1)[-1] + ".py")
            names.add(token.split(".")[-2] + ".py" if token.count(".") >= 1 else "")
    names.discard("")
    names.discard("__init__.py")
    if not names:
        return None
    stems = {st.base_name(path) for path in files}
    return 1.0 if stems & names else 0.0


def final_confidence(traj: Trajectory) -> float:
    """+1 when the last words claim success, -1 when they apologise or report a limit, 0 otherwise."""
    tail = last_words(traj.steps, traj.metadata.get("final_answer"))
    if _DOUBTFUL.search(tail) or (traj.steps and traj.steps[-1].action.type is _T.GIVE_UP):
        return -1.0
    return 1.0 if _CONFIDENT.search(tail) else 0.0


def errors_after_last_pass(steps: list[Step], edits: list[int], runs: list[tuple[int, bool]]) -> int:
    if not edits:
        return 0
    passes = [i for i, passed in runs if passed and i > edits[0]]
    start = passes[-1] if passes else edits[0]
    return sum(1 for step in steps[start + 1 :] if st.step_failed(step))


def reverted_edits(edit_steps: list[Step]) -> int:
    """Editor edits whose (old, new) text is the reverse of an earlier edit on the same file."""
    done: set[tuple[str, str, str]] = set()
    reverts = 0
    for step in edit_steps:
        args = step.action.arguments
        old, new = args.get("old_str"), args.get("new_str")
        if not isinstance(old, str) or not isinstance(new, str):
            continue
        key = st.file_key(step.action.target)
        if (key, new, old) in done:
            reverts += 1
        done.add((key, old, new))
    return reverts
