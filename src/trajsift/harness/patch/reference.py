"""Compare an agent's patch with the task's reference patch (text only, no repository needed).

A correct solution that differs from the reference is still correct: these metrics never decide a verdict,
they only move its confidence through `confidence_adjustment`. Scratch files of the agent's patch
(`reproduce.py`, leftovers, binaries: `trajsift.patches.is_scratch_file`) are left out of the comparison.

- `files_jaccard`: |agent files & reference files| / |agent files | reference files|.
- `hunk_locality`: share of the agent's hunks that overlap, or lie within `window` lines of, a reference hunk of
  the same file (both patches are against the same base, so old-side line numbers are comparable).
- `diff_similarity`: difflib ratio of the changed lines (`-`/`+` lines, trailing whitespace ignored, files in
  path order), each side capped at `max_lines` lines.
- `edit_size_ratio`: agent changed lines / reference changed lines (None without reference lines).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from trajsift.patches import FileDiff, Hunk, is_scratch_file, parse_patch

LOCALITY_WINDOW = 10
MAX_LINES = 2_000
MAX_ADJUSTMENT, MIN_ADJUSTMENT = 0.1, -0.2


@dataclass
class ReferenceMetrics:
    """Columns `reference.*`; None where there is nothing to compare (no reference or an empty side)."""

    files_jaccard: float | None = None
    missing_files: list[str] = field(default_factory=list)
    """Files the reference changes and the agent does not."""
    extra_files: list[str] = field(default_factory=list)
    """Files the agent changes and the reference does not (scratch files excluded)."""
    hunk_locality: float | None = None
    diff_similarity: float | None = None
    edit_size_ratio: float | None = None


def compare_to_reference(
    agent_patch: str, reference_patch: str, window: int = LOCALITY_WINDOW, max_lines: int = MAX_LINES
) -> ReferenceMetrics:
    agent = [diff for diff in parse_patch(agent_patch) if not is_scratch_file(diff)]
    reference = parse_patch(reference_patch)
    if not agent or not reference:
        return ReferenceMetrics()
    agent_files, reference_files = {diff.path for diff in agent}, {diff.path for diff in reference}
    agent_lines, reference_lines = _changed_lines(agent), _changed_lines(reference)
    return ReferenceMetrics(
        files_jaccard=len(agent_files & reference_files) / len(agent_files | reference_files),
        missing_files=sorted(reference_files - agent_files),
        extra_files=sorted(agent_files - reference_files),
        hunk_locality=_hunk_locality(agent, reference, window),
        diff_similarity=_similarity(agent_lines[:max_lines], reference_lines[:max_lines]),
        edit_size_ratio=len(agent_lines) / len(reference_lines) if reference_lines else None,
    )


def _changed_lines(diffs: list[FileDiff]) -> list[str]:
    lines: list[str] = []
    for diff in sorted(diffs, key=lambda item: item.path):
        lines += [f"-{line.rstrip()}" for line in diff.removed] + [f"+{line.rstrip()}" for line in diff.added]
    return lines


def _old_span(hunk: Hunk) -> tuple[int, int]:
    """First and last old-side line a hunk covers (a pure insertion covers the line it follows)."""
    length = len(hunk.old)
    return hunk.old_start, hunk.old_start + max(length, 1) - 1


def _hunk_locality(agent: list[FileDiff], reference: list[FileDiff], window: int) -> float | None:
    spans: dict[str, list[tuple[int, int]]] = {}
    for diff in reference:
        spans.setdefault(diff.path, []).extend(_old_span(hunk) for hunk in diff.hunks)
    agent_hunks = [(diff.path, _old_span(hunk)) for diff in agent for hunk in diff.hunks]
    if not agent_hunks:
        return None
    near = sum(
        any(start <= ref_end + window and ref_start <= end + window for ref_start, ref_end in spans.get(path, []))
        for path, (start, end) in agent_hunks
    )
    return near / len(agent_hunks)


def _similarity(agent_lines: list[str], reference_lines: list[str]) -> float | None:
    if not agent_lines and not reference_lines:
        return None
    return difflib.SequenceMatcher(None, agent_lines, reference_lines, autojunk=False).ratio()


def confidence_adjustment(metrics: ReferenceMetrics) -> float:
    """How much to move a verdict's confidence, in [-0.2, +0.1]; 0.0 when there is nothing to compare.

    agreement = 0.4 * files_jaccard + 0.3 * hunk_locality + 0.3 * diff_similarity  (a missing term counts 0.5)
    adjustment = 0.3 * agreement - 0.2, minus 0.05 when the agent's edit is over 5x or under 1/5 the reference's
    size, clamped to [-0.2, +0.1]. Identical patches get +0.1; an agreement of 2/3 is neutral; a patch sharing
    nothing with the reference gets -0.2: never enough on its own to turn a passing verdict into a failing one.
    """
    if metrics.files_jaccard is None:
        return 0.0
    terms = ((0.4, metrics.files_jaccard), (0.3, metrics.hunk_locality), (0.3, metrics.diff_similarity))
    agreement = sum(weight * (0.5 if value is None else value) for weight, value in terms)
    adjustment = 0.3 * agreement - 0.2
    ratio = metrics.edit_size_ratio
    if ratio is not None and (ratio > 5 or ratio < 0.2):
        adjustment -= 0.05
    return round(min(MAX_ADJUSTMENT, max(MIN_ADJUSTMENT, adjustment)), 4)
