"""Report sections built from rows and provenance: quarantine, example tables, run details."""

from __future__ import annotations

import json
from typing import Any

from trajsift.report.charts import bar_list
from trajsift.report.html import badge, chips, esc, fmt_int, section, table, tag
from trajsift.report.sections import as_dict, as_list
from trajsift.run_samples import RowSample
from trajsift.rundir import RunDir

MAX_DETAIL = 300


def _shown(sample: RowSample, noun: str, how: str) -> str:
    if sample.problem:
        return tag("p", esc(sample.problem), cls="note warn-text")
    total = sample.total if sample.total is not None else len(sample.rows)
    if total > len(sample.rows):
        return tag("p", f"Showing {len(sample.rows)} of {fmt_int(total)} {noun}, {how}.", cls="note")
    return tag("p", f"{fmt_int(total)} {noun}.", cls="note")


def _text(value: Any, limit: int = MAX_DETAIL) -> str:
    text = "" if value is None else str(value)
    return esc(text[:limit] + ("..." if len(text) > limit else ""))


def _detail(row: dict[str, Any]) -> str:
    excerpt = row.get("excerpt")
    return _text(row.get("detail")) + (tag("div", _text(excerpt, 200), cls="excerpt") if excerpt else "")


def quarantine(stats: dict[str, Any], sample: RowSample) -> str:
    counts = as_dict(as_dict(stats.get("input")).get("quarantine_reasons"))
    if not counts and not sample.rows:
        return section(
            "quarantine", "Quarantine", tag("p", "Nothing was quarantined: every input unit was read.", cls="empty")
        )
    rows = [
        [
            tag("code", _text(r.get("reason"), 80)),
            tag("span", _text(r.get("origin")), cls="path"),
            _detail(r),
        ]
        for r in (as_dict(r) for r in sample.rows)
    ]
    body = (
        bar_list(counts, "warn")
        + _shown(sample, "quarantined rows", "a few per reason")
        + table(["reason", "origin", "detail"], rows, cls="rows quarantine")
    )
    return section("quarantine", "Quarantine", body, "Input units that could not become a trajectory, by reason code.")


def examples(anchor: str, title: str, sample: RowSample) -> str:
    rows = []
    for row in (as_dict(r) for r in sample.rows):
        rows.append(
            [
                tag("code", _text(row.get("trajectory_id"), 120)),
                _text(row.get("task_id"), 120),
                _text(row.get("model"), 80),
                _text(row.get("decided_by"), 80),
                chips(str(r)[:120] for r in as_list(row.get("reasons"))),
            ]
        )
    body = _shown(sample, "rows", "spread over stages and reasons") + table(
        ["id", "task", "model", "decided by", "reasons"], rows, cls="rows"
    )
    return section(anchor, title, body)


def provenance(run: dict[str, Any], directory: str) -> str:
    facts = [
        ["run directory", tag("span", esc(directory), cls="path")],
        ["trajsift version", esc(run.get("trajsift_version", "unknown"))],
        ["recipe fingerprint", tag("code", esc(run.get("recipe_fingerprint", "unknown")))],
    ]
    facts += [[esc(f"{name} version"), esc(version)] for name, version in as_dict(run.get("versions")).items()]
    inputs = [
        [
            tag("span", _text(i.get("path")), cls="path"),
            fmt_int(i.get("files")),
            fmt_int(i.get("bytes")),
            tag("code", _text(i.get("digest"), 80)),
        ]
        for i in (as_dict(i) for i in as_list(run.get("inputs")))
    ]
    planned = {
        str(s.get("name")): s.get("checks") for s in map(as_dict, as_list(as_dict(run.get("recipe")).get("stages")))
    }
    stages = []
    for stage in map(as_dict, as_list(run.get("stages"))):
        checks = as_list(stage.get("checks")) or [
            as_dict(c).get("id") for c in as_list(planned.get(str(stage.get("name"))))
        ]
        state = badge("skipped", "skipped") if stage.get("skipped") else badge("ran", "ran")
        stages.append([esc(stage.get("name")), state, chips(checks)])
    recipe = json.dumps(run.get("recipe", {}), indent=2, sort_keys=True, ensure_ascii=False, default=str)
    body = (
        table(["", ""], facts, cls="facts-table")
        + tag("h3", "Inputs")
        + table(["path", "files", "bytes", "digest"], inputs, cls="rows", numeric=(1, 2))
        + tag("h3", "Stages")
        + table(["stage", "status", "checks"], stages, cls="rows")
        + tag("details", tag("summary", "Resolved recipe") + tag("pre", esc(recipe)))
    )
    if not run:
        body = tag("p", f"{RunDir(directory).info.name} not found: provenance unknown.", cls="note warn-text") + body
    return section("provenance", "Run provenance", body)
