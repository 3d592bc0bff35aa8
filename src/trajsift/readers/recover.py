"""Recover a run's final patch from what the agent saw, and say where `FinalState.patch` comes from.

`settle_patch(final, steps, records_patches, diffed)` is called by every reader: a non-empty recorded
patch is `recorded`; an empty one the scaffold took from the work tree at the end (`diffed`: SWE-agent's
submission, OpenHands' `git_patch`) is `none`. Otherwise the last observed `git diff` becomes the patch
(`observed_diff`) when it is still current, else `none` (the format records patches, e.g. SWE-agent
`exit_cost` without a submission) or `unknown` (the log cannot tell).

`observed_patch(steps)` finds that diff. Rules:
- The step runs `git diff` in a shell segment (`git --no-pager diff`, `git -C dir diff`, `--cached` /
  `--staged`, `HEAD`, `-U<n>`, paths after `--`), possibly among other segments (`git status && git diff`).
  Forms that do not print the work tree's full text diff are ignored: `--stat`, `--name-only`, `-R`, other
  options, commit ranges (`a..b`, `HEAD~1`, hashes), output redirected to a file or piped into a program.
- The observation holds a complete unified diff: every hunk has the lines its header promises (a cut
  output is not a patch), no binary change, the scaffold did not mark the output truncated.
- Nothing may have written files after it: an `edit` / `create` step (`sed -i`, `cat > f`, `echo > f`,
  `rm`, `git checkout`, editor `create` / `str_replace` / `insert` / `undo_edit`), a shell segment of such a
  type inside any other command (`sed -i x f && pytest`), or Python code writing a file (`open(p, "w")`,
  `.write_text(`). An editor call that reported an error wrote nothing and does not count.
- Every file the run edited before the diff (not counting files it created) appears in it, so a
  path-limited or staged-only diff that leaves out an edited file is not taken as the whole patch. A diff of
  the whole tree (`git diff HEAD`, `git add -A && git diff --cached`, no paths) needs no such check: a file
  missing from it was deleted or restored since.
- A submit step whose whole output is such a diff counts as one (SWE-agent's `submit` prints the work tree's
  diff): a chat export of such a run holds no other record of the patch.
Steps are scanned from the end; the first write found stops the search.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from trajsift.actions.classify import EDITOR_TOOLS, SHELL_TOOLS
from trajsift.actions.shell import classify_segment, split_segments
from trajsift.patches import HUNK_HEADER, hunk_end, parse_patch
from trajsift.schema import (
    PATCH_NONE,
    PATCH_OBSERVED_DIFF,
    PATCH_RECORDED,
    PATCH_UNKNOWN,
    ActionType,
    FinalState,
    Step,
)

WRITE_TYPES = frozenset({ActionType.EDIT, ActionType.CREATE})
GIT_DIFF = re.compile(
    r"^(?:\w+=\S*\s+)*git\s+(?:(?:-C|-c|--git-dir|--work-tree)[=\s]\S+\s+|--no-pager\s+|-P\s+)*diff(?:\s+(.*))?$",
    re.S,
)
GIT_ADD_ALL = re.compile(r"^git\s+add\s+(?:-A|--all|\.)\s*$")
SAFE_OPTIONS = re.compile(
    r"^(?:--cached|--staged|--no-color|--color=never|--no-ext-diff|--patch|-p|--full-index|--no-prefix|"
    r"--unified=\d+|-U\d+|--no-renames|--ignore-submodules(?:=\w+)?|--)$"
)
REVISION = re.compile(r"\.\.|[~^@]|^[0-9a-f]{7,40}$")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
HEADER_PREFIXES = (
    "diff --git ",
    "index ",
    "--- ",
    "+++ ",
    "new file mode",
    "deleted file mode",
    "old mode",
    "new mode",
    "similarity index",
    "dissimilarity index",
    "rename from ",
    "rename to ",
    "copy from ",
    "copy to ",
)
PYTHON_WRITE = re.compile(
    r"""open\([^)\n]{0,300}?,\s*(?:mode\s*=\s*)?['"][rbt]*[wax+]|\.write_(?:text|bytes)\(|shutil\.(?:copy|move)|"""
    r"""os\.(?:remove|unlink|rename|replace)\(""",
)


