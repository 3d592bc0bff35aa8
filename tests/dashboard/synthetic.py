"""Synthetic run directories written by hand: outputs with the columns the dashboard reads, and stats.json.

Also used by bench/ui_latency.py (the 100k-row dashboard part). `hostile=True` puts XSS payloads into every
string a page shows: stage names, models, categories, reasons, alert names and messages.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from trajsift import annotations as ann
from trajsift.files import write_json
from trajsift.rundir import Decision
from trajsift.stats import StatsBuilder

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
STAGES = ("basic_filter", "correctness", "quality")


def make_run(out: Path, rows: int, hostile: bool = False, seed: int = 7, drift_after: int | None = None) -> Path:
    """`rows` trajectories generated one minute apart; after `drift_after` rows the tests mostly fail."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    prefix = XSS if hostile else ""
    stages = [f"{prefix}{s}" for s in STAGES]
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    annotations, stamps = [], []
    for i in range(rows):
        drifted = drift_after is not None and i >= drift_after
        verdict = "incorrect" if rng.random() < (0.7 if drifted else 0.1) else "correct"
        meta = {
            "trajectory_id": f"t{i:06d}",
            "category": prefix + rng.choice(["bug_fix", "feature", "refactor"]),
            "difficulty": rng.choice(["easy", "medium", "hard"]),
            "model": prefix + rng.choice(["gpt-4o", "claude", "qwen-coder"]),
            "scaffold": rng.choice(["swe-agent", "openhands", "mini-swe-agent"]),
            "format": "native",
            "resolved_label": verdict == "correct",
        }
        row = ann.Annotation(meta=meta, scores={"quality_score": round(rng.random(), 4)})
        row.scores["correctness.tests.verdict"] = verdict
        if rng.random() < 0.1:
            row.decision, row.decided_by, row.reasons = Decision.DROP, stages[0], [prefix + "no_patch"]
        elif verdict == "incorrect":
            row.decision, row.decided_by, row.reasons = Decision.DROP, stages[1], ["tests_fail"]
        elif rng.random() < 0.05:
            row.decision, row.decided_by = Decision.REVIEW, stages[2]
        annotations.append(row)
        stamps.append((start + timedelta(minutes=i)).isoformat())
    _write_outputs(out, annotations, stamps)
    types = {"quality_score": pa.float64(), "correctness.tests.verdict": pa.string()}
    builder = StatsBuilder(stages, types)
    builder.add(annotations, [(s, "") for s in stamps])
    runs = [{"name": s, "status": "ran", "skip_reason": ""} for s in stages]
    write_json(out / "stats.json", builder.build({"trajectories": rows, "quarantined": 0, "units": rows}, runs))
    write_json(out / "run.json", {"recipe_fingerprint": prefix + "f" * 16, "stages": [{"name": s} for s in stages]})
    return out


def _write_outputs(out: Path, rows: list[ann.Annotation], stamps: list[str]) -> None:
    types = {"quality_score": pa.float64(), "correctness.tests.verdict": pa.string()}
    table = ann.to_table(rows, types)
    usage = pa.StructArray.from_arrays([pa.array(stamps, pa.string())], names=["started_at"])
    table = table.append_column("trajectory", pa.StructArray.from_arrays([usage], names=["usage"]))
    for decision, name in ((Decision.KEEP, "kept"), (Decision.DROP, "rejected"), (Decision.REVIEW, "review")):
        part = table.filter(pa.compute.equal(table["decision"], decision))
        pq.write_table(part, out / f"{name}.parquet")
