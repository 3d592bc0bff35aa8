"""View models of the trajectory page: bounded text, observation pages, a tiny diff highlighter.

Nothing here builds HTML: values are plain strings that the (autoescaping) templates render, and
the diff highlighter only assigns a CSS class to each line.
"""

from __future__ import annotations

import json
from typing import Any

from trajsift.harness.grading.logs import clean_lines

MAX_PATCH_LINES = 5000
INLINE_VALUE = 160
"""Longer evidence values (test logs, JSON blobs) are shown collapsed, in full, in a monospace block."""
MAX_VALUE = 200_000
MAX_OBSERVATION_PAGE = 65536
STEP_POINTER_SUFFIXES = (".step", "_step", ".step_index")
META = {
    "trajectory_id",
    "task_id",
    "category",
    "difficulty",
    "repo",
    "scaffold",
    "model",
    "format",
    "run",
    "temperature",
    "resolved_label",
    "decision",
    "reasons",
    "decided_by",
    "findings",
    "errors",
}


def diff_class(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "diff-file"
    if line.startswith("@@"):
        return "diff-hunk"
    if line.startswith("diff --git") or line.startswith("index "):
        return "diff-meta"
    if line.startswith("+"):
        return "diff-add"
    if line.startswith("-"):
        return "diff-del"
    return "diff-ctx"


def highlight_patch(patch: str) -> tuple[list[tuple[str, str]], int]:
    """(css class, line) pairs of the first MAX_PATCH_LINES lines, and how many lines were left out."""
    lines = patch.splitlines()
    return [(diff_class(line), line) for line in lines[:MAX_PATCH_LINES]], max(0, len(lines) - MAX_PATCH_LINES)


def plain(text: Any) -> str:
    """Terminal output as plain text: ANSI colour / cursor codes and control characters removed."""
    if text is None:
        return ""
    text = str(text)
    return "\n".join(clean_lines(text)) if "\x1b" in text or "\r" in text or "\x00" in text else text


def bounded(text: Any, limit: int) -> dict[str, Any]:
    text = plain(text)
    return {"text": text[:limit], "cut": max(0, len(text) - limit), "total": len(text)}


def observation_page(text: str, offset: int, limit: int) -> dict[str, Any]:
    offset = max(0, min(offset, len(text)))
    limit = max(1, min(limit, MAX_OBSERVATION_PAGE))
    end = min(len(text), offset + limit)
    next_offset = end if end < len(text) else None
    return {"text": plain(text[offset:end]), "offset": offset, "next_offset": next_offset, "total": len(text)}


def step_view(step: dict[str, Any], position: int, chunk: int, limit: int) -> dict[str, Any]:
    action = step.get("action") or {}
    observation = step.get("observation") or {}
    text = observation.get("text") or ""
    return {
        "position": position,
        "index": step.get("index") if step.get("index") is not None else position,
        "agent": step.get("agent") or "",
        "thought": bounded(step.get("thought"), limit),
        "has_text": bool(text),
        "action_type": action.get("type") or "other",
        "tool": action.get("tool") or "",
        "command": bounded(action.get("command"), limit),
        "target": action.get("target") or "",
        "arguments": bounded(_pretty_json(action.get("arguments")), limit),
        "observation": observation_page(text, 0, chunk),
        "exit_code": observation.get("exit_code"),
        "is_error": bool(observation.get("is_error")),
        "truncated": bool(observation.get("truncated")),
    }


def _pretty_json(text: Any) -> str:
    if not text or text == "{}":
        return ""
    try:
        return json.dumps(json.loads(text), indent=1, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(text)


def score_rows(annotation: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(test evidence rows: correctness.*, other score rows); step pointers carry `step`."""
    tests, scores = [], []
    for name in sorted(annotation):
        if name in META:
            continue
        value = annotation[name]
        text = readable(value)
        long = len(text) > INLINE_VALUE or "\n" in text
        row = {"name": name, "value": text, "long": long, "step": _step_pointer(name, value)}
        (tests if name.startswith("correctness.") else scores).append(row)
    return tests, scores


def readable(value: Any) -> str:
    """A value as a reviewer reads it: JSON text decoded (real line breaks, not `\\n`), lists one item a
    line, mappings as `key: value` blocks, ANSI codes removed, at most MAX_VALUE characters."""
    if isinstance(value, str) and value[:1] in ('"', "[", "{"):
        try:
            value = json.loads(value)
        except ValueError:
            pass
    return plain(_flatten(value))[:MAX_VALUE]


def _flatten(value: Any) -> str:
    if isinstance(value, dict):
        parts = ((key, _flatten(item)) for key, item in value.items())
        return "\n".join(f"{key}:\n{text}" if "\n" in text else f"{key}: {text}" for key, text in parts)
    if isinstance(value, list):
        short = all(not isinstance(v, (dict, list)) and len(str(v)) < 60 for v in value)
        return ", ".join(_flatten(v) for v in value) if short else "\n".join(_flatten(v) for v in value)
    return _format_value(value)


def _step_pointer(name: str, value: Any) -> int | None:
    if name.endswith(STEP_POINTER_SUFFIXES) and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _format_value(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def trajectory_view(traj: dict[str, Any], annotation: dict[str, Any], chunk: int, limit: int) -> dict[str, Any]:
    steps = traj.get("steps") or []
    task = traj.get("task") or {}
    final = traj.get("final") or {}
    patch_lines, patch_cut = highlight_patch(final.get("patch") or "")
    tests, scores = score_rows(annotation)
    return {
        "id": traj.get("id") or "",
        "source": traj.get("source") or {},
        "task": {**task, "instruction": bounded(task.get("instruction"), limit)},
        "steps": [step_view(step, i, chunk, limit) for i, step in enumerate(steps)],
        "patch_lines": patch_lines,
        "patch_cut": patch_cut,
        "final": final,
        "outcome": traj.get("outcome") or {},
        "tests": tests,
        "scores": scores,
        "decision": annotation.get("decision") or "",
        "reasons": list(annotation.get("reasons") or []),
        "findings": list(annotation.get("findings") or []),
        "errors": list(annotation.get("errors") or []),
    }