def settle_patch(final: FinalState, steps: Sequence[Step], records_patches: bool, diffed: bool = False) -> FinalState:
    """Fill `final.patch_source` (and `final.patch` from an observed diff when nothing was recorded).
    `records_patches`: the format writes down final patches; `diffed`: this run's (possibly empty) patch
    is the scaffold's diff of the work tree at the end, so an empty one means no change."""
    if final.patch.strip() or diffed:
        final.patch_source = PATCH_RECORDED if final.patch.strip() else PATCH_NONE
        return final
    observed = observed_patch(steps)
    if observed:
        final.patch, final.patch_source = observed, PATCH_OBSERVED_DIFF
    else:
        final.patch_source = PATCH_NONE if records_patches else PATCH_UNKNOWN
    return final


def observed_patch(steps: Sequence[Step]) -> str:
    """The last `git diff` output the agent saw, if no file was written after it (see module docs)."""
    for index in range(len(steps) - 1, -1, -1):
        step = steps[index]
        segments = shell_segments(step)
        diff_at = [i for i, segment in enumerate(segments) if GIT_DIFF.match(segment)]
        if diff_at and any(segment_writes(segment) for segment in segments[diff_at[-1] + 1 :]):
            return ""
        patch = _usable_diff(step, segments, diff_at) if diff_at else _submitted_diff(step)
        whole = _whole_tree(segments, diff_at) if diff_at else True
        if patch and (whole or _covers_edits(patch, steps[:index])):
            return patch
        if writes_files(step):
            return ""
    return ""


def writes_files(step: Step) -> bool:
    """Whether the step may have changed files in the work tree."""
    action = step.action
    if action.type in WRITE_TYPES:
        failed_editor = action.tool.lower() in EDITOR_TOOLS and step.observation.is_error
        return not failed_editor
    if any(segment_writes(segment) for segment in shell_segments(step)):
        return True
    code = python_code(step)
    return bool(code) and PYTHON_WRITE.search(code) is not None


def shell_text(step: Step) -> str:
    """The bash the step ran: a shell tool's `command`, or the raw command of a bash-based format."""
    arguments = step.action.arguments if isinstance(step.action.arguments, dict) else {}
    if not arguments:
        return step.action.command
    command = arguments.get("command")
    shell = step.action.tool.lower() in SHELL_TOOLS
    return command if shell and isinstance(command, str) else ""


def shell_segments(step: Step) -> list[str]:
    text = shell_text(step)
    return split_segments(text) if text else []


def python_code(step: Step) -> str:
    """Python the step ran: an IPython cell, or a shell command invoking python."""
    arguments = step.action.arguments if isinstance(step.action.arguments, dict) else {}
    code = arguments.get("code")
    if isinstance(code, str) and code:
        return code
    text = shell_text(step)
    return text if "python" in text else ""


def segment_writes(segment: str) -> bool:
    if GIT_DIFF.match(segment):
        return False
    _, verdict = classify_segment(segment)
    return verdict.type in WRITE_TYPES


def _usable_diff(step: Step, segments: list[str], diff_at: list[int]) -> str:
    """The diff in the step's observation, when every `git diff` in it prints a whole text diff."""
    return _whole_diff(step) if all(_prints_full_diff(step, segments[i]) for i in diff_at) else ""


def _whole_tree(segments: list[str], diff_at: list[int]) -> bool:
    """The last diff prints every change to tracked files: `git diff HEAD`, or `git diff --cached` after
    `git add -A` in the same command, limited to no path."""
    match = GIT_DIFF.match(segments[diff_at[-1]])
    words = (match.group(1) or "").split() if match else []
    if any(not word.startswith("-") and word != "HEAD" for word in words):
        return False
    staged = any(word in ("--cached", "--staged") for word in words)
    added = any(GIT_ADD_ALL.match(segment) for segment in segments[: diff_at[-1]])
    return "HEAD" in words or (staged and added)


def _submitted_diff(step: Step) -> str:
    """The diff a submit step printed as its whole output (SWE-agent's `submit` shows the work tree's diff)."""
    is_diff = step.action.type is ActionType.SUBMIT and step.observation.text.lstrip().startswith("diff --git ")
    return _whole_diff(step) if is_diff else ""


def _whole_diff(step: Step) -> str:
    """The complete text diff in the step's observation (every hunk whole, no binary change), or ""."""
    if step.observation.truncated:
        return ""
    patch = extract_diff(step.observation.text)
    files = parse_patch(patch)
    paths = [diff.path for diff in files]
    whole = all(d.hunks or d.is_new or d.is_deleted or d.is_rename or d.mode_changed for d in files)
    if not files or not whole or any(d.is_binary for d in files) or len(set(paths)) != len(paths):
        return ""
    return patch


def _prints_full_diff(step: Step, segment: str) -> bool:
    """No option that changes what is printed, no revision range, output not redirected or piped."""
    match = GIT_DIFF.match(segment)
    arguments = (match.group(1) or "").split() if match else []
    if any(">" in word for word in arguments) or _is_piped(shell_text(step), segment):
        return False
    for word in arguments:
        if word.startswith("-") and not SAFE_OPTIONS.match(word):
            return False
        if not word.startswith("-") and word != "HEAD" and REVISION.search(word):
            return False
    return True


def _is_piped(command: str, segment: str) -> bool:
    position = command.find(segment)
    if position < 0:
        return False
    rest = command[position + len(segment) :].lstrip(" \t")
    return rest.startswith("|") and not rest.startswith("||")


def extract_diff(text: str) -> str:
    """The unified diff inside an observation (leading and trailing output dropped); "" when there is
    none or a hunk is cut short."""
    lines = ANSI.sub("", text).splitlines()
    start = next((i for i, line in enumerate(lines) if _starts_diff(lines, i)), None)
    if start is None:
        return ""
    kept: list[str] = []
    index = start
    while index < len(lines):
        line = lines[index]
        if HUNK_HEADER.match(line):
            end = hunk_end(lines, index)
            if end < 0:
                return ""
            end += end < len(lines) and lines[end].startswith("\\")  # `\ No newline at end of file`
            kept.extend(lines[index:end])
            index = end
        elif line.startswith(HEADER_PREFIXES) or (line.startswith("Binary files ") and line.endswith(" differ")):
            kept.append(line)
            index += 1
        else:
            break
    return "\n".join(kept) + "\n" if kept else ""


def _starts_diff(lines: list[str], index: int) -> bool:
    line = lines[index]
    if line.startswith("diff --git "):
        return True
    return line.startswith("--- ") and index + 1 < len(lines) and lines[index + 1].startswith("+++ ")


def _covers_edits(patch: str, before: Sequence[Step]) -> bool:
    """Every pre-existing file edited before the diff appears in it (paths compared by suffix)."""
    written = [s for s in before if s.action.target and writes_files(s)]
    created = {s.action.target for s in written if s.action.type is ActionType.CREATE}
    edited = {s.action.target for s in written if s.action.type is ActionType.EDIT}
    edited = {t for t in edited if not any(_same_file(t, c) for c in created)}  # `/repo/x.py` is `x.py`
    paths = [diff.path for diff in parse_patch(patch)]
    return all(any(_same_file(target, path) for path in paths) for target in edited)


def _same_file(target: str, path: str) -> bool:
    target, path = target.lstrip("./"), path.lstrip("./")
    return target == path or target.endswith("/" + path) or path.endswith("/" + target)
